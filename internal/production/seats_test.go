package production_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"courseshop/internal/catalog"
	"courseshop/internal/customer"
	"courseshop/internal/lms"
	"courseshop/internal/lms/local"
	"courseshop/internal/mail"
	"courseshop/internal/order"
	"courseshop/internal/order/orders"
	"courseshop/internal/payment"
	"courseshop/internal/production"
	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

// TestSeatsAndSessions runs the seat_pool and session handlers end to end
// on both engines.
func TestSeatsAndSessions(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		for name, fn := range map[string]func(*testing.T, *env){
			"SeatPool":             testSeatPool,
			"SeatPoolParticipants": testSeatPoolParticipants,
			"Session":              testSession,
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				fn(t, newEnv(t, newStore))
			})
		}
	})
}

// addProduct adds an available product priced 100 EUR to the env's catalogue.
func (e *env) addProduct(t testing.TB, p *catalog.Product) {
	t.Helper()
	p.CatalogID, p.Status, p.Audience, p.Kind, p.SeatMode = e.shop.CatalogID, catalog.StatusAvailable, catalog.AudienceEveryone,
		catalog.KindProduct, catalog.SeatPerUnit
	p.Texts = catalog.Texts{"en": {Name: p.Code}}
	p.Prices = []catalog.Tier{{Unit: eur(t, 10000)}}
	must(t, e.st.CreateProduct(e.ctx, p))
	e.products[p.Code], e.byID[p.ID] = p, p
}

// course creates an LMS course with that idnumber (also its short name).
func (e *env) course(t testing.TB, idnumber string) *lms.Course {
	t.Helper()
	c, err := e.conn.CreateCourse(e.ctx, lms.NewCourse{Fullname: idnumber, Shortname: idnumber, IDNumber: idnumber, Visible: true}, nil)
	must(t, err)
	return c
}

// placeWith places and pays one line of code × qty naming participants.
func (e *env) placeWith(t testing.TB, c *customer.Customer, userRef, code string, qty int, ps ...order.Participant) *order.Order {
	t.Helper()
	in := orders.PlaceInput{Shop: e.shop, Elements: e.byID, CustomerID: c.ID, LMSUserRef: userRef,
		Customer:    order.Identity{FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, Country: "FR"},
		PaymentMode: "test", ModeContext: payment.ModeContext{SignedIn: userRef != ""}, Locale: "fr", Actor: "buyer",
		Lines: []orders.PlaceLine{{Product: e.products[code], Quantity: qty, Participants: ps}}}
	o, err := e.svc.Place(e.ctx, in)
	must(t, err)
	return o
}

// enrolment returns the built-in LMS's enrolment of userRef in course, if any.
func (e *env) enrolment(t testing.TB, userRef string, course *lms.Course) (local.EnrolmentInfo, bool) {
	t.Helper()
	es, err := e.conn.Connector.(*local.Connector).Enrolments(e.ctx, userRef)
	must(t, err)
	for _, en := range es {
		if en.Course.ID == course.ID {
			return en, true
		}
	}
	return local.EnrolmentInfo{}, false
}

func (e *env) seats(t testing.TB, customerID int64) []production.SeatInfo {
	t.Helper()
	s, err := e.eng.Seats(e.ctx, customerID)
	must(t, err)
	return s
}

func free(ss []production.SeatInfo) (n int) {
	for _, s := range ss {
		if !s.Assigned {
			n++
		}
	}
	return n
}

