package production_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"courseshop/internal/catalog"
	"courseshop/internal/customer"
	"courseshop/internal/lms"
	"courseshop/internal/lms/local"
	"courseshop/internal/mail"
	"courseshop/internal/money"
	"courseshop/internal/order"
	"courseshop/internal/order/orders"
	"courseshop/internal/payment"
	"courseshop/internal/production"
	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

type newStoreFunc = func(testing.TB, ...testkit.Option) *store.Store

// TestProduction runs production end to end (order service, engine, the
// built-in LMS connector) on SQLite and, when COURSESHOP_TEST_POSTGRES is
// set, on PostgreSQL.
func TestProduction(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		for name, fn := range map[string]func(*testing.T, *env){
			"SignedInBuyer":    testSignedInBuyer,
			"GuestKnownEmail":  testGuestKnownEmail,
			"GuestNewAccount":  testGuestNewAccount,
			"LMSDown":          testLMSDown,
			"PermanentFailure": testPermanentFailure,
			"Crash":            testCrash,
			"Race":             testRace,
			"Bundle":           testBundle,
			"SupportCourse":    testSupportCourse,
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				fn(t, newEnv(t, newStore))
			})
		}
	})
}

// faulty wraps the real connector: it makes the next Fail calls of the
// operations it guards fail with a retryable *lms.Error (the LMS is down),
// and records the enrolments the LMS accepted.
type faulty struct {
	lms.Connector
	mu       sync.Mutex
	fail     int
	enrols   map[string]lms.Enrolment // "course:user" → last accepted
	enrolN   int
	failures int
}

func (f *faulty) down() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail > 0 {
		f.fail--
		f.failures++
		return &lms.Error{Op: "enrol", Code: "unavailable", Message: "503 Service Unavailable", Retryable: true}
	}
	return nil
}

func (f *faulty) Enrol(ctx context.Context, e lms.Enrolment) error {
	if err := f.down(); err != nil {
		return err
	}
	if err := f.Connector.Enrol(ctx, e); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.enrols[fmt.Sprintf("%d:%s", e.CourseID, e.UserRef)] = e
	f.enrolN++
	return nil
}

