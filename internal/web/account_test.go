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
	"time"

	"courseshop/internal/demo"
	"courseshop/internal/lms"
	"courseshop/internal/order"
	"courseshop/internal/password"
	"courseshop/internal/shop"
	"courseshop/internal/store"
)

var seatRefRE = regexp.MustCompile(`/account/seats/([A-Z0-9-]+)/assign`)

// signInLearner signs the demo learner in.
func signInLearner(t *testing.T, b *browser) {
	t.Helper()
	if code, _, h := b.do("POST", "/shop/demo/signin", url.Values{"login": {demo.LearnerEmail}, "password": {demo.LearnerPassword}, "next": {"/shop/demo"}}); code != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", code, h.Get("Location"))
	}
}

// buy takes the signed-in demo learner through the checkout of qty code,
// paid with mode, and returns the order number.
func buy(t *testing.T, b *browser, code, qty, mode string) string {
	t.Helper()
	if c, _, _ := b.do("POST", "/shop/demo/cart/add", url.Values{"code": {code}, "quantity": {qty}}); c != http.StatusSeeOther {
		t.Fatalf("add: %d", c)
	}
	path, body := b.step("/shop/demo/checkout")
	if path == "/shop/demo/checkout/participants" { // the learner is the buyer
		p := "p|" + code + "|0|"
		b.do("POST", path, url.Values{"rev": {rev(t, body)}, p + "first_name": {"Camille"}, p + "last_name": {"Durand"}, p + "email": {demo.LearnerEmail}})
		path, body = b.step("/shop/demo/checkout/customer")
	}
	if path == "/shop/demo/checkout/customer" {
		b.do("POST", path, url.Values{"rev": {rev(t, body)}, "email": {demo.LearnerEmail}, "first_name": {"Camille"}, "last_name": {"Durand"}, "country": {"FR"}})
		path, body = b.step("/shop/demo/checkout/review")
	}
	if path != "/shop/demo/checkout/review" {
		t.Fatalf("checkout went to %s:\n%s", path, text(body))
	}
	c, page, h := b.do("POST", path, url.Values{"rev": {rev(t, body)}, "terms": {"yes"}, "mode": {mode}})
	m := regexp.MustCompile(`^/shop/demo/orders/([A-Z0-9-]+)\?`).FindStringSubmatch(h.Get("Location"))
	if c != http.StatusSeeOther || m == nil {
		t.Fatalf("place: %d %s\n%s", c, h.Get("Location"), text(page))
	}
	return m[1]
}

