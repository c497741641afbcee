// Package lmstest is the conformance suite of LMS connectors: what every
// lms.Connector must do, whichever platform it drives. A connector's test
// calls Run with a Harness that starts a fresh platform (the shop database
// for the built-in connector, a fake server for Moodle's) and gives the
// suite a back door into it, so that assertions read the platform's state
// rather than the connector's own account of it.
//
// What the suite expects of the platform beyond the port:
//   - it allows several accounts with one e-mail (Moodle:
//     allowaccountssameemail), as the port's UsersByEmail says;
//   - the role shortnames "student", "editingteacher" and "manager" exist
//     and may be given in course and category contexts;
//   - courses it creates have a manual enrolment method.
package lmstest

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"courseshop/internal/lms"
)

// Harness is what a connector's test gives the suite.
type Harness struct {
	// New starts a fresh, empty platform for one subtest and returns the
	// connector under test with its back doors. The suite calls it once
	// per subtest, from subtests running in parallel.
	New func(t *testing.T) Env
}

// Env is one platform under test.
type Env struct {
	// Connector is the connector under test.
	Connector lms.Connector
	// Inspector reads the platform's state.
	Inspector Inspector
	// AddCourse creates a course directly in the platform, as its
	// administrators would (not through Connector.CreateCourse), from
	// c's CategoryID, Shortname, Fullname, IDNumber, Summary and Visible,
	// and returns its ID. Required.
	AddCourse func(t *testing.T, c lms.Course) int64
	// SetPassword gives an account a password as its owner would through
	// the link of PasswordSetURL (or directly in the platform). Optional:
	// when nil, the suite does not test CheckCredentials.
	SetPassword func(t *testing.T, ref, password string)
}

// Inspector reads back a platform's state for the suite's assertions,
// without going through the connector under test. Each method fails the
// test (t.Fatal) when it cannot read.
type Inspector interface {
	// User returns the platform's record of an account (profile,
	// username, e-mail, suspended flag), or nil when there is none.
	User(t *testing.T, ref string) *lms.User
	// Enrolment returns a user's manual enrolment in a course with the
	// role it gave, its period (Start, End zero when the platform holds
	// none) and its suspension, or nil when the user has none there.
	Enrolment(t *testing.T, userRef string, courseID int64) *lms.Enrolment
	// RoleAssignments returns the roles a user holds, in any order. It may
	// include the roles that came with enrolments.
	RoleAssignments(t *testing.T, userRef string) []lms.RoleAssignment
	// GroupMembers returns the refs of the members of a course's group
	// with that name, in any order, or nil when the course has no such
	// group.
	GroupMembers(t *testing.T, courseID int64, group string) []string
	// CourseTemplate returns the ID of the course whose content a course
	// was created from, or 0 when it was created from none.
	CourseTemplate(t *testing.T, courseID int64) int64
}

// Run runs the conformance suite, one parallel subtest per behaviour, each
// on a platform of its own.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("lmstest: Harness.New is nil")
	}
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, e Env)
	}{
		{"SiteInfo", testSiteInfo},
		{"CreateUser", testCreateUser},
		{"UsersByEmail", testUsersByEmail},
		{"Credentials", testCredentials},
		{"UpdateProfile", testUpdateProfile},
		{"Suspend", testSuspend},
		{"PasswordSetURL", testPasswordSetURL},
		{"CourseLookup", testCourseLookup},
		{"CreateCourse", testCreateCourse},
		{"CreateCourseFromTemplate", testCreateCourseFromTemplate},
		{"CreateCategory", testCreateCategory},
		{"CategoryLookup", testCategoryLookup},
		{"Enrol", testEnrol},
		{"EnrolFromNow", testEnrolFromNow},
		{"Unenrol", testUnenrol},
		{"Enrolled", testEnrolled},
		{"CourseURL", testCourseURL},
		{"Roles", testRoles},
		{"Groups", testGroups},
		{"PermanentErrors", testPermanentErrors},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := h.New(t)
			if e.Connector == nil || e.Inspector == nil || e.AddCourse == nil {
				t.Fatal("lmstest: Env needs Connector, Inspector and AddCourse")
			}
			tc.fn(t, e)
		})
	}
}

var ctx = context.Background()

