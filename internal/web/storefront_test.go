package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"courseshop/internal/catalog"
	"courseshop/internal/store"
)

// TestListingRules: lists show only what the visitor may see.
func TestListingRules(t *testing.T) {
	ts := newServer(t, seedRules)
	b := newBrowser(t, ts)
	for _, path := range []string{"/shop/s", "/shop/s/c/top", "/shop/s/search?q=name+of"} {
		_, body := b.get(path)
		listed := map[string]bool{}
		for _, code := range []string{"OK", "PREVIEW", "GUEST", "PASS", "MAX2", "STOCK3", "SET", "BUNDLE", "BUNDLEBAD", "NOPRICE",
			"INTERNAL", "SUSP", "GONE", "COMPL", "SIGNED", "CUST", "HIDDEN", "FOREIGN"} {
			listed[code] = strings.Contains(body, `href="/shop/s/p/`+code+`"`)
		}
		for _, code := range []string{"OK", "PREVIEW", "GUEST", "PASS", "MAX2", "STOCK3", "SET", "BUNDLE"} {
			if !listed[code] {
				t.Errorf("%s: %s not listed", path, code)
			}
		}
		for _, code := range []string{"INTERNAL", "SUSP", "GONE", "COMPL", "SIGNED", "CUST", "HIDDEN", "FOREIGN"} {
			if listed[code] {
				t.Errorf("%s: %s listed", path, code)
			}
		}
	}
}

func TestStorefrontPages(t *testing.T) {
	ts := newServer(t, seedRules)
	for _, sc := range []scenario{
		{name: "category", path: "/shop/s/c/top", wantStatus: 200, want: []string{"<title>Top · Rules shop</title>", `aria-current="page">Top</a>`, "Name of OK"}},
		{name: "subcategory breadcrumbs", path: "/shop/s/c/sub", wantStatus: 200, want: []string{`<li><a href="/shop/s/c/top">Top</a></li>`, `<li aria-current="page">Sub</li>`}},
		{name: "category fr", path: "/shop/s/c/top", header: map[string]string{"Accept-Language": "fr"}, wantStatus: 200, want: []string{"<h1>Haut</h1>", "Fil d’Ariane"}},
		{name: "hidden category", path: "/shop/s/c/hidden", wantStatus: 404},
		{name: "unknown category", path: "/shop/s/c/nope", wantStatus: 404},
		{name: "product", path: "/shop/s/p/OK", wantStatus: 200, want: []string{
			"<title>Name of OK · Rules shop</title>", `<meta name="description" content="About OK">`,
			"1 to 4", "5 and more", "€100.00", "€120.00", "€80.00", "€96.00", "Unit price incl. tax (20 %)",
			"First paragraph of OK.", "<summary>Read more</summary><p>More about OK.</p>", `action="/shop/s/cart/add"`}},
		{name: "product reason", path: "/shop/s/p/SUSP", wantStatus: 200, want: []string{"Name of SUSP is not available for sale."}, notWant: []string{"Add to cart"}},
		{name: "product stock", path: "/shop/s/p/STOCK3", wantStatus: 200, want: []string{"3 places left."}},
		{name: "product max", path: "/shop/s/p/MAX2", wantStatus: 200, want: []string{`max="2"`, "At most 2 per order."}},
		{name: "set", path: "/shop/s/p/SET", wantStatus: 200, want: []string{"Products in this set", `href="/shop/s/p/OK"`, "is a set"}},
		{name: "bundle", path: "/shop/s/p/BUNDLE", wantStatus: 200, want: []string{"Included in this bundle", `href="/shop/s/p/STOCK3"`, "€150.00"}},
		{name: "internal product", path: "/shop/s/p/INTERNAL", wantStatus: 404},
		{name: "foreign product", path: "/shop/s/p/FOREIGN", wantStatus: 404},
		{name: "search", path: "/shop/s/search?q=stock3", wantStatus: 200, want: []string{"Results for “stock3”", "Name of STOCK3", "1 product"}, notWant: []string{"Name of MAX2"}},
		{name: "search words", path: "/shop/s/search?q=more+MAX2", wantStatus: 200, want: []string{"Name of MAX2"}},
		{name: "search hides unlisted", path: "/shop/s/search?q=SUSP", wantStatus: 200, want: []string{"No product matches"}},
		{name: "search too short", path: "/shop/s/search?q=a", wantStatus: 200, notWant: []string{"Name of"}},
		{name: "search escapes", path: "/shop/s/search?q=%3Cscript%3Ealert(1)%3C/script%3E", wantStatus: 200, notWant: []string{"<script>alert"}},
		{name: "page out of range", path: "/shop/s?page=9", wantStatus: 404},
		{name: "bad page", path: "/shop/s?page=x", wantStatus: 404},
		{name: "sitemap", path: "/sitemap.xml", wantStatus: 200, want: []string{"<loc>" + ts.URL + "/shop/s/p/OK</loc>", "<loc>" + ts.URL + "/shop/s/c/sub</loc>", "<loc>" + ts.URL + "/shop/other</loc>"},
			notWant: []string{"/p/INTERNAL", "/c/hidden", "/p/HIDDEN"}},
		{name: "robots", path: "/robots.txt", wantStatus: 200, want: []string{"Sitemap: " + ts.URL + "/sitemap.xml"}},
	} {
		t.Run(sc.name, func(t *testing.T) { ts.run(t, nil, sc) })
	}
}

