package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"

	"courseshop/internal/catalog"
	"courseshop/internal/demo"
	"courseshop/internal/shop"
	"courseshop/internal/testkit"
)

// benchHandler is the full handler stack over the demo shop, without a
// network in between, and the service behind it.
func benchHandler(b *testing.B) (http.Handler, *shop.Service) {
	st := testkit.NewStore(b)
	if _, err := demo.Load(context.Background(), st); err != nil {
		b.Fatal(err)
	}
	base, _ := url.Parse("http://127.0.0.1")
	svc, _ := newService(b, st, base)
	return newHandler(b, st, svc, base, 1<<20), svc
}

func get(b *testing.B, h http.Handler, path string) {
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Accept-Language", "fr-FR,fr;q=0.9")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: %d", path, rec.Code)
	}
}

// BenchmarkShopHomeCached is the anonymous visitor's shop home page once
// rendered: the page cache path, with the mini-cart spliced in.
func BenchmarkShopHomeCached(b *testing.B) {
	h, _ := benchHandler(b)
	get(b, h, "/shop/demo")
	b.ReportAllocs()
	for b.Loop() {
		get(b, h, "/shop/demo")
	}
}

// BenchmarkShopHomeRendered renders the page every time (a cold cache).
func BenchmarkShopHomeRendered(b *testing.B) {
	h, _ := benchHandler(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++ // a new URL each time: always a cache miss
		get(b, h, "/shop/demo?page=1&n="+strconv.Itoa(i))
	}
}

// BenchmarkCartSummary is the per-request cost of a visitor with a cart.
func BenchmarkCartSummary(b *testing.B) {
	_, svc := benchHandler(b)
	ctx := context.Background()
	tok, err := svc.AddToCart(ctx, "demo", "", catalog.Visitor{}, "PM-101", 3)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.CartSummary(ctx, "demo", tok); err != nil {
			b.Fatal(err)
		}
	}
}