func testSeatPool(t *testing.T, e *env) {
	sec1, sec2 := e.course(t, "SEC1"), e.course(t, "SEC2")
	e.course(t, "OTHER")
	e.addProduct(t, &catalog.Product{Code: "POOL", Handler: production.HandlerSeatPool,
		HandlerParams: json.RawMessage(`{"course_idnumbers":["SEC1","SEC2"],"role":"student","duration_days":90}`)})
	u := e.newUser(t, "hr", "hr@example.com")
	c := e.lead(t, "hr@example.com", "Hana", "Rh")
	o := e.placeWith(t, c, u.Ref, "POOL", 3)
	e.drain(t, e.eng)
	if got := e.order(t, o.ID); got.Status != order.StatusComplete {
		t.Fatalf("order is %s: %+v", got.Status, e.events(t, o.ID, order.EventProduction))
	}
	ss := e.seats(t, c.ID)
	if len(ss) != 3 || free(ss) != 3 {
		t.Fatalf("seats %+v, want 3 free", ss)
	}
	if s := ss[0]; s.Role != "student" || s.DurationDays != 90 || len(s.Courses) != 2 || s.State != store.InstancePending {
		t.Errorf("seat %+v", s)
	}

	// Idempotence: the line job run again produces nothing more.
	jobs, err := e.st.JobsOfOrder(e.ctx, o.ID)
	must(t, err)
	requeued := 0
	for _, j := range jobs {
		if j.Kind == production.KindLine {
			ok, err := e.st.RequeueJob(e.ctx, j.ID, e.clock.Now())
			must(t, err)
			if ok {
				requeued++
			}
		}
	}
	if requeued != 1 {
		t.Fatalf("requeued %d line jobs, want 1", requeued)
	}
	if n := e.drain(t, e.eng); n != 1 {
		t.Errorf("second run: %d jobs, want 1", n)
	}
	if ss := e.seats(t, c.ID); len(ss) != 3 {
		t.Fatalf("%d seats after a second run, want 3", len(ss))
	}

	// Outside the pool's courses: refused.
	ann := order.Participant{FirstName: "Ann", LastName: "Lee", Email: "ann@example.com"}
	if err := e.eng.AssignSeat(e.ctx, ss[0].Reference, ann, "OTHER", "user:1"); !errors.Is(err, production.ErrCourseNotAllowed) {
		t.Fatalf("AssignSeat(OTHER) = %v, want ErrCourseNotAllowed", err)
	}
	// Two assignments: a new account, an existing one.
	bob := e.newUser(t, "bob", "bob@example.com")
	must(t, e.eng.AssignSeat(e.ctx, ss[0].Reference, ann, "SEC1", "user:1"))
	must(t, e.eng.AssignSeat(e.ctx, ss[1].Reference, order.Participant{FirstName: "Bob", LastName: "B", Email: "bob@example.com"}, "SEC2", "user:1"))
	if err := e.eng.AssignSeat(e.ctx, ss[1].Reference, ann, "SEC1", "user:1"); !errors.Is(err, production.ErrSeatAssigned) {
		t.Errorf("assigning an assigned seat: %v, want ErrSeatAssigned", err)
	}
	us, err := e.conn.UsersByEmail(e.ctx, "ann@example.com")
	must(t, err)
	if len(us) != 1 {
		t.Fatalf("%d accounts for ann", len(us))
	}
	now := e.clock.Now().Truncate(time.Second)
	if en, ok := e.enrolment(t, us[0].Ref, sec1); !ok || en.Role != "student" || !en.Start.Equal(now) || !en.End.Equal(now.AddDate(0, 0, 90)) {
		t.Errorf("ann's enrolment %+v (%v)", en, ok)
	}
	if en, ok := e.enrolment(t, bob.Ref, sec2); !ok || en.Role != "student" {
		t.Errorf("bob's enrolment %+v (%v)", en, ok)
	}
	var created int
	for _, m := range e.mails(t, "ann@example.com") {
		if m.Kind == mail.KindAccountCreated {
			created++
		}
	}
	if created != 1 {
		t.Errorf("%d password mails for ann, want 1", created)
	}
	// The shop records the account it created, as a learner's made for the
	// pool's customer; bob's own account is not the shop's.
	if a, err := e.st.ShopAccountByRef(e.ctx, e.shop.Site().Key(), us[0].Ref); err != nil || a.Role != store.CreatedForLearner || a.CustomerID != c.ID {
		t.Errorf("record of ann's account: %+v, %v", a, err)
	}
	if _, err := e.st.ShopAccountByRef(e.ctx, e.shop.Site().Key(), bob.Ref); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bob's account recorded as the shop's: %v", err)
	}
	ss = e.seats(t, c.ID)
	if free(ss) != 1 || ss[0].LearnerRef != us[0].Ref || ss[0].Course != "SEC1" || ss[0].LearnerEmail != "ann@example.com" ||
		ss[0].State != store.InstanceRunning {
		t.Fatalf("seats %+v", ss)
	}

	// Release before the start (no time has passed): unenrolled, free again.
	must(t, e.eng.ReleaseSeat(e.ctx, ss[0].Reference, "user:1"))
	if _, ok := e.enrolment(t, us[0].Ref, sec1); ok {
		t.Error("ann still enrolled after release")
	}
	ss = e.seats(t, c.ID)
	if free(ss) != 2 || ss[0].Assigned || !ss[0].Start.IsZero() {
		t.Fatalf("seats after release %+v", ss)
	}
	if err := e.eng.ReleaseSeat(e.ctx, ss[0].Reference, "user:1"); !errors.Is(err, production.ErrSeatFree) {
		t.Errorf("releasing a free seat: %v", err)
	}
	in, err := e.st.InstanceByReference(e.ctx, ss[0].Reference)
	must(t, err)
	evs, err := e.st.InstanceEvents(e.ctx, in.ID)
	must(t, err)
	var kinds []string
	for _, ev := range evs {
		kinds = append(kinds, ev.Kind)
	}
	if fmt.Sprint(kinds) != "[billed seat_assigned seat_released]" {
		t.Errorf("events %v", kinds)
	}

	// Release after the start: refused, bob stays enrolled.
	e.clock.Add(time.Minute)
	if err := e.eng.ReleaseSeat(e.ctx, ss[1].Reference, "user:1"); !errors.Is(err, production.ErrSeatStarted) {
		t.Errorf("release after start: %v, want ErrSeatStarted", err)
	}
	if _, ok := e.enrolment(t, bob.Ref, sec2); !ok {
		t.Error("bob unenrolled by a refused release")
	}
	if s := e.seats(t, c.ID)[1]; !s.Locked {
		t.Errorf("bob's started seat is not locked: %+v", s)
	}
	// The freed seat can be given again.
	must(t, e.eng.AssignSeat(e.ctx, ss[0].Reference, ann, "SEC2", "user:1"))
	if free(e.seats(t, c.ID)) != 1 {
		t.Error("re-assigning the freed seat")
	}
	if err := e.eng.AssignSeat(e.ctx, "0000-0000-0000-0000", ann, "SEC1", "user:1"); !errors.Is(err, production.ErrNotSeat) {
		t.Errorf("unknown seat: %v", err)
	}
	if s := e.seats(t, c.ID)[0]; s.Locked {
		t.Errorf("a seat assigned just now is locked: %+v", s)
	}

	hist, err := e.eng.SeatHistory(e.ctx, c.ID)
	must(t, err)
	var got []string
	for _, h := range hist {
		got = append(got, fmt.Sprintf("%s %s %s %s %s", h.Reference, h.Kind, h.Email, h.Course, h.Actor))
	}
	want := []string{
		ss[0].Reference + " seat_assigned ann@example.com SEC1 user:1",
		ss[1].Reference + " seat_assigned bob@example.com SEC2 user:1",
		ss[0].Reference + " seat_released ann@example.com SEC1 user:1",
		ss[0].Reference + " seat_assigned ann@example.com SEC2 user:1",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("seat history\n got %q\nwant %q", got, want)
	}
	// Another customer's history is their own.
	other := e.lead(t, "other@example.com", "Oth", "Er")
	if hist, err := e.eng.SeatHistory(e.ctx, other.ID); err != nil || len(hist) != 0 {
		t.Errorf("another customer's seat history: %v %v", hist, err)
	}
}

