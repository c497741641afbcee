package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"courseshop/internal/customer"
	"courseshop/internal/demo"
	"courseshop/internal/order"
	"courseshop/internal/order/orders"
	"courseshop/internal/payment"
	"courseshop/internal/store"
)

// erasure is the audit entry of an erasure, as the tests read it.
type erasure struct {
	Orders       int
	InvoicesKept []string `json:"invoices_kept"`
	Suspended    bool     `json:"lms_account_suspended"`
	Kept         string   `json:"lms_account_kept"`
	Messages     int      `json:"support_messages"`
	Documents    int      `json:"documents"`
}

// erasureAudit returns the customer's audit entry "customer.erase_data".
func erasureAudit(t *testing.T, ts *testServer, customerID int64) *erasure {
	t.Helper()
	evs, err := ts.store.AuditFor(context.Background(), "customer", strconv.FormatInt(customerID, 10))
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Action == "customer.erase_data" {
			if ev.Actor != "customer:"+strconv.FormatInt(customerID, 10) {
				t.Errorf("erasure recorded as done by %q", ev.Actor)
			}
			var e erasure
			if err := json.Unmarshal(ev.Data, &e); err != nil {
				t.Fatal(err)
			}
			return &e
		}
	}
	return nil
}

var orderLinkRE = regexp.MustCompile(`href="https?://[^/"]+(/shop/demo/orders/([A-Z0-9-]+)\?k=[^"]+)"`)

// orderLinks returns the signed order links of the support area, by
// order number.
func orderLinks(t *testing.T, b *browser) map[string]string {
	t.Helper()
	_, page := b.get("/shop/demo/account")
	links := map[string]string{}
	for _, m := range orderLinkRE.FindAllStringSubmatch(page, -1) {
		links[m[2]] = strings.ReplaceAll(m[1], "&amp;", "&")
	}
	return links
}

