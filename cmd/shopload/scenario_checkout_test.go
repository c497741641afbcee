package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeCheckout is a shop at /shop/demo implementing the checkout flow the
// way courseshop does: the cart in a cookie "cart_demo" set on the first
// add, the session in a cookie "sid", each checkout form carrying the
// cart's revision, every step answering a 303 to the next, order pages
// visible only to the session that placed them. It refuses (and records in
// bad) anything a browser going through the forms would not send, and
// records each cart's steps since its last order.
type fakeCheckout struct {
	mu       sync.Mutex
	products map[string]bool
	mode     string
	review   string // how the review step answers: "" places the order, "422" refuses, "elsewhere" redirects to the cart

	sessions map[string]map[string]bool // session → numbers of its orders
	carts    map[string]*fakeCart       // token → cart
	emails   map[string]bool            // e-mails given at the customer step
	placed   int                        // orders placed
	bad      []string                   // what a browser would not have sent
	steps    map[string]int             // requests by step
}

type fakeCart struct {
	items    []string
	rev      int
	customer bool       // customer step done for the current items
	steps    []string   // steps since the last order (or clear)
	done     [][]string // steps of each completed order
}

func newFakeCheckout(review string, products ...string) *fakeCheckout {
	s := &fakeCheckout{products: map[string]bool{}, mode: "test", review: review,
		sessions: map[string]map[string]bool{}, carts: map[string]*fakeCart{}, emails: map[string]bool{}, steps: map[string]int{}}
	for _, p := range products {
		s.products[p] = true
	}
	return s
}

// completeOrder is the step sequence of one purchase of one or two
// products, as recorded by fakeCheckout.
var completeOrder = regexp.MustCompile(`^(add cart ){1,2}checkout customer customer-post review place order$`)

var buyerEmail = regexp.MustCompile(`^buyer-[0-9]+-[0-9]+@example\.com$`)

func (s *fakeCheckout) refuse(w http.ResponseWriter, r *http.Request, code int, why string) {
	s.bad = append(s.bad, r.Method+" "+r.URL.Path+": "+why)
	http.Error(w, why, code)
}

func (s *fakeCheckout) redirect(w http.ResponseWriter, p string) {
	w.Header().Set("Location", "/shop/demo"+p)
	w.WriteHeader(http.StatusSeeOther)
}

