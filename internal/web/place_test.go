package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"courseshop/internal/catalog"
	"courseshop/internal/store"
)

// seedSelling makes the rules shop sell: payment modes (guests may use
// check, transfer and free; signed-in buyers also purchase orders), a
// seller, terms, and a free product.
func seedSelling(t *testing.T, st *store.Store) {
	t.Helper()
	seedCheckout(t, st)
	ctx := context.Background()
	sh, err := st.ShopByCode(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	sh.PaymentModes = []string{"check", "transfer", "purchase_order", "free", "test"}
	sh.GuestPaymentModes = []string{"check", "transfer", "free", "test"}
	sh.Seller = catalog.Seller{Name: "Rules Formation", Address: "1 place du Test\n75001 Paris", Country: "FR", BankDetails: "IBAN FR76 0000", Email: "sales@rules.test"}
	sh.Terms = "Rules shop terms of sale."
	if err := st.UpsertShop(ctx, sh); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateProduct(ctx, &catalog.Product{CatalogID: sh.CatalogID, Code: "FREE", Kind: catalog.KindProduct, Status: catalog.StatusAvailable,
		Audience: catalog.AudienceEveryone, SeatMode: catalog.SeatNone, Texts: catalog.Texts{"en": {Name: "Name of FREE"}}, Prices: []catalog.Tier{{Unit: eur(t, 0)}}}); err != nil {
		t.Fatal(err)
	}
	if err := st.BumpCatalogVersion(ctx); err != nil {
		t.Fatal(err)
	}
}

// toReview takes a browser with a cart through the customer step.
func (b *browser) toReview(email, first, last string) string {
	b.t.Helper()
	_, body := b.step("/shop/s/checkout")
	code, _, h := b.do("POST", "/shop/s/checkout/customer", contactForm(rev(b.t, body), email, first, last))
	if code != http.StatusSeeOther || h.Get("Location") != "/shop/s/checkout/review" {
		b.t.Fatalf("customer step: %d %s", code, h.Get("Location"))
	}
	_, body = b.step("/shop/s/checkout/review")
	return body
}

var orderPathRE = regexp.MustCompile(`^/shop/s/orders/([A-Z0-9-]+)\?k=[0-9]+\.[0-9a-f]+$`)

func TestPlaceOrderWithCheck(t *testing.T) {
	ts := newServer(t, seedSelling)
	ctx := context.Background()
	b := newBrowser(t, ts)
	b.add("OK", "2")
	body := b.toReview("buyer@example.com", "Bea", "Buyer")
	for _, want := range []string{`value="check"`, `value="transfer"`, "Rules shop terms of sale.", "€240.00"} {
		if !strings.Contains(body, want) {
			t.Errorf("review page lacks %s", want)
		}
	}
	for _, notWant := range []string{`value="purchase_order"`, `value="free"`, `value="test"`} {
		if strings.Contains(body, notWant) {
			t.Errorf("review page offers %s", notWant)
		}
	}
	r := rev(t, body)
	refused := []struct {
		name string
		form url.Values
		want string
	}{
		{"terms skipped", url.Values{"rev": {r}, "mode": {"check"}}, "Please accept the terms of sale"},
		{"mode not offered to guests", url.Values{"rev": {r}, "terms": {"yes"}, "mode": {"purchase_order"}, "po_number": {"PO-1"}}, "not available for this order"},
		{"free with a total", url.Values{"rev": {r}, "terms": {"yes"}, "mode": {"free"}}, "not available for this order"},
		{"unknown mode", url.Values{"rev": {r}, "terms": {"yes"}, "mode": {"bitcoin"}}, "not available for this order"},
	}
	for _, tc := range refused {
		code, body, _ := b.do("POST", "/shop/s/checkout/review", tc.form)
		if code != http.StatusUnprocessableEntity || !strings.Contains(text(body), tc.want) {
			t.Errorf("%s: %d\n%s", tc.name, code, text(body))
		}
	}
	if n := len(b.cartLines()); n != 1 {
		t.Fatalf("a refused placement emptied the cart (%d lines)", n)
	}
	code, _, h := b.do("POST", "/shop/s/checkout/review", url.Values{"rev": {r}, "terms": {"yes"}, "mode": {"check"}})
	m := orderPathRE.FindStringSubmatch(h.Get("Location"))
	if code != http.StatusSeeOther || m == nil {
		t.Fatalf("place: %d %s", code, h.Get("Location"))
	}
	number := m[1]
	_, page := b.get(h.Get("Location"))
	for _, want := range []string{"Order " + number, "Awaiting payment", "Pay by check", "Send a check of €240.00", "reference " + number,
		"Rules Formation", "1 place du Test", "Bea Buyer", "Name of OK", "€240.00"} {
		if !strings.Contains(text(page), want) {
			t.Errorf("order page lacks %q:\n%s", want, text(page))
		}
	}
	if n := len(b.cartLines()); n != 0 {
		t.Errorf("cart not emptied after placement (%d lines)", n)
	}
	// Replaying the placement form places nothing more.
	if code, _, _ := b.do("POST", "/shop/s/checkout/review", url.Values{"rev": {r}, "terms": {"yes"}, "mode": {"check"}}); code == http.StatusSeeOther {
		if sh, _ := ts.store.ShopByCode(ctx, "s"); sh != nil {
			if o, err := ts.store.OrderByNumber(ctx, sh.ID, strings.Replace(number, "000001", "000002", 1)); err == nil {
				t.Errorf("a replayed form placed a second order %s", o.Number)
			}
		}
	}

	// Mails: confirmation and instructions to the buyer, notice to sales.
	mails, err := ts.store.Mails(ctx, store.MailFilter{RefType: "order"})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, m := range mails {
		kinds[m.Kind] = m.To
	}
	if kinds["order_placed"] != "buyer@example.com" || kinds["payment_instructions"] != "buyer@example.com" || kinds["order_placed_sales"] != "sales@example.com" {
		t.Errorf("mails = %v", kinds)
	}
	var link string
	for _, m := range mails {
		if m.Kind == "order_placed" {
			link = regexp.MustCompile(`https?://\S+/shop/s/orders/` + number + `\?k=[0-9]+\.[0-9a-f]+`).FindString(m.Text)
		}
	}
	if link == "" {
		t.Fatal("no signed order link in the confirmation mail")
	}

	// Who may see the order: the session that placed it, the mailed link;
	// nobody else, whatever they try.
	stranger := newBrowser(t, ts)
	path := strings.TrimPrefix(link, ts.URL)
	tampered := path[:len(path)-1] + "0"
	if tampered == path {
		tampered = path[:len(path)-1] + "1"
	}
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/shop/s/orders/" + number, http.StatusNotFound},
		{path, http.StatusOK},
		{tampered, http.StatusNotFound},                                                               // tampered signature
		{strings.Replace(path, "k=", "k=1", 1), http.StatusNotFound},                                  // changed expiry
		{"/shop/s/orders/" + number + "?k=1.deadbeef", http.StatusNotFound},                           // forged
		{"/shop/other/orders/" + number + "?" + strings.SplitN(path, "?", 2)[1], http.StatusNotFound}, // other shop
	} {
		if code, _ := stranger.get(tc.path); code != tc.want {
			t.Errorf("GET %s: %d, want %d", tc.path, code, tc.want)
		}
	}
}

