package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"courseshop/internal/customer"
	"courseshop/internal/demo"
	"courseshop/internal/lms"
	"courseshop/internal/password"
	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

// company is the demo learner's customer made an organisation (rule C9),
// with two seats, a produced course, and an unpaid order.
type company struct {
	ts     *testServer
	skew   *atomic.Int64 // added to the store's clock
	owner  *browser
	id     string // customer id
	shopID int64
	seats  []string
	course string // the produced course's reference
	unpaid string // order number
}

var (
	invitationRE = regexp.MustCompile(`/shop/demo/invitation/[A-Za-z0-9_-]+`)
	productRefRE = regexp.MustCompile(`<td class="code">([A-Z0-9-]+)</td>`)
)

func newCompany(t *testing.T) *company {
	t.Helper()
	ctx := context.Background()
	skew := &atomic.Int64{}
	st := testkit.NewStore(t, testkit.WithClock(func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }))
	seedDemo(t, st)
	ts := serve(t, st)
	c := &company{ts: ts, skew: skew, owner: newBrowser(t, ts)}
	signInLearner(t, c.owner)
	buy(t, c.owner, "OFFICE-SEATS", "2", "test")
	buy(t, c.owner, "XLS-100", "1", "test")
	c.unpaid = buy(t, c.owner, "BOOK-PM", "1", "check")
	for range 3 {
		if _, err := ts.engine.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	_, page := c.owner.get("/shop/demo/account")
	for _, m := range seatRefRE.FindAllStringSubmatch(page, -1) {
		c.seats = append(c.seats, m[1])
	}
	if m := productRefRE.FindStringSubmatch(page); m != nil {
		c.course = m[1]
	}
	if len(c.seats) != 2 || c.course == "" {
		t.Fatalf("seats %v, course %q:\n%s", c.seats, c.course, text(page))
	}
	sh, err := st.ShopByCode(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	cust, err := st.CustomerByEmail(ctx, sh.ID, demo.LearnerEmail)
	if err != nil {
		t.Fatal(err)
	}
	c.shopID, c.id = sh.ID, strconv.FormatInt(cust.ID, 10)
	return c
}

// becomeOrganisation gives the customer an organisation's name.
func (c *company) becomeOrganisation(t *testing.T) {
	t.Helper()
	if _, page := c.owner.post("/shop/demo/account/profile", url.Values{"email": {demo.LearnerEmail}, "first_name": {"Camille"}, "last_name": {"Durand"},
		"organisation": {"Acme Formation"}, "country": {"FR"}}); !strings.Contains(text(page), "Your profile is saved") {
		t.Fatalf("profile:\n%s", text(page))
	}
}

// invite has the owner invite email and returns the invitation's path,
// read from the mail.
func (c *company) invite(t *testing.T, email string) string {
	t.Helper()
	if _, page := c.owner.post("/shop/demo/account/managers/invite", url.Values{"customer": {c.id}, "email": {email}}); !strings.Contains(text(page), "The invitation is sent to "+email) {
		t.Fatalf("invite %s:\n%s", email, text(page))
	}
	mails, err := c.ts.store.Mails(context.Background(), store.MailFilter{To: email})
	if err != nil || len(mails) == 0 || mails[0].Kind != "manager_invitation" {
		t.Fatalf("invitation mail to %s: %v %v", email, mails, err)
	}
	path := invitationRE.FindString(mails[0].Text)
	if path == "" {
		t.Fatalf("no link in the invitation:\n%s", mails[0].Text)
	}
	return path
}

// lmsUser creates an LMS account and returns a browser signed in with it,
// and the account's ref.
func lmsUser(t *testing.T, ts *testServer, first, email string) (*browser, string) {
	t.Helper()
	hash, _ := password.Hash("secret-"+first, password.Cheap())
	u := &store.LMSUser{User: lms.User{Username: strings.ToLower(first), Email: email, FirstName: first, LastName: "Test", Country: "FR"}, PasswordHash: hash}
	if err := ts.store.CreateLMSUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, ts)
	if code, _, _ := b.do("POST", "/shop/demo/signin", url.Values{"login": {email}, "password": {"secret-" + first}, "next": {"/shop/demo"}}); code != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d", email, code)
	}
	return b, strconv.FormatInt(u.ID, 10)
}