// Times of the suite are whole seconds in UTC: Moodle keeps Unix seconds.
var (
	t2027Jan = time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	t2027Jul = time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC)
	t2027Dec = time.Date(2027, 12, 31, 23, 0, 0, 0, time.UTC)
)

// A password that passes Moodle's default policy.
const goodPassword = "Corr3ct-Horse!"

// newUser creates an account through the connector.
func newUser(t *testing.T, e Env, username, email string) *lms.User {
	t.Helper()
	u, err := e.Connector.CreateUser(ctx, lms.NewUser{
		Username: username, Email: email, Locale: "en",
		Profile: lms.Profile{FirstName: "First " + username, LastName: "Last " + username},
	})
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", username, err)
	}
	if u.Ref == "" {
		t.Fatalf("CreateUser(%s): no Ref", username)
	}
	return u
}

// addCourse creates a course in the platform.
func addCourse(t *testing.T, e Env, shortname, idnumber string) int64 {
	t.Helper()
	id := e.AddCourse(t, lms.Course{Shortname: shortname, Fullname: "Course " + shortname, IDNumber: idnumber, Visible: true})
	if id == 0 {
		t.Fatalf("AddCourse(%s) gave ID 0", shortname)
	}
	return id
}

// mustOK fails the test when err is not nil.
func mustOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// permanent checks that err is a permanent *lms.Error (and, with target,
// one that matches it).
func permanent(t *testing.T, what string, err error, target error) {
	t.Helper()
	var le *lms.Error
	switch {
	case err == nil:
		t.Errorf("%s: no error, want a permanent failure", what)
	case !errors.As(err, &le):
		t.Errorf("%s: %v (%T) is not an *lms.Error", what, err, err)
	case le.Retryable:
		t.Errorf("%s: %v is retryable, want permanent", what, err)
	case le.Op == "":
		t.Errorf("%s: %v has no Op", what, err)
	case target != nil && !errors.Is(err, target):
		t.Errorf("%s: %v, want %v", what, err, target)
	}
}

func testSiteInfo(t *testing.T, e Env) {
	s, err := e.Connector.SiteInfo(ctx)
	mustOK(t, "SiteInfo", err)
	if s == nil || s.Name == "" || s.Version == "" {
		t.Errorf("SiteInfo = %+v, want a name and a version", s)
	}
}

func testCreateUser(t *testing.T, e Env) {
	nu := lms.NewUser{
		Username: "ann.martin", Email: "Ann.Martin@Example.com", Locale: "en",
		Profile: lms.Profile{FirstName: "Ann", LastName: "Martin", City: "Lyon", Country: "FR",
			Institution: "ACME", Department: "Training", Phone: "+33 4 00 00 00 00"},
	}
	u, err := e.Connector.CreateUser(ctx, nu)
	mustOK(t, "CreateUser", err)
	want := lms.User{Ref: u.Ref, Username: nu.Username, Email: nu.Email, FirstName: "Ann", LastName: "Martin", City: "Lyon",
		Country: "FR", Institution: "ACME", Department: "Training", Phone: nu.Phone, Locale: "en"}
	if u.Ref == "" || *u != want {
		t.Errorf("CreateUser = %+v, want %+v", u, want)
	}
	if got := e.Inspector.User(t, u.Ref); got == nil || *got != want {
		t.Errorf("platform holds %+v, want %+v", got, want)
	}
	got, err := e.Connector.UserByRef(ctx, u.Ref)
	if err != nil || *got != want {
		t.Errorf("UserByRef = %+v, %v; want %+v", got, err, want)
	}

	_, err = e.Connector.CreateUser(ctx, lms.NewUser{Username: "ann.martin", Email: "other@example.com",
		Profile: lms.Profile{FirstName: "Other", LastName: "Ann"}})
	permanent(t, "CreateUser with a taken username", err, lms.ErrUsernameTaken)

	for _, ref := range []string{"987654321", "", "not-a-ref"} {
		_, err := e.Connector.UserByRef(ctx, ref)
		permanent(t, "UserByRef("+ref+")", err, lms.ErrNoUser)
	}
}

