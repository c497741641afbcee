package production_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"courseshop/internal/catalog"
	"courseshop/internal/lms"
	"courseshop/internal/lms/moodle"
	"courseshop/internal/lms/moodletest"
	"courseshop/internal/order"
	"courseshop/internal/order/orders"
	"courseshop/internal/production"
	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

// TestProductionMoodle produces paid orders of every handler through the
// Moodle connector against the fake Moodle site, 4.5 and 5.2 (whose
// enrol_manual_unenrol_users refuses roleid), on both engines, and reads
// the result in the site's own state. Failures of the site are classified
// as production needs: an error body or HTTP 403 fails the order for good
// with Moodle's reason, a timeout is tried again until the site answers.
func TestProductionMoodle(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		for _, release := range []string{moodletest.Release45, moodletest.Release52} {
			t.Run(release[:3], func(t *testing.T) {
				for name, fn := range map[string]func(*testing.T, *moodleEnv){
					"EnrolAndLicence":  testMoodleEnrolAndLicence,
					"SeatPool":         testMoodleSeatPool,
					"Session":          testMoodleSession,
					"AssignRole":       testMoodleAssignRole,
					"CreateCourse":     testMoodleCreateCourse,
					"CreateCategory":   testMoodleCreateCategory,
					"ExtendEnrolment":  testMoodleExtendEnrolment,
					"ErrorBody":        testMoodleErrorBody,
					"WebServicesOff":   testMoodleWebServicesOff,
					"Timeout":          testMoodleTimeout,
					"CreateCourseLost": testMoodleCreateCourseCrash,
				} {
					t.Run(name, func(t *testing.T) {
						t.Parallel()
						fn(t, newMoodleEnv(t, newStore, release))
					})
				}
			})
		}
	})
}

// newEnvWith is newEnv producing through conn instead of the built-in LMS
// (which stays in the database, unused).
func newEnvWith(t *testing.T, newStore newStoreFunc, conn lms.Connector) *env {
	e := newEnv(t, newStore)
	e.conn = &faulty{Connector: conn, enrols: map[string]lms.Enrolment{}}
	e.eng, e.svc = e.newEngine()
	return e
}

// moodleEnv is an env producing into a fake Moodle site.
type moodleEnv struct {
	*env
	srv *moodletest.Server
}

// moodleTimeout is the client's request timeout: short, so that a hanging
// site costs the test little.
const moodleTimeout = 300 * time.Millisecond

func newMoodleEnv(t *testing.T, newStore newStoreFunc, release string) *moodleEnv {
	srv := moodletest.New(moodletest.Options{Release: release, Debug: true})
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL())
	must(t, err)
	client := moodle.New(u, srv.Token(), moodle.Options{RateLimit: -1, Timeout: moodleTimeout})
	return &moodleEnv{env: newEnvWith(t, newStore, client), srv: srv}
}

// user adds an account to the site and returns its ref.
func (m *moodleEnv) user(username, email, first, last string) string {
	return strconv.FormatInt(m.srv.AddUser(moodletest.User{Username: username, Email: email, FirstName: first, LastName: last}), 10)
}

// userByEmail returns the site's only account with that e-mail.
func (m *moodleEnv) userByEmail(t testing.TB, email string) moodletest.User {
	t.Helper()
	return siteUser(t, m.srv, email)
}