type env struct {
	ctx      context.Context
	st       *store.Store
	clock    *testkit.Clock
	conn     *faulty
	outbox   *mail.Outbox
	svc      *orders.Service
	eng      *production.Engine
	shop     *catalog.Shop
	products map[string]*catalog.Product
	byID     map[int64]*catalog.Product
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func eur(t testing.TB, minor int64) money.Money {
	t.Helper()
	m, err := money.New(minor, "EUR")
	must(t, err)
	return m
}

func newEnv(t *testing.T, newStore newStoreFunc) *env {
	c := testkit.NewClock(time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC))
	st := newStore(t, testkit.WithClock(c.Now))
	var conn any = local.New(st)
	lc, ok := conn.(lms.Connector)
	if !ok {
		t.Skip("the built-in connector (lms/local) does not implement lms.Connector yet")
	}
	r, err := mail.New()
	must(t, err)
	e := &env{ctx: context.Background(), st: st, clock: c, conn: &faulty{Connector: lc, enrols: map[string]lms.Enrolment{}},
		outbox: mail.NewOutbox(r, true), products: map[string]*catalog.Product{}, byID: map[int64]*catalog.Product{}}
	e.eng, e.svc = e.newEngine()
	ctx := e.ctx
	cat := &catalog.Catalog{Code: "c", Name: "C"}
	must(t, st.CreateCatalog(ctx, cat))
	e.shop = &catalog.Shop{Code: "lab", Name: "Lab Formations", Currency: "EUR", CatalogID: cat.ID, DefaultLocale: "en",
		LMSConnector: "local", Enabled: true, PaymentModes: []string{"test"}, GuestPaymentModes: []string{"test"},
		TestMode: true, TestForEveryone: true, Seller: catalog.Seller{Name: "Lab SAS", Country: "FR", Email: "sales@lab.test"}}
	must(t, st.CreateShop(ctx, e.shop))
	add := func(p *catalog.Product) {
		p.CatalogID, p.Status, p.Audience = cat.ID, catalog.StatusAvailable, catalog.AudienceEveryone
		if p.Kind == "" {
			p.Kind = catalog.KindProduct
		}
		if p.SeatMode == "" {
			p.SeatMode = catalog.SeatNone
		}
		if p.Texts == nil {
			p.Texts = catalog.Texts{"en": {Name: p.Code}}
		}
		p.Prices = []catalog.Tier{{Unit: eur(t, 10000)}}
		must(t, st.CreateProduct(ctx, p))
		e.products[p.Code], e.byID[p.ID] = p, p
	}
	add(&catalog.Product{Code: "PM", Handler: production.HandlerEnrolOneCourse, Texts: catalog.Texts{"en": {Name: "Project management"}},
		HandlerParams: json.RawMessage(`{"course_shortname":"PM101","role":"student","duration_days":30,"group":"autumn"}`)})
	add(&catalog.Product{Code: "LIC", Handler: production.HandlerRegisteredProduct, HandlerParams: json.RawMessage(`{"duration_days":365}`)})
	add(&catalog.Product{Code: "BOOK"})
	add(&catalog.Product{Code: "MISSING", Handler: production.HandlerEnrolOneCourse, HandlerParams: json.RawMessage(`{"course_idnumber":"NOPE"}`)})
	add(&catalog.Product{Code: "PACK", Kind: catalog.KindBundle, Elements: []catalog.Element{
		{ProductID: e.products["PM"].ID, Quantity: 1}, {ProductID: e.products["LIC"].ID, Quantity: 2}, {ProductID: e.products["BOOK"].ID, Quantity: 1}}})
	_, err = e.conn.CreateCourse(ctx, lms.NewCourse{Fullname: "Project management 101", Shortname: "PM101", Visible: true}, nil)
	must(t, err)
	return e
}

// newEngine returns an engine and its order service on the env's
// database, as a node of the cluster would have.
func (e *env) newEngine() (*production.Engine, *orders.Service) {
	eng := production.New(e.st, lms.Only(e.conn), e.outbox, production.Options{Now: e.clock.Now, Backoff: time.Minute, MaxAttempts: 4,
		Lease: 5 * time.Minute, LMSURL: "https://lab.test"})
	svc := orders.New(e.st, payment.NewRegistry(payment.Builtin()...), orders.Options{Now: e.clock.Now, Production: eng})
	eng.UseOrders(svc)
	return eng, svc
}

// lead creates the shop's customer for email.
func (e *env) lead(t testing.TB, email, first, last string) *customer.Customer {
	t.Helper()
	c := &customer.Customer{ShopID: e.shop.ID, Contact: customer.Contact{Email: email, FirstName: first, LastName: last, Country: "FR", City: "Lyon"}, Locale: "fr"}
	_, err := e.st.SaveLead(e.ctx, c)
	must(t, err)
	return c
}

// place places and pays (test mode) an order of code → quantity pairs for
// customer c, signed in as userRef when not empty.
func (e *env) place(t testing.TB, c *customer.Customer, userRef string, lines ...any) *order.Order {
	t.Helper()
	in := orders.PlaceInput{Shop: e.shop, Elements: e.byID, CustomerID: c.ID, LMSUserRef: userRef,
		Customer:    order.Identity{FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, Country: "FR"},
		PaymentMode: "test", ModeContext: payment.ModeContext{SignedIn: userRef != ""}, Locale: "fr", Actor: "buyer"}
	for i := 0; i < len(lines); i += 2 {
		in.Lines = append(in.Lines, orders.PlaceLine{Product: e.products[lines[i].(string)], Quantity: lines[i+1].(int)})
	}
	o, err := e.svc.Place(e.ctx, in)
	must(t, err)
	if o.Status != order.StatusSoldout {
		t.Fatalf("placed order is %s, want SOLDOUT", o.Status)
	}
	return o
}

