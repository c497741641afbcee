package production_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"courseshop/internal/catalog"
	"courseshop/internal/lms"
	"courseshop/internal/mail"
	"courseshop/internal/order"
	"courseshop/internal/order/orders"
	"courseshop/internal/payment"
	"courseshop/internal/production"
	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

// TestLifecycle runs the lifecycle of product instances and accounts
// (states over time, deletion, renewal reminders, rule C8, the daily job)
// on both engines, with the test clock.
func TestLifecycle(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		for name, fn := range map[string]func(*testing.T, *env){
			"States":            testStatesOverTime,
			"DeleteEnrolment":   testDeleteEnrolment,
			"DeleteSeat":        testDeleteSeat,
			"DeleteRole":        testDeleteRoleAndCourse,
			"RenewalReminder":   testRenewalReminder,
			"ReminderExtended":  testReminderAfterExtension,
			"AccountSuspension": testAccountSuspension,
			"DailyJob":          testDailyJob,
			"RunSchedules":      testRunSchedules,
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				fn(t, newEnv(t, newStore))
			})
		}
	})
}

const day = 24 * time.Hour

// lifecycleEngine returns an engine (a node) with the lifecycle options
// the tests use: expiring 7 days before the end, reminders 14 days
// before, accounts suspended 30 days after their last product.
func (e *env) lifecycleEngine() *production.Engine {
	eng := production.New(e.st, lms.Only(e.conn), e.outbox, production.Options{Now: e.clock.Now, Backoff: time.Minute, MaxAttempts: 4,
		ExpiringDays: 7, ReminderDays: 14, AccountGrace: 30 * day, ShopURL: "https://shop.lab.test/", LMSURL: "https://lab.test", LifecycleCheck: -1})
	eng.UseOrders(orders.New(e.st, payment.NewRegistry(payment.Builtin()...), orders.Options{Now: e.clock.Now, Production: eng}))
	return eng
}

func (e *env) lifecycle(t testing.TB, eng *production.Engine) production.LifecycleReport {
	t.Helper()
	rep, err := eng.RunLifecycle(e.ctx)
	must(t, err)
	return rep
}

func (e *env) instances(t testing.TB, customerID int64) []*store.Instance {
	t.Helper()
	ins, err := e.st.InstancesOfCustomer(e.ctx, customerID)
	must(t, err)
	return ins
}

func (e *env) instance(t testing.TB, ref string) *store.Instance {
	t.Helper()
	in, err := e.st.InstanceByReference(e.ctx, ref)
	must(t, err)
	return in
}

// eventKinds returns the kinds of an instance's events, oldest first.
func (e *env) eventKinds(t testing.TB, ref string) ([]string, []store.InstanceEvent) {
	t.Helper()
	evs, err := e.st.InstanceEvents(e.ctx, e.instance(t, ref).ID)
	must(t, err)
	var kinds []string
	for _, ev := range evs {
		kinds = append(kinds, ev.Kind)
	}
	return kinds, evs
}

func states(ins []*store.Instance) []store.InstanceState {
	var out []store.InstanceState
	for _, in := range ins {
		out = append(out, in.State)
	}
	return out
}