// siteUser returns a fake site's only account with that e-mail.
func siteUser(t testing.TB, srv *moodletest.Server, email string) moodletest.User {
	t.Helper()
	var found []moodletest.User
	for _, u := range srv.Users() {
		if strings.EqualFold(u.Email, email) && !u.Deleted {
			found = append(found, u)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d Moodle accounts for %s", len(found), email)
	}
	return found[0]
}

// noRefusals fails when the site refused a call for its parameters: what
// 5.2 checks more strictly than 4.5.
func (m *moodleEnv) noRefusals(t testing.TB) {
	t.Helper()
	for _, c := range m.srv.Calls() {
		if c.Error == "invalidparameter" {
			t.Errorf("%s refused: %s (%v)", c.Function, c.Debug, c.Args)
		}
	}
}

// failedWith fails the test unless the order is FAILED with a reason
// naming what Moodle said, in the line and in the timeline.
func (m *moodleEnv) failedWith(t testing.TB, o *order.Order, reason string) {
	t.Helper()
	got := m.order(t, o.ID)
	if got.Status != order.StatusFailed {
		t.Fatalf("order is %s, want FAILED (%s): %+v", got.Status, reason, m.events(t, o.ID, order.EventProduction))
	}
	if !strings.Contains(got.Lines[0].ProductionError, reason) {
		t.Errorf("line error %q does not say %q", got.Lines[0].ProductionError, reason)
	}
	evs, err := m.st.OrderEvents(m.ctx, o.ID)
	must(t, err)
	for _, ev := range evs {
		if ev.To == order.StatusFailed && strings.Contains(ev.Message, reason) {
			return
		}
	}
	t.Errorf("no FAILED transition saying %q: %+v", reason, evs)
}

func testMoodleEnrolAndLicence(t *testing.T, m *moodleEnv) {
	course := m.srv.AddCourse(moodletest.Course{Shortname: "PM101", Fullname: "Project management", IDNumber: "pm-101", Visible: true})
	c := m.lead(t, "guest@example.com", "Gail", "Guest")
	o := m.place(t, c, "", "PM", 1, "LIC", 1) // a guest: prepay creates her Moodle account
	base := m.clock.Now().Truncate(time.Second)
	m.drain(t, m.eng)
	m.complete(t, o)
	u := m.userByEmail(t, "guest@example.com")
	if u.FirstName != "Gail" || u.LastName != "Guest" {
		t.Errorf("account %+v", u)
	}
	en, ok := m.srv.Enrolment(u.ID, course)
	if !ok || en.Role != "student" || !en.Start.Equal(base) || !en.End.Equal(base.AddDate(0, 0, 30)) {
		t.Errorf("enrolment %+v (%v), want student from %s for 30 days", en, ok, base)
	}
	groups := m.srv.Groups(course)
	if len(groups) != 1 || groups[0].Name != "autumn" || !slices.Equal(m.srv.GroupMembers(groups[0].ID), []int64{u.ID}) {
		t.Errorf("groups %+v", groups)
	}
	ins := m.instances(t, c.ID)
	if len(ins) != 2 || ins[0].LMSObjectRef != fmt.Sprintf("%d:%d", course, u.ID) || ins[1].LMSObjectType != store.LMSObjectRegistered {
		t.Errorf("instances %+v %+v", ins[0], ins[len(ins)-1])
	}
	m.noRefusals(t)
}

// testMoodleExtendEnrolment: an extension enrols the learner again in
// Moodle with the later end, and the instance follows.
func testMoodleExtendEnrolment(t *testing.T, m *moodleEnv) {
	course := m.srv.AddCourse(moodletest.Course{Shortname: "PM101", Fullname: "Project management", IDNumber: "pm-101", Visible: true})
	m.addExtension(t, "EXT", `{"products":["PM"],"duration_days":10}`)
	c := m.lead(t, "guest@example.com", "Gail", "Guest")
	first := m.place(t, c, "", "PM", 1)
	m.drain(t, m.eng)
	m.complete(t, first)
	in := m.instances(t, c.ID)[0]
	u := m.userByEmail(t, "guest@example.com")
	if en, ok := m.srv.Enrolment(u.ID, course); !ok || !en.End.Equal(in.End) {
		t.Fatalf("enrolment %+v (%v), instance ends %s", en, ok, in.End)
	}
	m.clock.Add(5 * day)
	o := m.placeRefs(t, c, "EXT", in.Reference)
	m.drain(t, m.eng)
	m.complete(t, o)
	want := in.End.AddDate(0, 0, 10)
	if got := m.instance(t, in.Reference); !got.End.Equal(want) {
		t.Errorf("instance ends %s, want %s", got.End, want)
	}
	if en, ok := m.srv.Enrolment(u.ID, course); !ok || !en.End.Equal(want) || en.Suspended || en.Role != "student" {
		t.Errorf("Moodle enrolment %+v (%v), want student until %s", en, ok, want)
	}
	m.noRefusals(t)
}

func testMoodleSeatPool(t *testing.T, m *moodleEnv) {
	sec1 := m.srv.AddCourse(moodletest.Course{Shortname: "SEC1", Fullname: "Security 1", IDNumber: "SEC1", Visible: true})
	sec2 := m.srv.AddCourse(moodletest.Course{Shortname: "SEC2", Fullname: "Security 2", IDNumber: "SEC2", Visible: true})
	m.addProduct(t, &catalog.Product{Code: "POOL", Handler: production.HandlerSeatPool,
		HandlerParams: json.RawMessage(`{"course_idnumbers":["SEC1","SEC2"],"duration_days":90}`)})
	buyer := m.user("hr", "hr@example.com", "Hana", "Rh")
	c := m.lead(t, "hr@example.com", "Hana", "Rh")
	o := m.placeWith(t, c, buyer, "POOL", 2, order.Participant{FirstName: "Dee", LastName: "One", Email: "dee@example.com"})
	m.drain(t, m.eng)
	m.complete(t, o)
	dee := m.userByEmail(t, "dee@example.com")
	if en, ok := m.srv.Enrolment(dee.ID, sec1); !ok || en.Role != "student" || en.End.IsZero() {
		t.Errorf("participant's enrolment %+v (%v)", en, ok)
	}
	ss := m.seats(t, c.ID)
	if len(ss) != 2 || free(ss) != 1 {
		t.Fatalf("seats %+v", ss)
	}
	// The free seat, handed out then released: release unenrols, which
	// 5.2 checks strictly (no roleid).
	eli := order.Participant{FirstName: "Eli", LastName: "Two", Email: "eli@example.com"}
	must(t, m.eng.AssignSeat(m.ctx, ss[1].Reference, eli, "SEC2", "user:1"))
	eu := m.userByEmail(t, "eli@example.com")
	if _, ok := m.srv.Enrolment(eu.ID, sec2); !ok {
		t.Fatal("the assigned learner is not enrolled")
	}
	must(t, m.eng.ReleaseSeat(m.ctx, ss[1].Reference, "user:1"))
	if en, ok := m.srv.Enrolment(eu.ID, sec2); ok {
		t.Errorf("released learner still enrolled: %+v", en)
	}
	m.noRefusals(t)
}

func testMoodleSession(t *testing.T, m *moodleEnv) {
	course := m.srv.AddCourse(moodletest.Course{Shortname: "SESS", Fullname: "Session", IDNumber: "SESS", Visible: true})
	m.addProduct(t, &catalog.Product{Code: "SESSION", Handler: production.HandlerSession,
		HandlerParams: json.RawMessage(`{"course_idnumber":"SESS","start":"2027-01-10","end":"2027-01-12","supervisor_role":"editingteacher"}`)})
	buyer := m.user("mgr", "mgr@example.com", "Mia", "Manager")
	c := m.lead(t, "mgr@example.com", "Mia", "Manager")
	o := m.placeWith(t, c, buyer, "SESSION", 2,
		order.Participant{FirstName: "Dee", LastName: "One", Email: "dee@example.com"},
		order.Participant{FirstName: "Mia", LastName: "Manager", Email: "mgr@example.com"}) // the buyer learns too
	m.drain(t, m.eng)
	m.complete(t, o)
	start, end := time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 12, 23, 59, 59, 0, time.UTC)
	dee := m.userByEmail(t, "dee@example.com")
	if en, ok := m.srv.Enrolment(dee.ID, course); !ok || !slices.Equal(en.Roles, []string{"student"}) || !en.Start.Equal(start) || !en.End.Equal(end) {
		t.Errorf("learner's enrolment %+v (%v)", en, ok)
	}
	id, _ := strconv.ParseInt(buyer, 10, 64)
	if en, ok := m.srv.Enrolment(id, course); !ok || !slices.Equal(en.Roles, []string{"editingteacher", "student"}) {
		t.Errorf("buyer's enrolment %+v (%v), want student and supervisor", en, ok)
	}
	m.noRefusals(t)
}