func testUsersByEmail(t *testing.T, e Env) {
	a := newUser(t, e, "pat1", "Pat@Example.com")
	b := newUser(t, e, "pat2", "pat@example.com")
	newUser(t, e, "other", "patrick@example.com")
	us, err := e.Connector.UsersByEmail(ctx, "PAT@example.COM")
	mustOK(t, "UsersByEmail", err)
	var refs []string
	for _, u := range us {
		refs = append(refs, u.Ref)
	}
	slices.Sort(refs)
	want := []string{a.Ref, b.Ref}
	slices.Sort(want)
	if !slices.Equal(refs, want) {
		t.Errorf("UsersByEmail found %v, want %v", refs, want)
	}
	us, err = e.Connector.UsersByEmail(ctx, "nobody@example.com")
	if err != nil || len(us) != 0 {
		t.Errorf("UsersByEmail(nobody) = %v, %v; want none", us, err)
	}
}

// signsIn reports whether login and password open the account ref, and
// fails the test on anything but a match or ErrBadCredentials.
func signsIn(t *testing.T, e Env, login, password, ref string) bool {
	t.Helper()
	u, err := e.Connector.CheckCredentials(ctx, login, password)
	if err != nil {
		permanent(t, "CheckCredentials("+login+")", err, lms.ErrBadCredentials)
		return false
	}
	if u.Ref != ref {
		t.Errorf("CheckCredentials(%s) = user %s, want %s", login, u.Ref, ref)
	}
	return true
}

func testCredentials(t *testing.T, e Env) {
	if e.SetPassword == nil {
		t.Skip("the harness sets no passwords")
	}
	u := newUser(t, e, "cred", "Cred@Example.com")
	if signsIn(t, e, "cred", "", u.Ref) || signsIn(t, e, "cred", goodPassword, u.Ref) {
		t.Error("an account without a password signs in")
	}
	e.SetPassword(t, u.Ref, goodPassword)
	if !signsIn(t, e, "cred", goodPassword, u.Ref) {
		t.Error("the username and password do not sign in")
	}
	if !signsIn(t, e, "cred@example.com", goodPassword, u.Ref) {
		t.Error("the e-mail and password do not sign in")
	}
	for _, c := range [][2]string{{"cred", "wrong-Passw0rd!"}, {"cred", ""}, {"nobody", goodPassword}, {"nobody@example.com", goodPassword}} {
		if signsIn(t, e, c[0], c[1], u.Ref) {
			t.Errorf("%q / %q signs in", c[0], c[1])
		}
	}
}

func testUpdateProfile(t *testing.T, e Env) {
	u := newUser(t, e, "prof", "prof@example.com")
	if e.SetPassword != nil {
		e.SetPassword(t, u.Ref, goodPassword)
	}
	p := lms.Profile{FirstName: "Prof", LastName: "Essor", City: "Paris", Country: "FR", Institution: "Uni", Department: "Maths", Phone: "0102030405"}
	mustOK(t, "UpdateProfile", e.Connector.UpdateProfile(ctx, u.Ref, p))
	want := lms.User{Ref: u.Ref, Username: "prof", Email: "prof@example.com", FirstName: "Prof", LastName: "Essor", City: "Paris",
		Country: "FR", Institution: "Uni", Department: "Maths", Phone: "0102030405", Locale: "en"}
	if got := e.Inspector.User(t, u.Ref); got == nil || *got != want {
		t.Errorf("after UpdateProfile the platform holds %+v, want %+v", got, want)
	}
	if e.SetPassword != nil && !signsIn(t, e, "prof", goodPassword, u.Ref) {
		t.Error("UpdateProfile changed the credentials")
	}
}

func testSuspend(t *testing.T, e Env) {
	u := newUser(t, e, "sus", "sus@example.com")
	if e.SetPassword != nil {
		e.SetPassword(t, u.Ref, goodPassword)
	}
	for _, suspended := range []bool{true, true, false, false} {
		mustOK(t, "SetSuspended", e.Connector.SetSuspended(ctx, u.Ref, suspended))
		if got := e.Inspector.User(t, u.Ref); got == nil || got.Suspended != suspended {
			t.Fatalf("after SetSuspended(%v) the platform holds %+v", suspended, got)
		}
		if got, err := e.Connector.UserByRef(ctx, u.Ref); err != nil || got.Suspended != suspended {
			t.Errorf("after SetSuspended(%v) UserByRef = %+v, %v", suspended, got, err)
		}
		if e.SetPassword != nil && signsIn(t, e, "sus", goodPassword, u.Ref) == suspended {
			t.Errorf("suspended = %v, yet signing in says the opposite", suspended)
		}
	}
}