func TestPagination(t *testing.T) {
	st := newStoreWith(t, func(t *testing.T, st *store.Store) {
		seedRules(t, st)
		ctx := context.Background()
		shop, _ := st.ShopByCode(ctx, "s")
		for i := range 140 {
			p := &catalog.Product{CatalogID: shop.CatalogID, Code: fmt.Sprintf("MANY-%03d", i), Kind: catalog.KindProduct, Status: catalog.StatusAvailable,
				Audience: catalog.AudienceEveryone, SeatMode: catalog.SeatNone, SortOrder: 100 + i,
				Texts: catalog.Texts{"en": {Name: fmt.Sprintf("Many %03d", i)}}, Prices: []catalog.Tier{{Unit: eur(t, 100)}}}
			if err := st.CreateProduct(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
	})
	ts := serve(t, st)
	// 10 listed products of the fixture + 140 = 150 products: 4 pages of 48.
	ts.run(t, nil, scenario{path: "/shop/s", wantStatus: 200, want: []string{"150 products", "Page 1 of 4", `rel="next" href="/shop/s?page=2"`}, notWant: []string{`rel="prev"`, "Many 139"}})
	ts.run(t, nil, scenario{path: "/shop/s?page=4", wantStatus: 200, want: []string{"Page 4 of 4", "Many 139", `rel="prev" href="/shop/s?page=3"`}, notWant: []string{`rel="next"`, "Many 000"}})
	ts.run(t, nil, scenario{path: "/shop/s/search?q=many&page=2", wantStatus: 200, want: []string{"Page 2 of 3", `href="/shop/s/search?q=many&amp;page=3"`}})
	ts.run(t, nil, scenario{path: "/shop/s?page=5", wantStatus: 404})
}

// TestCatalogueChangesReachCachedPages: a change to the catalogue (on any
// node) shows on every node within a second or so.
func TestCatalogueChangesReachCachedPages(t *testing.T) {
	ts := newServer(t, seedRules)
	ts.run(t, nil, scenario{path: "/shop/s/c/top", wantStatus: 200, notWant: []string{"Brand new"}})
	ctx := context.Background()
	shop, _ := ts.store.ShopByCode(ctx, "s")
	err := ts.store.InTx(ctx, func(tx *store.Store) error {
		cats, err := tx.Categories(ctx, shop.CatalogID)
		if err != nil {
			return err
		}
		if err := tx.CreateProduct(ctx, &catalog.Product{CatalogID: shop.CatalogID, CategoryID: cats[0].ID, Code: "NEW", Kind: catalog.KindProduct,
			Status: catalog.StatusAvailable, Audience: catalog.AudienceEveryone, SeatMode: catalog.SeatNone,
			Texts: catalog.Texts{"en": {Name: "Brand new"}}, Prices: []catalog.Tier{{Unit: eur(t, 100)}}}); err != nil {
			return err
		}
		return tx.BumpCatalogVersion(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, body := newBrowser(t, ts).get("/shop/s/c/top")
		if code == http.StatusOK && strings.Contains(body, "Brand new") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the new product never appeared")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
