package main

import (
	"net/url"
	"slices"
	"testing"
)

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestExtractLinks(t *testing.T) {
	t.Parallel()
	const page = `<!doctype html>
<html><head>
<link rel="stylesheet" href="/static/abc123/app.css">
<LINK rel=icon href=/static/abc123/favicon.svg type="image/svg+xml">
<link rel="preconnect" href="https://cdn.example.com/static/x.css">
<script src='/static/abc123/app.js' defer></script>
<script>var s = '<a href="/shop/demo/p/in-script">';</script>
<style>a[href="/shop/demo/p/in-style"] {}</style>
</head><body>
<!-- <a href="/shop/demo/p/commented">x</a> -->
<a class="skip" href="#main">skip</a>
<a href="/">all shops</a>
<a href="/lang/fr?next=/shop/demo/c/courses">fr</a>
<a href="/shop/demo">home</a>
<a href="c/courses">relative</a>
<a href="../demo/c/seats?page=2">dot-dot</a>
<a href="?page=3">query only</a>
<a href=p/go-101#details>unquoted with fragment</a>
<a href="/shop/demo/p/go-101">same product again</a>
<a href="/shop/demo/search?q=go+course&amp;page=2&#38;sort=price">search</a>
<a href="  /shop/demo/p/spaced  ">spaces</a>
<a href="http://127.0.0.1:8080/shop/demo/p/absolute">absolute, same origin</a>
<a href="http://127.0.0.1:9090/shop/demo/p/other-port">other port</a>
<a href="https://127.0.0.1:8080/shop/demo/p/other-scheme">other scheme</a>
<a href="http://example.com/shop/demo/p/other-host">other host</a>
<a href="//example.com/shop/demo/p/scheme-relative">other host</a>
<a href="/shop/demo2/p/neighbour">other shop</a>
<a href="/shop/demox">other shop</a>
<a href="mailto:sales@example.com">mail</a>
<a href="javascript:void(0)">js</a>
<a href="/static/abc123/brochure.pdf">download</a>
<img alt="x" src="/static/abc123/logo.png">
<img src="/uploads/photo.png">
<area href="/shop/demo/c/map" alt="">
<a name="anchor-only">no href</a>
<a data-href="/shop/demo/p/data" title='x>y' href="/shop/demo/p/after-gt">attr with &gt; char</a>
</body></html>`
	base := mustURL(t, "http://127.0.0.1:8080/shop/demo/")
	var l Links
	l.Extract([]byte(page), base, NewScope(mustURL(t, "http://127.0.0.1:8080/shop/demo")))

	wantPages := []string{
		"http://127.0.0.1:8080/shop/demo",
		"http://127.0.0.1:8080/shop/demo/c/courses",
		"http://127.0.0.1:8080/shop/demo/c/seats?page=2",
		"http://127.0.0.1:8080/shop/demo/?page=3",
		"http://127.0.0.1:8080/shop/demo/p/go-101",
		"http://127.0.0.1:8080/shop/demo/search?q=go+course&page=2&sort=price",
		"http://127.0.0.1:8080/shop/demo/p/spaced",
		"http://127.0.0.1:8080/shop/demo/p/absolute",
		"http://127.0.0.1:8080/shop/demo/c/map",
		"http://127.0.0.1:8080/shop/demo/p/after-gt",
	}
	if !slices.Equal(l.Pages, wantPages) {
		t.Errorf("pages:\n got %q\nwant %q", l.Pages, wantPages)
	}
	wantAssets := []string{
		"http://127.0.0.1:8080/static/abc123/app.css",
		"http://127.0.0.1:8080/static/abc123/favicon.svg",
		"http://127.0.0.1:8080/static/abc123/app.js",
		"http://127.0.0.1:8080/static/abc123/logo.png",
	}
	if !slices.Equal(l.Assets, wantAssets) {
		t.Errorf("assets:\n got %q\nwant %q", l.Assets, wantAssets)
	}

	// The same Links is reused: a second page replaces the first's links.
	l.Extract([]byte(`<a href="p/x">x</a>`), mustURL(t, "http://127.0.0.1:8080/shop/demo/c/"), NewScope(mustURL(t, "http://127.0.0.1:8080/shop/demo")))
	if want := []string{"http://127.0.0.1:8080/shop/demo/c/p/x"}; !slices.Equal(l.Pages, want) || len(l.Assets) != 0 {
		t.Errorf("after reuse: pages %q assets %q, want %q and none", l.Pages, l.Assets, want)
	}
}