// drain runs due jobs until none is left, advancing the clock past each
// back-off; it returns the jobs run.
func (e *env) drain(t testing.TB, eng *production.Engine) int {
	t.Helper()
	total := 0
	for range 50 {
		n, err := eng.RunDue(e.ctx)
		if err != nil {
			t.Logf("RunDue: %v", err)
		}
		total += n
		if n == 0 {
			e.clock.Add(time.Hour) // past any back-off
			if n, _ = eng.RunDue(e.ctx); n == 0 {
				return total
			}
			total += n
		}
	}
	t.Fatal("jobs never ran out")
	return total
}

func (e *env) order(t testing.TB, id int64) *order.Order {
	t.Helper()
	o, err := e.st.OrderByID(e.ctx, id)
	must(t, err)
	return o
}

func (e *env) events(t testing.TB, id int64, kind order.EventKind) []order.Event {
	t.Helper()
	evs, err := e.st.OrderEvents(e.ctx, id)
	must(t, err)
	var out []order.Event
	for _, ev := range evs {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

func (e *env) mails(t testing.TB, to string) []*store.OutboxMail {
	t.Helper()
	ms, err := e.st.Mails(e.ctx, store.MailFilter{To: to})
	must(t, err)
	return ms
}

func (e *env) newUser(t testing.TB, username, email string) *lms.User {
	t.Helper()
	u, err := e.conn.CreateUser(e.ctx, lms.NewUser{Username: username, Email: email, Profile: lms.Profile{FirstName: "Old", LastName: "Owner", City: "Nantes"}})
	must(t, err)
	return u
}

func testSignedInBuyer(t *testing.T, e *env) {
	u := e.newUser(t, "ann", "ann@example.com")
	must(t, e.conn.UpdateProfile(e.ctx, u.Ref, lms.Profile{FirstName: "Old", LastName: "Owner", City: "Nantes", Department: "R&D"}))
	c := e.lead(t, "ann@example.com", "Ann", "Lee")
	o := e.place(t, c, u.Ref, "PM", 1, "LIC", 2, "BOOK", 1)
	base := e.clock.Now()
	if n := e.drain(t, e.eng); n != 3 { // prepay, PM, LIC (BOOK needs no job)
		t.Errorf("ran %d jobs, want 3", n)
	}
	got := e.order(t, o.ID)
	if got.Status != order.StatusComplete {
		t.Fatalf("order is %s, want COMPLETE; events %+v", got.Status, e.events(t, o.ID, order.EventProduction))
	}
	want := []order.Production{order.ProductionDone, order.ProductionDone, order.ProductionSkipped}
	for i, l := range got.Lines {
		if l.Production != want[i] {
			t.Errorf("line %d production %s, want %s", l.Position, l.Production, want[i])
		}
	}
	course, err := e.conn.Course(e.ctx, lms.CourseRef{Shortname: "PM101"})
	must(t, err)
	enr, ok := e.conn.enrols[fmt.Sprintf("%d:%s", course.ID, u.Ref)]
	if !ok || enr.Role != "student" || !enr.Start.Equal(base.Truncate(time.Second)) || !enr.End.Equal(base.Truncate(time.Second).AddDate(0, 0, 30)) {
		t.Errorf("enrolment %+v (found %v), want student from %s for 30 days", enr, ok, base)
	}
	ins, err := e.st.InstancesOfCustomer(e.ctx, c.ID)
	must(t, err)
	if len(ins) != 3 { // one enrolment, two licences
		t.Fatalf("%d instances, want 3", len(ins))
	}
	for _, in := range ins {
		if !store.ValidReference(in.Reference) || in.State != store.InstanceRunning || !in.Test {
			t.Errorf("instance %+v", in)
		}
		got, err := e.st.InstanceByReference(e.ctx, strings.ToLower(in.Reference))
		if err != nil || got.ID != in.ID {
			t.Errorf("InstanceByReference(%s) = %v, %v", in.Reference, got, err)
		}
	}
	if ins[0].LMSObjectType != store.LMSObjectEnrolment || ins[0].LMSObjectRef != fmt.Sprintf("%d:%s", course.ID, u.Ref) {
		t.Errorf("enrolment instance %+v", ins[0])
	}
	bound, err := e.st.CustomerByID(e.ctx, c.ID)
	must(t, err)
	if bound.LMSUserRef != u.Ref {
		t.Errorf("customer bound to %q, want %q", bound.LMSUserRef, u.Ref)
	}
	// C6: the details the signed-in buyer gave reach their LMS profile
	// ("Old Owner" of Nantes before); what the shop does not ask (the
	// department, set before the order) stays.
	wantCity := cmp.Or(got.Customer.City, "Nantes")
	if p, err := e.conn.UserByRef(e.ctx, u.Ref); err != nil || p.FirstName != "Ann" || p.LastName != "Lee" || p.City != wantCity ||
		p.Country != got.Customer.Country || p.Department != "R&D" {
		t.Errorf("LMS profile after production: %+v %v", p, err)
	}
	if evs := e.events(t, o.ID, order.EventProduction); len(evs) != 3 {
		t.Errorf("%d production events, want 3: %+v", len(evs), evs)
	}
	if ms := e.mails(t, "ann@example.com"); len(ms) != 1 || ms[0].Kind != mail.KindOrderPlaced && ms[0].Kind != "" {
		// Only what checkout sends (nothing here: placed directly): no
		// production mail for a signed-in buyer.
		for _, m := range ms {
			if m.Kind == mail.KindPurchaseNotice || m.Kind == mail.KindAccountCreated {
				t.Errorf("signed-in buyer got %s", m.Kind)
			}
		}
	}
}

func testGuestKnownEmail(t *testing.T, e *env) {
	u := e.newUser(t, "bob", "Bob@Example.com")
	c := e.lead(t, "bob@example.com", "Robert", "Guest")
	o := e.place(t, c, "", "PM", 1)
	e.drain(t, e.eng)
	if got := e.order(t, o.ID); got.Status != order.StatusComplete {
		t.Fatalf("order is %s", got.Status)
	}
	after, err := e.conn.UserByRef(e.ctx, u.Ref)
	must(t, err)
	if *after != *u {
		t.Errorf("account changed:\n%+v\n%+v", u, after)
	}
	course, _ := e.conn.Course(e.ctx, lms.CourseRef{Shortname: "PM101"})
	if _, ok := e.conn.enrols[fmt.Sprintf("%d:%s", course.ID, u.Ref)]; !ok {
		t.Error("the account's owner is not enrolled")
	}
	var notices int
	for _, m := range e.mails(t, "bob@example.com") {
		if m.Kind == mail.KindPurchaseNotice {
			notices++
		}
		if m.Kind == mail.KindAccountCreated {
			t.Error("password mail sent for an existing account")
		}
	}
	if notices != 1 {
		t.Errorf("%d purchase notices, want 1", notices)
	}
	// Retrying (e.g. after a later failure) never tells the owner twice.
	if bound, _ := e.st.CustomerByID(e.ctx, c.ID); bound.LMSUserRef != u.Ref {
		t.Errorf("customer bound to %q", bound.LMSUserRef)
	}
}

func testGuestNewAccount(t *testing.T, e *env) {
	e.newUser(t, "zoe", "other@example.com") // takes the base username
	c := e.lead(t, "Zoe@Example.com", "Zoé", "Martin")
	o := e.place(t, c, "", "PM", 1)
	e.drain(t, e.eng)
	if got := e.order(t, o.ID); got.Status != order.StatusComplete {
		t.Fatalf("order is %s", got.Status)
	}
	us, err := e.conn.UsersByEmail(e.ctx, "zoe@example.com")
	must(t, err)
	if len(us) != 1 || us[0].Username != "zoe2" || us[0].FirstName != "Zoé" {
		t.Fatalf("accounts %+v, want one zoe2", us)
	}
	ms := e.mails(t, "zoe@example.com")
	if len(ms) != 1 || ms[0].Kind != mail.KindAccountCreated || !strings.Contains(ms[0].Text, "https://lab.test/") ||
		!strings.Contains(ms[0].Text, "zoe2") || ms[0].Locale != "fr" {
		t.Fatalf("mails %+v", ms)
	}
	if bound, _ := e.st.CustomerByID(e.ctx, c.ID); bound.LMSUserRef != us[0].Ref {
		t.Errorf("customer bound to %q", bound.LMSUserRef)
	}
	if production.Username(" J.P+Dupont-Étienne@x.fr ") != "j.pdupont-tienne" || production.Username("@x") != "user" {
		t.Errorf("Username: %q", production.Username(" J.P+Dupont-Étienne@x.fr "))
	}
}

func testLMSDown(t *testing.T, e *env) {
	u := e.newUser(t, "cy", "cy@example.com")
	c := e.lead(t, "cy@example.com", "Cy", "Down")
	o := e.place(t, c, u.Ref, "PM", 1)
	e.conn.fail = 2
	start := e.clock.Now()
	var runs []time.Time
	for range 20 {
		n, _ := e.eng.RunDue(e.ctx)
		if n > 0 {
			runs = append(runs, e.clock.Now())
		}
		if e.order(t, o.ID).Status == order.StatusComplete {
			break
		}
		e.clock.Add(30 * time.Second)
	}
	if got := e.order(t, o.ID); got.Status != order.StatusComplete {
		t.Fatalf("order is %s", got.Status)
	}
	// prepay at once; PM fails at once, then after 1 min, then after 2 min.
	if len(runs) < 3 || runs[len(runs)-1].Sub(start) < 3*time.Minute {
		t.Errorf("runs at %v: want back-off of 1 then 2 minutes", runs)
	}
	evs := e.events(t, o.ID, order.EventProduction)
	var retries int
	for _, ev := range evs {
		if ev.Data["outcome"] == "retry" {
			retries++
		}
	}
	if retries != 2 || e.conn.failures != 2 {
		t.Errorf("%d retry events, %d failures; want 2", retries, e.conn.failures)
	}
}

func testPermanentFailure(t *testing.T, e *env) {
	u := e.newUser(t, "dan", "dan@example.com")
	c := e.lead(t, "dan@example.com", "Dan", "Fail")
	o := e.place(t, c, u.Ref, "MISSING", 1, "LIC", 1)
	e.drain(t, e.eng)
	got := e.order(t, o.ID)
	if got.Status != order.StatusFailed || got.Lines[0].Production != order.ProductionFailed ||
		!strings.Contains(got.Lines[0].ProductionError, "NOPE") || got.Lines[1].Production != order.ProductionDone {
		t.Fatalf("order %s, lines %+v", got.Status, got.Lines)
	}
	jobs, err := e.st.JobsOfOrder(e.ctx, o.ID)
	must(t, err)
	for _, j := range jobs {
		if j.LineID == got.Lines[0].ID && (j.Attempts != 1 || j.Status != store.JobFailed) {
			t.Errorf("permanent failure tried %d times, status %s", j.Attempts, j.Status)
		}
	}
	evs, _ := e.st.OrderEvents(e.ctx, o.ID)
	var failed *order.Event
	for i := range evs {
		if evs[i].To == order.StatusFailed {
			failed = &evs[i]
		}
	}
	if failed == nil || !strings.Contains(failed.Message, "NOPE") {
		t.Errorf("FAILED transition %+v", failed)
	}

	// The course is created; retrying produces the failed line only.
	_, err = e.conn.CreateCourse(e.ctx, lms.NewCourse{Fullname: "Nope", Shortname: "NOPE1", IDNumber: "NOPE", Visible: true}, nil)
	must(t, err)
	if _, err := e.eng.RetryOrder(e.ctx, o.ID, "user:1"); err != nil {
		t.Fatal(err)
	}
	e.drain(t, e.eng)
	if got := e.order(t, o.ID); got.Status != order.StatusComplete {
		t.Fatalf("after retry the order is %s", got.Status)
	}
	ins, _ := e.st.InstancesOfCustomer(e.ctx, c.ID)
	if len(ins) != 2 {
		t.Errorf("%d instances, want 2", len(ins))
	}
}

// testCrash: the engine dies after the LMS calls of a job, before its
// results are committed; a new engine on the same database produces every
// line exactly once.
func testCrash(t *testing.T, e *env) {
	c := e.lead(t, "eve@example.com", "Eve", "Crash")
	o := e.place(t, c, "", "PM", 1, "LIC", 1)
	crashed := map[string]bool{}
	e.eng.SetCrash(func(j *store.Job) bool {
		if crashed[j.Key] {
			return false
		}
		crashed[j.Key] = true
		return true
	})
	for range 3 { // prepay crashes; then each line
		if _, err := e.eng.RunDue(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(6 * time.Minute) // the dead worker's leases run out
	}
	fresh, _ := e.newEngine()
	e.drain(t, fresh)
	if got := e.order(t, o.ID); got.Status != order.StatusComplete {
		t.Fatalf("order is %s", got.Status)
	}
	us, _ := e.conn.UsersByEmail(e.ctx, "eve@example.com")
	if len(us) != 1 {
		t.Fatalf("%d accounts", len(us))
	}
	ms := e.mails(t, "eve@example.com")
	if len(ms) != 1 || ms[0].Kind != mail.KindAccountCreated {
		t.Errorf("mails %+v: want one password link (the account the crashed attempt created)", ms)
	}
	ins, _ := e.st.InstancesOfCustomer(e.ctx, c.ID)
	if len(ins) != 2 || len(e.conn.enrols) != 1 {
		t.Errorf("%d instances, %d enrolments; want 2 and 1", len(ins), len(e.conn.enrols))
	}
	if len(crashed) != 3 {
		t.Errorf("crashed %v", crashed)
	}
}

// testRace: two engines work on the same jobs at once.
func testRace(t *testing.T, e *env) {
	var ids []int64
	for i := range 4 {
		c := e.lead(t, fmt.Sprintf("r%d@example.com", i), "R", "Race")
		ids = append(ids, e.place(t, c, "", "PM", 1, "LIC", 2).ID)
	}
	a, _ := e.newEngine()
	b, _ := e.newEngine()
	var wg sync.WaitGroup
	for _, eng := range []*production.Engine{a, b} {
		wg.Go(func() {
			for range 30 {
				if _, err := eng.RunDue(e.ctx); err != nil && !errors.Is(err, context.Canceled) {
					t.Log(err)
				}
			}
		})
	}
	wg.Wait()
	e.drain(t, a)
	for i, id := range ids {
		if got := e.order(t, id); got.Status != order.StatusComplete {
			t.Errorf("order %d is %s", id, got.Status)
		}
		c, _ := e.st.CustomerByEmail(e.ctx, e.shop.ID, fmt.Sprintf("r%d@example.com", i))
		ins, _ := e.st.InstancesOfCustomer(e.ctx, c.ID)
		if len(ins) != 3 {
			t.Errorf("customer %d: %d instances, want 3", i, len(ins))
		}
		if ms := e.mails(t, c.Email); len(ms) != 1 {
			t.Errorf("customer %d: %d mails", i, len(ms))
		}
	}
}

func testBundle(t *testing.T, e *env) {
	u := e.newUser(t, "fay", "fay@example.com")
	c := e.lead(t, "fay@example.com", "Fay", "Pack")
	o := e.place(t, c, u.Ref, "PACK", 1)
	// The catalogue changes after the sale: production uses what was frozen.
	e.drain(t, e.eng)
	if got := e.order(t, o.ID); got.Status != order.StatusComplete {
		t.Fatalf("order is %s: %+v", got.Status, e.events(t, o.ID, order.EventProduction))
	}
	ins, _ := e.st.InstancesOfCustomer(e.ctx, c.ID)
	var keys []string
	for _, in := range ins {
		keys = append(keys, in.UnitKey)
	}
	if strings.Join(keys, ",") != "e1:buyer,e2:n1,e2:n2" {
		t.Errorf("unit keys %v", keys)
	}
}

func TestValidate(t *testing.T) {
	r := production.NewRegistry()
	for _, tc := range []struct {
		handler, params string
		ok              bool
	}{
		{"", "", true},
		{production.HandlerEnrolOneCourse, `{"course_idnumber":"X"}`, true},
		{production.HandlerEnrolOneCourse, `{"course_shortname":"X","role":"teacher","start":"2026-01-01","end":"2026-06-30","group":"g"}`, true},
		{production.HandlerEnrolOneCourse, `{}`, false},
		{production.HandlerEnrolOneCourse, `{"course_id":1,"course_shortname":"X"}`, false},
		{production.HandlerEnrolOneCourse, `{"course_id":1,"duration_days":10,"end":"2027-01-01"}`, false},
		{production.HandlerEnrolOneCourse, `{"course_id":1,"start":"2026-02-01","end":"2026-01-01"}`, false},
		{production.HandlerEnrolOneCourse, `{"course_id":1,"coarse":"typo"}`, false},
		{production.HandlerRegisteredProduct, `{"duration_days":365,"data":{"edition":"pro"}}`, true},
		{production.HandlerRegisteredProduct, `[]`, false},
		{"nope", `{}`, false},
	} {
		err := r.Validate(tc.handler, json.RawMessage(tc.params))
		if (err == nil) != tc.ok {
			t.Errorf("%s %s: %v", tc.handler, tc.params, err)
		}
	}
}

// testSupportCourse (C7): the buyer is enrolled in the shop's support
// course, without end, when their orders are produced (two orders here:
// the second enrolment is the same upsert); a support course the LMS
// lacks is noted and holds nothing up.
func testSupportCourse(t *testing.T, e *env) {
	help, err := e.conn.CreateCourse(e.ctx, lms.NewCourse{Fullname: "Customer support", Shortname: "HELP", IDNumber: "help", Visible: true}, nil)
	must(t, err)
	e.shop.SupportCourseRef = "help"
	must(t, e.st.UpsertShop(e.ctx, e.shop))
	c := e.lead(t, "sam@example.com", "Sam", "Support")
	o1 := e.place(t, c, "", "BOOK", 1)
	o2 := e.place(t, c, "", "BOOK", 1)
	e.drain(t, e.eng)
	for _, id := range []int64{o1.ID, o2.ID} {
		if got := e.order(t, id); got.Status != order.StatusComplete {
			t.Fatalf("order %d is %s", id, got.Status)
		}
	}
	us, err := e.conn.UsersByEmail(e.ctx, "sam@example.com")
	must(t, err)
	if len(us) != 1 {
		t.Fatalf("%d accounts for sam", len(us))
	}
	en, ok := e.enrolment(t, us[0].Ref, help)
	if !ok || en.Role != production.SupportRole || !en.End.IsZero() {
		t.Fatalf("support enrolment %+v (%v)", en, ok)
	}
	if evs := e.events(t, o1.ID, order.EventProduction); !strings.Contains(fmt.Sprint(evs), "support course: enrolled in HELP") {
		t.Errorf("order history: %+v", evs)
	}

	e.shop.SupportCourseRef = "gone"
	must(t, e.st.UpsertShop(e.ctx, e.shop))
	o3 := e.place(t, c, "", "BOOK", 1)
	e.drain(t, e.eng)
	if got := e.order(t, o3.ID); got.Status != order.StatusComplete {
		t.Fatalf("with a missing support course the order is %s", got.Status)
	}
	if evs := e.events(t, o3.ID, order.EventProduction); !strings.Contains(fmt.Sprint(evs), `no course with idnumber "gone"`) {
		t.Errorf("order history: %+v", evs)
	}
}