// TestOrderKeepsItsSnapshot (C2): editing the details on a second
// purchase updates the customer account, not the first order.
func TestOrderKeepsItsSnapshot(t *testing.T) {
	ts := newServer(t, seedSelling)
	ctx := context.Background()
	b := newBrowser(t, ts)
	b.add("OK", "1")
	r := rev(t, b.toReview("snap@example.com", "Sam", "First"))
	_, _, h := b.do("POST", "/shop/s/checkout/review", url.Values{"rev": {r}, "terms": {"yes"}, "mode": {"transfer"}})
	first := orderPathRE.FindStringSubmatch(h.Get("Location"))
	if first == nil {
		t.Fatalf("first order: %s", h.Get("Location"))
	}
	b.add("MAX2", "1")
	b.toReview("snap@example.com", "Sam", "Second")
	sh, _ := ts.store.ShopByCode(ctx, "s")
	o, err := ts.store.OrderByNumber(ctx, sh.ID, first[1])
	if err != nil {
		t.Fatal(err)
	}
	if o.Customer.LastName != "First" {
		t.Errorf("first order's snapshot rewritten: %+v", o.Customer)
	}
	if c := customerOf(t, ts.store, "snap@example.com"); c.LastName != "Second" || c.ID != o.CustomerID {
		t.Errorf("customer = %+v (order's customer %d)", c, o.CustomerID)
	}
	_, page := b.get(h.Get("Location"))
	if !strings.Contains(page, "Sam First") || !strings.Contains(text(page), "Pay by bank transfer") || !strings.Contains(text(page), "IBAN FR76 0000") {
		t.Errorf("order page:\n%s", text(page))
	}
}

