package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"courseshop/internal/demo"
	"courseshop/internal/order"
	"courseshop/internal/store"
)

var renewRE = regexp.MustCompile(`/account/products/([A-Z0-9-]+)/renew`)

// produce runs the jobs production has due.
func produce(t *testing.T, ts *testServer) {
	t.Helper()
	for range 3 {
		if _, err := ts.engine.RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// person is a signed-in buyer as the checkout forms name them.
type person struct{ email, first, last string }

var (
	camille = person{demo.LearnerEmail, "Camille", "Durand"}
	olga    = person{"olga@example.com", "Olga", "Other"} // otherUser
)

// contact fills the customer step for p, if the checkout is there, and
// returns the step after it.
func (p person) contact(t *testing.T, b *browser, path, body string) (string, string) {
	t.Helper()
	if path != "/shop/demo/checkout/customer" {
		return path, body
	}
	b.do("POST", path, url.Values{"rev": {rev(t, body)}, "email": {p.email}, "first_name": {p.first}, "last_name": {p.last}, "country": {"FR"}})
	return b.step("/shop/demo/checkout/review")
}

// place places the order at the review step, paid in test mode, and
// returns its number.
func place(t *testing.T, b *browser, path, body string) string {
	t.Helper()
	if path != "/shop/demo/checkout/review" {
		t.Fatalf("checkout went to %s:\n%s", path, text(body))
	}
	c, page, h := b.do("POST", path, url.Values{"rev": {rev(t, body)}, "terms": {"yes"}, "mode": {"test"}})
	n := regexp.MustCompile(`^/shop/demo/orders/([A-Z0-9-]+)\?`).FindStringSubmatch(h.Get("Location"))
	if c != http.StatusSeeOther || n == nil {
		t.Fatalf("place: %d %s\n%s", c, h.Get("Location"), text(page))
	}
	return n[1]
}

// renewable has b's user p buy PM-101 for themselves (renewable, extended
// by PM-101-REN), produced, and returns its instance as the account page
// offers to extend it.
func renewable(t *testing.T, ts *testServer, b *browser, p person) *store.Instance {
	t.Helper()
	b.do("POST", "/shop/demo/cart/add", url.Values{"code": {"PM-101"}, "quantity": {"1"}})
	path, body := b.step("/shop/demo/checkout")
	if path != "/shop/demo/checkout/participants" {
		t.Fatalf("checkout went to %s", path)
	}
	f := "p|PM-101|0|"
	b.do("POST", path, url.Values{"rev": {rev(t, body)}, f + "first_name": {p.first}, f + "last_name": {p.last}, f + "email": {p.email}})
	path, body = b.step("/shop/demo/checkout")
	path, body = p.contact(t, b, path, body)
	place(t, b, path, body)
	produce(t, ts)
	_, page := b.get("/shop/demo/account")
	m := renewRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no renew button on the account page:\n%s", text(page))
	}
	in, err := ts.store.InstanceByReference(context.Background(), m[1])
	if err != nil {
		t.Fatal(err)
	}
	return in
}

var referenceInputRE = regexp.MustCompile(`name="a\|PM-101-REN\|0\|reference" type="text" value="([^"]*)"`)

// payCart takes b's user p through the checkout of what its cart holds,
// the extension's reference answered with ref ("" keeps what the page
// shows), paid in test mode; it returns the order number.
func payCart(t *testing.T, b *browser, p person, ref string) string {
	t.Helper()
	path, body := b.step("/shop/demo/checkout")
	if path != "/shop/demo/checkout/requirements" {
		t.Fatalf("checkout went to %s:\n%s", path, text(body))
	}
	m := referenceInputRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no reference field:\n%s", body)
	}
	if ref == "" {
		ref = m[1]
	}
	if code, page, _ := b.do("POST", path, url.Values{"rev": {rev(t, body)}, "a|PM-101-REN|0|reference": {ref}}); code != http.StatusSeeOther {
		t.Fatalf("requirements: %d\n%s", code, text(page))
	}
	path, body = b.step("/shop/demo/checkout")
	path, body = p.contact(t, b, path, body)
	return place(t, b, path, body)
}