func testMoodleAssignRole(t *testing.T, m *moodleEnv) {
	cat := m.srv.AddCategory(moodletest.Category{Name: "Clients", IDNumber: "clients"})
	course := m.srv.AddCourse(moodletest.Course{Shortname: "PM101", Fullname: "PM", IDNumber: "pm-101", CategoryID: cat, Visible: true})
	m.srv.SetAssignable("manager", true)
	m.addProduct(t, &catalog.Product{Code: "MGR", Handler: production.HandlerAssignRole,
		HandlerParams: json.RawMessage(`{"role":"manager","category_idnumber":"clients"}`)})
	m.addProduct(t, &catalog.Product{Code: "TUTOR", Handler: production.HandlerAssignRole,
		HandlerParams: json.RawMessage(`{"role":"teacher","course_idnumber":"pm-101","duration_days":30}`)})
	buyer := m.user("boss", "boss@example.com", "Bo", "Boss")
	c := m.lead(t, "boss@example.com", "Bo", "Boss")
	o := m.place(t, c, buyer, "MGR", 1, "TUTOR", 1)
	m.drain(t, m.eng)
	m.complete(t, o)
	id, _ := strconv.ParseInt(buyer, 10, 64)
	var got []string
	for _, a := range m.srv.RoleAssignments(id) {
		got = append(got, fmt.Sprintf("%s@%s:%d", a.Role, a.ContextLevel, a.InstanceID))
	}
	slices.Sort(got)
	want := []string{fmt.Sprintf("manager@coursecat:%d", cat), fmt.Sprintf("teacher@course:%d", course)}
	if !slices.Equal(got, want) {
		t.Errorf("roles %v, want %v", got, want)
	}
	ins := m.instances(t, c.ID)
	if len(ins) != 2 || ins[0].LMSObjectRef != fmt.Sprintf("category:%d:manager:%s", cat, buyer) ||
		ins[1].LMSObjectRef != fmt.Sprintf("course:%d:teacher:%s", course, buyer) {
		t.Errorf("instances %v", ins)
	}
	m.noRefusals(t)
}

