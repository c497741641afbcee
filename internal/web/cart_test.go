package web_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// browser is a client with cookies, like a visitor's browser.
type browser struct {
	t  *testing.T
	ts *testServer
	c  *http.Client
}

func newBrowser(t *testing.T, ts *testServer) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, ts: ts, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values) (int, string, http.Header) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.ts.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept-Language", "en")
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out), resp.Header
}

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	code, body, _ := b.do("GET", path, nil)
	return code, body
}

// post submits a form and follows a 303 like a browser; it returns the
// status of the POST and the body of the page finally shown.
func (b *browser) post(path string, form url.Values) (int, string) {
	b.t.Helper()
	code, body, h := b.do("POST", path, form)
	if code == http.StatusSeeOther {
		_, body = b.get(h.Get("Location"))
	}
	return code, body
}

func (b *browser) add(code, qty string) (int, string) {
	b.t.Helper()
	return b.post("/shop/s/cart/add", url.Values{"code": {code}, "quantity": {qty}})
}

var tagRE = regexp.MustCompile(`<[^>]+>`)

// text is the visible text of a page, spaces collapsed.
func text(html string) string {
	return strings.Join(strings.Fields(tagRE.ReplaceAllString(html, " ")), " ")
}

// cartLines returns "CODE=qty" for each cart line, from the cart page.
func (b *browser) cartLines() []string {
	b.t.Helper()
	_, body := b.get("/shop/s/cart")
	var out []string
	for _, m := range regexp.MustCompile(`name="qty\.([A-Z0-9-]+)"[^>]*value="(\d+)"`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1]+"="+m[2])
	}
	return out
}

func TestCartHappyPath(t *testing.T) {
	ts := newServer(t, seedRules)
	b := newBrowser(t, ts)
	if code, body := b.add("OK", "2"); code != http.StatusSeeOther || !strings.Contains(text(body), "Name of OK added to your cart.") {
		t.Fatalf("add: %d\n%s", code, text(body))
	}
	_, body := b.get("/shop/s/cart")
	for _, want := range []string{"Cart: 2 items, €240.00", "€100.00", "Total excl. tax €200.00", "Tax at 20 % €40.00", "Total incl. tax €240.00"} {
		if !strings.Contains(text(body), want) {
			t.Errorf("cart lacks %q:\n%s", want, text(body))
		}
	}
	// Three more: the whole quantity (5) moves to the second tier.
	b.add("OK", "3")
	_, body = b.get("/shop/s/cart")
	if !strings.Contains(text(body), "€80.00") || !strings.Contains(text(body), "Total incl. tax €480.00") {
		t.Errorf("tier price not applied:\n%s", text(body))
	}
	// Update, then remove, then clear.
	b.add("MAX2", "1")
	if code, _ := b.post("/shop/s/cart/update", url.Values{"qty.OK": {"1"}, "qty.MAX2": {"2"}}); code != http.StatusSeeOther {
		t.Fatalf("update: %d", code)
	}
	if got := strings.Join(b.cartLines(), " "); got != "OK=1 MAX2=2" {
		t.Errorf("after update: %s", got)
	}
	b.post("/shop/s/cart/update", url.Values{"qty.MAX2": {"0"}})
	if got := strings.Join(b.cartLines(), " "); got != "OK=1" {
		t.Errorf("quantity 0 must remove: %s", got)
	}
	b.add("MAX2", "1")
	b.post("/shop/s/cart/remove", url.Values{"code": {"OK"}})
	if got := strings.Join(b.cartLines(), " "); got != "MAX2=1" {
		t.Errorf("after remove: %s", got)
	}
	b.post("/shop/s/cart/clear", url.Values{})
	if _, body := b.get("/shop/s/cart"); !strings.Contains(body, "Your cart is empty.") || !strings.Contains(body, "Cart (empty)") {
		t.Errorf("after clear:\n%s", text(body))
	}
}