// lmsEnd returns the end of email's enrolment in the course with that
// idnumber, in the built-in LMS.
func lmsEnd(t *testing.T, ts *testServer, email, course string) time.Time {
	t.Helper()
	ctx := context.Background()
	users, err := ts.store.LMSUsersByEmail(ctx, email)
	if err != nil || len(users) != 1 {
		t.Fatalf("LMS account of %s: %v %v", email, users, err)
	}
	es, err := ts.store.LMSEnrolments(ctx, users[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Course.IDNumber == course {
			return e.End
		}
	}
	t.Fatalf("%s is not enrolled in %s", email, course)
	return time.Time{}
}

// TestRenewFromSupportArea: "Extend" on a renewable product puts its
// extension, a complement-only product, in the cart with the reference
// filled in; paying it extends the enrolment in the LMS by the
// extension's 365 days.
func TestRenewFromSupportArea(t *testing.T) {
	ts := newServer(t, seedDemo)
	ctx := context.Background()
	b := newBrowser(t, ts)
	signInLearner(t, b)
	buy(t, b, "XLS-100", "1", "test") // not renewable: no button
	in := renewable(t, ts, b, camille)
	_, page := b.get("/shop/demo/account")
	if n := len(renewRE.FindAllString(page, -1)); n != 1 || !strings.Contains(text(page), "Extend") {
		t.Errorf("%d renew buttons, want 1 (PM-101 only):\n%s", n, text(page))
	}
	end := lmsEnd(t, ts, demo.LearnerEmail, "pm-101")
	if !end.Equal(in.End) {
		t.Fatalf("LMS end %s, instance end %s", end, in.End)
	}

	renew := "/shop/demo/account/products/" + in.Reference + "/renew"
	code, _, h := b.do("POST", renew, url.Values{})
	if code != http.StatusSeeOther || h.Get("Location") != "/shop/demo/checkout" {
		t.Fatalf("renew: %d %s", code, h.Get("Location"))
	}
	b.post(renew, url.Values{}) // twice: the cart extends it once
	_, cart := b.get("/shop/demo/cart")
	if !strings.Contains(text(cart), "Project management essentials – 12-month extension is in your cart, for "+in.Reference) ||
		!strings.Contains(text(cart), "Cart: 1 item") || strings.Contains(text(cart), "is sold as the extension") {
		t.Errorf("cart after renew:\n%s", text(cart))
	}
	path, body := b.step("/shop/demo/checkout")
	if m := referenceInputRE.FindStringSubmatch(body); path != "/shop/demo/checkout/requirements" || m == nil || m[1] != in.Reference {
		t.Fatalf("requirements step %s does not show the reference filled in:\n%s", path, body)
	}

	number := payCart(t, b, camille, "")
	produce(t, ts)
	sh, err := ts.store.ShopByCode(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	o, err := ts.store.OrderByNumber(ctx, sh.ID, number)
	if err != nil || o.Status != order.StatusComplete || o.Lines[0].Code != "PM-101-REN" {
		t.Fatalf("extension order: %+v %v", o, err)
	}
	want := end.AddDate(0, 0, 365)
	if got := lmsEnd(t, ts, demo.LearnerEmail, "pm-101"); !got.Equal(want) {
		t.Errorf("LMS end after the extension %s, want %s", got, want)
	}
	after, err := ts.store.InstanceByReference(ctx, in.Reference)
	if err != nil || !after.End.Equal(want) || after.CurrentOrderLineID != o.Lines[0].ID {
		t.Errorf("instance after the extension: %+v %v", after, err)
	}
	if _, page = b.get("/shop/demo/account"); !strings.Contains(text(page), want.Format("2006-01-02")) {
		t.Errorf("the account page does not show the new end %s:\n%s", want.Format("2006-01-02"), text(page))
	}

	b.get("/lang/fr")
	if _, page = b.get("/shop/demo/account"); !strings.Contains(text(page), "Prolonger") {
		t.Errorf("French account page:\n%s", text(page))
	}
}

// TestRenewIsPrivate: nobody but the owner renews a product; the
// extension is not on show in the storefront and cannot be added to a
// cart from there.
func TestRenewIsPrivate(t *testing.T) {
	ts := newServer(t, seedDemo)
	owner := newBrowser(t, ts)
	signInLearner(t, owner)
	in := renewable(t, ts, owner, camille)
	renew := "/shop/demo/account/products/" + in.Reference + "/renew"

	other := otherUser(t, ts)
	renewable(t, ts, other, olga) // a customer too, with a renewable product of her own
	for _, b := range []*browser{other, newBrowser(t, ts)} {
		if code, _, _ := b.do("POST", renew, url.Values{}); code != http.StatusNotFound {
			t.Errorf("another visitor renews the product: %d", code)
		}
		if _, cart := b.get("/shop/demo/cart"); strings.Contains(cart, "12-month extension") {
			t.Errorf("another visitor's cart holds the extension:\n%s", text(cart))
		}
	}
	if code, _, _ := owner.do("POST", "/shop/demo/account/products/NOPE-NOPE-NOPE-NOPE/renew", url.Values{}); code != http.StatusNotFound {
		t.Errorf("renew an unknown reference: %d", code)
	}
	buy(t, owner, "XLS-100", "1", "test")
	produce(t, ts)
	ins, err := ts.store.InstancesOfCustomer(context.Background(), in.CustomerID)
	if err != nil || len(ins) != 2 {
		t.Fatalf("instances %v %v", ins, err)
	}
	if code, _, _ := owner.do("POST", "/shop/demo/account/products/"+ins[1].Reference+"/renew", url.Values{}); code != http.StatusNotFound {
		t.Errorf("renew a product that is not renewable: %d", code)
	}

	anon := newBrowser(t, ts)
	for _, path := range []string{"/shop/demo", "/shop/demo/c/project-management", "/shop/demo/search?q=extension"} {
		if _, page := anon.get(path); strings.Contains(page, "/p/PM-101-REN") {
			t.Errorf("%s lists the extension", path)
		}
	}
	if code, page := anon.post("/shop/demo/cart/add", url.Values{"code": {"PM-101-REN"}, "quantity": {"1"}}); code != http.StatusUnprocessableEntity ||
		!strings.Contains(text(page), "is sold as the extension of a product you own") {
		t.Errorf("add the extension from its page: %d\n%s", code, text(page))
	}
}

// TestRenewForgedReference: a typo in the reference is refused at
// checkout; a well-formed reference of someone else's product is accepted
// there (the checkout tells nothing about others' references) but its
// production fails, saying why, and extends nothing.
func TestRenewForgedReference(t *testing.T) {
	ts := newServer(t, seedDemo)
	ctx := context.Background()
	victim := newBrowser(t, ts)
	signInLearner(t, victim)
	target := renewable(t, ts, victim, camille)

	ob := otherUser(t, ts)
	mine := renewable(t, ts, ob, olga)
	ob.post("/shop/demo/account/products/"+mine.Reference+"/renew", url.Values{})
	path, body := ob.step("/shop/demo/checkout")
	typo := []byte(target.Reference)
	typo[0] = map[bool]byte{true: 'B', false: 'A'}[typo[0] == 'A']
	code, page, _ := ob.do("POST", path, url.Values{"rev": {rev(t, body)}, "a|PM-101-REN|0|reference": {string(typo)}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(text(page), "This reference is not valid") || !strings.Contains(page, `value="`+string(typo)+`"`) {
		t.Errorf("typo in the reference: %d\n%s", code, text(page))
	}

	number := payCart(t, ob, olga, target.Reference)
	produce(t, ts)
	sh, err := ts.store.ShopByCode(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	o, err := ts.store.OrderByNumber(ctx, sh.ID, number)
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != order.StatusFailed || o.Lines[0].Production != order.ProductionFailed ||
		!strings.Contains(o.Lines[0].ProductionError, target.Reference+" is not a product of this customer") {
		t.Errorf("forged extension: order %s, line %s %q", o.Status, o.Lines[0].Production, o.Lines[0].ProductionError)
	}
	for _, c := range []struct {
		email string
		in    *store.Instance
	}{{camille.email, target}, {olga.email, mine}} {
		after, err := ts.store.InstanceByReference(ctx, c.in.Reference)
		if err != nil || !after.End.Equal(c.in.End) || after.CurrentOrderLineID != c.in.CurrentOrderLineID {
			t.Errorf("%s changed: %+v %v", c.in.Reference, after, err)
		}
		if got := lmsEnd(t, ts, c.email, "pm-101"); !got.Equal(c.in.End) {
			t.Errorf("%s: LMS end %s, want %s", c.email, got, c.in.End)
		}
	}
}

// TestRenewEnded: an enrolment that has ended is offered "Renew"; the
// renewal runs 365 days from the payment, not from the old end.
func TestRenewEnded(t *testing.T) {
	ts := newServer(t, seedDemo)
	ctx := context.Background()
	b := newBrowser(t, ts)
	signInLearner(t, b)
	in := renewable(t, ts, b, camille)
	// It ended a month ago (as the daily lifecycle would record it).
	in.End, in.State = time.Now().AddDate(0, -1, 0).UTC().Truncate(time.Second), store.InstanceExpired
	if err := ts.store.ExtendInstance(ctx, in, in.CurrentOrderLineID, &store.InstanceEvent{OrderLineID: in.OrderLineID, Kind: "test"}); err != nil {
		t.Fatal(err)
	}
	_, page := b.get("/shop/demo/account")
	if !strings.Contains(text(page), "Ended Renew") {
		t.Fatalf("no Renew for the ended enrolment:\n%s", text(page))
	}
	b.post("/shop/demo/account/products/"+in.Reference+"/renew", url.Values{})
	before := time.Now().Truncate(time.Second)
	payCart(t, b, camille, "")
	produce(t, ts)
	after, err := ts.store.InstanceByReference(ctx, in.Reference)
	if err != nil {
		t.Fatal(err)
	}
	if after.End.Before(before.AddDate(0, 0, 365)) || after.End.After(time.Now().AddDate(0, 0, 365)) || after.State != store.InstanceRunning {
		t.Errorf("renewed: ends %s, %s; want 365 days from now, running", after.End, after.State)
	}
	if got := lmsEnd(t, ts, camille.email, "pm-101"); !got.Equal(after.End) {
		t.Errorf("LMS end %s, want %s", got, after.End)
	}
}