func TestExtractLinksRelativeToPageWithoutTrailingSlash(t *testing.T) {
	t.Parallel()
	// From /shop/demo (no slash) "c/x" is /shop/c/x: outside the shop.
	var l Links
	scope := NewScope(mustURL(t, "http://localhost/shop/demo"))
	l.Extract([]byte(`<a href="c/x">out</a><a href="demo/c/y">in</a><a href="./demo/p/z">in</a>`),
		mustURL(t, "http://localhost/shop/demo"), scope)
	want := []string{"http://localhost/shop/demo/c/y", "http://localhost/shop/demo/p/z"}
	if !slices.Equal(l.Pages, want) {
		t.Errorf("pages %q, want %q", l.Pages, want)
	}
}

func TestExtractLinksBaseAndDefaultPort(t *testing.T) {
	t.Parallel()
	var l Links
	// The scope names port 80 explicitly; links without a port are the same origin.
	scope := NewScope(mustURL(t, "http://localhost:80/shop/demo"))
	l.Extract([]byte(`<base href="/shop/demo/c/"><a href="courses">x</a><a href="HTTP://LOCALHOST/shop/demo/p/up">y</a>`),
		mustURL(t, "http://localhost/shop/demo"), scope)
	want := []string{"http://localhost/shop/demo/c/courses", "http://localhost/shop/demo/p/up"}
	if !slices.Equal(l.Pages, want) {
		t.Errorf("pages %q, want %q", l.Pages, want)
	}
}

func TestExtractLinksMalformed(t *testing.T) {
	t.Parallel()
	scope := NewScope(mustURL(t, "http://localhost/shop/demo"))
	for _, doc := range []string{
		"", "<", "<a", "<a href", "<a href=", `<a href="/shop/demo/p/1`, "<!--", "<!-- x", "<script>", "<a href='/shop/demo/p/1'",
		"<<<>>>", "</", "<!doctype", `<a href="%zz">`, "<a href=\"/shop/demo/\x7f\">",
	} {
		var l Links
		l.Extract([]byte(doc), mustURL(t, "http://localhost/shop/demo"), scope)
		for _, p := range l.Pages {
			if !scope.InShop(mustURL(t, p)) {
				t.Errorf("%q: page %q out of scope", doc, p)
			}
		}
	}
}

func TestScope(t *testing.T) {
	t.Parallel()
	s := NewScope(mustURL(t, "http://127.0.0.1:8080/shop/demo/"))
	for raw, want := range map[string]bool{
		"http://127.0.0.1:8080/shop/demo":        true,
		"http://127.0.0.1:8080/shop/demo/":       true,
		"http://127.0.0.1:8080/shop/demo/p/1":    true,
		"http://127.0.0.1:8080/shop/demo?page=2": true,
		"http://127.0.0.1:8080/shop/demo2":       false,
		"http://127.0.0.1:8080/shop":             false,
		"http://127.0.0.1:8080/":                 false,
		"http://127.0.0.1/shop/demo":             false,
		"https://127.0.0.1:8080/shop/demo":       false,
		"http://localhost:8080/shop/demo":        false,
	} {
		if got := s.InShop(mustURL(t, raw)); got != want {
			t.Errorf("InShop(%s) = %v, want %v", raw, got, want)
		}
	}
	whole := NewScope(mustURL(t, "http://127.0.0.1:8080"))
	if !whole.InShop(mustURL(t, "http://127.0.0.1:8080/anything")) {
		t.Error("a target without a path should scope the whole site")
	}
}