func TestFreeAndTestModes(t *testing.T) {
	ts := newServer(t, seedSelling)
	b := newBrowser(t, ts)
	b.add("FREE", "1")
	body := b.toReview("free@example.com", "Fay", "Free")
	if !strings.Contains(body, `value="free"`) || strings.Contains(body, `value="check"`) {
		t.Errorf("a zero total offers free and nothing to pay by check:\n%s", text(body))
	}
	_, _, h := b.do("POST", "/shop/s/checkout/review", url.Values{"rev": {rev(t, body)}, "terms": {"yes"}, "mode": {"free"}})
	if _, page := b.get(h.Get("Location")); !strings.Contains(text(page), "Status: Paid") {
		t.Errorf("free order:\n%s", text(page))
	}
	// The test mode is for test shops only.
	b.add("OK", "1")
	body = b.toReview("tester@example.com", "Tess", "Ter")
	if strings.Contains(body, `value="test"`) {
		t.Fatal("a live shop offers the test mode")
	}
	code, _, _ := b.do("POST", "/shop/s/checkout/review", url.Values{"rev": {rev(t, body)}, "terms": {"yes"}, "mode": {"test"}})
	if code != http.StatusUnprocessableEntity {
		t.Errorf("test mode posted to a live shop: %d", code)
	}
}

// TestPurchaseIsProduced: a guest buys a course in the demo shop (test
// payment); production creates their LMS account and enrols them; the
// password link of the welcome mail sets a password; they sign in and see
// the course.
func TestPurchaseIsProduced(t *testing.T) {
	ts := newServer(t, seedDemo)
	ctx := context.Background()
	b := newBrowser(t, ts)
	if code, _, _ := b.do("POST", "/shop/demo/cart/add", url.Values{"code": {"XLS-100"}, "quantity": {"1"}}); code != http.StatusSeeOther {
		t.Fatalf("add: %d", code)
	}
	path, body := b.step("/shop/demo/checkout")
	if path != "/shop/demo/checkout/participants" {
		t.Fatalf("first step %s", path)
	}
	b.do("POST", path, url.Values{"rev": {rev(t, body)}, "p|XLS-100|0|first_name": {"Noé"}, "p|XLS-100|0|last_name": {"Nouveau"},
		"p|XLS-100|0|email": {"noe.nouveau@example.com"}})
	_, body = b.step("/shop/demo/checkout/customer")
	b.do("POST", "/shop/demo/checkout/customer", url.Values{"rev": {rev(t, body)}, "email": {"noe.nouveau@example.com"},
		"first_name": {"Noé"}, "last_name": {"Nouveau"}, "country": {"FR"}})
	_, body = b.step("/shop/demo/checkout/review")
	code, _, h := b.do("POST", "/shop/demo/checkout/review", url.Values{"rev": {rev(t, body)}, "terms": {"yes"}, "mode": {"test"}})
	if code != http.StatusSeeOther {
		t.Fatalf("place: %d", code)
	}
	orderPath := h.Get("Location")
	if _, page := b.get(orderPath); !strings.Contains(text(page), "Status: Paid") {
		t.Fatalf("order after test payment:\n%s", text(page))
	}
	// Production: the prepay job, then the line's job.
	for range 3 {
		if _, err := ts.engine.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, page := b.get(orderPath); !strings.Contains(text(page), "Status: Complete") {
		t.Fatalf("order after production:\n%s", text(page))
	}
	mails, err := ts.store.Mails(ctx, store.MailFilter{To: "noe.nouveau@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	var link string
	for _, m := range mails {
		if l := regexp.MustCompile(`https?://\S+/lms/password/[A-Za-z0-9_-]+`).FindString(m.Text); l != "" {
			link = l
		}
	}
	if link == "" {
		t.Fatalf("no password link among %d mails", len(mails))
	}
	pw := strings.TrimPrefix(link, ts.URL)
	if _, page := b.get(pw); !strings.Contains(page, "Noé Nouveau") {
		t.Fatalf("password page:\n%s", text(page))
	}
	if code, page, _ := b.do("POST", pw, url.Values{"password": {"short"}, "confirm": {"short"}}); code != http.StatusUnprocessableEntity || !strings.Contains(text(page), "at least 8") {
		t.Errorf("weak password: %d", code)
	}
	if code, page, _ := b.do("POST", pw, url.Values{"password": {"a fine password"}, "confirm": {"a fine password"}}); code != http.StatusOK || !strings.Contains(text(page), "Your password is set") {
		t.Fatalf("set password: %d\n%s", code, text(page))
	}
	if code, _, _ := b.do("GET", pw, nil); code != http.StatusNotFound {
		t.Errorf("a used password link still works: %d", code)
	}
	code, _, _ = b.do("POST", "/shop/demo/signin", url.Values{"login": {"noe.nouveau@example.com"}, "password": {"a fine password"}, "next": {"/shop/demo/courses"}})
	if code != http.StatusSeeOther {
		t.Fatalf("sign in with the new password: %d", code)
	}
	if _, page := b.get("/shop/demo/courses"); !strings.Contains(text(page), "Spreadsheets for everyone") || !strings.Contains(text(page), "Open") {
		t.Errorf("my courses:\n%s", text(page))
	}
}