func testMoodleCreateCourse(t *testing.T, m *moodleEnv) {
	cat := m.srv.AddCategory(moodletest.Category{Name: "Clients"})
	tpl := m.srv.AddCourse(moodletest.Course{Shortname: "TPL-PM", Fullname: "Template", IDNumber: "tpl-pm", Visible: true})
	m.addProduct(t, &catalog.Product{Code: "OWN", Handler: production.HandlerCreateCourse, HandlerParams: json.RawMessage(fmt.Sprintf(
		`{"template_idnumber":"tpl-pm","category_id":%d,"fullname":"{answer:company} — project management","shortname":"PM-{answer:company}"}`, cat))})
	buyer := m.user("owner", "owner@example.com", "Olga", "Owner")
	c := m.lead(t, "owner@example.com", "Olga", "Owner")
	o := m.placeLine(t, c, buyer, orders.PlaceLine{Product: m.products["OWN"], Quantity: 1, Answers: []map[string]string{{"company": "Acmé"}}})
	m.drain(t, m.eng)
	m.complete(t, o)
	co, ok := m.srv.CourseByIDNumber("courseshop-" + o.Number + "-1-1")
	if !ok || co.Shortname != "PM-Acmé" || co.Fullname != "Acmé — project management" || co.CategoryID != cat || co.TemplateID != tpl {
		t.Fatalf("course %+v (%v)", co, ok)
	}
	id, _ := strconv.ParseInt(buyer, 10, 64)
	if en, ok := m.srv.Enrolment(id, co.ID); !ok || en.Role != "editingteacher" {
		t.Errorf("owner's enrolment %+v (%v)", en, ok)
	}
	if ins := m.instances(t, c.ID); len(ins) != 1 || ins[0].LMSObjectRef != strconv.FormatInt(co.ID, 10) {
		t.Errorf("instances %v", ins)
	}
	m.noRefusals(t)
}

// testMoodleCreateCourseCrash: the course is copied in Moodle, then the
// worker dies; the next attempt finds it by idnumber.
func testMoodleCreateCourseCrash(t *testing.T, m *moodleEnv) {
	m.srv.AddCourse(moodletest.Course{Shortname: "TPL", Fullname: "Template", IDNumber: "tpl", Visible: true})
	m.addProduct(t, &catalog.Product{Code: "OWN", Handler: production.HandlerCreateCourse,
		HandlerParams: json.RawMessage(`{"template_idnumber":"tpl","fullname":"Course of {firstname}"}`)})
	buyer := m.user("own2", "own2@example.com", "Ove", "Owner")
	c := m.lead(t, "own2@example.com", "Ove", "Owner")
	o := m.placeWith(t, c, buyer, "OWN", 1)
	crashOnce(m.eng)
	for range 3 {
		_, err := m.eng.RunDue(m.ctx)
		must(t, err)
		m.clock.Add(6 * time.Minute)
	}
	n := len(m.srv.Courses())
	fresh, _ := m.newEngine()
	m.drain(t, fresh)
	m.complete(t, o)
	if len(m.srv.Courses()) != n || n != 2 {
		t.Errorf("%d courses after the crash, %d after the rerun; want 2 and 2", n, len(m.srv.Courses()))
	}
	if got := m.srv.CallsTo("core_course_duplicate_course"); len(got) != 1 {
		t.Errorf("the template was copied %d times", len(got))
	}
}