func (s *fakeCheckout) page(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<!doctype html><html><head><title>shop</title></head><body><a href="/shop/demo">home</a>%s</body></html>`, body)
}

func (s *fakeCheckout) form(w http.ResponseWriter, status int, c *fakeCart, fields string) {
	s.page(w, status, fmt.Sprintf(`<form method="post" class="stack">
<input type="hidden" name="rev" value="%d">%s<button type="submit">Go</button></form>`, c.rev, fields))
}

func (s *fakeCheckout) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()

	sid := ""
	if c, err := r.Cookie("sid"); err == nil {
		if s.sessions[c.Value] == nil {
			s.refuse(w, r, http.StatusForbidden, "unknown session")
			return
		}
		sid = c.Value
	} else {
		sid = strconv.Itoa(len(s.sessions) + 1)
		s.sessions[sid] = map[string]bool{}
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: sid, Path: "/", HttpOnly: true})
	}
	var cart *fakeCart
	if c, err := r.Cookie("cart_demo"); err == nil {
		if cart = s.carts[c.Value]; cart == nil {
			s.refuse(w, r, http.StatusForbidden, "unknown cart")
			return
		}
	}
	if r.Method == http.MethodPost {
		if origin := r.Header.Get("Origin"); origin != "http://"+r.Host {
			s.refuse(w, r, http.StatusForbidden, "cross-origin post from "+origin)
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			s.refuse(w, r, http.StatusBadRequest, "content type "+ct)
			return
		}
		if err := r.ParseForm(); err != nil {
			s.refuse(w, r, http.StatusBadRequest, err.Error())
			return
		}
	}
	step := func(name string) {
		s.steps[name]++
		cart.steps = append(cart.steps, name)
	}
	needItems := func() bool {
		if cart == nil || len(cart.items) == 0 {
			s.refuse(w, r, http.StatusConflict, "empty cart")
			return false
		}
		return true
	}
	checkRev := func() bool {
		if r.PostForm.Get("rev") != strconv.Itoa(cart.rev) {
			s.refuse(w, r, http.StatusConflict, fmt.Sprintf("rev %q, want %d", r.PostForm.Get("rev"), cart.rev))
			return false
		}
		return true
	}

	switch p := strings.TrimPrefix(r.URL.Path, "/shop/demo"); r.Method + " " + p {
	case "GET ":
		s.page(w, http.StatusOK, "<h1>Demo</h1>")
	case "POST /cart/add":
		code := r.PostForm.Get("code")
		if !s.products[code] || r.PostForm.Get("quantity") != "1" {
			s.refuse(w, r, http.StatusUnprocessableEntity, "bad product or quantity: "+r.PostForm.Encode())
			return
		}
		if cart == nil {
			token := "t" + strconv.Itoa(len(s.carts)+1)
			cart = &fakeCart{}
			s.carts[token] = cart
			http.SetCookie(w, &http.Cookie{Name: "cart_demo", Value: token, Path: "/shop/demo", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		}
		if slices.Contains(cart.items, code) || len(cart.items) >= 2 {
			s.refuse(w, r, http.StatusUnprocessableEntity, fmt.Sprintf("adding %s to %v", code, cart.items))
			return
		}
		cart.items = append(cart.items, code)
		cart.customer = false
		step("add")
		s.redirect(w, "/cart")
	case "POST /cart/clear":
		if cart == nil {
			s.refuse(w, r, http.StatusConflict, "no cart to clear")
			return
		}
		cart.items, cart.customer, cart.steps = nil, false, nil
		cart.rev++
		s.steps["clear"]++
		s.redirect(w, "/cart")
	case "GET /cart":
		if cart == nil {
			s.refuse(w, r, http.StatusConflict, "no cart cookie")
			return
		}
		if len(cart.items) > 0 {
			step("cart")
		}
		s.page(w, http.StatusOK, "<h1>Cart</h1>"+strings.Join(cart.items, ", "))
	case "GET /checkout":
		if !needItems() {
			return
		}
		step("checkout")
		s.redirect(w, "/checkout/customer")
	case "GET /checkout/customer":
		if !needItems() {
			return
		}
		step("customer")
		s.form(w, http.StatusOK, cart, `<input name="email"><input name="first_name"><input name="last_name"><input name="city"><input name="country">`)
	case "POST /checkout/customer":
		if !needItems() || !checkRev() {
			return
		}
		f := r.PostForm
		email := f.Get("email")
		if !buyerEmail.MatchString(email) || s.emails[email] || f.Get("first_name") != "Load" || f.Get("last_name") != "Tester" ||
			f.Get("country") != "FR" || f.Get("city") != "Paris" || len(f) != 6 {
			s.refuse(w, r, http.StatusUnprocessableEntity, "customer form "+f.Encode())
			return
		}
		s.emails[email] = true
		cart.rev++
		cart.customer = true
		step("customer-post")
		s.redirect(w, "/checkout/review")
	case "GET /checkout/review":
		if !needItems() {
			return
		}
		if !cart.customer {
			s.refuse(w, r, http.StatusConflict, "review before the customer step")
			return
		}
		step("review")
		s.form(w, http.StatusOK, cart, `<input type="checkbox" name="terms" value="yes"><input type="radio" name="mode" value="test">`)
	case "POST /checkout/review":
		if !needItems() || !checkRev() {
			return
		}
		f := r.PostForm
		if !cart.customer || f.Get("terms") != "yes" || f.Get("mode") != s.mode || len(f) != 3 {
			s.refuse(w, r, http.StatusUnprocessableEntity, "review form "+f.Encode())
			return
		}
		step("place")
		switch s.review {
		case "422":
			s.form(w, http.StatusUnprocessableEntity, cart, `<p class="field-error">mode not allowed</p>`)
			return
		case "elsewhere":
			s.redirect(w, "/cart")
			return
		}
		s.placed++
		number := "D-" + strconv.Itoa(s.placed)
		s.sessions[sid][number] = true
		cart.items, cart.customer = nil, false
		cart.rev++
		s.redirect(w, "/orders/"+number)
	default:
		number, ok := strings.CutPrefix(p, "/orders/")
		if !ok || r.Method != http.MethodGet {
			s.refuse(w, r, http.StatusNotFound, "no such page")
			return
		}
		if !s.sessions[sid][number] {
			s.refuse(w, r, http.StatusNotFound, "order "+number+" of another session")
			return
		}
		if cart == nil {
			s.refuse(w, r, http.StatusConflict, "order page without the cart cookie")
			return
		}
		step("order")
		cart.done = append(cart.done, cart.steps)
		cart.steps = nil
		s.page(w, http.StatusOK, "<h1>Order "+number+"</h1>")
	}
}

func TestCheckoutRun(t *testing.T) {
	t.Parallel()
	shop := newFakeCheckout("", "BOOK-PM", "SEC-PHISH", "EN-TEST")
	srv := httptest.NewServer(shop)
	defer srv.Close()

	code, out, errOut := runCommand(t, "-target", srv.URL+"/shop/demo", "-scenario", "checkout", "-c", "4", "-d", "300ms",
		"-warmup", "0s", "-seed", "3", "-products", "BOOK-PM, SEC-PHISH,EN-TEST")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	res := parseResult(t, out)
	if res.Scenario != "checkout" || res.Orders <= 0 || res.Errors != 0 {
		t.Fatalf("scenario %q orders %d errors %d, want orders and no errors (status %v)", res.Scenario, res.Orders, res.Errors, res.Status)
	}
	if len(res.Status) != 2 || res.Status["200"]+res.Status["303"] != res.Requests {
		t.Errorf("status %v, want only 200 and 303 (%d requests)", res.Status, res.Requests)
	}
	// A purchase is 8 or 10 requests.
	if res.Requests < 8*res.Orders {
		t.Errorf("%d requests for %d orders", res.Requests, res.Orders)
	}
	if !rpsFormat.MatchString(res.OrdersPerS) || res.OrdersPerS == "0.0" || !rpsFormat.MatchString(res.RPS) {
		t.Errorf("orders_per_s %q rps %q", res.OrdersPerS, res.RPS)
	}
	for name, v := range map[string]string{"p50": res.P50, "p90": res.P90, "p99": res.P99, "max": res.Max} {
		if !msFormat.MatchString(v) {
			t.Errorf("%s_ms = %q", name, v)
		}
	}

	shop.mu.Lock()
	defer shop.mu.Unlock()
	if len(shop.bad) > 0 {
		t.Errorf("the fake shop refused %d requests, first ones: %q", len(shop.bad), shop.bad[:min(len(shop.bad), 5)])
	}
	// One session for the first request and one per user, one cart per
	// user: the cookies lasted from one purchase to the next.
	if len(shop.sessions) != 5 || len(shop.carts) != 4 {
		t.Errorf("%d sessions and %d carts, want 5 and 4", len(shop.sessions), len(shop.carts))
	}
	completed := 0
	for token, c := range shop.carts {
		for i, seq := range c.done {
			if s := strings.Join(seq, " "); !completeOrder.MatchString(s) {
				t.Errorf("cart %s, order %d went through %q", token, i+1, s)
			}
		}
		completed += len(c.done)
		if len(c.done) < 2 {
			t.Errorf("cart %s completed %d orders, want several in one cart", token, len(c.done))
		}
	}
	// Requests cut by the end of the run reached the shop but are not
	// counted: at most one order page per user.
	if completed < int(res.Orders) || completed > int(res.Orders)+4 {
		t.Errorf("the shop completed %d orders, the report says %d", completed, res.Orders)
	}
	if shop.steps["clear"] != 0 {
		t.Errorf("%d carts cleared in a run without errors", shop.steps["clear"])
	}
	if shop.steps["add"] <= shop.steps["checkout"] {
		t.Errorf("steps %v: never two products in an order", shop.steps)
	}
}

func TestCheckoutRefusedAtReview(t *testing.T) {
	t.Parallel()
	shop := newFakeCheckout("422", "BOOK-PM", "SEC-PHISH")
	srv := httptest.NewServer(shop)
	defer srv.Close()

	code, out, errOut := runCommand(t, "-target", srv.URL+"/shop/demo", "-scenario", "checkout", "-c", "4", "-d", "300ms",
		"-warmup", "0s", "-products", "BOOK-PM,SEC-PHISH")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	res := parseResult(t, out)
	if res.Orders != 0 || res.OrdersPerS != "0.0" || res.Errors == 0 || res.Status["422"] != res.Errors {
		t.Errorf("orders %d (%s/s) errors %d status %v, want no orders and the 422s as errors", res.Orders, res.OrdersPerS, res.Errors, res.Status)
	}
	if res.Status["200"]+res.Status["303"]+res.Status["422"] != res.Requests {
		t.Errorf("status %v for %d requests", res.Status, res.Requests)
	}
	shop.mu.Lock()
	defer shop.mu.Unlock()
	if len(shop.bad) > 0 {
		t.Errorf("the fake shop refused %d requests, first ones: %q", len(shop.bad), shop.bad[:min(len(shop.bad), 5)])
	}
	if shop.placed != 0 || shop.steps["order"] != 0 {
		t.Errorf("placed %d orders, %d order pages", shop.placed, shop.steps["order"])
	}
	// Each refusal is followed by a new purchase in an emptied cart.
	if shop.steps["place"] < 2 || shop.steps["clear"] < shop.steps["place"]-4 {
		t.Errorf("steps %v: want purchases started over after the refusals, carts cleared", shop.steps)
	}
}

func TestCheckoutRedirectElsewhereIsAnError(t *testing.T) {
	t.Parallel()
	shop := newFakeCheckout("elsewhere", "BOOK-PM")
	srv := httptest.NewServer(shop)
	defer srv.Close()

	code, out, errOut := runCommand(t, "-target", srv.URL+"/shop/demo", "-scenario", "checkout", "-c", "2", "-d", "200ms",
		"-warmup", "0s", "-products", "BOOK-PM")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	res := parseResult(t, out)
	if res.Orders != 0 || res.Errors == 0 || res.Status["200"]+res.Status["303"] != res.Requests {
		t.Errorf("orders %d errors %d status %v requests %d, want the 303s to the cart counted as errors", res.Orders, res.Errors, res.Status, res.Requests)
	}
	shop.mu.Lock()
	defer shop.mu.Unlock()
	if len(shop.bad) > 0 {
		t.Errorf("the fake shop refused %d requests, first ones: %q", len(shop.bad), shop.bad[:min(len(shop.bad), 5)])
	}
	// Requests cut by the end of the run are not counted: one per user.
	if n := int64(shop.steps["place"]); res.Errors > n || res.Errors < n-2 {
		t.Errorf("errors %d for %d redirects elsewhere", res.Errors, n)
	}
}

func TestCheckoutFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args    []string
		message string
	}{
		{[]string{"-products", ""}, "-products"},
		{[]string{"-products", " , ,"}, "-products"},
		{[]string{"-mode", " "}, "-mode"},
	} {
		args := append([]string{"-target", "http://127.0.0.1:1/shop/demo", "-scenario", "checkout"}, tc.args...)
		code, out, errOut := runCommand(t, args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.message) {
			t.Errorf("%q: exit %d stdout %q stderr %q, want exit 2 and %q", tc.args, code, out, errOut, tc.message)
		}
	}
	if got := splitList(" A,B ,,A, C"); !slices.Equal(got, []string{"A", "B", "C"}) {
		t.Errorf("splitList = %q", got)
	}
}

func TestSendDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	hits := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.Method+" "+r.URL.Path]++
		mu.Unlock()
		if r.URL.Path == "/from" {
			http.Redirect(w, r, "/to?x=1", http.StatusSeeOther)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	u := &User{ID: 0, Lang: "en", Client: newClient(Config{Concurrency: 1, Timeout: 5 * time.Second}), run: &run{}, rec: newRecorder(4)}

	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/from", strings.NewReader("a=b"))
	resp, err := u.Send(req, false)
	if err != nil || resp.Status != http.StatusSeeOther || resp.Location == nil || resp.Location.String() != srv.URL+"/to?x=1" || !resp.Measured {
		t.Fatalf("Send: %+v, %v; want the 303 and its absolute Location", resp, err)
	}
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/from", nil)
	resp, err = u.Do(req, true)
	if err != nil || resp.Status != http.StatusOK || string(resp.Body) != "ok" || resp.Location != nil {
		t.Fatalf("Do: %+v, %v; want the redirect followed", resp, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if hits["POST /from"] != 1 || hits["GET /from"] != 1 || hits["GET /to"] != 1 {
		t.Errorf("hits %v", hits)
	}
	if u.rec.status[303] != 1 || u.rec.status[200] != 1 {
		t.Errorf("recorded %v, want the 303 of Send and the 200 of Do", u.rec.status)
	}
}

func TestFindRev(t *testing.T) {
	t.Parallel()
	for page, want := range map[string]string{
		`<form method="post"><input type="hidden" name="rev" value="12"><input name="email" value="3"></form>`: "12",
		`<input value="7" type="hidden" name="rev">`:                                                           "7",
		`<input name="revision" value="3"><input name="rev" value="0">`:                                        "0",
		`<input type="hidden" name="rev" value="">`:                                                            "",
		`<p>no form</p>`: "",
		`<input type="hidden" name="rev"><input name="x" value="5">`: "",
	} {
		got, ok := findRev([]byte(page))
		if got != want || ok != (want != "") {
			t.Errorf("findRev(%q) = %q, %v; want %q", page, got, ok, want)
		}
	}
}