func testPasswordSetURL(t *testing.T, e Env) {
	u := newUser(t, e, "link", "link@example.com")
	url, err := e.Connector.PasswordSetURL(ctx, u.Ref)
	if err != nil || url == "" {
		t.Errorf("PasswordSetURL = %q, %v", url, err)
	}
	_, err = e.Connector.PasswordSetURL(ctx, "987654321")
	permanent(t, "PasswordSetURL of nobody", err, nil)
}

func testCourseLookup(t *testing.T, e Env) {
	id := e.AddCourse(t, lms.Course{Shortname: "PM-101", Fullname: "Project management", IDNumber: "pm-101",
		Summary: "Plan, run and close projects.", Visible: true})
	for _, ref := range []lms.CourseRef{
		{ID: id}, {IDNumber: "pm-101"}, {Shortname: "PM-101"},
		{ID: id, IDNumber: "nope", Shortname: "nope"}, // the first identifier set wins
		{IDNumber: "pm-101", Shortname: "nope"},
	} {
		c, err := e.Connector.Course(ctx, ref)
		if err != nil {
			t.Errorf("Course(%+v): %v", ref, err)
			continue
		}
		if c.ID != id || c.Shortname != "PM-101" || c.Fullname != "Project management" || c.IDNumber != "pm-101" {
			t.Errorf("Course(%+v) = %+v", ref, c)
		}
	}
	for _, ref := range []lms.CourseRef{{ID: id + 1000}, {IDNumber: "nope"}, {Shortname: "nope"}, {}} {
		_, err := e.Connector.Course(ctx, ref)
		permanent(t, "Course of a missing course", err, lms.ErrNoCourse)
	}
}

func testCreateCourse(t *testing.T, e Env) {
	cat, err := e.Connector.CreateCategory(ctx, "Management", "mgmt", 0)
	mustOK(t, "CreateCategory", err)
	nc := lms.NewCourse{Fullname: "Agile basics", Shortname: "AG-1", IDNumber: "ag-1", CategoryID: cat.ID, Visible: true}
	c, err := e.Connector.CreateCourse(ctx, nc, nil)
	mustOK(t, "CreateCourse", err)
	if c.ID == 0 || c.Fullname != nc.Fullname || c.Shortname != nc.Shortname || c.IDNumber != nc.IDNumber || c.CategoryID != cat.ID {
		t.Errorf("CreateCourse = %+v, from %+v", c, nc)
	}
	got, err := e.Connector.Course(ctx, lms.CourseRef{Shortname: "AG-1"})
	if err != nil || got.ID != c.ID || got.CategoryID != cat.ID || got.IDNumber != "ag-1" {
		t.Errorf("Course(AG-1) = %+v, %v; want the created course", got, err)
	}
	if tpl := e.Inspector.CourseTemplate(t, c.ID); tpl != 0 {
		t.Errorf("a course created without template has template %d", tpl)
	}
	_, err = e.Connector.CreateCourse(ctx, lms.NewCourse{Fullname: "Again", Shortname: "AG-1", CategoryID: cat.ID}, nil)
	permanent(t, "CreateCourse with a taken short name", err, nil)
	_, err = e.Connector.CreateCourse(ctx, lms.NewCourse{Fullname: "Again", Shortname: "AG-2", IDNumber: "ag-1", CategoryID: cat.ID}, nil)
	permanent(t, "CreateCourse with a taken ID number", err, nil)
}