func testStatesOverTime(t *testing.T, e *env) {
	lc := e.lifecycleEngine()
	e.course(t, "SESS1")
	e.addProduct(t, &catalog.Product{Code: "SESS", Handler: production.HandlerSession,
		HandlerParams: json.RawMessage(`{"course_idnumber":"SESS1","start":"2026-12-10","end":"2027-01-20"}`)})
	e.addProduct(t, &catalog.Product{Code: "POOL", Handler: production.HandlerSeatPool, HandlerParams: json.RawMessage(`{"course_idnumbers":["SESS1"]}`)})
	u := e.newUser(t, "ann", "ann@example.com")
	c := e.lead(t, "ann@example.com", "Ann", "Lee")
	e.place(t, c, u.Ref, "PM", 1, "SESS", 1, "LIC", 1, "POOL", 1)
	e.drain(t, e.eng)
	// PM (30 days), the session (from 10 December), the licence (365
	// days), a free seat.
	want := []store.InstanceState{store.InstanceRunning, store.InstancePending, store.InstanceRunning, store.InstancePending}
	if got := states(e.instances(t, c.ID)); !slices.Equal(got, want) {
		t.Fatalf("states after production %v, want %v", got, want)
	}
	if rep := e.lifecycle(t, lc); rep.States != 0 {
		t.Errorf("a pass at once changed %d states", rep.States)
	}

	// 24 days later PM ends within 7 days and the session has begun.
	e.clock.Add(24 * day)
	if rep := e.lifecycle(t, lc); rep.States != 2 {
		t.Errorf("pass at day 24 changed %d states, want 2", rep.States)
	}
	want = []store.InstanceState{store.InstanceExpiring, store.InstanceRunning, store.InstanceRunning, store.InstancePending}
	ins := e.instances(t, c.ID)
	if got := states(ins); !slices.Equal(got, want) {
		t.Fatalf("states at day 24 %v, want %v", got, want)
	}
	kinds, evs := e.eventKinds(t, ins[0].Reference)
	if !slices.Equal(kinds, []string{store.InstanceEventBilled, store.InstanceEventStateChanged}) || evs[1].Actor != production.LifecycleActor ||
		evs[1].Data["from"] != "running" || evs[1].Data["to"] != "expiring" || !evs[1].At.Equal(e.clock.Now()) {
		t.Errorf("PM's events %v %+v", kinds, evs)
	}
	// The same day again: nothing.
	if rep := e.lifecycle(t, lc); rep != (production.LifecycleReport{}) {
		t.Errorf("second pass of the day: %+v", rep)
	}
	if kinds, _ := e.eventKinds(t, ins[0].Reference); len(kinds) != 2 {
		t.Errorf("second pass added events: %v", kinds)
	}

	// A week later PM has ended.
	e.clock.Add(7 * day)
	if rep := e.lifecycle(t, lc); rep.States != 1 {
		t.Errorf("pass at day 31 changed %d states, want 1", rep.States)
	}
	want = []store.InstanceState{store.InstanceExpired, store.InstanceRunning, store.InstanceRunning, store.InstancePending}
	if got := states(e.instances(t, c.ID)); !slices.Equal(got, want) {
		t.Errorf("states at day 31 %v, want %v", got, want)
	}
}

// pmCourse is the course of the env's PM product.
func (e *env) pmCourse(t testing.TB) *lms.Course {
	t.Helper()
	c, err := e.conn.Course(e.ctx, lms.CourseRef{Shortname: "PM101"})
	must(t, err)
	return c
}