// buySeats signs the demo learner in and buys n OFFICE-SEATS in test
// mode, then runs production; it returns the free seats' references.
func buySeats(t *testing.T, ts *testServer, b *browser, n string) []string {
	t.Helper()
	signInLearner(t, b)
	buy(t, b, "OFFICE-SEATS", n, "test")
	for range 3 {
		if _, err := ts.engine.RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	_, page := b.get("/shop/demo/account")
	var refs []string
	for _, m := range seatRefRE.FindAllStringSubmatch(page, -1) {
		refs = append(refs, m[1])
	}
	return refs
}

// TestSupportAreaSeats: a customer sees their order and seats, assigns a
// seat (the learner is enrolled; bad input keeps what was typed),
// releases the seat, and sees the counts change.
func TestSupportAreaSeats(t *testing.T) {
	ts := newServer(t, seedDemo)
	ctx := context.Background()
	b := newBrowser(t, ts)
	if code, _, h := b.do("GET", "/shop/demo/account", nil); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/shop/demo/signin?next=") {
		t.Fatalf("anonymous account page: %d %s", code, h.Get("Location"))
	}
	refs := buySeats(t, ts, b, "3")
	if len(refs) != 3 {
		t.Fatalf("free seats after buying 3: %v", refs)
	}
	_, page := b.get("/shop/demo/account")
	for _, want := range []string{"My transactions", "Complete", "Course seats", "3 free, 0 assigned", "Spreadsheets for everyone", "Your personal data", "This account is personal"} {
		if !strings.Contains(text(page), want) {
			t.Errorf("account page lacks %q:\n%s", want, text(page))
		}
	}

	// Bad input: 422, the typing is kept, nothing is assigned.
	assign := "/shop/demo/account/seats/" + refs[0] + "/assign"
	code, page, _ := b.do("POST", assign, url.Values{"first_name": {"Léa"}, "last_name": {"Lenoir"}, "email": {"lea@"}, "course": {"doc-100"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, `value="Léa"`) || !strings.Contains(text(page), "Enter an e-mail address") ||
		!strings.Contains(text(page), "3 free, 0 assigned") {
		t.Errorf("bad e-mail: %d\n%s", code, text(page))
	}
	code, page, _ = b.do("POST", assign, url.Values{"first_name": {"Léa"}, "last_name": {"Lenoir"}, "email": {"lea@example.com"}, "course": {"sec-120"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(text(page), "Choose one of the courses") {
		t.Errorf("course outside the pool: %d\n%s", code, text(page))
	}

	if _, page = b.post(assign, url.Values{"first_name": {"Léa"}, "last_name": {"Lenoir"}, "email": {"lea@example.com"}, "course": {"doc-100"}}); !strings.Contains(text(page), "2 free, 1 assigned") ||
		!strings.Contains(text(page), "lea@example.com is enrolled") {
		t.Fatalf("after assigning:\n%s", text(page))
	}
	users, err := ts.store.LMSUsersByEmail(ctx, "lea@example.com")
	if err != nil || len(users) != 1 {
		t.Fatalf("learner account: %v %v", users, err)
	}
	enrolledIn := func() []string {
		t.Helper()
		es, err := ts.store.LMSEnrolments(ctx, users[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range es {
			out = append(out, e.Course.IDNumber)
		}
		return out
	}
	if got := enrolledIn(); len(got) != 1 || got[0] != "doc-100" {
		t.Errorf("learner enrolled in %v, want [doc-100]", got)
	}
	if code, _, _ := b.do("POST", assign, url.Values{"first_name": {"Max"}, "last_name": {"Moreau"}, "email": {"max@example.com"}, "course": {"doc-100"}}); code != http.StatusSeeOther {
		t.Errorf("assigning an assigned seat: %d", code)
	}
	if _, page = b.get("/shop/demo/account"); !strings.Contains(text(page), "This seat was assigned meanwhile") || strings.Contains(page, "max@example.com") {
		t.Errorf("second assignment of a seat:\n%s", text(page))
	}

	if _, page = b.post("/shop/demo/account/seats/"+refs[0]+"/release", url.Values{}); !strings.Contains(text(page), "3 free, 0 assigned") ||
		!strings.Contains(text(page), "The seat is free again") {
		t.Errorf("after releasing:\n%s", text(page))
	}
	if got := enrolledIn(); len(got) != 0 {
		t.Errorf("released learner still enrolled in %v", got)
	}
	for _, want := range []string{"Assignment history", refs[0] + " assigned to lea@example.com in Professional documents with a word processor",
		refs[0] + " freed from lea@example.com (Professional documents with a word processor)"} {
		if !strings.Contains(text(page), want) {
			t.Errorf("history lacks %q:\n%s", want, text(page))
		}
	}

	// Once the learner has started (past the release grace), the seat is
	// locked: the page says so and the server refuses a release.
	b.post("/shop/demo/account/seats/"+refs[1]+"/assign", url.Values{"first_name": {"Max"}, "last_name": {"Moreau"}, "email": {"max@example.com"}, "course": {"xls-100"}})
	in, err := ts.store.InstanceByReference(ctx, refs[1])
	if err != nil {
		t.Fatal(err)
	}
	in.Start = in.Start.Add(-48 * time.Hour)
	if err := ts.store.UpdateSeat(ctx, in, in.SeatLearnerRef, nil); err != nil {
		t.Fatal(err)
	}
	_, page = b.get("/shop/demo/account")
	if !strings.Contains(text(page), "Locked: the learner started on") || strings.Contains(page, refs[1]+"/release") {
		t.Errorf("started seat:\n%s", text(page))
	}
	if _, page = b.post("/shop/demo/account/seats/"+refs[1]+"/release", url.Values{}); !strings.Contains(text(page), "cannot be released any more") ||
		!strings.Contains(text(page), "2 free, 1 assigned") {
		t.Errorf("releasing a started seat:\n%s", text(page))
	}

	b.get("/lang/fr")
	_, page = b.get("/shop/demo/account")
	for _, want := range []string{"Mes transactions", "Mes produits", "Places de formation", "2 libre(s), 1 attribuée(s)", "Ce compte est personnel", "Verrouillée"} {
		if !strings.Contains(text(page), want) {
			t.Errorf("French account page lacks %q:\n%s", want, text(page))
		}
	}
}

// TestSupportAreaIsPrivate: another signed-in user sees none of the
// customer's data and cannot act on their seats by URL.
func TestSupportAreaIsPrivate(t *testing.T) {
	ts := newServer(t, seedDemo)
	owner := newBrowser(t, ts)
	refs := buySeats(t, ts, owner, "2")
	if len(refs) != 2 {
		t.Fatalf("free seats: %v", refs)
	}

	other := otherUser(t, ts)
	_, page := other.get("/shop/demo/account")
	if !strings.Contains(text(page), "You have not bought anything") || strings.Contains(page, refs[0]) {
		t.Errorf("another user's account page:\n%s", text(page))
	}
	for _, path := range []string{"/account/seats/" + refs[0] + "/assign", "/account/seats/" + refs[0] + "/release", "/account/seats/NOPE-NOPE/assign"} {
		code, _, _ := other.do("POST", "/shop/demo"+path, url.Values{"first_name": {"Olga"}, "last_name": {"Other"}, "email": {"olga@example.com"}, "course": {"xls-100"}})
		if code != http.StatusNotFound {
			t.Errorf("POST %s by another user: %d", path, code)
		}
	}
	// Nothing changed for the owner.
	if _, page := owner.get("/shop/demo/account"); !strings.Contains(text(page), "2 free, 0 assigned") {
		t.Errorf("owner's seats after the other user's attempts:\n%s", text(page))
	}
	// Signed out, there is no seat to act on.
	anon := newBrowser(t, ts)
	if code, _, _ := anon.do("POST", "/shop/demo/account/seats/"+refs[0]+"/release", url.Values{}); code != http.StatusNotFound {
		t.Errorf("anonymous release: %d", code)
	}
}

// otherUser is a browser signed in as another LMS user, who has bought
// nothing.
func otherUser(t *testing.T, ts *testServer) *browser {
	t.Helper()
	hash, _ := password.Hash("other-password", password.Cheap())
	if err := ts.store.CreateLMSUser(context.Background(), &store.LMSUser{User: lms.User{Username: "olga", Email: "olga@example.com", FirstName: "Olga", LastName: "Other", Country: "FR"}, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	other := newBrowser(t, ts)
	if code, _, _ := other.do("POST", "/shop/demo/signin", url.Values{"login": {"olga@example.com"}, "password": {"other-password"}, "next": {"/shop/demo"}}); code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", code)
	}
	return other
}

// TestCancelUnpaidOrder: the customer cancels an order awaiting payment
// from the support area; nobody else can, and a paid order cannot be.
func TestCancelUnpaidOrder(t *testing.T) {
	ts := newServer(t, seedDemo)
	b := newBrowser(t, ts)
	signInLearner(t, b)
	paid := buy(t, b, "BOOK-PM", "1", "test")
	unpaid := buy(t, b, "BOOK-PM", "1", "check")
	_, page := b.get("/shop/demo/account")
	if !strings.Contains(page, "/orders/"+unpaid+"/cancel") || strings.Contains(page, "/orders/"+paid+"/cancel") {
		t.Errorf("cancel buttons: want one for %s only:\n%s", unpaid, page)
	}

	other := otherUser(t, ts)
	if code, _, _ := other.do("POST", "/shop/demo/account/orders/"+unpaid+"/cancel", url.Values{}); code != http.StatusNotFound {
		t.Errorf("another user cancels the order: %d", code)
	}
	if code, _, _ := b.do("POST", "/shop/demo/account/orders/NOPE-1/cancel", url.Values{}); code != http.StatusNotFound {
		t.Errorf("cancel an unknown order: %d", code)
	}
	if _, page = b.post("/shop/demo/account/orders/"+paid+"/cancel", url.Values{}); !strings.Contains(text(page), "cannot be cancelled here") {
		t.Errorf("cancel a paid order:\n%s", text(page))
	}
	if _, page = b.post("/shop/demo/account/orders/"+unpaid+"/cancel", url.Values{}); !strings.Contains(text(page), "Order "+unpaid+" is cancelled") {
		t.Fatalf("cancel the unpaid order:\n%s", text(page))
	}
	sh, err := ts.store.ShopByCode(context.Background(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	o, err := ts.store.OrderByNumber(context.Background(), sh.ID, unpaid)
	if err != nil || o.Status != order.StatusCancelled {
		t.Errorf("order after cancel: %v %v", o, err)
	}
	if strings.Contains(page, "/orders/"+unpaid+"/cancel") {
		t.Error("a cancelled order still offers to cancel")
	}
}

// TestSupportAreaProducts: a produced course purchase is listed under the
// customer's products, saying in plain words what it grants.
func TestSupportAreaProducts(t *testing.T) {
	ts := newServer(t, seedDemo)
	b := newBrowser(t, ts)
	signInLearner(t, b)
	buy(t, b, "XLS-100", "1", "test")
	for range 3 {
		if _, err := ts.engine.RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	_, page, h := b.do("GET", "/shop/demo/account", nil)
	if h.Get("Cache-Control") != "private, no-store" {
		t.Errorf("account page Cache-Control = %q", h.Get("Cache-Control"))
	}
	for _, want := range []string{"My products", "Enrolment of Camille Durand in Spreadsheets for everyone", "Running", "Download my data"} {
		if !strings.Contains(text(page), want) {
			t.Errorf("account page lacks %q:\n%s", want, text(page))
		}
	}

	// The personal data archive: the customer's own data, and the export
	// is in the audit trail.
	code, body, h := b.do("GET", "/shop/demo/account/data", nil)
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") || h.Get("Cache-Control") != "private, no-store" {
		t.Fatalf("download my data: %d %v", code, h)
	}
	var archive struct {
		Format   string
		Customer struct{ Email string }
		Orders   []struct {
			Number string
			Total  string
			Lines  []struct{ Participants []struct{ Email string } }
		}
		Products []struct{ Reference, Product string }
	}
	if err := json.Unmarshal([]byte(body), &archive); err != nil {
		t.Fatalf("archive: %v\n%s", err, body)
	}
	if archive.Format != shop.PersonalDataFormat || archive.Customer.Email != demo.LearnerEmail || len(archive.Orders) != 1 ||
		len(archive.Orders[0].Lines) != 1 || len(archive.Orders[0].Lines[0].Participants) != 1 || len(archive.Products) != 1 || archive.Products[0].Reference == "" || archive.Orders[0].Total != "228.00" {
		t.Errorf("archive:\n%s", body)
	}
	ctx := context.Background()
	sh, err := ts.store.ShopByCode(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	cust, err := ts.store.CustomerByEmail(ctx, sh.ID, demo.LearnerEmail)
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(cust.ID, 10)
	evs, err := ts.store.AuditFor(ctx, "customer", id)
	if err != nil || len(evs) != 1 || evs[0].Action != "customer.export_data" || evs[0].Actor != "customer:"+id {
		t.Errorf("audit of the export: %+v %v", evs, err)
	}

	// Nobody else gets it.
	if code, _, _ := otherUser(t, ts).do("GET", "/shop/demo/account/data", nil); code != http.StatusNotFound {
		t.Errorf("another user downloads the data: %d", code)
	}
	if code, _, _ := newBrowser(t, ts).do("GET", "/shop/demo/account/data", nil); code != http.StatusNotFound {
		t.Errorf("anonymous download: %d", code)
	}
}

// TestProfile (C6): the customer edits their details; bad input comes back
// with everything typed and changes nothing; saved details reach the LMS
// profile.
func TestProfile(t *testing.T) {
	ts := newServer(t, seedDemo)
	ctx := context.Background()
	b := newBrowser(t, ts)
	signInLearner(t, b)
	buy(t, b, "BOOK-PM", "1", "check")
	_, page := b.get("/shop/demo/account/profile")
	if !strings.Contains(page, `value="Camille"`) || !strings.Contains(page, `value="`+demo.LearnerEmail+`"`) {
		t.Fatalf("profile form is not prefilled:\n%s", page)
	}
	form := func(email string) url.Values {
		return url.Values{"email": {email}, "first_name": {"Camille"}, "last_name": {"Durand-Roy"}, "organisation": {"Acme Formation"},
			"city": {"Nantes"}, "country": {"FR"}, "phone": {"+33 2 40 00 00 00"}}
	}
	code, page, _ := b.do("POST", "/shop/demo/account/profile", form("camille@"))
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, `value="Nantes"`) || !strings.Contains(text(page), "Enter an e-mail address") {
		t.Errorf("bad e-mail: %d\n%s", code, text(page))
	}
	sh, err := ts.store.ShopByCode(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := ts.store.CustomerByEmail(ctx, sh.ID, demo.LearnerEmail); err != nil || c.City == "Nantes" {
		t.Errorf("invalid input changed the customer: %+v %v", c, err)
	}

	if _, page = b.post("/shop/demo/account/profile", form(demo.LearnerEmail)); !strings.Contains(text(page), "Your profile is saved") {
		t.Fatalf("save:\n%s", text(page))
	}
	c, err := ts.store.CustomerByEmail(ctx, sh.ID, demo.LearnerEmail)
	if err != nil || c.LastName != "Durand-Roy" || c.City != "Nantes" || c.Organisation != "Acme Formation" {
		t.Errorf("customer after save: %+v %v", c, err)
	}
	users, err := ts.store.LMSUsersByEmail(ctx, demo.LearnerEmail)
	if err != nil || len(users) != 1 {
		t.Fatalf("LMS account: %v %v", users, err)
	}
	if u := users[0]; u.LastName != "Durand-Roy" || u.City != "Nantes" || u.Institution != "Acme Formation" || u.Phone != "+33 2 40 00 00 00" {
		t.Errorf("LMS profile after save: %+v", u.User)
	}

	// Without signing in there is no profile to read or write.
	anon := newBrowser(t, ts)
	if code, _, h := anon.do("GET", "/shop/demo/account/profile", nil); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/shop/demo/signin") {
		t.Errorf("anonymous profile page: %d", code)
	}
	if code, _, _ := anon.do("POST", "/shop/demo/account/profile", form("x@example.com")); code != http.StatusNotFound {
		t.Errorf("anonymous profile save: %d", code)
	}
	if code, _, _ := otherUser(t, ts).do("GET", "/shop/demo/account/profile", nil); code != http.StatusNotFound {
		t.Errorf("a user without a customer account: %d", code)
	}
}

// TestSupportMessages: the customer writes to the sales team about one of
// their orders; the message is kept, listed, exported and mailed; bad
// input keeps what was typed; nobody else can write as them.
func TestSupportMessages(t *testing.T) {
	ts := newServer(t, seedDemo)
	ctx := context.Background()
	b := newBrowser(t, ts)
	signInLearner(t, b)
	number := buy(t, b, "BOOK-PM", "1", "check")
	_, page := b.get("/shop/demo/account")
	if !strings.Contains(page, `<option value="`+number+`">`) {
		t.Fatalf("the support form does not offer order %s:\n%s", number, page)
	}
	send := func(about, body string) (int, string) {
		code, page, _ := b.do("POST", "/shop/demo/account/support", url.Values{"about": {about}, "body": {body}})
		return code, page
	}
	if code, page := send(number, "  "); code != http.StatusUnprocessableEntity || !strings.Contains(text(page), "This field is required") {
		t.Errorf("empty message: %d\n%s", code, text(page))
	}
	if code, page := send("DEMO-2026-999999", "Hello <b>team</b>"); code != http.StatusUnprocessableEntity ||
		!strings.Contains(text(page), "Choose one of your orders or products") || !strings.Contains(page, "Hello &lt;b&gt;team&lt;/b&gt;</textarea>") {
		t.Errorf("unknown order: %d\n%s", code, page)
	}
	if code, _, _ := otherUser(t, ts).do("POST", "/shop/demo/account/support", url.Values{"about": {number}, "body": {"hi"}}); code != http.StatusNotFound {
		t.Errorf("another user writes: %d", code)
	}
	mails, err := ts.store.Mails(ctx, store.MailFilter{To: "sales@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	before := len(mails)

	if _, page = b.post("/shop/demo/account/support", url.Values{"about": {number}, "body": {"When will my book ship?\nThanks"}}); !strings.Contains(text(page), "Your message is sent") ||
		!strings.Contains(text(page), "Messages you sent") || !strings.Contains(text(page), "When will my book ship?") {
		t.Errorf("after sending:\n%s", text(page))
	}
	mails, err = ts.store.Mails(ctx, store.MailFilter{To: "sales@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if len(mails) != before+1 || mails[0].Kind != "support_message" || !strings.Contains(mails[0].Text, "When will my book ship?\nThanks") ||
		!strings.Contains(mails[0].Subject, number) || !strings.Contains(mails[0].Text, demo.LearnerEmail) {
		t.Errorf("sales mail: %d → %d, newest %+v", before, len(mails), mails[0])
	}
	if _, body, _ := b.do("GET", "/shop/demo/account/data", nil); !strings.Contains(body, `"about": "`+number+`"`) || !strings.Contains(body, "When will my book ship?") {
		t.Errorf("the archive lacks the message:\n%s", body)
	}
}