func testCreateCourseFromTemplate(t *testing.T, e Env) {
	cat, err := e.Connector.CreateCategory(ctx, "Templates", "", 0)
	mustOK(t, "CreateCategory", err)
	other, err := e.Connector.CreateCategory(ctx, "Clients", "", 0)
	mustOK(t, "CreateCategory", err)
	tpl := e.AddCourse(t, lms.Course{CategoryID: cat.ID, Shortname: "TPL-PM", Fullname: "Template", Summary: "What the template teaches."})

	// Without a category of its own, the course goes where the template is.
	c, err := e.Connector.CreateCourse(ctx, lms.NewCourse{Fullname: "PM for ACME", Shortname: "PM-ACME", Visible: true},
		&lms.CourseRef{Shortname: "TPL-PM"})
	mustOK(t, "CreateCourse from a template", err)
	if c.ID == 0 || c.ID == tpl || c.Shortname != "PM-ACME" || c.CategoryID != cat.ID || c.Summary != "What the template teaches." {
		t.Errorf("CreateCourse from a template = %+v", c)
	}
	if got := e.Inspector.CourseTemplate(t, c.ID); got != tpl {
		t.Errorf("course made from template %d records template %d", tpl, got)
	}
	// A category of its own wins over the template's.
	c, err = e.Connector.CreateCourse(ctx, lms.NewCourse{Fullname: "PM for Beta", Shortname: "PM-BETA", CategoryID: other.ID},
		&lms.CourseRef{ID: tpl})
	mustOK(t, "CreateCourse from a template into a category", err)
	if c.CategoryID != other.ID || e.Inspector.CourseTemplate(t, c.ID) != tpl {
		t.Errorf("CreateCourse from a template into category %d = %+v", other.ID, c)
	}

	_, err = e.Connector.CreateCourse(ctx, lms.NewCourse{Fullname: "Lost", Shortname: "LOST", CategoryID: cat.ID},
		&lms.CourseRef{Shortname: "NO-SUCH-TEMPLATE"})
	permanent(t, "CreateCourse from a missing template", err, lms.ErrNoCourse)
	if _, err := e.Connector.Course(ctx, lms.CourseRef{Shortname: "LOST"}); !errors.Is(err, lms.ErrNoCourse) {
		t.Errorf("a failed CreateCourse left a course behind: %v", err)
	}
}

func testCreateCategory(t *testing.T, e Env) {
	top, err := e.Connector.CreateCategory(ctx, "Languages", "lang", 0)
	mustOK(t, "CreateCategory", err)
	if top.ID == 0 || top.ParentID != 0 || top.Name != "Languages" || top.IDNumber != "lang" {
		t.Errorf("CreateCategory(top) = %+v", top)
	}
	sub, err := e.Connector.CreateCategory(ctx, "French", "", top.ID)
	mustOK(t, "CreateCategory(sub)", err)
	if sub.ID == 0 || sub.ID == top.ID || sub.ParentID != top.ID || sub.Name != "French" {
		t.Errorf("CreateCategory(sub) = %+v", sub)
	}
	_, err = e.Connector.CreateCategory(ctx, "German", "", top.ID) // two without ID number are fine
	mustOK(t, "CreateCategory(second without idnumber)", err)
	_, err = e.Connector.CreateCategory(ctx, "Again", "lang", 0)
	permanent(t, "CreateCategory with a taken ID number", err, nil)
	_, err = e.Connector.CreateCategory(ctx, "Orphan", "", sub.ID+1000)
	permanent(t, "CreateCategory under a missing parent", err, nil)
}

// testCategoryLookup: a category is found by ID or ID number, the way
// production finds again a category an interrupted attempt created.
func testCategoryLookup(t *testing.T, e Env) {
	top, err := e.Connector.CreateCategory(ctx, "Clients", "clients", 0)
	mustOK(t, "CreateCategory", err)
	sub, err := e.Connector.CreateCategory(ctx, "ACME & Co", "acme", top.ID)
	mustOK(t, "CreateCategory(sub)", err)
	for _, ref := range []lms.CategoryRef{{ID: sub.ID}, {IDNumber: "acme"}, {ID: sub.ID, IDNumber: "clients"}} {
		c, err := e.Connector.Category(ctx, ref)
		if err != nil {
			t.Errorf("Category(%+v): %v", ref, err)
			continue
		}
		if c.ID != sub.ID || c.ParentID != top.ID || c.Name != "ACME & Co" || c.IDNumber != "acme" {
			t.Errorf("Category(%+v) = %+v, want %+v", ref, c, sub)
		}
	}
	for _, ref := range []lms.CategoryRef{{ID: sub.ID + 1000}, {IDNumber: "nope"}, {}} {
		_, err := e.Connector.Category(ctx, ref)
		permanent(t, "Category of a missing category", err, lms.ErrNoCategory)
	}
}

// enrolment reads an enrolment and fails the test when there is none.
func enrolment(t *testing.T, e Env, ref string, courseID int64) lms.Enrolment {
	t.Helper()
	en := e.Inspector.Enrolment(t, ref, courseID)
	if en == nil {
		t.Fatalf("user %s is not enrolled in course %d", ref, courseID)
	}
	return *en
}