func testDeleteEnrolment(t *testing.T, e *env) {
	lc := e.lifecycleEngine()
	u := e.newUser(t, "ann", "ann@example.com")
	c := e.lead(t, "ann@example.com", "Ann", "Lee")
	e.place(t, c, u.Ref, "PM", 1)
	e.drain(t, e.eng)
	in := e.instances(t, c.ID)[0]
	course := e.pmCourse(t)

	if err := lc.SoftDeleteInstance(e.ctx, "AAAA-AAAA-AAAA-AA00", "user:1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("soft delete of an unknown reference: %v", err)
	}
	must(t, lc.SoftDeleteInstance(e.ctx, in.Reference, "user:1"))
	if en, ok := e.enrolment(t, u.Ref, course); !ok || !en.Suspended || !en.End.Equal(in.End) {
		t.Errorf("enrolment after soft delete %+v (%v), want suspended with its period", en, ok)
	}
	got := e.instance(t, in.Reference)
	if !got.Deleted || got.State != store.InstanceDeleted {
		t.Errorf("instance after soft delete %+v", got)
	}
	must(t, lc.SoftDeleteInstance(e.ctx, in.Reference, "user:1")) // again: nothing
	// The lifecycle pass leaves deleted instances alone.
	e.clock.Add(40 * day)
	e.lifecycle(t, lc)
	if got := e.instance(t, in.Reference); got.State != store.InstanceDeleted {
		t.Errorf("the pass moved a deleted instance to %s", got.State)
	}

	must(t, lc.RestoreInstance(e.ctx, in.Reference, "user:2"))
	if en, ok := e.enrolment(t, u.Ref, course); !ok || en.Suspended || !en.Start.Equal(in.Start) || !en.End.Equal(in.End) || en.Role != "student" {
		t.Errorf("enrolment after restore %+v (%v), want active from %s to %s", en, ok, in.Start, in.End)
	}
	if got := e.instance(t, in.Reference); got.Deleted || got.State != store.InstanceExpired { // its 30 days are over
		t.Errorf("instance after restore %+v", got)
	}
	must(t, lc.RestoreInstance(e.ctx, in.Reference, "user:2")) // again: nothing

	must(t, lc.DeleteInstance(e.ctx, in.Reference, "user:3"))
	if en, ok := e.enrolment(t, u.Ref, course); ok {
		t.Errorf("still enrolled after delete: %+v", en)
	}
	if err := lc.RestoreInstance(e.ctx, in.Reference, "user:2"); !errors.Is(err, production.ErrDeletedForGood) {
		t.Errorf("restore after delete: %v", err)
	}
	must(t, lc.DeleteInstance(e.ctx, in.Reference, "user:3"))     // again: nothing
	must(t, lc.SoftDeleteInstance(e.ctx, in.Reference, "user:3")) // deleted already: nothing
	kinds, evs := e.eventKinds(t, in.Reference)
	want := []string{store.InstanceEventBilled, store.InstanceEventSoftDeleted, store.InstanceEventRestored, store.InstanceEventDeleted}
	if !slices.Equal(kinds, want) {
		t.Fatalf("events %v, want %v", kinds, want)
	}
	if evs[1].Actor != "user:1" || evs[1].Data["lms"] != "enrolment suspended" || evs[1].Data["from"] != "running" ||
		evs[2].Actor != "user:2" || evs[2].Data["to"] != "expired" || evs[3].Actor != "user:3" || evs[3].Data["lms"] != "unenrolled" {
		t.Errorf("events %+v", evs)
	}

	// An enrolment two instances grant stays while one of them lives.
	e.place(t, c, u.Ref, "PM", 1)
	e.place(t, c, u.Ref, "PM", 1)
	e.drain(t, e.eng)
	ins := e.instances(t, c.ID)[1:]
	must(t, lc.SoftDeleteInstance(e.ctx, ins[0].Reference, "user:1"))
	if en, ok := e.enrolment(t, u.Ref, course); !ok || en.Suspended {
		t.Errorf("enrolment another instance grants: %+v (%v)", en, ok)
	}
	// Deleting the live one while the other may be restored: suspended,
	// not unenrolled (the learner's progress stays).
	must(t, lc.DeleteInstance(e.ctx, ins[1].Reference, "user:1"))
	if en, ok := e.enrolment(t, u.Ref, course); !ok || !en.Suspended {
		t.Errorf("enrolment a soft-deleted instance may restore: %+v (%v), want suspended", en, ok)
	}
	must(t, lc.DeleteInstance(e.ctx, ins[0].Reference, "user:1"))
	if en, ok := e.enrolment(t, u.Ref, course); ok {
		t.Errorf("enrolment after both deleted: %+v", en)
	}
}