func testSeatPoolParticipants(t *testing.T, e *env) {
	sec1 := e.course(t, "SEC1")
	e.addProduct(t, &catalog.Product{Code: "POOL2", Handler: production.HandlerSeatPool,
		HandlerParams: json.RawMessage(`{"course_idnumbers":["SEC1"],"pack_size":2,"role":"editingteacher"}`)})
	c := e.lead(t, "boss@example.com", "Boss", "Co")
	o := e.placeWith(t, c, "", "POOL2", 1, order.Participant{FirstName: "Cy", LastName: "P", Email: "cy@example.com"})
	e.drain(t, e.eng)
	if got := e.order(t, o.ID); got.Status != order.StatusComplete {
		t.Fatalf("order is %s: %+v", got.Status, e.events(t, o.ID, order.EventProduction))
	}
	ss := e.seats(t, c.ID)
	if len(ss) != 2 || free(ss) != 1 || !ss[0].Assigned || ss[0].LearnerEmail != "cy@example.com" {
		t.Fatalf("seats %+v", ss)
	}
	if en, ok := e.enrolment(t, ss[0].LearnerRef, sec1); !ok || en.Role != "editingteacher" || !en.End.IsZero() {
		t.Errorf("participant's enrolment %+v (%v)", en, ok)
	}
}