func testEnrol(t *testing.T, e Env) {
	u := newUser(t, e, "learner", "learner@example.com")
	course := addCourse(t, e, "EN-1", "en-1")
	in := lms.Enrolment{UserRef: u.Ref, CourseID: course, Role: "student", Start: t2027Jan, End: t2027Jul}
	mustOK(t, "Enrol", e.Connector.Enrol(ctx, in))
	check := func(when string, start, end time.Time, suspended bool) {
		t.Helper()
		got := enrolment(t, e, u.Ref, course)
		if got.Role != "student" || !got.Start.Equal(start) || !got.End.Equal(end) || got.Suspended != suspended {
			t.Errorf("%s: enrolment = role %q, %v – %v, suspended %v; want student, %v – %v, suspended %v",
				when, got.Role, got.Start, got.End, got.Suspended, start, end, suspended)
		}
	}
	check("first enrolment", t2027Jan, t2027Jul, false)

	// Renewal: same start, later end.
	in.End = t2027Dec
	mustOK(t, "Enrol again", e.Connector.Enrol(ctx, in))
	check("renewed", t2027Jan, t2027Dec, false)

	in.Suspended = true
	mustOK(t, "Enrol suspended", e.Connector.Enrol(ctx, in))
	check("suspended", t2027Jan, t2027Dec, true)

	in.Suspended, in.End = false, time.Time{}
	mustOK(t, "Enrol without end", e.Connector.Enrol(ctx, in))
	check("reactivated without end", t2027Jan, time.Time{}, false)

	// Another user in the same course is a separate enrolment.
	v := newUser(t, e, "learner2", "learner2@example.com")
	mustOK(t, "Enrol another", e.Connector.Enrol(ctx, lms.Enrolment{UserRef: v.Ref, CourseID: course, Role: "student", Start: t2027Jul, End: t2027Dec}))
	check("after another user's enrolment", t2027Jan, time.Time{}, false)
	if got := enrolment(t, e, v.Ref, course); !got.Start.Equal(t2027Jul) || !got.End.Equal(t2027Dec) {
		t.Errorf("second user's enrolment = %+v", got)
	}
}

func testEnrolFromNow(t *testing.T, e Env) {
	u := newUser(t, e, "now", "now@example.com")
	course := addCourse(t, e, "NOW-1", "")
	before := time.Now().Add(-time.Second)
	mustOK(t, "Enrol", e.Connector.Enrol(ctx, lms.Enrolment{UserRef: u.Ref, CourseID: course, Role: "student"}))
	after := time.Now().Add(time.Second)
	got := enrolment(t, e, u.Ref, course)
	// A zero start means now: the platform holds no start, or the time
	// of the call.
	if !got.Start.IsZero() && (got.Start.Before(before) || got.Start.After(after)) {
		t.Errorf("enrolment from now starts at %v, want no start or a time between %v and %v", got.Start, before, after)
	}
	if !got.End.IsZero() || got.Suspended || got.Role != "student" {
		t.Errorf("enrolment from now = %+v, want no end, active, student", got)
	}
}

// testEnrolled: only an enrolment that lets its user in now counts.
func testEnrolled(t *testing.T, e Env) {
	u := newUser(t, e, "inside", "inside@example.com")
	course := addCourse(t, e, "IN-1", "")
	other := addCourse(t, e, "IN-2", "")
	enrolled := func(when string, ref string, course int64, want bool) {
		t.Helper()
		got, err := e.Connector.Enrolled(ctx, ref, course)
		if err != nil || got != want {
			t.Errorf("%s: Enrolled(%s, %d) = %v, %v; want %v", when, ref, course, got, err, want)
		}
	}
	enrolled("before enrolling", u.Ref, course, false)
	in := lms.Enrolment{UserRef: u.Ref, CourseID: course, Role: "student"}
	mustOK(t, "Enrol", e.Connector.Enrol(ctx, in))
	enrolled("enrolled from now", u.Ref, course, true)
	enrolled("in another course", u.Ref, other, false)
	in.Suspended = true
	mustOK(t, "Enrol suspended", e.Connector.Enrol(ctx, in))
	enrolled("suspended enrolment", u.Ref, course, false)
	in.Suspended, in.Start = false, t2027Jan
	mustOK(t, "Enrol from 2027", e.Connector.Enrol(ctx, in))
	enrolled("enrolment not started", u.Ref, course, false)
	in.Start, in.End = time.Now().Add(-48*time.Hour).Truncate(time.Second), time.Now().Add(-24*time.Hour).Truncate(time.Second)
	mustOK(t, "Enrol until yesterday", e.Connector.Enrol(ctx, in))
	enrolled("enrolment ended", u.Ref, course, false)
	enrolled("unknown user", "987654321", course, false)
}