func testDeleteSeat(t *testing.T, e *env) {
	lc := e.lifecycleEngine()
	sec := e.course(t, "SEC1")
	e.addProduct(t, &catalog.Product{Code: "POOL", Handler: production.HandlerSeatPool,
		HandlerParams: json.RawMessage(`{"course_idnumbers":["SEC1"],"duration_days":60}`)})
	u := e.newUser(t, "hr", "hr@example.com")
	c := e.lead(t, "hr@example.com", "Hana", "Rh")
	e.place(t, c, u.Ref, "POOL", 2)
	e.drain(t, e.eng)
	ss := e.seats(t, c.ID)
	must(t, lc.AssignSeat(e.ctx, ss[0].Reference, order.Participant{FirstName: "Léa", LastName: "L", Email: "lea@example.com"}, "SEC1", "customer:1"))
	lea := e.seats(t, c.ID)[0].LearnerRef

	must(t, lc.SoftDeleteInstance(e.ctx, ss[0].Reference, "user:1"))
	if en, ok := e.enrolment(t, lea, sec); !ok || !en.Suspended {
		t.Errorf("learner's enrolment after soft delete %+v (%v)", en, ok)
	}
	if got := e.seats(t, c.ID); len(got) != 1 {
		t.Errorf("a soft-deleted seat is still listed: %+v", got)
	}
	if err := lc.ReleaseSeat(e.ctx, ss[0].Reference, "customer:1"); !errors.Is(err, production.ErrNotSeat) {
		t.Errorf("releasing a deleted seat: %v", err)
	}
	must(t, lc.RestoreInstance(e.ctx, ss[0].Reference, "user:1"))
	if en, ok := e.enrolment(t, lea, sec); !ok || en.Suspended || !en.End.Equal(e.instance(t, ss[0].Reference).End) {
		t.Errorf("learner's enrolment after restore %+v (%v)", en, ok)
	}
	if got := e.instance(t, ss[0].Reference); got.State != store.InstanceRunning {
		t.Errorf("restored seat is %s", got.State)
	}
	// Deleting the seat releases its learner's enrolment.
	must(t, lc.DeleteInstance(e.ctx, ss[0].Reference, "user:1"))
	if en, ok := e.enrolment(t, lea, sec); ok {
		t.Errorf("learner still enrolled after the seat's deletion: %+v", en)
	}
	// A free seat has nothing in the LMS.
	must(t, lc.SoftDeleteInstance(e.ctx, ss[1].Reference, "user:1"))
	if _, evs := e.eventKinds(t, ss[1].Reference); evs[len(evs)-1].Data["lms"] != "free seat: nothing in the LMS" {
		t.Errorf("free seat's event %+v", evs[len(evs)-1])
	}
	if err := lc.AssignSeat(e.ctx, ss[1].Reference, order.Participant{FirstName: "Max", LastName: "M", Email: "max@example.com"}, "SEC1", "customer:1"); !errors.Is(err, production.ErrNotSeat) {
		t.Errorf("assigning a deleted seat: %v", err)
	}
}

func testDeleteRoleAndCourse(t *testing.T, e *env) {
	lc := e.lifecycleEngine()
	u := e.newUser(t, "tea", "tea@example.com")
	c := e.lead(t, "tea@example.com", "Tea", "Cher")
	course := e.pmCourse(t)
	a := lms.RoleAssignment{UserRef: u.Ref, Role: "editingteacher", Level: lms.ContextCourse, InstanceID: course.ID}
	must(t, e.conn.AssignRole(e.ctx, a))
	role := &store.Instance{CustomerID: c.ID, Handler: "assign_role", LMSObjectType: store.LMSObjectRole,
		LMSObjectRef: "course:" + strconv.FormatInt(course.ID, 10) + ":editingteacher:" + u.Ref, Start: e.clock.Now(), State: store.InstanceRunning}
	must(t, e.st.CreateInstance(e.ctx, role, production.Actor))
	userID, err := strconv.ParseInt(u.Ref, 10, 64)
	must(t, err)
	hasRole := func() bool {
		t.Helper()
		as, err := e.st.LMSRoleAssignments(e.ctx, userID)
		must(t, err)
		for _, x := range as {
			if x.Role == "editingteacher" && x.InstanceID == course.ID {
				return true
			}
		}
		return false
	}
	must(t, lc.SoftDeleteInstance(e.ctx, role.Reference, "user:1"))
	if hasRole() {
		t.Error("role kept after soft delete")
	}
	must(t, lc.RestoreInstance(e.ctx, role.Reference, "user:1"))
	if !hasRole() {
		t.Error("role not back after restore")
	}
	must(t, lc.DeleteInstance(e.ctx, role.Reference, "user:1"))
	if hasRole() {
		t.Error("role kept after delete")
	}

	// A course the customer owns stays in the LMS, as the event says.
	own := &store.Instance{CustomerID: c.ID, Handler: "create_course", LMSObjectType: store.LMSObjectCourse,
		LMSObjectRef: strconv.FormatInt(course.ID, 10), Start: e.clock.Now(), State: store.InstanceRunning}
	must(t, e.st.CreateInstance(e.ctx, own, production.Actor))
	must(t, lc.DeleteInstance(e.ctx, own.Reference, "user:1"))
	if _, err := e.conn.Course(e.ctx, lms.CourseRef{ID: course.ID}); err != nil {
		t.Errorf("course gone after its instance's deletion: %v", err)
	}
	if _, evs := e.eventKinds(t, own.Reference); !strings.Contains(evs[len(evs)-1].Data["lms"], "left as it is") {
		t.Errorf("course deletion event %+v", evs[len(evs)-1])
	}
}