func testMoodleCreateCategory(t *testing.T, m *moodleEnv) {
	parent := m.srv.AddCategory(moodletest.Category{Name: "Clients"})
	m.srv.SetAssignable("manager", true)
	m.addProduct(t, &catalog.Product{Code: "SPACE", Handler: production.HandlerCreateCategory, HandlerParams: json.RawMessage(fmt.Sprintf(
		`{"name":"{organisation} & co","parent_id":%d,"role":"manager"}`, parent))})
	buyer := m.user("lead", "lead@example.com", "Lea", "Lead")
	c := m.lead(t, "lead@example.com", "Lea", "Lead")
	o := m.placeLine(t, c, buyer, orders.PlaceLine{Product: m.products["SPACE"], Quantity: 1})
	m.drain(t, m.eng)
	m.complete(t, o)
	var cat *moodletest.Category
	for _, x := range m.srv.Categories() {
		if x.IDNumber == "courseshop-"+o.Number+"-1-1" {
			cat = &x
		}
	}
	if cat == nil || cat.Name != "ACME & co" || cat.Parent != parent {
		t.Fatalf("category %+v in %+v", cat, m.srv.Categories())
	}
	id, _ := strconv.ParseInt(buyer, 10, 64)
	as := m.srv.RoleAssignments(id)
	if len(as) != 1 || as[0].Role != "manager" || as[0].ContextLevel != "coursecat" || as[0].InstanceID != cat.ID {
		t.Errorf("roles %+v", as)
	}
	m.noRefusals(t)
}

// testMoodleErrorBody: Moodle answers an error body (HTTP 200) that no
// retry cures; the order fails for good with Moodle's reason, and
// produces once the administrator fixed the course.
func testMoodleErrorBody(t *testing.T, m *moodleEnv) {
	course := m.srv.AddCourse(moodletest.Course{Shortname: "PM101", Fullname: "PM", IDNumber: "pm-101", Visible: true})
	m.srv.SetManualEnrol(course, false)
	buyer := m.user("dan", "dan@example.com", "Dan", "Fail")
	c := m.lead(t, "dan@example.com", "Dan", "Fail")
	o := m.place(t, c, buyer, "PM", 1)
	m.drain(t, m.eng)
	m.failedWith(t, o, "wsnoinstance")
	jobs, err := m.st.JobsOfOrder(m.ctx, o.ID)
	must(t, err)
	for _, j := range jobs {
		if j.Kind == production.KindLine && j.Attempts != 1 {
			t.Errorf("a permanent Moodle error was tried %d times", j.Attempts)
		}
	}
	m.srv.SetManualEnrol(course, true)
	_, err = m.eng.RetryOrder(m.ctx, o.ID, "user:1")
	must(t, err)
	m.drain(t, m.eng)
	m.complete(t, o)
}

// testMoodleWebServicesOff: HTTP 403, the site's web services are off: no
// retry helps before an administrator acts.
func testMoodleWebServicesOff(t *testing.T, m *moodleEnv) {
	m.srv.AddCourse(moodletest.Course{Shortname: "PM101", Fullname: "PM", IDNumber: "pm-101", Visible: true})
	c := m.lead(t, "off@example.com", "Otto", "Off")
	o := m.place(t, c, "", "PM", 1)
	m.srv.SetWebServices(false)
	m.drain(t, m.eng)
	m.failedWith(t, o, "webservicesnotenabled")
	m.srv.SetWebServices(true)
	_, err := m.eng.RetryOrder(m.ctx, o.ID, "user:1")
	must(t, err)
	m.drain(t, m.eng)
	m.complete(t, o)
}

// testMoodleTimeout: the site hangs, then fails with 503; production
// tries again with back-off and completes once the site answers.
func testMoodleTimeout(t *testing.T, m *moodleEnv) {
	course := m.srv.AddCourse(moodletest.Course{Shortname: "PM101", Fullname: "PM", IDNumber: "pm-101", Visible: true})
	buyer := m.user("tim", "tim@example.com", "Tim", "Out")
	c := m.lead(t, "tim@example.com", "Tim", "Out")
	o := m.place(t, c, buyer, "PM", 1)
	m.srv.FailNext(1, moodletest.Hang)
	m.srv.FailNext(1, moodletest.Unavailable)
	m.drain(t, m.eng)
	m.complete(t, o)
	var retries []string
	for _, ev := range m.events(t, o.ID, order.EventProduction) {
		if ev.Data["outcome"] == "retry" {
			retries = append(retries, ev.Data["error"])
		}
	}
	if len(retries) != 2 || !strings.Contains(retries[0], "timeout") || !strings.Contains(retries[1], "503") {
		t.Errorf("retries %q, want a timeout then a 503", retries)
	}
	id, _ := strconv.ParseInt(buyer, 10, 64)
	if _, ok := m.srv.Enrolment(id, course); !ok {
		t.Error("not enrolled once the site answered")
	}
}