// testCourseURL: each course has a page of its own.
func testCourseURL(t *testing.T, e Env) {
	a, b := addCourse(t, e, "URL-1", ""), addCourse(t, e, "URL-2", "")
	ua, ub := e.Connector.CourseURL(a), e.Connector.CourseURL(b)
	if ua == "" || ua == ub || !strings.Contains(ua, strconv.FormatInt(a, 10)) {
		t.Errorf("CourseURL(%d) = %q, CourseURL(%d) = %q; want a page of each course, naming its ID", a, ua, b, ub)
	}
}

func testUnenrol(t *testing.T, e Env) {
	u := newUser(t, e, "gone", "gone@example.com")
	v := newUser(t, e, "stays", "stays@example.com")
	course := addCourse(t, e, "UN-1", "")
	for _, ref := range []string{u.Ref, v.Ref} {
		mustOK(t, "Enrol", e.Connector.Enrol(ctx, lms.Enrolment{UserRef: ref, CourseID: course, Role: "student", Start: t2027Jan}))
	}
	mustOK(t, "Unenrol", e.Connector.Unenrol(ctx, u.Ref, course))
	if got := e.Inspector.Enrolment(t, u.Ref, course); got != nil {
		t.Errorf("after Unenrol the user is still enrolled: %+v", got)
	}
	if got := e.Inspector.Enrolment(t, v.Ref, course); got == nil {
		t.Error("Unenrol removed another user's enrolment")
	}
	mustOK(t, "Unenrol again (idempotent)", e.Connector.Unenrol(ctx, u.Ref, course))
	permanent(t, "Unenrol from a missing course", e.Connector.Unenrol(ctx, u.Ref, course+1000), nil)
}

// holds counts how many times a user holds a role assignment.
func holds(t *testing.T, e Env, ref string, a lms.RoleAssignment) int {
	t.Helper()
	n := 0
	for _, got := range e.Inspector.RoleAssignments(t, ref) {
		if got.Role == a.Role && got.Level == a.Level && got.InstanceID == a.InstanceID {
			n++
		}
	}
	return n
}

func testRoles(t *testing.T, e Env) {
	u := newUser(t, e, "teacher", "teacher@example.com")
	cat, err := e.Connector.CreateCategory(ctx, "Faculty", "", 0)
	mustOK(t, "CreateCategory", err)
	course := e.AddCourse(t, lms.Course{CategoryID: cat.ID, Shortname: "RO-1", Fullname: "Roles", Visible: true})
	inCourse := lms.RoleAssignment{UserRef: u.Ref, Role: "editingteacher", Level: lms.ContextCourse, InstanceID: course}
	inCategory := lms.RoleAssignment{UserRef: u.Ref, Role: "manager", Level: lms.ContextCategory, InstanceID: cat.ID}

	for range 2 { // assigning twice is the same as once
		mustOK(t, "AssignRole(course)", e.Connector.AssignRole(ctx, inCourse))
		mustOK(t, "AssignRole(category)", e.Connector.AssignRole(ctx, inCategory))
	}
	if n := holds(t, e, u.Ref, inCourse); n != 1 {
		t.Errorf("course role held %d times, want 1", n)
	}
	if n := holds(t, e, u.Ref, inCategory); n != 1 {
		t.Errorf("category role held %d times, want 1", n)
	}
	for range 2 { // unassigning twice is the same as once
		mustOK(t, "UnassignRole(course)", e.Connector.UnassignRole(ctx, inCourse))
	}
	if n := holds(t, e, u.Ref, inCourse); n != 0 {
		t.Errorf("course role still held after UnassignRole")
	}
	if n := holds(t, e, u.Ref, inCategory); n != 1 {
		t.Errorf("UnassignRole(course) took the category role too")
	}
	for range 2 {
		mustOK(t, "UnassignRole(category)", e.Connector.UnassignRole(ctx, inCategory))
	}
	if n := holds(t, e, u.Ref, inCategory); n != 0 {
		t.Errorf("category role still held after UnassignRole")
	}

	missingCourse := inCourse
	missingCourse.InstanceID = course + 1000
	permanent(t, "AssignRole in a missing course", e.Connector.AssignRole(ctx, missingCourse), nil)
	missingCategory := inCategory
	missingCategory.InstanceID = cat.ID + 1000
	permanent(t, "AssignRole in a missing category", e.Connector.AssignRole(ctx, missingCategory), nil)
	nobody := inCourse
	nobody.UserRef = "987654321"
	permanent(t, "AssignRole to a missing user", e.Connector.AssignRole(ctx, nobody), nil)
}