// addManager makes a new user a manager of the company through an
// invitation, and returns their browser and ref.
func (c *company) addManager(t *testing.T, first, email string) (*browser, string) {
	t.Helper()
	path := c.invite(t, email)
	b, ref := lmsUser(t, c.ts, first, email)
	code, _, h := b.do("POST", path, url.Values{})
	if code != http.StatusSeeOther || h.Get("Location") != "/shop/demo/account?customer="+c.id {
		t.Fatalf("accept: %d %s", code, h.Get("Location"))
	}
	return b, ref
}

// audit returns "action by actor" for the customer's audit trail.
func (c *company) audit(t *testing.T) []string {
	t.Helper()
	evs, err := c.ts.store.AuditFor(context.Background(), "customer", c.id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Action+" by "+e.Actor)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestCompanyInvitation (C9): only an organisation invites; the invitee
// opens the mailed link, signs in and accepts; the invitation works once,
// for the invited address only, before it expires; invitations are
// rate-limited and audited.
func TestCompanyInvitation(t *testing.T) {
	c := newCompany(t)

	// A private customer has no managers.
	if _, page := c.owner.get("/shop/demo/account"); strings.Contains(page, "/account/managers") {
		t.Errorf("a private customer's account offers managers:\n%s", page)
	}
	code, page, _ := c.owner.do("POST", "/shop/demo/account/managers/invite", url.Values{"customer": {c.id}, "email": {"max@example.com"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(text(page), "can have managers: its owner first adds the organisation") {
		t.Errorf("invitation to a private customer: %d\n%s", code, text(page))
	}
	if mails, _ := c.ts.store.Mails(context.Background(), store.MailFilter{To: "max@example.com"}); len(mails) != 0 {
		t.Errorf("an invitation was mailed for a private customer: %v", mails)
	}

	c.becomeOrganisation(t)
	_, page = c.owner.get("/shop/demo/account")
	if !strings.Contains(page, `/shop/demo/account/managers?customer=`+c.id) {
		t.Fatalf("no managers link:\n%s", page)
	}
	_, page = c.owner.get("/shop/demo/account/managers?customer=" + c.id)
	for _, want := range []string{"Managers of Acme Formation", "Camille Durand (you)", "owner", "Invite a manager"} {
		if !strings.Contains(text(page), want) {
			t.Errorf("managers page lacks %q:\n%s", want, text(page))
		}
	}
	code, page, _ = c.owner.do("POST", "/shop/demo/account/managers/invite", url.Values{"customer": {c.id}, "email": {"max@"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(text(page), "Enter an e-mail address") || !strings.Contains(page, `value="max@"`) {
		t.Errorf("bad address: %d\n%s", code, text(page))
	}
	code, page, _ = c.owner.do("POST", "/shop/demo/account/managers/invite", url.Values{"customer": {c.id}, "email": {demo.LearnerEmail}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(text(page), "already manages this account") {
		t.Errorf("inviting the owner: %d\n%s", code, text(page))
	}

	path := c.invite(t, "max@example.com")
	if _, page = c.owner.get("/shop/demo/account/managers?customer=" + c.id); !strings.Contains(text(page), "Pending invitations max@example.com — expires on") {
		t.Errorf("pending invitation not listed:\n%s", text(page))
	}

	// Opening the link changes nothing; a visitor is asked to sign in
	// with the invited address.
	anon := newBrowser(t, c.ts)
	code, page, h := anon.do("GET", path, nil)
	if code != http.StatusOK || !strings.Contains(text(page), "Camille Durand invites you to manage the account of Acme Formation") ||
		!strings.Contains(page, "login=max%40example.com") || h.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("invitation page: %d %v\n%s", code, h, text(page))
	}
	if code, _, h := anon.do("POST", path, url.Values{}); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/shop/demo/signin?next=") {
		t.Errorf("accepting without signing in: %d %s", code, h.Get("Location"))
	}

	// Someone else signed in cannot accept it.
	olga := otherUser(t, c.ts)
	if _, page = olga.get(path); !strings.Contains(text(page), "This invitation is for max@example.com, and you are signed in as olga@example.com") ||
		strings.Contains(page, "accept-invitation") {
		t.Errorf("invitation page for another user:\n%s", text(page))
	}
	if code, _, _ := olga.do("POST", path, url.Values{}); code != http.StatusForbidden {
		t.Errorf("another user accepts: %d", code)
	}
	if code, _, _ := olga.do("GET", "/shop/demo/account?customer="+c.id, nil); code != http.StatusNotFound {
		t.Errorf("after a refused acceptance, the other user reaches the company: %d", code)
	}

	// The invitee accepts, once.
	max, maxRef := lmsUser(t, c.ts, "Max", "max@example.com")
	if _, page = max.get(path); !strings.Contains(page, `id="accept-invitation"`) {
		t.Errorf("no accept button for the invitee:\n%s", text(page))
	}
	if _, page = max.post(path, url.Values{}); !strings.Contains(text(page), "You now manage this account") ||
		!strings.Contains(text(page), "You manage the account of Acme Formation with its owner") || !strings.Contains(page, c.unpaid) {
		t.Errorf("after accepting:\n%s", text(page))
	}
	for _, b := range []*browser{max, olga} {
		if code, page, _ := b.do("POST", path, url.Values{}); code != http.StatusNotFound || !strings.Contains(text(page), "This invitation no longer works") {
			t.Errorf("invitation used twice: %d\n%s", code, text(page))
		}
	}
	if _, page = c.owner.get("/shop/demo/account/managers?customer=" + c.id); !strings.Contains(text(page), "Max Test max@example.com manager") ||
		strings.Contains(text(page), "Pending invitations") {
		t.Errorf("managers after acceptance:\n%s", text(page))
	}

	// An invitation sent 8 days ago has expired.
	c.skew.Store(int64(-8 * 24 * time.Hour))
	old := c.invite(t, "zoe@example.com")
	c.skew.Store(0)
	if code, page, _ := anon.do("GET", old, nil); code != http.StatusNotFound || !strings.Contains(text(page), "it has expired") {
		t.Errorf("expired invitation: %d\n%s", code, text(page))
	}

	// A withdrawn invitation no longer works.
	withdrawn := c.invite(t, "lea@example.com")
	_, page = c.owner.get("/shop/demo/account/managers?customer=" + c.id)
	m := regexp.MustCompile(`/account/invitations/(\d+)/revoke`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no withdraw button:\n%s", page)
	}
	if code, _, _ := max.do("POST", "/shop/demo/account/invitations/"+m[1]+"/revoke", url.Values{"customer": {c.id}}); code != http.StatusNotFound {
		t.Errorf("a manager withdraws an invitation: %d", code)
	}
	if _, page = c.owner.post("/shop/demo/account/invitations/"+m[1]+"/revoke", url.Values{"customer": {c.id}}); !strings.Contains(text(page), "The invitation to lea@example.com is withdrawn") {
		t.Errorf("withdraw:\n%s", text(page))
	}
	if code, _, _ := anon.do("GET", withdrawn, nil); code != http.StatusNotFound {
		t.Errorf("withdrawn invitation: %d", code)
	}

	// At most 3 invitations an hour to one address.
	for i := range 3 {
		if code, _, _ := c.owner.do("POST", "/shop/demo/account/managers/invite", url.Values{"customer": {c.id}, "email": {"flood@example.com"}}); code != http.StatusSeeOther {
			t.Fatalf("invitation %d: %d", i+1, code)
		}
	}
	code, page, _ = c.owner.do("POST", "/shop/demo/account/managers/invite", url.Values{"customer": {c.id}, "email": {"flood@example.com"}})
	if code != http.StatusTooManyRequests || !strings.Contains(text(page), "Too many invitations") {
		t.Errorf("fourth invitation within the hour: %d\n%s", code, text(page))
	}

	trail := c.audit(t)
	for _, want := range []string{"customer.invite_manager by customer:" + c.id, "customer.accept_invitation by lms_user:" + maxRef,
		"customer.revoke_invitation by customer:" + c.id} {
		if !contains(trail, want) {
			t.Errorf("audit trail lacks %q: %v", want, trail)
		}
	}

	// In French.
	fr := newBrowser(t, c.ts)
	fr.get("/lang/fr")
	if _, page = fr.get(c.invite(t, "fr@example.com")); !strings.Contains(text(page), "Camille Durand vous invite à gérer le compte de Acme Formation") ||
		!strings.Contains(text(page), "Me connecter avec fr@example.com pour accepter") {
		t.Errorf("French invitation page:\n%s", text(page))
	}
	if _, page = fr.get(old); !strings.Contains(text(page), "Cette invitation ne fonctionne plus") {
		t.Errorf("French invalid invitation:\n%s", text(page))
	}
}

// TestCompanyManagerActs (C9): a manager sees the company's orders,
// products, seats and messages, cancels an unpaid order, assigns and
// releases a seat and writes to support, as themselves; the profile, the
// personal data and the other managers stay with the owner.
func TestCompanyManagerActs(t *testing.T) {
	c := newCompany(t)
	c.becomeOrganisation(t)
	max, maxRef := c.addManager(t, "Max", "max@example.com")

	// Without choosing, the manager's only customer is shown.
	for _, path := range []string{"/shop/demo/account", "/shop/demo/account?customer=" + c.id} {
		_, page := max.get(path)
		for _, want := range []string{"You manage the account of Acme Formation", c.unpaid, "2 free, 0 assigned", c.course, "Enrolment of Camille Durand in Spreadsheets for everyone"} {
			if !strings.Contains(text(page), want) {
				t.Errorf("%s lacks %q:\n%s", path, want, text(page))
			}
		}
		if strings.Contains(page, "/account/data") || strings.Contains(page, "/account/profile") {
			t.Errorf("%s offers the owner's profile or data to a manager", path)
		}
	}
	// The order page, through the plain link the support area gives.
	_, page := max.get("/shop/demo/account")
	orderLink := regexp.MustCompile(`href="(http://[^"]+/shop/demo/orders/` + c.unpaid + `)"`).FindStringSubmatch(page)
	if orderLink == nil {
		t.Fatalf("no plain order link:\n%s", page)
	}
	if code, page, _ := max.do("GET", strings.TrimPrefix(orderLink[1], c.ts.URL), nil); code != http.StatusOK || !strings.Contains(text(page), c.unpaid) {
		t.Errorf("order page for the manager: %d", code)
	}

	// Acting: seats, support message, cancel.
	form := url.Values{"customer": {c.id}, "first_name": {"Léa"}, "last_name": {"Lenoir"}, "email": {"lea@example.com"}, "course": {"doc-100"}}
	if _, page = max.post("/shop/demo/account/seats/"+c.seats[0]+"/assign", form); !strings.Contains(text(page), "lea@example.com is enrolled") ||
		!strings.Contains(text(page), "1 free, 1 assigned") || !strings.Contains(text(page), "You manage the account of Acme Formation") {
		t.Errorf("assign by the manager:\n%s", text(page))
	}
	if _, page = max.post("/shop/demo/account/seats/"+c.seats[0]+"/release", url.Values{"customer": {c.id}}); !strings.Contains(text(page), "2 free, 0 assigned") {
		t.Errorf("release by the manager:\n%s", text(page))
	}
	if _, page = max.post("/shop/demo/account/support", url.Values{"customer": {c.id}, "about": {c.course}, "body": {"Can Léa start next week?"}}); !strings.Contains(text(page), "Your message is sent") {
		t.Errorf("support message by the manager:\n%s", text(page))
	}
	mails, err := c.ts.store.Mails(context.Background(), store.MailFilter{To: "sales@example.com"})
	if err != nil || len(mails) == 0 || mails[0].Kind != "support_message" || !strings.Contains(mails[0].Text, "max@example.com") || !strings.Contains(mails[0].Text, "Acme Formation") {
		t.Errorf("sales mail of the manager's message: %v %v", mails, err)
	}
	if _, page = c.owner.get("/shop/demo/account"); !strings.Contains(text(page), "Can Léa start next week?") {
		t.Errorf("the owner does not see the manager's message:\n%s", text(page))
	}
	if _, page = max.post("/shop/demo/account/orders/"+c.unpaid+"/cancel", url.Values{"customer": {c.id}}); !strings.Contains(text(page), "Order "+c.unpaid+" is cancelled") {
		t.Errorf("cancel by the manager:\n%s", text(page))
	}
	in, err := c.ts.store.InstanceByReference(context.Background(), c.seats[0])
	if err != nil {
		t.Fatal(err)
	}
	evs, err := c.ts.store.InstanceEvents(context.Background(), in.ID)
	if err != nil || len(evs) == 0 || evs[len(evs)-1].Actor != "lms_user:"+maxRef {
		t.Errorf("seat history does not name the manager: %+v %v", evs, err)
	}

	// What stays with the owner.
	for _, path := range []string{"/shop/demo/account/data", "/shop/demo/account/data?customer=" + c.id, "/shop/demo/account/profile", "/shop/demo/account/profile?customer=" + c.id} {
		if code, _, _ := max.do("GET", path, nil); code != http.StatusNotFound {
			t.Errorf("manager GET %s: %d", path, code)
		}
	}
	if code, _, _ := max.do("POST", "/shop/demo/account/profile", url.Values{"customer": {c.id}, "email": {"max@example.com"}, "first_name": {"M"}, "last_name": {"X"}, "country": {"FR"}}); code != http.StatusNotFound {
		t.Errorf("manager saves the profile: %d", code)
	}
	owner, err := c.ts.store.LMSUsersByEmail(context.Background(), demo.LearnerEmail)
	if err != nil || len(owner) != 1 {
		t.Fatal(owner, err)
	}
	if code, _, _ := max.do("POST", "/shop/demo/account/managers/"+strconv.FormatInt(owner[0].ID, 10)+"/remove", url.Values{"customer": {c.id}}); code != http.StatusNotFound {
		t.Errorf("a manager removes the owner: %d", code)
	}
	_, page = max.get("/shop/demo/account/managers?customer=" + c.id)
	if !strings.Contains(text(page), "Max Test (you)") || !strings.Contains(text(page), "Leave this account") || strings.Count(page, "/remove\"") != 1 {
		t.Errorf("manager's view of the managers:\n%s", text(page))
	}

	// In French.
	max.get("/lang/fr")
	_, page = max.get("/shop/demo/account")
	for _, want := range []string{"Vous gérez le compte de Acme Formation avec son titulaire", "Places de formation", "Gestionnaires"} {
		if !strings.Contains(text(page), want) {
			t.Errorf("French account page lacks %q:\n%s", want, text(page))
		}
	}
	_, page = max.get("/shop/demo/account/managers?customer=" + c.id)
	for _, want := range []string{"Gestionnaires de Acme Formation", "titulaire", "gestionnaire", "Quitter ce compte", "Inviter un gestionnaire"} {
		if !strings.Contains(text(page), want) {
			t.Errorf("French managers page lacks %q:\n%s", want, text(page))
		}
	}
	// Renewing stays the owner's: the extension is bought by the
	// customer who owns what it extends.
	renewed := renewable(t, c.ts, c.owner, camille)
	if _, page := max.get("/shop/demo/account?customer=" + c.id); !strings.Contains(page, renewed.Reference) || renewRE.MatchString(page) {
		t.Errorf("the manager is offered to renew, or does not see the product:\n%s", text(page))
	}
	if code, _, _ := max.do("POST", "/shop/demo/account/products/"+renewed.Reference+"/renew", url.Values{"customer": {c.id}}); code != http.StatusNotFound {
		t.Errorf("a manager renews the company's product: %d", code)
	}
}

// TestCompanyIsolation: a customer who does not manage the company tries
// every support-area route with the company's ids and URLs, and gets a
// 404 each time; nothing changes. A manager of the company gets nothing of
// another customer either.
func TestCompanyIsolation(t *testing.T) {
	c := newCompany(t)
	c.becomeOrganisation(t)
	ctx := context.Background()
	max, maxRef := c.addManager(t, "Max", "max@example.com")
	path := c.invite(t, "pending@example.com")
	_, page := c.owner.get("/shop/demo/account/managers?customer=" + c.id)
	inv := regexp.MustCompile(`/account/invitations/(\d+)/revoke`).FindStringSubmatch(page)
	if inv == nil {
		t.Fatal("no pending invitation")
	}

	// Olga is a customer of her own.
	olga, olgaRef := lmsUser(t, c.ts, "Olga", "olga@example.com")
	own := &customer.Customer{ShopID: c.shopID, Contact: customer.Contact{Email: "olga@example.com", FirstName: "Olga", LastName: "Test", Organisation: "Olga SARL", Country: "FR"}}
	if err := c.ts.store.SaveOwnCustomer(ctx, own, olgaRef); err != nil {
		t.Fatal(err)
	}
	olgaID := strconv.FormatInt(own.ID, 10)
	doc := attachDocument(t, c.ts, c.shopID, c.id, 0, "acme-contract.pdf", "application/pdf", "Acme Formation contract", []byte("%PDF acme"))
	olgaDoc := attachDocument(t, c.ts, c.shopID, olgaID, 0, "olga-contract.pdf", "application/pdf", "Olga SARL contract", []byte("%PDF olga"))

	cid := url.Values{"customer": {c.id}}
	seat := url.Values{"customer": {c.id}, "first_name": {"Olga"}, "last_name": {"Test"}, "email": {"olga@example.com"}, "course": {"doc-100"}}
	routes := []struct {
		method, path string
		form         url.Values
	}{
		{"GET", "/shop/demo/account?customer=" + c.id, nil},
		{"GET", "/shop/demo/account/managers?customer=" + c.id, nil},
		{"GET", "/shop/demo/orders/" + c.unpaid, nil},
		{"POST", "/shop/demo/account/orders/" + c.unpaid + "/cancel", cid},
		{"POST", "/shop/demo/account/orders/" + c.unpaid + "/cancel", nil},
		{"POST", "/shop/demo/account/seats/" + c.seats[0] + "/assign", seat},
		{"POST", "/shop/demo/account/seats/" + c.seats[0] + "/release", cid},
		{"POST", "/shop/demo/account/support", url.Values{"customer": {c.id}, "about": {c.course}, "body": {"hello"}}},
		{"POST", "/shop/demo/account/managers/invite", url.Values{"customer": {c.id}, "email": {"olga@example.com"}}},
		{"POST", "/shop/demo/account/managers/" + maxRef + "/remove", cid},
		{"POST", "/shop/demo/account/invitations/" + inv[1] + "/revoke", cid},
		{"GET", "/shop/demo/account?customer=abc", nil},
		{"GET", "/shop/demo/account/documents/" + doc + "?customer=" + c.id, nil},
		{"GET", "/shop/demo/account/documents/" + doc, nil},
		{"GET", "/shop/demo/account/documents/" + doc + "?customer=" + olgaID, nil},
	}
	for _, r := range routes {
		code, page, _ := olga.do(r.method, r.path, r.form)
		if code != http.StatusNotFound {
			t.Errorf("non-manager %s %s: %d", r.method, r.path, code)
		}
		if strings.Contains(page, "Acme Formation") || strings.Contains(page, "Durand") {
			t.Errorf("non-manager %s %s shows the company's data", r.method, r.path)
		}
	}
	// The owner's profile and data are personal: a customer parameter
	// does not reach them, Olga gets her own.
	for _, p := range []string{"/shop/demo/account/data?customer=" + c.id, "/shop/demo/account/profile?customer=" + c.id} {
		code, page, _ := olga.do("GET", p, nil)
		if code != http.StatusOK || !strings.Contains(page, "olga@example.com") || strings.Contains(page, "Acme Formation") || strings.Contains(page, demo.LearnerEmail) {
			t.Errorf("Olga GET %s: %d\n%s", p, code, page)
		}
	}
	// Her own support area shows nothing of the company, and she cannot
	// write about its products from it.
	if _, page := olga.get("/shop/demo/account"); strings.Contains(page, c.unpaid) || strings.Contains(page, "Acme") || strings.Contains(page, "account-switch") ||
		!strings.Contains(page, "/account/documents/"+olgaDoc+"?customer="+olgaID) || strings.Contains(page, "/account/documents/"+doc+"?") {
		t.Errorf("Olga's account shows the company:\n%s", text(page))
	}
	if code, body, _ := olga.do("GET", "/shop/demo/account/documents/"+olgaDoc, nil); code != http.StatusOK || body != "%PDF olga" {
		t.Errorf("Olga's own document: %d %q", code, body)
	}
	if code, page, _ := olga.do("POST", "/shop/demo/account/support", url.Values{"about": {c.course}, "body": {"hello"}}); code != http.StatusUnprocessableEntity ||
		!strings.Contains(text(page), "Choose one of your orders or products") {
		t.Errorf("Olga writes about the company's product: %d", code)
	}

	// The company's manager gets nothing of Olga's, not even with the
	// company's id, whose documents he may download.
	if code, body, _ := max.do("GET", "/shop/demo/account/documents/"+doc+"?customer="+c.id, nil); code != http.StatusOK || body != "%PDF acme" {
		t.Errorf("manager downloads the company's document: %d %q", code, body)
	}
	for _, p := range []string{"/shop/demo/account?customer=" + olgaID, "/shop/demo/account/managers?customer=" + olgaID,
		"/shop/demo/account/documents/" + olgaDoc + "?customer=" + olgaID, "/shop/demo/account/documents/" + olgaDoc + "?customer=" + c.id,
		"/shop/demo/account/documents/" + olgaDoc} {
		if code, _, _ := max.do("GET", p, nil); code != http.StatusNotFound {
			t.Errorf("manager GET %s: %d", p, code)
		}
	}
	if code, _, _ := max.do("POST", "/shop/demo/account/support", url.Values{"customer": {olgaID}, "body": {"hi"}}); code != http.StatusNotFound {
		t.Errorf("manager writes as Olga: %d", code)
	}

	// Nothing changed.
	_, page = c.owner.get("/shop/demo/account")
	if !strings.Contains(text(page), "2 free, 0 assigned") || !strings.Contains(page, "/orders/"+c.unpaid+"/cancel") || strings.Contains(text(page), "hello") {
		t.Errorf("the company's account after the attempts:\n%s", text(page))
	}
	if _, page = c.owner.get("/shop/demo/account/managers?customer=" + c.id); !strings.Contains(text(page), "Max Test") || !strings.Contains(text(page), "pending@example.com") {
		t.Errorf("managers after the attempts:\n%s", text(page))
	}
	if code, _, _ := newBrowser(t, c.ts).do("GET", path, nil); code != http.StatusOK {
		t.Errorf("the pending invitation was withdrawn: %d", code)
	}
	// Anonymous: the same routes are closed (GET pages send to sign-in).
	anon := newBrowser(t, c.ts)
	for _, r := range routes {
		code, _, h := anon.do(r.method, r.path, r.form)
		if code != http.StatusNotFound && (code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/shop/demo/signin")) {
			t.Errorf("anonymous %s %s: %d %s", r.method, r.path, code, h.Get("Location"))
		}
	}
}

// TestRemovedManagerLosesAccess: the owner removes a manager, whose very
// next request on the company's pages and documents gets a 404; a manager may leave and
// no manager may remove another.
func TestRemovedManagerLosesAccess(t *testing.T) {
	c := newCompany(t)
	c.becomeOrganisation(t)
	max, maxRef := c.addManager(t, "Max", "max@example.com")
	lea, leaRef := c.addManager(t, "Lea", "lea@example.com")

	if code, _, _ := lea.do("POST", "/shop/demo/account/managers/"+maxRef+"/remove", url.Values{"customer": {c.id}}); code != http.StatusNotFound {
		t.Errorf("a manager removes another: %d", code)
	}
	if code, _ := max.get("/shop/demo/account?customer=" + c.id); code != http.StatusOK {
		t.Fatalf("manager before removal: %d", code)
	}
	doc := attachDocument(t, c.ts, c.shopID, c.id, 0, "contract.pdf", "application/pdf", "Contract", []byte("%PDF"))
	docPath := "/shop/demo/account/documents/" + doc + "?customer=" + c.id
	if _, page := max.get("/shop/demo/account?customer=" + c.id); !strings.Contains(page, `href="`+docPath+`"`) {
		t.Errorf("the manager does not see the company's document:\n%s", text(documentsRE.FindString(page)))
	}
	if code, body, _ := max.do("GET", docPath, nil); code != http.StatusOK || body != "%PDF" {
		t.Fatalf("manager's download before removal: %d", code)
	}

	_, page := c.owner.get("/shop/demo/account/managers?customer=" + c.id)
	if strings.Count(page, "/remove\"") != 2 {
		t.Errorf("the owner should be offered to remove both managers:\n%s", page)
	}
	if _, page = c.owner.post("/shop/demo/account/managers/"+maxRef+"/remove", url.Values{"customer": {c.id}}); !strings.Contains(text(page), "The manager is removed") ||
		strings.Contains(text(page), "Max Test") {
		t.Errorf("after removing:\n%s", text(page))
	}
	for _, r := range []struct {
		method, path string
		form         url.Values
	}{
		{"GET", "/shop/demo/account?customer=" + c.id, nil},
		{"GET", "/shop/demo/account/managers?customer=" + c.id, nil},
		{"GET", "/shop/demo/orders/" + c.unpaid, nil},
		{"POST", "/shop/demo/account/orders/" + c.unpaid + "/cancel", url.Values{"customer": {c.id}}},
		{"POST", "/shop/demo/account/seats/" + c.seats[0] + "/assign", url.Values{"customer": {c.id}, "first_name": {"A"}, "last_name": {"B"}, "email": {"a@example.com"}, "course": {"doc-100"}}},
		{"POST", "/shop/demo/account/seats/" + c.seats[0] + "/release", url.Values{"customer": {c.id}}},
		{"POST", "/shop/demo/account/support", url.Values{"customer": {c.id}, "body": {"still here?"}}},
		{"POST", "/shop/demo/account/managers/invite", url.Values{"customer": {c.id}, "email": {"x@example.com"}}},
		{"GET", docPath, nil},
		{"GET", "/shop/demo/account/documents/" + doc, nil},
	} {
		if code, _, _ := max.do(r.method, r.path, r.form); code != http.StatusNotFound {
			t.Errorf("removed manager %s %s: %d", r.method, r.path, code)
		}
	}
	if _, page = max.get("/shop/demo/account"); !strings.Contains(text(page), "You have not bought anything") || strings.Contains(page, c.unpaid) {
		t.Errorf("removed manager's account page:\n%s", text(page))
	}

	// Lea leaves by herself.
	_, page = lea.get("/shop/demo/account/managers?customer=" + c.id)
	if strings.Count(page, "/remove\"") != 1 || !strings.Contains(page, "/account/managers/"+leaRef+"/remove") {
		t.Errorf("Lea should only be offered to leave:\n%s", page)
	}
	if _, page = lea.post("/shop/demo/account/managers/"+leaRef+"/remove", url.Values{"customer": {c.id}}); !strings.Contains(text(page), "You no longer manage that account") {
		t.Errorf("after leaving:\n%s", text(page))
	}
	if code, _ := lea.get("/shop/demo/account?customer=" + c.id); code != http.StatusNotFound {
		t.Errorf("Lea after leaving: %d", code)
	}
	if trail := c.audit(t); !contains(trail, "customer.remove_manager by customer:"+c.id) || !contains(trail, "customer.remove_manager by lms_user:"+leaRef) {
		t.Errorf("audit of the removals: %v", trail)
	}
}

// TestCompanySwitch: a customer who also manages a company switches
// between the two support areas.
func TestCompanySwitch(t *testing.T) {
	c := newCompany(t)
	c.becomeOrganisation(t)
	ctx := context.Background()
	olga, olgaRef := lmsUser(t, c.ts, "Olga", "olga@example.com")
	own := &customer.Customer{ShopID: c.shopID, Contact: customer.Contact{Email: "olga@example.com", FirstName: "Olga", LastName: "Test", Country: "FR"}}
	if err := c.ts.store.SaveOwnCustomer(ctx, own, olgaRef); err != nil {
		t.Fatal(err)
	}
	path := c.invite(t, "olga@example.com")
	if code, _, _ := olga.do("POST", path, url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("accept: %d", code)
	}
	// Her own account comes first, with the switch.
	_, page := olga.get("/shop/demo/account")
	if !strings.Contains(text(page), "Accounts you manage: Olga Test Acme Formation (manager)") || strings.Contains(page, c.unpaid) ||
		!strings.Contains(page, "/account/profile") || strings.Contains(page, "acting-for") {
		t.Errorf("Olga's own account:\n%s", text(page))
	}
	_, page = olga.get("/shop/demo/account?customer=" + c.id)
	if !strings.Contains(page, c.unpaid) || !strings.Contains(page, `aria-current="page">Acme Formation`) || strings.Contains(page, "/account/profile") ||
		!strings.Contains(page, `name="customer" value="`+c.id+`"`) {
		t.Errorf("the company's account for Olga:\n%s", text(page))
	}
	// A seat form that fails keeps the company's support area.
	code, page, _ := olga.do("POST", "/shop/demo/account/seats/"+c.seats[1]+"/assign", url.Values{"customer": {c.id}, "first_name": {"Ana"}, "last_name": {"B"}, "email": {"ana@"}, "course": {"doc-100"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, c.unpaid) || !strings.Contains(page, `value="Ana"`) {
		t.Errorf("failed assignment: %d\n%s", code, text(page))
	}
	// Her personal data is hers alone.
	if _, body, _ := olga.do("GET", "/shop/demo/account/data", nil); !strings.Contains(body, "olga@example.com") || strings.Contains(body, c.unpaid) {
		t.Errorf("Olga's archive:\n%s", body)
	}
}
