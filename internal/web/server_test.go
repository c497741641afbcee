package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"courseshop/internal/catalog"
	"courseshop/internal/demo"
	"courseshop/internal/i18n"
	"courseshop/internal/lms"
	"courseshop/internal/lms/local"
	"courseshop/internal/mail"
	"courseshop/internal/metrics"
	"courseshop/internal/order/orders"
	"courseshop/internal/password"
	"courseshop/internal/payment"
	"courseshop/internal/production"
	"courseshop/internal/shop"
	"courseshop/internal/store"
	"courseshop/internal/testkit"
	"courseshop/internal/web"
	"courseshop/internal/web/view"
)

type testServer struct {
	*httptest.Server
	store  *store.Store
	engine *production.Engine // runs production when a test calls RunDue
}

// seedDemo loads the demo shop.
func seedDemo(t *testing.T, st *store.Store) {
	t.Helper()
	if _, err := demo.Load(context.Background(), st); err != nil {
		t.Fatal(err)
	}
}

// newServer runs the real handler stack on a fresh database filled by seed.
func newServer(t *testing.T, seed func(*testing.T, *store.Store)) *testServer {
	t.Helper()
	return serve(t, newStoreWith(t, seed))
}

// newStoreWith returns a fresh database filled by seed.
func newStoreWith(t *testing.T, seed func(*testing.T, *store.Store)) *store.Store {
	t.Helper()
	st := testkit.NewStore(t)
	seed(t, st)
	return st
}

// serve runs a new server (a new node) on st.
func serve(t *testing.T, st *store.Store) *testServer {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	base, _ := url.Parse("http://" + ts.Listener.Addr().String())
	svc, engine := newService(t, st, base)
	ts.Config.Handler = newHandler(t, st, svc, base, 4096)
	ts.Start()
	t.Cleanup(ts.Close)
	return &testServer{Server: ts, store: st, engine: engine}
}

// newHandler is the complete handler stack of one node on st.
func newHandler(tb testing.TB, st *store.Store, svc *shop.Service, base *url.URL, maxBody int64) http.Handler {
	tb.Helper()
	cat, err := i18n.New()
	if err != nil {
		tb.Fatal(err)
	}
	views, err := view.New()
	if err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return web.New(web.Deps{Store: st, Shop: svc, I18n: cat, Views: views, Metrics: metrics.New(),
		Log: log, BaseURL: base, MaxBodyBytes: maxBody}).Handler()
}

// newService is the shop service of a node, wired as serve wires it, with
// a captured mail outbox and a production engine that runs only when a test
// calls RunDue.
func newService(tb testing.TB, st *store.Store, base *url.URL) (*shop.Service, *production.Engine) {
	tb.Helper()
	mails, err := mail.New()
	if err != nil {
		tb.Fatal(err)
	}
	modes := payment.NewRegistry(payment.Builtin()...)
	outbox := mail.NewOutbox(mails, true)
	conn := local.New(st, local.WithPasswordParams(password.Cheap()), local.WithBaseURL(strings.TrimSuffix(base.String(), "/")))
	sites := lms.Only(conn)
	engine := production.New(st, sites, outbox, production.Options{SeatReleaseGrace: 24 * time.Hour})
	ords := orders.New(st, modes, orders.Options{Production: engine})
	engine.UseOrders(ords)
	return shop.New(shop.Deps{Store: st, LMS: sites, Outbox: outbox, Payments: modes, Orders: ords, Production: engine,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), BaseURL: base, SalesEmail: "sales@example.com"}), engine
}

// scenario is one request and what its response must (not) contain.
type scenario struct {
	name       string
	method     string
	path       string
	header     map[string]string
	body       string
	wantStatus int
	want       []string
	notWant    []string
}