// TestCartRefusals: every sales rule is enforced by the server, whatever
// the page offered. Each forbidden addition answers 422 with the reason,
// keeps what was typed, and leaves the cart as it was.
func TestCartRefusals(t *testing.T) {
	ts := newServer(t, seedRules)
	for _, tc := range []struct {
		code, qty, want string
		status          int  // 422: the product page again; 303: to the cart
		form            bool // the page offers the form again, with what was typed
	}{
		{"PREVIEW", "1", "Name of PREVIEW is not on sale yet.", 422, false},
		{"INTERNAL", "1", "INTERNAL is not available for sale.", 303, false}, // its name is not shown: internal products do not exist for visitors
		{"SUSP", "1", "Name of SUSP is not available for sale.", 422, false},
		{"COMPL", "1", "Name of COMPL is sold as the extension of a product you own", 422, false},
		{"GONE", "1", "Name of GONE is sold out.", 422, false},
		{"SIGNED", "1", "sold to signed-in customers only", 422, false},
		{"CUST", "1", "reserved for existing customers", 422, false},
		{"PASS", "1", "needs a passcode", 422, false},
		{"MAX2", "3", "Name of MAX2: at most 2 per order.", 422, true},
		{"STOCK3", "4", "Only 3 left for Name of STOCK3.", 422, true},
		{"SET", "1", "is a set: add its products one by one", 422, false},
		{"BUNDLEBAD", "1", "one of its parts is unavailable", 422, false},
		{"BUNDLE", "4", "one of its parts is unavailable", 422, true}, // STOCK3 has only 3
		{"NOPRICE", "1", "has no price in this shop", 422, false},
		{"OK", "0", "enter a quantity of at least 1", 422, true},
		{"OK", "-4", "enter a quantity of at least 1", 422, true},
		{"OK", "two", "Enter a whole number.", 422, true},
	} {
		t.Run(tc.code+"x"+tc.qty, func(t *testing.T) {
			b := newBrowser(t, ts)
			b.add("GUEST", "1") // the cart already holds something
			code, body := b.add(tc.code, tc.qty)
			if code != tc.status {
				t.Fatalf("status %d, want %d", code, tc.status)
			}
			if !strings.Contains(text(body), tc.want) {
				t.Errorf("page lacks %q:\n%s", tc.want, text(body))
			}
			if tc.form && (!strings.Contains(body, `value="`+tc.qty+`"`) || !strings.Contains(body, `aria-invalid="true"`)) {
				t.Errorf("typed quantity %q not kept next to the error", tc.qty)
			}
			if got := strings.Join(b.cartLines(), " "); got != "GUEST=1" {
				t.Errorf("cart changed: %s", got)
			}
		})
	}
	// A second addition counts with what the cart holds already.
	b := newBrowser(t, ts)
	b.add("MAX2", "2")
	if code, _ := b.add("MAX2", "1"); code != http.StatusUnprocessableEntity {
		t.Errorf("3rd unit of MAX2 over two additions: %d", code)
	}
}

func TestCartRefusesUnknownAndForeignCodes(t *testing.T) {
	ts := newServer(t, seedRules)
	b := newBrowser(t, ts)
	b.add("OK", "1")
	for _, code := range []string{"NOPE", "FOREIGN", "ok", "<script>"} {
		status, body := b.add(code, "1")
		if status != http.StatusSeeOther || !strings.Contains(text(body), "There is no product") {
			t.Errorf("%s: %d\n%s", code, status, text(body))
		}
		if strings.Contains(body, "<script>") {
			t.Error("code echoed unescaped")
		}
	}
	if got := strings.Join(b.cartLines(), " "); got != "OK=1" {
		t.Errorf("cart changed: %s", got)
	}
}