func testRenewalReminder(t *testing.T, e *env) {
	lc := e.lifecycleEngine()
	e.addProduct(t, &catalog.Product{Code: "RPM", Renewable: true, Handler: production.HandlerEnrolOneCourse,
		HandlerParams: json.RawMessage(`{"course_shortname":"PM101","duration_days":30}`)})
	c := e.lead(t, "zoe@example.com", "Zoé", "Martin")
	e.place(t, c, "", "RPM", 1, "PM", 1)
	e.drain(t, e.eng)
	reminders := func() []*store.OutboxMail {
		t.Helper()
		var out []*store.OutboxMail
		for _, m := range e.mails(t, "zoe@example.com") {
			if m.Kind == mail.KindRenewalReminder {
				out = append(out, m)
			}
		}
		return out
	}
	if rep := e.lifecycle(t, lc); rep.Reminders != 0 || len(reminders()) != 0 {
		t.Fatalf("reminded 30 days before the end: %+v", rep)
	}
	// 17 days later both end within 14 days: only the renewable one is
	// reminded, in the customer's language.
	e.clock.Add(17 * day)
	if rep := e.lifecycle(t, lc); rep.Reminders != 1 {
		t.Errorf("pass at day 17 sent %d reminders, want 1", rep.Reminders)
	}
	ms := reminders()
	if len(ms) != 1 {
		t.Fatalf("%d reminders, want 1", len(ms))
	}
	rpm := e.instances(t, c.ID)[0]
	if m := ms[0]; m.Locale != "fr" || !strings.Contains(m.Subject, "RPM") || !strings.Contains(m.Text, "Bonjour Zoé Martin") ||
		!strings.Contains(m.Text, rpm.Reference) || !strings.Contains(m.Text, "https://shop.lab.test/shop/lab/account") ||
		!strings.Contains(m.Text, "Project management 101") {
		t.Errorf("reminder %s\n%s", m.Subject, m.Text)
	}
	kinds, evs := e.eventKinds(t, rpm.Reference)
	if last := evs[len(evs)-1]; kinds[len(kinds)-1] != store.InstanceEventRenewalReminder || last.Data["end"] != rpm.End.Format(time.RFC3339) ||
		last.Actor != production.LifecycleActor {
		t.Errorf("events %v, last %+v", kinds, last)
	}
	// Once per end date: not again the same day nor the next days.
	e.lifecycle(t, lc)
	e.clock.Add(day)
	if rep := e.lifecycle(t, lc); rep.Reminders != 0 || len(reminders()) != 1 {
		t.Errorf("reminded again: %+v, %d mails", rep, len(reminders()))
	}
	// A soft-deleted instance is not reminded: another customer's.
	c2 := e.lead(t, "max@example.com", "Max", "M")
	e.place(t, c2, "", "RPM", 1)
	e.drain(t, e.eng)
	must(t, lc.SoftDeleteInstance(e.ctx, e.instances(t, c2.ID)[0].Reference, "user:1"))
	e.clock.Add(20 * day)
	e.lifecycle(t, lc)
	for _, m := range e.mails(t, "max@example.com") {
		if m.Kind == mail.KindRenewalReminder {
			t.Error("a soft-deleted instance was reminded")
		}
	}
}