func testGroups(t *testing.T, e Env) {
	course := addCourse(t, e, "GR-1", "")
	a := newUser(t, e, "grpa", "grpa@example.com")
	b := newUser(t, e, "grpb", "grpb@example.com")
	outsider := newUser(t, e, "grpc", "grpc@example.com")
	for _, u := range []*lms.User{a, b} {
		mustOK(t, "Enrol", e.Connector.Enrol(ctx, lms.Enrolment{UserRef: u.Ref, CourseID: course, Role: "student"}))
	}
	members := func(group string) []string {
		t.Helper()
		m := e.Inspector.GroupMembers(t, course, group)
		slices.Sort(m)
		return m
	}
	if m := e.Inspector.GroupMembers(t, course, "Session 2027-01"); m != nil {
		t.Fatalf("group exists before AddToGroup: %v", m)
	}
	for range 2 { // the second call finds the group and the member
		mustOK(t, "AddToGroup", e.Connector.AddToGroup(ctx, course, "Session 2027-01", a.Ref))
	}
	if m := members("Session 2027-01"); !slices.Equal(m, []string{a.Ref}) {
		t.Errorf("members = %v, want [%s]", m, a.Ref)
	}
	mustOK(t, "AddToGroup(b)", e.Connector.AddToGroup(ctx, course, "Session 2027-01", b.Ref))
	want := []string{a.Ref, b.Ref}
	slices.Sort(want)
	if m := members("Session 2027-01"); !slices.Equal(m, want) {
		t.Errorf("members = %v, want %v", m, want)
	}
	mustOK(t, "AddToGroup(other group)", e.Connector.AddToGroup(ctx, course, "Session 2027-02", b.Ref))
	if m := members("Session 2027-02"); !slices.Equal(m, []string{b.Ref}) {
		t.Errorf("second group's members = %v, want [%s]", m, b.Ref)
	}
	if m := members("Session 2027-01"); !slices.Equal(m, want) {
		t.Errorf("adding to another group changed the first: %v", m)
	}

	permanent(t, "AddToGroup of a user not enrolled", e.Connector.AddToGroup(ctx, course, "Session 2027-01", outsider.Ref), nil)
	permanent(t, "AddToGroup in a missing course", e.Connector.AddToGroup(ctx, course+1000, "Session 2027-01", a.Ref), nil)
}

// testPermanentErrors checks that what no retry can fix is said so: the
// production engine gives up on such failures instead of retrying them.
func testPermanentErrors(t *testing.T, e Env) {
	u := newUser(t, e, "err", "err@example.com")
	course := addCourse(t, e, "ER-1", "")
	missing := course + 1000
	permanent(t, "Enrol in a missing course",
		e.Connector.Enrol(ctx, lms.Enrolment{UserRef: u.Ref, CourseID: missing, Role: "student"}), nil)
	permanent(t, "Enrol a missing user",
		e.Connector.Enrol(ctx, lms.Enrolment{UserRef: "987654321", CourseID: course, Role: "student"}), nil)
	permanent(t, "UpdateProfile of a missing user",
		e.Connector.UpdateProfile(ctx, "987654321", lms.Profile{FirstName: "No", LastName: "Body"}), nil)
	permanent(t, "SetSuspended of a missing user", e.Connector.SetSuspended(ctx, "987654321", true), nil)
	permanent(t, "Unenrol a missing user", e.Connector.Unenrol(ctx, "987654321", course), nil)
	_, err := e.Connector.CreateCourse(ctx, lms.NewCourse{Fullname: "Nowhere", Shortname: "NOWHERE", CategoryID: 987654321}, nil)
	permanent(t, "CreateCourse in a missing category", err, nil)
}