func TestCartUpdateIsAllOrNothing(t *testing.T) {
	ts := newServer(t, seedRules)
	b := newBrowser(t, ts)
	b.add("OK", "1")
	b.add("MAX2", "1")
	code, body := b.post("/shop/s/cart/update", url.Values{"qty.OK": {"7"}, "qty.MAX2": {"5"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(text(body), "at most 2 per order") {
		t.Fatalf("update: %d\n%s", code, text(body))
	}
	if !strings.Contains(body, `name="qty.OK" type="number" inputmode="numeric" min="0" value="7"`) || !strings.Contains(body, `value="5"`) {
		t.Error("typed quantities not kept")
	}
	if got := strings.Join(b.cartLines(), " "); got != "OK=1 MAX2=1" {
		t.Errorf("a refused update changed the cart: %s", got)
	}
	code, body = b.post("/shop/s/cart/update", url.Values{"qty.OK": {"x"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(text(body), "Enter a whole number.") {
		t.Errorf("garbage quantity: %d", code)
	}
	code, _ = b.post("/shop/s/cart/update", url.Values{"qty.FOREIGN": {"1"}})
	if code != http.StatusUnprocessableEntity {
		t.Errorf("foreign code in update: %d", code)
	}
}

func TestPasscode(t *testing.T) {
	ts := newServer(t, seedRules)
	b := newBrowser(t, ts)
	if _, body := b.get("/shop/s/p/PASS"); !strings.Contains(body, `action="/shop/s/p/PASS/unlock"`) || strings.Contains(body, "Add to cart") {
		t.Fatal("locked product must ask for the passcode, not offer the cart")
	}
	code, body := b.post("/shop/s/p/PASS/unlock", url.Values{"passcode": {"wrong"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(text(body), "This passcode is not right.") {
		t.Fatalf("wrong passcode: %d", code)
	}
	if code, body = b.post("/shop/s/p/PASS/unlock", url.Values{"passcode": {"sesame"}}); code != http.StatusSeeOther || !strings.Contains(text(body), "Passcode accepted") || !strings.Contains(body, "Add to cart") {
		t.Fatalf("right passcode: %d\n%s", code, text(body))
	}
	if code, _ := b.add("PASS", "1"); code != http.StatusSeeOther {
		t.Fatalf("add after unlock: %d", code)
	}
	// The unlock belongs to that cart: another visitor is still refused.
	other := newBrowser(t, ts)
	if code, _ := other.add("PASS", "1"); code != http.StatusUnprocessableEntity {
		t.Errorf("other cart: %d", code)
	}
	if _, body := other.get("/shop/s/p/PASS"); strings.Contains(body, "Add to cart") {
		t.Error("the unlocked page leaked to another visitor through the cache")
	}
}

func TestPasscodeAttemptsAreLimitedPerCart(t *testing.T) {
	ts := newServer(t, seedRules)
	b := newBrowser(t, ts)
	for i := range 5 {
		code, _ := b.post("/shop/s/p/PASS/unlock", url.Values{"passcode": {"guess"}})
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("attempt %d: %d", i+1, code)
		}
	}
	// Now even the right passcode is refused for this cart.
	code, body := b.post("/shop/s/p/PASS/unlock", url.Values{"passcode": {"sesame"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(text(body), "Too many wrong passcodes") {
		t.Fatalf("blocked cart: %d\n%s", code, text(body))
	}
	if code, _ := b.add("PASS", "1"); code != http.StatusUnprocessableEntity {
		t.Errorf("blocked cart could add: %d", code)
	}
}

func TestPasscodeAttemptsAreLimitedPerClient(t *testing.T) {
	ts := newServer(t, seedRules)
	// A fresh cart per attempt (no cookies kept) does not escape the
	// per-address limit.
	var last string
	for range 21 {
		b := newBrowser(t, ts)
		_, last = b.post("/shop/s/p/PASS/unlock", url.Values{"passcode": {"guess"}})
	}
	if !strings.Contains(text(last), "Too many wrong passcodes") {
		t.Errorf("21st attempt from one address not blocked:\n%s", text(last))
	}
}

func TestDeepLinkImport(t *testing.T) {
	ts := newServer(t, seedRules)
	b := newBrowser(t, ts)
	code, body, h := b.do("GET", "/shop/s/import?OK=2&MAX2=5&NOPE=1&FOREIGN=1&STOCK3=x&partner=ACME_spring", nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/shop/s/cart" {
		t.Fatalf("import: %d %s", code, h.Get("Location"))
	}
	_, body = b.get("/shop/s/cart")
	page := text(body)
	for _, want := range []string{"1 product added from the link.", "Name of MAX2: at most 2 per order.", `There is no product “NOPE”`, `There is no product “FOREIGN”`, "STOCK3: enter a quantity of at least 1."} {
		if !strings.Contains(page, want) {
			t.Errorf("cart page lacks %q:\n%s", want, page)
		}
	}
	if got := strings.Join(b.cartLines(), " "); got != "OK=2" {
		t.Errorf("cart = %s, want OK=2", got)
	}
	if got := ts.cartPartner(t, b); got != "ACME_spring" {
		t.Errorf("partner tag = %q, want ACME_spring", got)
	}
}

func TestCartSurvivesRestartAndIsSharedByNodes(t *testing.T) {
	ts := newServer(t, seedRules)
	b := newBrowser(t, ts)
	b.add("OK", "2")
	u, _ := url.Parse(ts.URL)
	var cart *http.Cookie
	for _, c := range b.c.Jar.Cookies(&url.URL{Scheme: "http", Host: u.Host, Path: "/shop/s/"}) {
		if c.Name == "cart_s" {
			cart = c
		}
	}
	if cart == nil {
		t.Fatal("no cart cookie")
	}
	// Another node on the same database.
	node2 := serve(t, ts.store)
	req, _ := http.NewRequest("GET", node2.URL+"/shop/s/cart", nil)
	req.AddCookie(cart)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `name="qty.OK" type="number" inputmode="numeric" min="0" value="2"`) {
		t.Errorf("node 2 does not see the cart:\n%s", text(string(body)))
	}
	// A forged token finds nothing.
	req, _ = http.NewRequest("GET", node2.URL+"/shop/s/cart", nil)
	req.AddCookie(&http.Cookie{Name: "cart_s", Value: "forged"})
	resp, _ = http.DefaultClient.Do(req)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "Your cart is empty.") {
		t.Error("forged token found a cart")
	}
}

func TestMiniCartIsPerVisitorOnCachedPages(t *testing.T) {
	ts := newServer(t, seedRules)
	a, b := newBrowser(t, ts), newBrowser(t, ts)
	a.get("/shop/s/c/top") // fills the cache
	a.add("OK", "3")
	if _, body := a.get("/shop/s/c/top"); !strings.Contains(body, "Cart: 3 items, €360.00") {
		t.Errorf("A's mini-cart:\n%s", text(body))
	}
	if _, body := b.get("/shop/s/c/top"); !strings.Contains(body, "Cart (empty)") {
		t.Errorf("B sees another mini-cart:\n%s", text(body))
	}
}