// testReminderAfterExtension: an extension moves the reminder with the
// end: none before the old end, one before the new end, for it.
func testReminderAfterExtension(t *testing.T, e *env) {
	lc := e.lifecycleEngine()
	e.addProduct(t, &catalog.Product{Code: "RPM", Renewable: true, Handler: production.HandlerEnrolOneCourse,
		HandlerParams: json.RawMessage(`{"course_shortname":"PM101","duration_days":30}`)})
	e.addExtension(t, "EXT", `{"products":["RPM"],"duration_days":30}`)
	c := e.lead(t, "zoe@example.com", "Zoé", "Martin")
	e.place(t, c, "", "RPM", 1)
	e.drain(t, e.eng)
	rpm := e.instances(t, c.ID)[0]
	reminders := func() int {
		t.Helper()
		n := 0
		for _, m := range e.mails(t, "zoe@example.com") {
			if m.Kind == mail.KindRenewalReminder {
				n++
			}
		}
		return n
	}
	// Extended on day 10 by 30 days: it ends on day 60.
	e.clock.Add(10 * day)
	e.placeRefs(t, c, "EXT", rpm.Reference)
	e.drain(t, e.eng)
	newEnd := rpm.End.AddDate(0, 0, 30)
	if got := e.instance(t, rpm.Reference).End; !got.Equal(newEnd) {
		t.Fatalf("extended end %s, want %s", got, newEnd)
	}
	// Days 17 to 38: the old end is near or past, the new one is not.
	for range 4 {
		e.clock.Add(7 * day)
		if rep := e.lifecycle(t, lc); rep.Reminders != 0 {
			t.Fatalf("reminded on %s for an end moved to %s", e.clock.Now().Format(time.DateOnly), newEnd.Format(time.DateOnly))
		}
	}
	// Day 50: the new end is within 14 days.
	e.clock.Add(12 * day)
	if rep := e.lifecycle(t, lc); rep.Reminders != 1 || reminders() != 1 {
		t.Fatalf("pass before the new end: %+v, %d mails", rep, reminders())
	}
	_, evs := e.eventKinds(t, rpm.Reference)
	if last := evs[len(evs)-1]; last.Kind != store.InstanceEventRenewalReminder || last.Data["end"] != newEnd.Format(time.RFC3339) {
		t.Errorf("last event %+v, want a reminder for %s", last, newEnd.Format(time.RFC3339))
	}
}

// audits returns the actions of the audit trail of an LMS account.
func (e *env) audits(t testing.TB, ref string) []string {
	t.Helper()
	evs, err := e.st.AuditFor(e.ctx, "lms_user", ref)
	must(t, err)
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Action)
	}
	return out
}

func (e *env) user(t testing.TB, email string) *lms.User {
	t.Helper()
	us, err := e.conn.UsersByEmail(e.ctx, email)
	must(t, err)
	if len(us) != 1 {
		t.Fatalf("%d accounts for %s", len(us), email)
	}
	return us[0]
}

