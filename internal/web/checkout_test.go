package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"courseshop/internal/catalog"
	"courseshop/internal/customer"
	"courseshop/internal/lms"
	"courseshop/internal/password"
	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

// seedCheckout adds to the rules shop a product asking for data per unit,
// a seat product, and an LMS account (ann@example.com / ann-password).
func seedCheckout(t *testing.T, st *store.Store) {
	t.Helper()
	seedRules(t, st)
	ctx := context.Background()
	sh, err := st.ShopByCode(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*catalog.Product{
		{Code: "REQ", RequiredFields: []catalog.Field{
			{Name: "company", Type: catalog.FieldText, Label: map[string]string{"en": "Company"}, Required: true, Pattern: `[A-Za-z ]+`},
			{Name: "level", Type: catalog.FieldSelect, Label: map[string]string{"en": "Level"}, Required: true,
				Options: []catalog.FieldOption{{Value: "a1", Label: map[string]string{"en": "Beginner"}}, {Value: "b1", Label: map[string]string{"en": "Intermediate"}}}},
			{Name: "consent", Type: catalog.FieldCheckbox, Label: map[string]string{"en": "I agree"}, Required: true},
		}},
		{Code: "SEATS", SeatMode: catalog.SeatPerUnit},
	} {
		p.CatalogID, p.Kind, p.Status, p.Audience = sh.CatalogID, catalog.KindProduct, catalog.StatusAvailable, catalog.AudienceEveryone
		if p.SeatMode == "" {
			p.SeatMode = catalog.SeatNone
		}
		p.Texts = catalog.Texts{"en": {Name: "Name of " + p.Code}}
		p.Prices = []catalog.Tier{{Unit: eur(t, 5000)}}
		if err := st.CreateProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	hash, _ := password.Hash("ann-password", password.Cheap())
	ann := &store.LMSUser{User: lms.User{Username: "ann", Email: "ann@example.com", FirstName: "Ann", LastName: "Martin", City: "Lyon", Country: "FR"}, PasswordHash: hash}
	if err := st.CreateLMSUser(ctx, ann); err != nil {
		t.Fatal(err)
	}
	if err := st.BumpCatalogVersion(ctx); err != nil {
		t.Fatal(err)
	}
}

var revRE = regexp.MustCompile(`name="rev" value="(\d+)"`)

// rev returns the revision the checkout page carries.
func rev(t *testing.T, body string) string {
	t.Helper()
	m := revRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no revision in page:\n%s", text(body))
	}
	return m[1]
}

// step GETs a checkout step (following the redirect of /checkout) and
// returns its path and body.
func (b *browser) step(path string) (string, string) {
	b.t.Helper()
	code, body, h := b.do("GET", path, nil)
	for code == http.StatusSeeOther {
		path = h.Get("Location")
		code, body, h = b.do("GET", path, nil)
	}
	return path, body
}

func contactForm(rev, email, first, last string) url.Values {
	return url.Values{"rev": {rev}, "email": {email}, "first_name": {first}, "last_name": {last}, "country": {"FR"}, "city": {"Paris"}}
}

func customerOf(t *testing.T, st *store.Store, email string) *customer.Customer {
	t.Helper()
	sh, _ := st.ShopByCode(context.Background(), "s")
	c, err := st.CustomerByEmail(context.Background(), sh.ID, email)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLeadCapture (C1, C2): submitting the contact step creates the
// customer account at once, before any payment; a later submission with
// the same e-mail (any case) updates it with the latest values.
func TestLeadCapture(t *testing.T) {
	ts := newServer(t, seedCheckout)
	b := newBrowser(t, ts)
	b.add("OK", "1")
	path, body := b.step("/shop/s/checkout")
	if path != "/shop/s/checkout/customer" {
		t.Fatalf("first step = %s, want the customer step (nothing else to ask)", path)
	}
	code, _, h := b.do("POST", path, contactForm(rev(t, body), "Lead@Example.com", "Lea", "Dupont"))
	if code != http.StatusSeeOther || h.Get("Location") != "/shop/s/checkout/review" {
		t.Fatalf("contact step: %d → %s", code, h.Get("Location"))
	}
	// The buyer leaves here: the lead stays.
	c := customerOf(t, ts.store, "lead@example.com")
	if c == nil || c.FirstName != "Lea" || c.City != "Paris" || c.Bound() {
		t.Fatalf("lead = %+v", c)
	}
	// Another visit, other values: latest values win.
	b2 := newBrowser(t, ts)
	b2.add("OK", "1")
	_, body = b2.step("/shop/s/checkout")
	b2.do("POST", "/shop/s/checkout/customer", url.Values{"rev": {rev(t, body)}, "email": {" LEAD@example.com "}, "first_name": {"Léa"},
		"last_name": {"Dupont"}, "country": {"BE"}, "city": {"Liège"}, "invoicing": {"1"}, "inv_organisation": {"Acme"},
		"inv_address": {"1 rue X"}, "inv_city": {"Liège"}, "inv_country": {"BE"}})
	c2 := customerOf(t, ts.store, "lead@example.com")
	if c2.ID != c.ID || c2.FirstName != "Léa" || c2.Country != "BE" || c2.Invoicing == nil || c2.Invoicing.Organisation != "Acme" {
		t.Errorf("after second visit = %+v", c2)
	}
}

// TestKnownEmail (C4): a guest typing an e-mail that has an account is
// told so and offered to sign in; nothing about that account is stored or
// shown; going on as a guest keeps what was typed for the order alone.
func TestKnownEmail(t *testing.T) {
	ts := newServer(t, seedCheckout)
	ctx := context.Background()
	sh, _ := ts.store.ShopByCode(ctx, "s")
	bound := &customer.Customer{ShopID: sh.ID, Contact: customer.Contact{Email: "bound@example.com", FirstName: "Secret", LastName: "Owner",
		Address: "7 private street", City: "Nice", Country: "FR", Phone: "+33 6 00 00 00 00"}}
	if err := ts.store.SaveOwnCustomer(ctx, bound, "77"); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"ann@example.com", "Bound@Example.com"} {
		t.Run(email, func(t *testing.T) {
			b := newBrowser(t, ts)
			b.add("OK", "1")
			_, body := b.step("/shop/s/checkout")
			code, body, _ := b.do("POST", "/shop/s/checkout/customer", contactForm(rev(t, body), email, "Mallory", "Intruder"))
			if code != http.StatusConflict || !strings.Contains(text(body), "This e-mail already has an account") {
				t.Fatalf("known e-mail: %d\n%s", code, text(body))
			}
			if !strings.Contains(body, `/shop/s/signin?next=`) || !strings.Contains(body, `value="Mallory"`) {
				t.Error("no sign-in proposal, or the typed values were lost")
			}
			for _, secret := range []string{"Secret", "7 private street", "Nice", "+33 6", "Owner"} {
				if strings.Contains(body, secret) {
					t.Errorf("the page shows the account's stored %q", secret)
				}
			}
			// Going on as a guest.
			form := contactForm(rev(t, body), email, "Mallory", "Intruder")
			form.Set("as_guest", "1")
			code, _, h := b.do("POST", "/shop/s/checkout/customer", form)
			if code != http.StatusSeeOther || h.Get("Location") != "/shop/s/checkout/review" {
				t.Fatalf("as guest: %d %s", code, h.Get("Location"))
			}
		})
	}
	if c := customerOf(t, ts.store, "bound@example.com"); c.FirstName != "Secret" || c.Address != "7 private street" {
		t.Errorf("bound customer changed by a guest: %+v", c)
	}
	if c := customerOf(t, ts.store, "ann@example.com"); c != nil {
		t.Errorf("a lead was created for another person's account: %+v", c)
	}
}

// TestSignInPrefillAndSaveBack (C5, C6): after signing in, the contact
// form is filled from the LMS profile (no customer yet) and then from the
// customer account; changes are saved to the account, now bound.
func TestSignInPrefillAndSaveBack(t *testing.T) {
	ts := newServer(t, seedCheckout)
	b := newBrowser(t, ts)
	b.add("OK", "1")
	if code, body := b.post("/shop/s/signin", url.Values{"login": {"ann@example.com"}, "password": {"nope"}, "next": {"/shop/s/checkout"}}); code != http.StatusUnauthorized ||
		!strings.Contains(text(body), "Wrong e-mail, username or password.") || !strings.Contains(body, `value="ann@example.com"`) {
		t.Fatalf("wrong password: %d", code)
	}
	code, _, h := b.do("POST", "/shop/s/signin", url.Values{"login": {"ann"}, "password": {"ann-password"}, "next": {"/shop/s/checkout"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/shop/s/checkout" {
		t.Fatalf("sign in: %d %s", code, h.Get("Location"))
	}
	_, body := b.step("/shop/s/checkout")
	for _, want := range []string{`value="ann@example.com"`, `value="Ann"`, `value="Martin"`, `value="Lyon"`, `<option value="FR" selected>`, "Signed in as Ann Martin"} {
		if !strings.Contains(body, want) {
			t.Errorf("prefill from the profile lacks %s", want)
		}
	}
	form := contactForm(rev(t, body), "ann@example.com", "Ann", "Martin-Durand")
	if code, _, _ := b.do("POST", "/shop/s/checkout/customer", form); code != http.StatusSeeOther {
		t.Fatalf("contact step: %d", code)
	}
	c := customerOf(t, ts.store, "ann@example.com")
	if c == nil || !c.Bound() || c.LastName != "Martin-Durand" || c.City != "Paris" {
		t.Fatalf("customer after C6 = %+v", c)
	}
	// Next purchase: the form comes from the customer account.
	b.add("MAX2", "1")
	_, body = b.step("/shop/s/checkout/customer")
	if !strings.Contains(body, `value="Martin-Durand"`) || !strings.Contains(body, `value="Paris"`) {
		t.Errorf("prefill from the customer account:\n%s", text(body))
	}
	// Signing out forgets the user.
	b.post("/shop/s/signout", url.Values{})
	if _, body := b.get("/shop/s/cart"); strings.Contains(body, "Signed in as") {
		t.Error("still signed in after signing out")
	}
}

// TestCheckoutRefusals: the server enforces the steps whatever the
// browser sends.
func TestCheckoutRefusals(t *testing.T) {
	ts := newServer(t, seedCheckout)
	b := newBrowser(t, ts)
	if path, _ := b.step("/shop/s/checkout"); path != "/shop/s/cart" {
		t.Errorf("empty cart: sent to %s", path)
	}
	b.add("REQ", "2")
	b.add("SEATS", "2")
	path, body := b.step("/shop/s/checkout")
	if path != "/shop/s/checkout/requirements" {
		t.Fatalf("first step = %s", path)
	}
	r0 := rev(t, body)
	// Skipping ahead is refused.
	code, _, h := b.do("POST", "/shop/s/checkout/customer", contactForm(r0, "x@example.com", "X", "Y"))
	if code != http.StatusSeeOther || h.Get("Location") != "/shop/s/checkout/requirements" {
		t.Errorf("skipped step: %d %s", code, h.Get("Location"))
	}
	if c := customerOf(t, ts.store, "x@example.com"); c != nil {
		t.Error("a skipped step stored a customer")
	}
	// Incomplete and malformed answers: every problem shown, typed values kept.
	code, body, _ = b.do("POST", "/shop/s/checkout/requirements", url.Values{"rev": {r0},
		"a|REQ|0|company": {"Acme 42"}, "a|REQ|0|level": {"z9"}, "a|REQ|1|company": {"Beta"}, "a|REQ|1|level": {"a1"}})
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("bad answers: %d", code)
	}
	page := text(body)
	for _, want := range []string{"This does not have the expected form.", "Choose one of the options.", "This field is required."} {
		if !strings.Contains(page, want) {
			t.Errorf("requirements page lacks %q", want)
		}
	}
	if !strings.Contains(body, `value="Acme 42"`) || !strings.Contains(body, `value="Beta"`) {
		t.Error("typed answers lost")
	}
	good := url.Values{"rev": {r0}, "a|REQ|0|company": {"Acme"}, "a|REQ|0|level": {"a1"}, "a|REQ|0|consent": {"yes"},
		"a|REQ|1|company": {"Beta"}, "a|REQ|1|level": {"b1"}, "a|REQ|1|consent": {"yes"}}
	code, _, h = b.do("POST", "/shop/s/checkout/requirements", good)
	if code != http.StatusSeeOther || h.Get("Location") != "/shop/s/checkout/participants" {
		t.Fatalf("good answers: %d %s", code, h.Get("Location"))
	}
	// Replaying the same form (old revision) is refused, nothing changes.
	code, body, _ = b.do("POST", "/shop/s/checkout/requirements", good)
	if code != http.StatusConflict || !strings.Contains(text(body), "This page was out of date") {
		t.Errorf("replayed form: %d", code)
	}
	// Seats must all be covered.
	_, body = b.step("/shop/s/checkout/participants")
	r1 := rev(t, body)
	code, body, _ = b.do("POST", "/shop/s/checkout/participants", url.Values{"rev": {r1},
		"p|SEATS|0|first_name": {"Léo"}, "p|SEATS|0|last_name": {"Petit"}, "p|SEATS|0|email": {"leo@example.com"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `value="Léo"`) {
		t.Errorf("incomplete seats: %d", code)
	}
	code, _, h = b.do("POST", "/shop/s/checkout/participants", url.Values{"rev": {r1},
		"p|SEATS|0|first_name": {"Léo"}, "p|SEATS|0|last_name": {"Petit"}, "p|SEATS|0|email": {"leo@example.com"},
		"p|SEATS|1|first_name": {"Zoé"}, "p|SEATS|1|last_name": {"Grand"}, "p|SEATS|1|email": {"zoe@example.com"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/shop/s/checkout/customer" {
		t.Errorf("seats covered: %d %s", code, h.Get("Location"))
	}
	// Going back keeps everything typed.
	if _, body := b.step("/shop/s/checkout/requirements"); !strings.Contains(body, `value="Beta"`) || !strings.Contains(body, `<option value="b1" selected>`) {
		t.Error("answers not kept when going back")
	}
	if _, body := b.step("/shop/s/checkout/participants"); !strings.Contains(body, `value="Zoé"`) {
		t.Error("learners not kept when going back")
	}
	// Changing the cart invalidates the pages in hand and the steps done:
	// the buyer goes through them again (with what they typed kept).
	b.add("OK", "1")
	code, _, h = b.do("POST", "/shop/s/checkout/customer", contactForm(r1, "x@example.com", "X", "Y"))
	if code != http.StatusSeeOther || h.Get("Location") != "/shop/s/checkout/requirements" {
		t.Errorf("a form of an older cart: %d %s", code, h.Get("Location"))
	}
	if c := customerOf(t, ts.store, "x@example.com"); c != nil {
		t.Error("a stale form stored a customer")
	}
}

// TestSigninLink (C4): a one-time link by e-mail signs in once, within its
// lifetime; asking says the same whether the address has an account or
// not; an address cannot be flooded.
func TestSigninLink(t *testing.T) {
	ts := newServer(t, seedCheckout)
	ctx := context.Background()
	b := newBrowser(t, ts)
	code, body := b.post("/shop/s/signin/link", url.Values{"email": {"Ann@Example.com"}, "next": {"/shop/s/checkout"}})
	if code != http.StatusSeeOther || !strings.Contains(text(body), "If Ann@Example.com has an account, a sign-in link is on its way.") {
		t.Fatalf("ask for a link: %d\n%s", code, text(body))
	}
	mails, err := ts.store.Mails(ctx, store.MailFilter{To: "ann@example.com"})
	if err != nil || len(mails) != 1 || mails[0].Status != store.MailCaptured {
		t.Fatalf("mails = %+v, %v", mails, err)
	}
	link := regexp.MustCompile(`https?://\S+/shop/s/signin/link/[A-Za-z0-9_-]+\?next=%2Fshop%2Fs%2Fcheckout`).FindString(mails[0].Text)
	if link == "" {
		t.Fatalf("no link in the mail:\n%s", mails[0].Text)
	}
	path := strings.TrimPrefix(link, ts.URL)
	// Opening the link (as a mail scanner would) only asks to confirm.
	scanner := newBrowser(t, ts)
	if code, body := scanner.get(path); code != http.StatusOK || !strings.Contains(body, `id="use-link"`) || strings.Contains(body, "Signed in as") {
		t.Fatalf("opening the link: %d", code)
	}
	other := newBrowser(t, ts) // the mail is opened in another browser
	code, _, h := other.do("POST", path, url.Values{})
	if code != http.StatusSeeOther || h.Get("Location") != "/shop/s/checkout" {
		t.Fatalf("use link: %d %s", code, h.Get("Location"))
	}
	if _, body := other.get("/shop/s/cart"); !strings.Contains(body, "Signed in as Ann Martin") {
		t.Error("the link did not sign in")
	}
	third := newBrowser(t, ts)
	code, _, h = third.do("POST", path, url.Values{})
	if _, body := third.get(h.Get("Location")); code != http.StatusSeeOther || !strings.Contains(text(body), "expired or was already used") {
		t.Errorf("reused link: %d", code)
	}
	// An unknown address gets the same answer and no mail.
	_, body = b.post("/shop/s/signin/link", url.Values{"email": {"nobody@example.com"}})
	if !strings.Contains(text(body), "If nobody@example.com has an account") {
		t.Error("the answer tells unknown addresses apart")
	}
	if ms, _ := ts.store.Mails(ctx, store.MailFilter{To: "nobody@example.com"}); len(ms) != 0 {
		t.Error("a mail was sent to an address without an account")
	}
	// Three links an hour per address.
	b.post("/shop/s/signin/link", url.Values{"email": {"ann@example.com"}})
	b.post("/shop/s/signin/link", url.Values{"email": {"ann@example.com"}})
	code, body = b.post("/shop/s/signin/link", url.Values{"email": {"ann@example.com"}})
	if code != http.StatusTooManyRequests || !strings.Contains(text(body), "Several links were sent") {
		t.Errorf("4th link in an hour: %d", code)
	}
	if ms, _ := ts.store.Mails(ctx, store.MailFilter{To: "ann@example.com"}); len(ms) != 3 {
		t.Errorf("%d mails sent, want 3", len(ms))
	}
}

// TestCustomerStepUnderASmallPool: concurrent customer steps never wait on
// a pool connection while holding one (on PostgreSQL a pool whose
// connections all wait on themselves would hang for ever).
func TestCustomerStepUnderASmallPool(t *testing.T) {
	st := testkit.NewStore(t, testkit.WithMaxConns(2))
	seedCheckout(t, st)
	ts := serve(t, st)
	const buyers = 8
	type ready struct {
		b    *browser
		body string
	}
	var carts []ready
	for range buyers {
		b := newBrowser(t, ts)
		b.add("OK", "1")
		_, body := b.step("/shop/s/checkout")
		carts = append(carts, ready{b, body})
	}
	done := make(chan int, buyers)
	for i, c := range carts {
		go func() {
			code, _, _ := c.b.do("POST", "/shop/s/checkout/customer", contactForm(rev(t, c.body), fmt.Sprintf("pool%d@example.com", i), "P", "Ool"))
			done <- code
		}()
	}
	timeout := time.After(30 * time.Second)
	for range buyers {
		select {
		case code := <-done:
			if code != http.StatusSeeOther {
				t.Errorf("customer step: %d", code)
			}
		case <-timeout:
			t.Fatal("customer steps hang: the pool is exhausted by transactions waiting for connections")
		}
	}
}

// TestAudienceRulesForSignedInBuyers: what a product's audience allows
// depends on who is signed in, and the server checks it on every addition.
func TestAudienceRulesForSignedInBuyers(t *testing.T) {
	ts := newServer(t, seedCheckout)
	b := newBrowser(t, ts)
	if code, _, _ := b.do("POST", "/shop/s/signin", url.Values{"login": {"ann"}, "password": {"ann-password"}, "next": {"/shop/s"}}); code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", code)
	}
	if code, body := b.add("GUEST", "1"); code != http.StatusUnprocessableEntity || !strings.Contains(text(body), "offered to new visitors only") {
		t.Errorf("guests-only product for a signed-in buyer: %d", code)
	}
	if code, _ := b.add("SIGNED", "1"); code != http.StatusSeeOther {
		t.Errorf("signed-in product for a signed-in buyer: %d", code)
	}
	if code, body := b.add("CUST", "1"); code != http.StatusUnprocessableEntity || !strings.Contains(text(body), "reserved for existing customers") {
		t.Errorf("customers-only product before being a customer: %d", code)
	}
	// Once the contact step has made Ann a customer, the product opens.
	_, body := b.step("/shop/s/checkout")
	if code, _, _ := b.do("POST", "/shop/s/checkout/customer", contactForm(rev(t, body), "ann@example.com", "Ann", "Martin")); code != http.StatusSeeOther {
		t.Fatalf("customer step: %d", code)
	}
	if code, _ := b.add("CUST", "1"); code != http.StatusSeeOther {
		t.Errorf("customers-only product for a customer: %d", code)
	}
	if got := strings.Join(b.cartLines(), " "); got != "SIGNED=1 CUST=1" {
		t.Errorf("cart = %s", got)
	}
}