func (ts *testServer) run(t *testing.T, c *http.Client, sc scenario) *http.Response {
	t.Helper()
	method := sc.method
	if method == "" {
		method = "GET"
	}
	req, err := http.NewRequest(method, ts.URL+sc.path, strings.NewReader(sc.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range sc.header {
		req.Header.Set(k, v)
	}
	if c == nil {
		c = ts.Client()
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(b)
	if resp.StatusCode != sc.wantStatus {
		t.Errorf("%s %s: status %d, want %d\n%s", method, sc.path, resp.StatusCode, sc.wantStatus, body)
	}
	for _, w := range sc.want {
		if !strings.Contains(body, w) {
			t.Errorf("%s %s: body lacks %q", method, sc.path, w)
		}
	}
	for _, w := range sc.notWant {
		if strings.Contains(body, w) {
			t.Errorf("%s %s: body has %q", method, sc.path, w)
		}
	}
	return resp
}

func TestPages(t *testing.T) {
	ts := newServer(t, seedDemo)
	fr := map[string]string{"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
	for _, sc := range []scenario{
		{name: "home en", path: "/", wantStatus: 200, want: []string{`<html lang="en">`, "Our shops", `href="/shop/demo"`, "Skip to content", `<main id="main"`}},
		{name: "home fr", path: "/", header: fr, wantStatus: 200, want: []string{`<html lang="fr">`, "Nos boutiques", "Aller au contenu"}},
		{name: "shop en", path: "/shop/demo", wantStatus: 200, want: []string{
			"<title>Demo training shop</title>", `<meta name="description" content="Online courses, classroom sessions`,
			"Project management essentials", "From €490.00 excl. tax", "€588.00 incl. tax", "Agile methods", "58 products", "Test shop", `src="/media/`}},
		{name: "shop fr", path: "/shop/demo", header: fr, wantStatus: 200, want: []string{
			"Les fondamentaux de la gestion de projet", "À partir de 490,00\u00a0€ HT", "588,00\u00a0€ TTC", "Méthodes agiles", "58 produits"}},
		{name: "unknown shop", path: "/shop/nope", wantStatus: 404, want: []string{"Page not found"}},
		{name: "unknown shop fr", path: "/shop/nope", header: fr, wantStatus: 404, want: []string{"Page introuvable"}},
		{name: "unknown path", path: "/no/such/page", wantStatus: 404, want: []string{"Page not found"}},
		{name: "unknown language", path: "/lang/de", wantStatus: 404},
		{name: "healthz", path: "/healthz", wantStatus: 200, want: []string{`"status":"ok"`}},
	} {
		t.Run(sc.name, func(t *testing.T) { ts.run(t, nil, sc) })
	}
}

func TestSecurityHeaders(t *testing.T) {
	ts := newServer(t, seedDemo)
	for path, status := range map[string]int{"/": 200, "/shop/demo": 200, "/shop/nope": 404, "/healthz": 200} {
		resp := ts.run(t, nil, scenario{path: path, wantStatus: status})
		h := resp.Header
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: CSP = %q", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers = %v", path, h)
		}
		if len(h.Get("X-Request-Id")) != 16 {
			t.Errorf("%s: X-Request-Id = %q", path, h.Get("X-Request-Id"))
		}
	}
}

func TestLanguageSwitchIsKeptInSession(t *testing.T) {
	ts := newServer(t, seedDemo)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	// The switch sends the visitor back where they were, in French.
	resp := ts.run(t, c, scenario{path: "/lang/fr?next=/shop/demo", header: map[string]string{"Accept-Language": "en"}, wantStatus: 200, want: []string{`<html lang="fr">`, "Produits"}})
	if resp.Request.URL.Path != "/shop/demo" {
		t.Errorf("redirected to %s", resp.Request.URL)
	}
	var session *http.Cookie
	for _, ck := range resp.Request.Cookies() {
		if ck.Name == "courseshop_session" {
			session = ck
		}
	}
	if session == nil {
		t.Fatal("no session cookie")
	}
	// The choice beats the browser's header on later pages…
	ts.run(t, c, scenario{path: "/", header: map[string]string{"Accept-Language": "en"}, wantStatus: 200, want: []string{"Nos boutiques"}})
	// …and lives in the database: a client holding only the cookie gets it.
	other := &http.Client{}
	req, _ := http.NewRequest("GET", ts.URL+"/", nil)
	req.AddCookie(session)
	r2, err := other.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	if !strings.Contains(string(b), "Nos boutiques") {
		t.Error("language choice not found from the session cookie alone")
	}
	// Back to English.
	ts.run(t, c, scenario{path: "/lang/en?next=/", wantStatus: 200, want: []string{"Our shops"}})
}

func TestLanguageSwitchRefusesForeignRedirects(t *testing.T) {
	ts := newServer(t, seedDemo)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", ""} {
		resp := ts.run(t, c, scenario{path: "/lang/fr?next=" + url.QueryEscape(next), wantStatus: http.StatusSeeOther})
		if loc := resp.Header.Get("Location"); loc != "/" {
			t.Errorf("next=%q redirected to %q, want /", next, loc)
		}
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	ts := newServer(t, seedDemo)
	ts.run(t, nil, scenario{name: "cross-site", method: "POST", path: "/lang/fr",
		header:     map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example", "Accept-Language": "fr"},
		wantStatus: http.StatusForbidden, want: []string{"Accès refusé"}})
	ts.run(t, nil, scenario{name: "foreign origin, no fetch metadata", method: "POST", path: "/",
		header: map[string]string{"Origin": "https://evil.example"}, wantStatus: http.StatusForbidden})
	// Same-origin form posts pass the check (and meet the router: no POST route yet).
	ts.run(t, nil, scenario{name: "same-origin", method: "POST", path: "/",
		header: map[string]string{"Sec-Fetch-Site": "same-origin"}, wantStatus: http.StatusNotFound})
}

func TestRequestBodyLimit(t *testing.T) {
	ts := newServer(t, seedDemo)
	ts.run(t, nil, scenario{method: "POST", path: "/", header: map[string]string{"Sec-Fetch-Site": "same-origin", "Accept-Language": "fr"},
		body: strings.Repeat("x", 5000), wantStatus: http.StatusRequestEntityTooLarge, want: []string{"Requête trop volumineuse"}})
}

func TestMetrics(t *testing.T) {
	ts := newServer(t, seedDemo)
	ts.run(t, nil, scenario{path: "/shop/demo", wantStatus: 200})
	ts.run(t, nil, scenario{path: "/shop/nope", wantStatus: 404})
	ts.run(t, nil, scenario{path: "/metrics", wantStatus: 200, want: []string{
		`courseshop_http_requests_total{code="200",method="GET",route="GET /shop/{shop}"} 1`,
		`courseshop_http_requests_total{code="404",method="GET",route="GET /shop/{shop}"} 1`,
		"courseshop_http_request_duration_seconds_bucket", "go_goroutines"},
		notWant: []string{"/shop/nope"}})
}

func TestHealthzReportsDatabaseDown(t *testing.T) {
	ts := newServer(t, seedDemo)
	ts.store.Close()
	ts.run(t, nil, scenario{path: "/healthz", wantStatus: http.StatusServiceUnavailable, want: []string{`"database":"down"`}})
}

func TestStaticServed(t *testing.T) {
	ts := newServer(t, seedDemo)
	views, _ := view.New()
	u, _ := views.AssetURL("app.css")
	r := ts.run(t, nil, scenario{path: u, wantStatus: 200, want: []string{":focus-visible"}})
	if !strings.Contains(r.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("Cache-Control = %q", r.Header.Get("Cache-Control"))
	}
}

// cartPartner returns the partner tag of the cart whose token b holds,
// read through the service as the checkout will.
func (ts *testServer) cartPartner(t *testing.T, b *browser) string {
	t.Helper()
	u, _ := url.Parse(ts.URL)
	var token string
	for _, c := range b.c.Jar.Cookies(&url.URL{Scheme: "http", Host: u.Host, Path: "/shop/s/"}) {
		if c.Name == "cart_s" {
			token = c.Value
		}
	}
	base, _ := url.Parse(ts.URL)
	svc, _ := newService(t, ts.store, base)
	cv, err := svc.Cart(context.Background(), "s", token, "en", catalog.Visitor{})
	if err != nil {
		t.Fatal(err)
	}
	return cv.PartnerTag
}

// TestMediaServed: catalogue pictures come from the database under
// immutable, content-addressed URLs, sandboxed.
func TestMediaServed(t *testing.T) {
	ts := newServer(t, seedDemo)
	_, body := newBrowser(t, ts).get("/shop/demo")
	m := regexp.MustCompile(`src="(/media/[0-9a-f]{16}/[a-z0-9-]+\.svg)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no product picture on the shop home page")
	}
	resp := ts.run(t, nil, scenario{path: m[1], wantStatus: 200, want: []string{"<svg"}})
	h := resp.Header
	if h.Get("Content-Type") != "image/svg+xml" || !strings.Contains(h.Get("Cache-Control"), "immutable") || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("media headers: %v", h)
	}
	ts.run(t, nil, scenario{path: "/media/0000000000000000/nope.svg", wantStatus: 404})
}