func testAccountSuspension(t *testing.T, e *env) {
	lc := e.lifecycleEngine()
	e.addProduct(t, &catalog.Product{Code: "TEAM", Handler: production.HandlerEnrolOneCourse,
		HandlerParams: json.RawMessage(`{"course_shortname":"PM101","duration_days":30}`)})
	// Gus, a guest, gets a new account for PM (30 days); Kim, a guest
	// too, for a licence (365 days); Old, whose account the shop did not
	// create, buys PM signed in, and TEAM for a new learner, Léa.
	gus := e.lead(t, "gus@example.com", "Gus", "New")
	e.place(t, gus, "", "PM", 1)
	kim := e.lead(t, "kim@example.com", "Kim", "Lic")
	e.place(t, kim, "", "LIC", 1)
	old := e.newUser(t, "old", "old@example.com")
	oc := e.lead(t, "old@example.com", "Old", "Timer")
	e.place(t, oc, old.Ref, "PM", 1)
	e.placeWith(t, oc, old.Ref, "TEAM", 1, order.Participant{FirstName: "Léa", LastName: "L", Email: "lea@example.com"})
	e.drain(t, e.eng)
	g, k, l := e.user(t, "gus@example.com"), e.user(t, "kim@example.com"), e.user(t, "lea@example.com")
	for _, u := range []*lms.User{g, k, l} {
		if _, err := e.st.ShopAccountByRef(e.ctx, e.shop.Site().Key(), u.Ref); err != nil {
			t.Errorf("account %s created by the shop is not recorded: %v", u.Username, err)
		}
	}
	if _, err := e.st.ShopAccountByRef(e.ctx, e.shop.Site().Key(), old.Ref); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an account the shop found is recorded as its own: %v", err)
	}
	suspended := func(u *lms.User) bool {
		t.Helper()
		got, err := e.conn.UserByRef(e.ctx, u.Ref)
		must(t, err)
		return got.Suspended
	}

	// PM ended at day 30; at day 45 the grace is not over.
	e.clock.Add(45 * day)
	if rep := e.lifecycle(t, lc); rep.Suspended != 0 {
		t.Errorf("suspended %d accounts within the grace", rep.Suspended)
	}
	// At day 61 it is, for Gus and Léa; Kim's licence runs; Old's
	// account is not the shop's.
	e.clock.Add(16 * day)
	if rep := e.lifecycle(t, lc); rep.Suspended != 2 {
		t.Errorf("suspended %d accounts at day 61, want 2", rep.Suspended)
	}
	if !suspended(g) || !suspended(l) || suspended(k) || suspended(old) {
		t.Errorf("suspended: gus %v, léa %v, kim %v, old %v; want true, true, false, false", suspended(g), suspended(l), suspended(k), suspended(old))
	}
	if got := e.audits(t, g.Ref); !slices.Equal(got, []string{production.AuditAccountSuspended}) {
		t.Errorf("gus's audit trail %v", got)
	}
	if rep := e.lifecycle(t, lc); rep.Suspended != 0 {
		t.Errorf("second pass suspended %d", rep.Suspended)
	}

	// Gus buys again as a guest: production reactivates his account.
	e.place(t, gus, "", "PM", 1)
	e.drain(t, e.eng)
	if suspended(g) {
		t.Error("gus's account still suspended after a new purchase")
	}
	a, err := e.st.ShopAccountByRef(e.ctx, e.shop.Site().Key(), g.Ref)
	must(t, err)
	if !a.SuspendedAt.IsZero() || !a.ActiveSince.After(e.clock.Now().Add(-2*time.Hour)) {
		t.Errorf("gus's record after the purchase %+v", a)
	}
	if got := e.audits(t, g.Ref); !slices.Equal(got, []string{production.AuditAccountSuspended, production.AuditAccountReactivated}) {
		t.Errorf("gus's audit trail %v", got)
	}
	// Léa, suspended by the shop, is named again as a participant.
	e.placeWith(t, oc, old.Ref, "TEAM", 1, order.Participant{FirstName: "Léa", LastName: "L", Email: "lea@example.com"})
	e.drain(t, e.eng)
	if suspended(l) {
		t.Error("léa's account still suspended after a new enrolment")
	}

	// An account an LMS administrator suspended stays suspended: the
	// shop neither counts it as its suspension nor undoes it.
	must(t, e.conn.SetSuspended(e.ctx, k.Ref, true))
	e.clock.Add(400 * day)
	e.lifecycle(t, lc)
	e.place(t, kim, "", "LIC", 1)
	e.drain(t, e.eng)
	if !suspended(k) {
		t.Error("production reactivated an account the shop had not suspended")
	}
	if got := e.audits(t, k.Ref); len(got) != 0 {
		t.Errorf("kim's audit trail %v", got)
	}
}

// dueReminder makes the env hold one renewable enrolment whose reminder
// the next pass sends, and returns its customer's e-mail.
func (e *env) dueReminder(t testing.TB) string {
	t.Helper()
	e.addProduct(t, &catalog.Product{Code: "RPM", Renewable: true, Handler: production.HandlerEnrolOneCourse,
		HandlerParams: json.RawMessage(`{"course_shortname":"PM101","duration_days":10}`)})
	c := e.lead(t, "zoe@example.com", "Zoé", "Martin")
	e.place(t, c, "", "RPM", 1)
	e.drain(t, e.eng)
	return c.Email
}