// TestEraseMyData: the demo learner, whose LMS account the shop did not
// create, erases their data from the support area. Nobody else can; a
// wrong e-mail or an order in progress erases nothing. Afterwards the
// customer is anonymous and the user signed out, the invoice keeps its
// invoicing identity while the cancelled order keeps nothing, the order
// pages show no personal data, the account is not suspended, the
// address buys again as a new customer, and the audit trail says what
// was done.
func TestEraseMyData(t *testing.T) {
	ts := newServer(t, seedDemo)
	ctx := context.Background()
	sh, err := ts.store.ShopByCode(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	sh.TestMode, sh.TestForEveryone = false, false // real invoices
	if err := ts.store.UpsertShop(ctx, sh); err != nil {
		t.Fatal(err)
	}
	backOffice := orders.New(ts.store, payment.NewRegistry(payment.Builtin()...), orders.Options{Production: ts.engine})

	b := newBrowser(t, ts)
	signInLearner(t, b)
	invoiced := buy(t, b, "XLS-100", "1", "check")
	o, err := ts.store.OrderByNumber(ctx, sh.ID, invoiced)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backOffice.RecordOfflinePayment(ctx, o.ID, o.Total, "CHQ-1", "user:1"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := ts.engine.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	cancelled := buy(t, b, "BOOK-PM", "1", "check")
	b.post("/shop/demo/account/orders/"+cancelled+"/cancel", url.Values{})
	b.post("/shop/demo/account/support", url.Values{"about": {invoiced}, "body": {"Can I have a paper invoice?"}})
	links := orderLinks(t, b)
	cust, err := ts.store.CustomerByEmail(ctx, sh.ID, demo.LearnerEmail)
	if err != nil {
		t.Fatal(err)
	}
	attachDocument(t, ts, sh.ID, strconv.FormatInt(cust.ID, 10), 0, "contract.pdf", "application/pdf", "Contract", []byte("%PDF"))
	if o, err = ts.store.OrderByID(ctx, o.ID); err != nil || o.Status != order.StatusComplete || o.InvoiceNumber == "" || o.Test {
		t.Fatalf("the paid order: %+v, %v", o, err)
	}
	erase := func(b *browser, email string) (int, string, http.Header) {
		t.Helper()
		return b.do("POST", "/shop/demo/account/erase", url.Values{"confirm_email": {email}})
	}
	untouched := func(when string) {
		t.Helper()
		if c, err := ts.store.CustomerByEmail(ctx, sh.ID, demo.LearnerEmail); err != nil || c.ID != cust.ID || c.FirstName != "Camille" {
			t.Fatalf("%s: the customer changed: %+v, %v", when, c, err)
		}
	}

	// Nobody else erases the customer.
	if code, _, _ := erase(otherUser(t, ts), demo.LearnerEmail); code != http.StatusNotFound {
		t.Errorf("another user erases: %d", code)
	}
	if code, _, _ := erase(newBrowser(t, ts), demo.LearnerEmail); code != http.StatusNotFound {
		t.Errorf("an anonymous visitor erases: %d", code)
	}
	untouched("others asked")

	// The form is offered; a wrong e-mail erases nothing and is kept.
	if _, page := b.get("/shop/demo/account"); !strings.Contains(page, `action="/shop/demo/account/erase"`) || !strings.Contains(text(page), "Invoices keep the name, address and VAT number") {
		t.Fatalf("no erasure form:\n%s", text(page))
	}
	code, page, _ := erase(b, "someone@example.com")
	if code != http.StatusUnprocessableEntity || !strings.Contains(text(page), "This is not the e-mail address of your account") || !strings.Contains(page, `value="someone@example.com"`) {
		t.Errorf("wrong e-mail: %d\n%s", code, text(page))
	}
	untouched("wrong e-mail")

	// An order in progress holds the erasure.
	pending := buy(t, b, "BOOK-PM", "1", "check")
	if code, page, _ := erase(b, demo.LearnerEmail); code != http.StatusConflict || !strings.Contains(text(page), "Your orders "+pending+" are still in progress") {
		t.Errorf("erasure with an unpaid order: %d\n%s", code, text(page))
	}
	untouched("order in progress")
	b.post("/shop/demo/account/orders/"+pending+"/cancel", url.Values{})

	code, _, h := erase(b, " "+strings.ToUpper(demo.LearnerEmail)+" ")
	if code != http.StatusSeeOther || h.Get("Location") != "/shop/demo/signin" {
		t.Fatalf("erase: %d %s", code, h.Get("Location"))
	}
	if _, page := b.get("/shop/demo/signin"); !strings.Contains(text(page), "Your personal data is erased and you are signed out") {
		t.Errorf("after erasure:\n%s", text(page))
	}
	if code, _, h := b.do("GET", "/shop/demo/account", nil); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/shop/demo/signin") {
		t.Errorf("still signed in: %d %s", code, h.Get("Location"))
	}

	// The customer is anonymous, and its e-mail no longer finds it.
	if _, err := ts.store.CustomerByEmail(ctx, sh.ID, demo.LearnerEmail); err == nil {
		t.Error("the e-mail still finds a customer")
	}
	if c, err := ts.store.CustomerByID(ctx, cust.ID); err != nil || c.Contact != (customer.Contact{}) || c.Bound() {
		t.Errorf("erased customer: %+v, %v", c, err)
	}
	// The invoice keeps its invoicing identity; the cancelled orders keep
	// nothing; every order still belongs to the customer record.
	os, err := ts.store.OrdersOfCustomer(ctx, cust.ID)
	if err != nil || len(os) != 3 {
		t.Fatalf("orders of the erased customer: %d, %v", len(os), err)
	}
	for _, o := range os {
		want := order.Identity{}
		if o.Number == invoiced {
			want = order.Identity{FirstName: "Camille", LastName: "Durand", Country: "FR"}
		}
		if o.Customer != want || o.Invoicing != nil || o.LMSUserRef != "" {
			t.Errorf("order %s: buyer %+v, invoicing %+v; want %+v", o.Number, o.Customer, o.Invoicing, want)
		}
		for _, l := range o.Lines {
			if l.Snapshot.Participants != nil {
				t.Errorf("order %s keeps its participants", o.Number)
			}
		}
	}
	// The order pages show no personal data.
	if _, page := b.get(links[invoiced]); !strings.Contains(text(page), "Camille Durand") || strings.Contains(page, demo.LearnerEmail) {
		t.Errorf("invoiced order page:\n%s", text(page))
	}
	if _, page := b.get(links[cancelled]); !strings.Contains(text(page), "The buyer’s personal data was erased") || strings.Contains(page, "Camille") {
		t.Errorf("cancelled order page:\n%s", text(page))
	}
	// Products keep their references, not the learner's name.
	ins, err := ts.store.InstancesOfCustomer(ctx, cust.ID)
	if err != nil || len(ins) != 1 || ins[0].Reference == "" || ins[0].Data["learner"] != "" {
		t.Errorf("products after erasure: %v %v", ins, err)
	}
	msgs, err := ts.store.SupportMessagesOfCustomer(ctx, cust.ID)
	if err != nil || len(msgs) != 1 || msgs[0].Body != "" {
		t.Errorf("support messages after erasure: %+v, %v", msgs, err)
	}
	if ms, err := ts.store.Mails(ctx, store.MailFilter{To: demo.LearnerEmail}); err != nil || len(ms) != 0 {
		t.Errorf("%d mails to the customer kept, %v", len(ms), err)
	}

	// The account the learner had before is theirs: not suspended. Signed
	// in again, they are nobody's customer: no support area, no data.
	if us, err := ts.store.LMSUsersByEmail(ctx, demo.LearnerEmail); err != nil || len(us) != 1 || us[0].Suspended {
		t.Errorf("the learner's own account: %+v, %v", us, err)
	}
	signInLearner(t, b)
	if _, page := b.get("/shop/demo/account"); !strings.Contains(text(page), "You have not bought anything") {
		t.Errorf("support area after erasure:\n%s", text(page))
	}
	if code, _, _ := b.do("GET", "/shop/demo/account/data", nil); code != http.StatusNotFound {
		t.Errorf("personal data after erasure: %d", code)
	}
	if ds, err := ts.store.Documents(ctx, store.DocumentFilter{ShopID: sh.ID}); err != nil || len(ds) != 0 {
		t.Errorf("documents after the erasure: %d, %v", len(ds), err)
	}
	e := erasureAudit(t, ts, cust.ID)
	if e == nil || e.Orders != 3 || len(e.InvoicesKept) != 1 || e.InvoicesKept[0] != o.InvoiceNumber || e.Suspended ||
		e.Kept != "not created by the shop" || e.Messages != 1 || e.Documents != 1 {
		t.Errorf("audit of the erasure: %+v", e)
	}

	// The address buys again, as a new customer.
	buy(t, b, "BOOK-PM", "1", "check")
	if c, err := ts.store.CustomerByEmail(ctx, sh.ID, demo.LearnerEmail); err != nil || c.ID == cust.ID || c.LastName != "Durand" {
		t.Errorf("the new customer: %+v, %v", c, err)
	}
}

// TestEraseSuspendsShopCreatedAccount: a guest's purchase makes the shop
// create their LMS account and their learner's; when the buyer erases
// their data, their own account is suspended (they can no longer sign
// in), their learner's is not, and nothing of the test-mode order is
// kept.
func TestEraseSuspendsShopCreatedAccount(t *testing.T) {
	ts := newServer(t, seedDemo)
	ctx := context.Background()
	b := newBrowser(t, ts)
	if code, _, _ := b.do("POST", "/shop/demo/cart/add", url.Values{"code": {"XLS-100"}, "quantity": {"1"}}); code != http.StatusSeeOther {
		t.Fatalf("add: %d", code)
	}
	_, body := b.step("/shop/demo/checkout")
	b.do("POST", "/shop/demo/checkout/participants", url.Values{"rev": {rev(t, body)}, "p|XLS-100|0|first_name": {"Léa"},
		"p|XLS-100|0|last_name": {"Lenoir"}, "p|XLS-100|0|email": {"lea.lenoir@example.com"}})
	_, body = b.step("/shop/demo/checkout/customer")
	b.do("POST", "/shop/demo/checkout/customer", url.Values{"rev": {rev(t, body)}, "email": {"noe.nouveau@example.com"},
		"first_name": {"Noé"}, "last_name": {"Nouveau"}, "country": {"FR"}})
	_, body = b.step("/shop/demo/checkout/review")
	if code, _, _ := b.do("POST", "/shop/demo/checkout/review", url.Values{"rev": {rev(t, body)}, "terms": {"yes"}, "mode": {"test"}}); code != http.StatusSeeOther {
		t.Fatalf("place: %d", code)
	}
	for range 3 {
		if _, err := ts.engine.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	sh, err := ts.store.ShopByCode(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	cust, err := ts.store.CustomerByEmail(ctx, sh.ID, "noe.nouveau@example.com")
	if err != nil || !cust.Bound() {
		t.Fatalf("buyer's customer: %+v, %v", cust, err)
	}
	account := func(email string) *store.LMSUser {
		t.Helper()
		us, err := ts.store.LMSUsersByEmail(ctx, email)
		if err != nil || len(us) != 1 {
			t.Fatalf("accounts of %s: %v, %v", email, us, err)
		}
		return us[0]
	}
	for _, tc := range []struct{ email, role string }{{"noe.nouveau@example.com", store.CreatedForBuyer}, {"lea.lenoir@example.com", store.CreatedForLearner}} {
		a, err := ts.store.ShopAccountByRef(ctx, "local:", account(tc.email).Ref)
		if err != nil || a.Role != tc.role || a.CustomerID != cust.ID {
			t.Errorf("the shop's record of %s's account: %+v, %v; want %s for customer %d", tc.email, a, err, tc.role, cust.ID)
		}
	}

	// Noé sets a password through the welcome mail and signs in.
	mails, err := ts.store.Mails(ctx, store.MailFilter{To: "noe.nouveau@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	var link string
	for _, m := range mails {
		if l := regexp.MustCompile(`https?://\S+/lms/password/[A-Za-z0-9_-]+`).FindString(m.Text); l != "" {
			link = strings.TrimPrefix(l, ts.URL)
		}
	}
	if code, _, _ := b.do("POST", link, url.Values{"password": {"a fine password"}, "confirm": {"a fine password"}}); code != http.StatusOK {
		t.Fatalf("set password through %q: %d", link, code)
	}
	signIn := func() int {
		code, _, _ := b.do("POST", "/shop/demo/signin", url.Values{"login": {"noe.nouveau@example.com"}, "password": {"a fine password"}, "next": {"/shop/demo"}})
		return code
	}
	if code := signIn(); code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", code)
	}

	if code, _, h := b.do("POST", "/shop/demo/account/erase", url.Values{"confirm_email": {"noe.nouveau@example.com"}}); code != http.StatusSeeOther {
		t.Fatalf("erase: %d %s", code, h.Get("Location"))
	}
	if !account("noe.nouveau@example.com").Suspended {
		t.Error("the account the shop created for the buyer is not suspended")
	}
	if account("lea.lenoir@example.com").Suspended {
		t.Error("the learner's account was suspended with the buyer's data")
	}
	if code := signIn(); code != http.StatusUnauthorized {
		t.Errorf("sign in to the suspended account: %d", code)
	}
	os, err := ts.store.OrdersOfCustomer(ctx, cust.ID)
	if err != nil || len(os) != 1 || !os[0].Test || !os[0].Customer.IsZero() || os[0].Invoicing != nil {
		t.Errorf("the test order after erasure: %+v, %v", os, err)
	}
	if e := erasureAudit(t, ts, cust.ID); e == nil || !e.Suspended || len(e.InvoicesKept) != 0 {
		t.Errorf("audit of the erasure: %+v", e)
	}
	noe := account("noe.nouveau@example.com")
	if a, err := ts.store.ShopAccountByRef(ctx, "local:", noe.Ref); err != nil || a.SuspendedAt.IsZero() {
		t.Errorf("the shop's record does not say it suspended the account: %+v, %v", a, err)
	}

	// Noé comes back as a new guest with the same address and buys: the
	// shop reactivates the account it suspended.
	again := newBrowser(t, ts)
	again.do("POST", "/shop/demo/cart/add", url.Values{"code": {"SEC-PHISH"}, "quantity": {"1"}})
	_, body = again.step("/shop/demo/checkout")
	again.do("POST", "/shop/demo/checkout/customer", url.Values{"rev": {rev(t, body)}, "email": {"noe.nouveau@example.com"},
		"first_name": {"Noé"}, "last_name": {"Nouveau"}, "country": {"FR"}, "as_guest": {"1"}}) // the address has an account
	_, body = again.step("/shop/demo/checkout/review")
	if code, _, _ := again.do("POST", "/shop/demo/checkout/review", url.Values{"rev": {rev(t, body)}, "terms": {"yes"}, "mode": {"test"}}); code != http.StatusSeeOther {
		t.Fatalf("place again: %d", code)
	}
	for range 3 {
		if _, err := ts.engine.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if account("noe.nouveau@example.com").Suspended {
		t.Error("the account the shop suspended at erasure was not reactivated by a new purchase")
	}
}