func testSession(t *testing.T, e *env) {
	course := e.course(t, "SESS")
	e.addProduct(t, &catalog.Product{Code: "SESSION", Handler: production.HandlerSession,
		HandlerParams: json.RawMessage(`{"course_idnumber":"SESS","start":"2027-01-10","end":"2027-01-12","supervisor_role":"editingteacher"}`)})
	u := e.newUser(t, "mgr", "mgr@example.com")
	c := e.lead(t, "mgr@example.com", "Mia", "Manager")
	o := e.placeWith(t, c, u.Ref, "SESSION", 2,
		order.Participant{FirstName: "Dee", LastName: "One", Email: "dee@example.com"},
		order.Participant{FirstName: "Eli", LastName: "Two", Email: "eli@example.com"})
	e.drain(t, e.eng)
	if got := e.order(t, o.ID); got.Status != order.StatusComplete {
		t.Fatalf("order is %s: %+v", got.Status, e.events(t, o.ID, order.EventProduction))
	}
	start := time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC)
	end := time.Date(2027, 1, 12, 23, 59, 59, 0, time.UTC)
	for _, email := range []string{"dee@example.com", "eli@example.com"} {
		us, err := e.conn.UsersByEmail(e.ctx, email)
		must(t, err)
		if len(us) != 1 {
			t.Fatalf("%d accounts for %s", len(us), email)
		}
		if en, ok := e.enrolment(t, us[0].Ref, course); !ok || en.Role != "student" || !en.Start.Equal(start) || !en.End.Equal(end) {
			t.Errorf("%s enrolment %+v (%v)", email, en, ok)
		}
	}
	if en, ok := e.enrolment(t, u.Ref, course); !ok || en.Role != "editingteacher" || !en.Start.Equal(start) {
		t.Errorf("supervisor enrolment %+v (%v)", en, ok)
	}
	ins, err := e.st.InstancesOfCustomer(e.ctx, c.ID)
	must(t, err)
	if len(ins) != 2 || ins[0].UnitKey != "p1" || ins[1].UnitKey != "p2" || ins[0].State != store.InstancePending ||
		!ins[0].Start.Equal(start) || ins[0].LMSObjectType != store.LMSObjectEnrolment {
		t.Fatalf("instances %+v", ins)
	}
}

func TestValidateSeatsAndSessions(t *testing.T) {
	r := production.NewRegistry()
	for _, tc := range []struct {
		handler, params string
		ok              bool
	}{
		{production.HandlerSeatPool, `{"course_idnumbers":["A"]}`, true},
		{production.HandlerSeatPool, `{"course_idnumbers":["A","B"],"pack_size":5,"role":"teacher","duration_days":30}`, true},
		{production.HandlerSeatPool, `{}`, false},
		{production.HandlerSeatPool, `{"course_idnumbers":[]}`, false},
		{production.HandlerSeatPool, `{"course_idnumbers":[""]}`, false},
		{production.HandlerSeatPool, `{"course_idnumbers":["A"],"pack_size":0}`, false},
		{production.HandlerSeatPool, `{"course_idnumbers":["A"],"pack_size":-2}`, false},
		{production.HandlerSeatPool, `{"course_idnumbers":["A"],"duration_days":-1}`, false},
		{production.HandlerSeatPool, `{"course_idnumbers":["A"],"size":2}`, false},
		{production.HandlerSession, `{"course_idnumber":"S","start":"2027-01-10","end":"2027-01-12"}`, true},
		{production.HandlerSession, `{"course_idnumber":"S","start":"2027-01-10","end":"2027-01-10","supervisor_role":"editingteacher"}`, true},
		{production.HandlerSession, `{"start":"2027-01-10","end":"2027-01-12"}`, false},
		{production.HandlerSession, `{"course_idnumber":"S","end":"2027-01-12"}`, false},
		{production.HandlerSession, `{"course_idnumber":"S","start":"2027-01-10"}`, false},
		{production.HandlerSession, `{"course_idnumber":"S","start":"2027-13-10","end":"2027-01-12"}`, false},
		{production.HandlerSession, `{"course_idnumber":"S","start":"2027-01-12","end":"2027-01-10"}`, false},
		{production.HandlerSession, `{"course_idnumber":"S","start":"2027-01-10","end":"2027-01-12","duration_days":3}`, false},
	} {
		err := r.Validate(tc.handler, json.RawMessage(tc.params))
		if (err == nil) != tc.ok {
			t.Errorf("%s %s: %v", tc.handler, tc.params, err)
		}
		if err != nil && !errors.Is(err, production.ErrInvalidParams) {
			t.Errorf("%s %s: %v is not ErrInvalidParams", tc.handler, tc.params, err)
		}
	}
}