func (e *env) countMails(t testing.TB, to, kind string) int {
	t.Helper()
	n := 0
	for _, m := range e.mails(t, to) {
		if m.Kind == kind {
			n++
		}
	}
	return n
}

func testDailyJob(t *testing.T, e *env) {
	to := e.dueReminder(t)
	lc1, lc2 := e.lifecycleEngine(), e.lifecycleEngine()
	day1 := "lifecycle:" + e.clock.Now().Format(time.DateOnly)

	// Queued once a day, however often it is asked.
	created, err := lc1.ScheduleLifecycle(e.ctx)
	must(t, err)
	again, err := lc2.ScheduleLifecycle(e.ctx)
	must(t, err)
	if !created || again {
		t.Errorf("schedule: first %v, second %v; want true, false", created, again)
	}
	if n, err := lc1.RunDue(e.ctx); err != nil || n != 1 {
		t.Fatalf("RunDue ran %d jobs (%v), want the day's pass", n, err)
	}
	j, err := e.st.JobByKey(e.ctx, day1)
	must(t, err)
	if j.Status != store.JobDone || j.OrderID != 0 {
		t.Errorf("the day's job %+v", j)
	}
	if trail, err := e.st.AuditFor(e.ctx, "job", strconv.FormatInt(j.ID, 10)); err != nil || len(trail) != 1 ||
		trail[0].Action != "lifecycle_pass" || !strings.Contains(string(trail[0].Data), `"reminders":1`) {
		t.Errorf("the pass's audit %+v %v", trail, err)
	}
	if n := e.countMails(t, to, mail.KindRenewalReminder); n != 1 {
		t.Errorf("%d reminders, want 1", n)
	}
	// The same day again: nothing is queued, nothing runs.
	if created, _ := lc2.ScheduleLifecycle(e.ctx); created {
		t.Error("queued a second pass the same day")
	}
	if n, _ := lc2.RunDue(e.ctx); n != 0 {
		t.Errorf("ran %d jobs after the day's pass", n)
	}

	// The next day, two nodes race: one pass runs.
	e.clock.Add(day)
	var wg sync.WaitGroup
	var mu sync.Mutex
	queued, ran := 0, 0
	for _, eng := range []*production.Engine{lc1, lc2} {
		wg.Go(func() {
			c, err := eng.ScheduleLifecycle(e.ctx)
			if err != nil {
				t.Error(err)
			}
			n, err := eng.RunDue(e.ctx)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if c {
				queued++
			}
			ran += n
		})
	}
	wg.Wait()
	if queued != 1 || ran > 1 {
		t.Errorf("racing nodes queued %d passes and ran %d, want 1 and at most 1", queued, ran)
	}
	// A node that claimed nothing while the other still held the day's
	// job runs nothing later either.
	for _, eng := range []*production.Engine{lc1, lc2} {
		n, err := eng.RunDue(e.ctx)
		must(t, err)
		ran += n
	}
	if ran != 1 {
		t.Errorf("the second day's pass ran %d times, want 1", ran)
	}
	if n := e.countMails(t, to, mail.KindRenewalReminder); n != 1 {
		t.Errorf("%d reminders after the second day, want still 1", n)
	}
}

func testRunSchedules(t *testing.T, e *env) {
	eng := production.New(e.st, lms.Only(e.conn), e.outbox, production.Options{Now: e.clock.Now, PollInterval: 10 * time.Millisecond})
	eng.UseOrders(e.svc)
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	key := "lifecycle:" + e.clock.Now().Format(time.DateOnly)
	deadline := time.Now().Add(10 * time.Second)
	for {
		j, err := e.st.JobByKey(e.ctx, key)
		if err == nil && j.Status == store.JobDone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Run did not queue and run the day's pass: %+v %v", j, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	must(t, <-done)
}
