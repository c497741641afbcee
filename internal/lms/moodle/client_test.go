package moodle_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"courseshop/internal/lms"
	"courseshop/internal/lms/moodle"
	"courseshop/internal/lms/moodletest"
)

// setup starts a fake site and a client of it. Tests do not wait for the
// rate limit unless they set one.
func setup(t *testing.T, opt moodletest.Options, copt moodle.Options) (*moodletest.Server, *moodle.Client) {
	t.Helper()
	srv := moodletest.New(opt)
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	if copt.RateLimit == 0 {
		copt.RateLimit = -1
	}
	return srv, moodle.New(u, srv.Token(), copt)
}

// wantCode checks that err is an *lms.Error with Moodle's code kept and
// the expected retry advice.
func wantCode(t *testing.T, err error, code string, retryable bool) *lms.Error {
	t.Helper()
	e, ok := errors.AsType[*lms.Error](err)
	if !ok {
		t.Fatalf("err = %v (%T), want an *lms.Error with code %q", err, err, code)
	}
	if e.Code != code || e.Retryable != retryable {
		t.Fatalf("err = %v: code %q retryable %v, want %q %v", err, e.Code, e.Retryable, code, retryable)
	}
	return e
}

// noRejectedKeys fails when the fake refused a request for a key the
// function does not define or a value Moodle would not keep.
func noRejectedKeys(t *testing.T, srv *moodletest.Server) {
	t.Helper()
	for _, c := range srv.Calls() {
		if strings.Contains(c.Debug, "Unexpected keys") || strings.Contains(c.Debug, "is not a valid") || strings.Contains(c.Debug, "Missing required key") {
			t.Errorf("%s was refused: %s (args %v)", c.Function, c.Debug, c.Args)
		}
	}
}

func TestSiteInfoAndVersion(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		release string
		want    moodle.Version
	}{{moodletest.Release45, moodle.Version{Major: 4, Minor: 5}}, {moodletest.Release52, moodle.Version{Major: 5, Minor: 2}}} {
		srv, c := setup(t, moodletest.Options{Release: tc.release, SiteName: "Acme Academy"}, moodle.Options{})
		site, err := c.SiteInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if site.Name != "Acme Academy" || site.Version != tc.release || site.UserRef != "3" || site.URL != srv.URL() {
			t.Errorf("site = %+v", site)
		}
		for _, f := range moodle.RequiredFunctions() {
			if !slices.Contains(site.Functions, f.Name) {
				t.Errorf("%s: the fake does not offer %s", tc.release, f.Name)
			}
		}
		srv.ResetCalls()
		for range 3 {
			v, err := c.Version(ctx)
			if err != nil || v != tc.want {
				t.Errorf("Version = %v, %v; want %v", v, err, tc.want)
			}
		}
		if n := len(srv.Calls()); n != 0 {
			t.Errorf("Version asked Moodle %d times after SiteInfo; it is kept on the client", n)
		}
	}
	// A new client asks once, then keeps the answer.
	srv, c := setup(t, moodletest.Options{}, moodle.Options{})
	for range 3 {
		if _, err := c.Version(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(srv.CallsTo("core_webservice_get_site_info")); n != 1 {
		t.Errorf("site info asked %d times, want 1", n)
	}
}

func TestUsers(t *testing.T) {
	ctx := context.Background()
	srv, c := setup(t, moodletest.Options{}, moodle.Options{})

	u, err := c.CreateUser(ctx, lms.NewUser{Username: "Ann.Martin", Email: "ann@example.com", Locale: "fr",
		Profile: lms.Profile{FirstName: "Ann", LastName: "Martin", City: "Lyon", Country: "fr", Institution: "ACME", Department: "HR", Phone: "+33 4 00"}})
	if err != nil {
		t.Fatal(err)
	}
	if u.Username != "ann.martin" || u.Ref == "" || u.Locale != "fr" || u.Country != "FR" {
		t.Errorf("created %+v", u)
	}
	mu, ok := srv.UserByUsername("ann.martin")
	if !ok || mu.Auth != "manual" || !mu.PasswordMailed || mu.Password != "" || mu.Email != "ann@example.com" ||
		mu.FirstName != "Ann" || mu.City != "Lyon" || mu.Country != "FR" || mu.Institution != "ACME" || mu.Department != "HR" ||
		mu.Phone1 != "+33 4 00" || mu.Lang != "fr" {
		t.Errorf("in Moodle: %+v", mu)
	}

	got, err := c.UserByRef(ctx, u.Ref)
	if err != nil || *got != *u {
		t.Errorf("UserByRef = %+v, %v; want %+v", got, err, u)
	}
	for _, ref := range []string{"999", "abc", "", "-3"} {
		if _, err := c.UserByRef(ctx, ref); !errors.Is(err, lms.ErrNoUser) {
			t.Errorf("UserByRef(%q) = %v, want ErrNoUser", ref, err)
		}
	}

	// Taken username: found before Moodle's bare invalidparameter.
	_, err = c.CreateUser(ctx, lms.NewUser{Username: "ann.martin", Email: "other@example.com", Profile: lms.Profile{FirstName: "A", LastName: "B"}})
	if !errors.Is(err, lms.ErrUsernameTaken) {
		t.Errorf("taken username: %v", err)
	}
	srv.ResetCalls()
	_, err = c.CreateUser(ctx, lms.NewUser{Username: "Ann Martin!", Email: "x@example.com"})
	wantCode(t, err, "invalidusername", false)
	if len(srv.Calls()) != 0 {
		t.Error("a username Moodle would refuse was sent")
	}
	// Taken e-mail: Moodle's refusal, kept as it is.
	_, err = c.CreateUser(ctx, lms.NewUser{Username: "ann2", Email: "ANN@example.com", Profile: lms.Profile{FirstName: "A", LastName: "B"}})
	wantCode(t, err, "invalidparameter", false)
	// A language the site lacks is dropped rather than failing.
	u2, err := c.CreateUser(ctx, lms.NewUser{Username: "bob", Email: "bob@example.com", Locale: "de-DE", Profile: lms.Profile{FirstName: "Bob", LastName: "Stone"}})
	if err != nil {
		t.Fatal(err)
	}
	if mb, _ := srv.UserByUsername("bob"); mb.Lang != "" || u2.Locale != "" {
		t.Errorf("language: Moodle %q, returned %q", mb.Lang, u2.Locale)
	}

	// E-mail lookups ignore case, as the shop does (rule C2).
	srv.AddUser(moodletest.User{Username: "cleo", Email: "Cleo.Dupont@Example.com", FirstName: "Cléo", LastName: "Dupont"})
	srv.AddUser(moodletest.User{Username: "cleo2", Email: "cleo.dupont@example.com", FirstName: "Cléo", LastName: "Two"})
	srv.AddUser(moodletest.User{Username: "axn", Email: "axn@example.com", FirstName: "A", LastName: "X"})
	for _, tc := range []struct {
		email string
		want  []string
	}{
		{"ann@example.com", []string{"ann.martin"}},
		{" ANN@Example.com ", []string{"ann.martin"}},
		{"cleo.dupont@example.com", []string{"cleo2", "cleo"}},
		{"CLEO.DUPONT@EXAMPLE.COM", []string{"cleo2", "cleo"}},
		{"a_n@example.com", nil}, // LIKE wildcards do not leak through
		{"nobody@example.com", nil},
		{"", nil},
	} {
		us, err := c.UsersByEmail(ctx, tc.email)
		if err != nil {
			t.Fatalf("UsersByEmail(%q): %v", tc.email, err)
		}
		var names []string
		for _, u := range us {
			names = append(names, u.Username)
		}
		slices.Sort(names)
		want := slices.Clone(tc.want)
		slices.Sort(want)
		if !slices.Equal(names, want) {
			t.Errorf("UsersByEmail(%q) = %v, want %v", tc.email, names, want)
		}
	}
	// Without core_user_get_users in the service: exact matches of the
	// address and of its lowercase form only.
	srv.RemoveFunction("core_user_get_users")
	if us, err := c.UsersByEmail(ctx, "CLEO.DUPONT@EXAMPLE.COM"); err != nil || len(us) != 1 || us[0].Username != "cleo2" {
		t.Errorf("without core_user_get_users: %v %v", us, err)
	}
	noRejectedKeys(t, srv)
}

func TestUpdateProfileAndSuspend(t *testing.T) {
	ctx := context.Background()
	srv, c := setup(t, moodletest.Options{}, moodle.Options{})
	id := srv.AddUser(moodletest.User{Username: "dan", Email: "dan@example.com", FirstName: "Dan", LastName: "Brown", City: "Paris", Phone1: "01"})
	ref := itoa(id)
	if err := c.UpdateProfile(ctx, ref, lms.Profile{LastName: "Browne", City: "Lille", Country: "fr", Institution: "Uni"}); err != nil {
		t.Fatal(err)
	}
	u, _ := srv.User(id)
	if u.FirstName != "Dan" || u.LastName != "Browne" || u.City != "Lille" || u.Country != "FR" || u.Institution != "Uni" || u.Phone1 != "" {
		t.Errorf("after update: %+v", u)
	}
	if err := c.SetSuspended(ctx, ref, true); err != nil {
		t.Fatal(err)
	}
	if u, _ := srv.User(id); !u.Suspended {
		t.Error("not suspended")
	}
	if got, _ := c.UserByRef(ctx, ref); !got.Suspended {
		t.Error("UserByRef does not say suspended")
	}
	if err := c.SetSuspended(ctx, ref, false); err != nil {
		t.Fatal(err)
	}
	if u, _ := srv.User(id); u.Suspended {
		t.Error("still suspended")
	}
	// Failures come as warnings in a success: they are errors here.
	if err := c.SetSuspended(ctx, "999", true); !errors.Is(err, lms.ErrNoUser) {
		t.Errorf("unknown user: %v", err)
	}
	wantCode(t, c.UpdateProfile(ctx, "2", lms.Profile{City: "x"}), "usernotupdatedadmin", false)
	noRejectedKeys(t, srv)
}

func TestCheckCredentials(t *testing.T) {
	ctx := context.Background()
	srv, c := setup(t, moodletest.Options{}, moodle.Options{})
	id := srv.AddUser(moodletest.User{Username: "eve", Password: "Secret-2026", Email: "Eve@Example.com", FirstName: "Eve", LastName: "Adams"})
	srv.AddUser(moodletest.User{Username: "sam", Password: "Secret-2026", Email: "sam@example.com", FirstName: "Sam", LastName: "Lee", Suspended: true})
	for _, login := range []string{"eve", "EVE", " eve ", "eve@example.com", "Eve@Example.com"} {
		u, err := c.CheckCredentials(ctx, login, "Secret-2026")
		if err != nil || u.Ref != itoa(id) || u.Username != "eve" {
			t.Errorf("CheckCredentials(%q) = %+v, %v", login, u, err)
		}
	}
	for _, tc := range [][2]string{{"eve", "wrong"}, {"eve", ""}, {"", "Secret-2026"}, {"nobody", "Secret-2026"},
		{"nobody@example.com", "Secret-2026"}, {"sam", "Secret-2026"}, {"sam@example.com", "Secret-2026"}} {
		if _, err := c.CheckCredentials(ctx, tc[0], tc[1]); !errors.Is(err, lms.ErrBadCredentials) {
			t.Errorf("CheckCredentials(%q, %q) = %v, want ErrBadCredentials", tc[0], tc[1], err)
		}
	}
	for _, call := range srv.Calls() {
		if call.Args.Has("password") {
			t.Fatalf("the fake's log kept a password")
		}
	}
	// A misconfigured site is not a wrong password.
	srv.SetLoginService(false)
	_, err := c.CheckCredentials(ctx, "eve", "Secret-2026")
	if errors.Is(err, lms.ErrBadCredentials) {
		t.Error("service not available taken for bad credentials")
	}
	wantCode(t, err, "servicenotavailable", false)
	srv.SetLoginService(true)
	// Another service name than the site's login service.
	_, c2 := setupSame(t, srv, moodle.Options{LoginService: "shop_integration"})
	_, err = c2.CheckCredentials(ctx, "eve", "Secret-2026")
	wantCode(t, err, "servicenotavailable", false)
	srv.SetMaintenance(true)
	_, err = c.CheckCredentials(ctx, "eve", "Secret-2026")
	wantCode(t, err, "sitemaintenance", true)
}

// setupSame makes another client of the same fake site.
func setupSame(t *testing.T, srv *moodletest.Server, copt moodle.Options) (*moodletest.Server, *moodle.Client) {
	u, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	if copt.RateLimit == 0 {
		copt.RateLimit = -1
	}
	return srv, moodle.New(u, srv.Token(), copt)
}

func TestPasswordSetURLUnderAPath(t *testing.T) {
	ctx := context.Background()
	srv, c := setup(t, moodletest.Options{Path: "/moodle"}, moodle.Options{})
	u, err := c.PasswordSetURL(ctx, "3")
	if err != nil || u != srv.URL()+"/login/forgot_password.php" || !strings.Contains(u, "/moodle/login/") {
		t.Fatalf("PasswordSetURL = %q, %v", u, err)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %s", u, resp.Status)
	}
	// Every call goes under the path too.
	if _, err := c.SiteInfo(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestCourses(t *testing.T) {
	ctx := context.Background()
	srv, c := setup(t, moodletest.Options{}, moodle.Options{})
	cat := srv.AddCategory(moodletest.Category{Name: "Management"})
	id := srv.AddCourse(moodletest.Course{CategoryID: cat, Shortname: "PM&101", Fullname: "Projects & people", IDNumber: "pm-101", Summary: "Plan", Visible: true})
	for _, ref := range []lms.CourseRef{{ID: id}, {IDNumber: "pm-101"}, {Shortname: "PM&101"}, {ID: id, IDNumber: "ignored"}} {
		co, err := c.Course(ctx, ref)
		if err != nil {
			t.Fatalf("Course(%+v): %v", ref, err)
		}
		if co.ID != id || co.CategoryID != cat || co.Shortname != "PM&101" || co.Fullname != "Projects & people" ||
			co.IDNumber != "pm-101" || co.Summary != "Plan" || !co.Visible || co.CreatedAt.IsZero() {
			t.Errorf("Course(%+v) = %+v", ref, co)
		}
	}
	for _, ref := range []lms.CourseRef{{ID: 999}, {IDNumber: "nope"}, {Shortname: "nope"}, {}, {ID: 1}} {
		if _, err := c.Course(ctx, ref); !errors.Is(err, lms.ErrNoCourse) {
			t.Errorf("Course(%+v) = %v, want ErrNoCourse", ref, err)
		}
	}
	srv.AddCourse(moodletest.Course{Shortname: "X1", Fullname: "X", IDNumber: "dup"})
	srv.AddCourse(moodletest.Course{Shortname: "X2", Fullname: "X", IDNumber: "dup"})
	_, err := c.Course(ctx, lms.CourseRef{IDNumber: "dup"})
	wantCode(t, err, "duplicateidnumber", false)

	// Without moodle/course:update Moodle hides idnumbers; a lookup by
	// idnumber still knows it.
	srv.DenyCapability("moodle/course:update")
	if co, err := c.Course(ctx, lms.CourseRef{IDNumber: "pm-101"}); err != nil || co.IDNumber != "pm-101" {
		t.Errorf("hidden idnumber: %+v %v", co, err)
	}
	if co, err := c.Course(ctx, lms.CourseRef{ID: id}); err != nil || co.IDNumber != "" {
		t.Errorf("hidden idnumber by id: %+v %v", co, err)
	}
	srv.AllowCapability("moodle/course:update")

	// Creating.
	co, err := c.CreateCourse(ctx, lms.NewCourse{Fullname: "Scrum in practice", Shortname: "SCRUM-110", IDNumber: "scrum-110", CategoryID: cat}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mc, _ := srv.Course(co.ID)
	if co.IDNumber != "scrum-110" || co.Visible || mc.Visible || mc.CategoryID != cat || mc.Shortname != "SCRUM-110" || !mc.ManualEnrol {
		t.Errorf("created %+v; in Moodle %+v", co, mc)
	}
	co2, err := c.CreateCourse(ctx, lms.NewCourse{Fullname: "Kanban", Shortname: "KANBAN", Visible: true}, nil)
	if err != nil || co2.CategoryID != 1 || !co2.Visible {
		t.Errorf("default category: %+v %v", co2, err)
	}
	_, err = c.CreateCourse(ctx, lms.NewCourse{Fullname: "Again", Shortname: "SCRUM-110"}, nil)
	wantCode(t, err, "shortnametaken", false)
	_, err = c.CreateCourse(ctx, lms.NewCourse{Fullname: "Again", Shortname: "S2", IDNumber: "scrum-110"}, nil)
	wantCode(t, err, "courseidnumbertaken", false)
	_, err = c.CreateCourse(ctx, lms.NewCourse{Fullname: "Nowhere", Shortname: "S3", CategoryID: 77}, nil)
	wantCode(t, err, "errorcatcontextnotvalid", false)

	// From a template: a copy, then its idnumber.
	copyOf, err := c.CreateCourse(ctx, lms.NewCourse{Fullname: "PM session 2027", Shortname: "PM-S27", IDNumber: "pm-s27", CategoryID: cat, Visible: true},
		&lms.CourseRef{IDNumber: "pm-101"})
	if err != nil {
		t.Fatal(err)
	}
	mc, _ = srv.Course(copyOf.ID)
	if mc.TemplateID != id || mc.IDNumber != "pm-s27" || mc.Summary != "Plan" || copyOf.IDNumber != "pm-s27" || !copyOf.Visible {
		t.Errorf("copy %+v; in Moodle %+v", copyOf, mc)
	}
	n := len(srv.Courses())
	_, err = c.CreateCourse(ctx, lms.NewCourse{Fullname: "Clash", Shortname: "PM-S28", IDNumber: "pm-s27"}, &lms.CourseRef{ID: id})
	wantCode(t, err, "courseidnumbertaken", false)
	if len(srv.Courses()) != n {
		t.Error("a clashing idnumber left a copy behind")
	}
	if _, err := c.CreateCourse(ctx, lms.NewCourse{Fullname: "T", Shortname: "T"}, &lms.CourseRef{IDNumber: "no-template"}); !errors.Is(err, lms.ErrNoCourse) {
		t.Errorf("missing template: %v", err)
	}

	// Categories.
	top, err := c.CreateCategory(ctx, "Agile methods", "agile", 0)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := c.CreateCategory(ctx, "Scrum", "", top.ID)
	if err != nil {
		t.Fatal(err)
	}
	if top.Name != "Agile methods" || top.IDNumber != "agile" || top.ParentID != 0 || sub.ParentID != top.ID {
		t.Errorf("categories %+v %+v", top, sub)
	}
	_, err = c.CreateCategory(ctx, "Agile again", "agile", 0)
	wantCode(t, err, "categoryidnumbertaken", false)
	_, err = c.CreateCategory(ctx, "Orphan", "", 999)
	wantCode(t, err, "unknowcategory", false)
	found, err := c.Categories(ctx, "name", "Scrum")
	if err != nil || len(found) != 1 || found[0].ID != sub.ID || found[0].ParentID != top.ID {
		t.Errorf("Categories = %+v, %v", found, err)
	}
	if got, err := c.Category(ctx, lms.CategoryRef{IDNumber: "agile"}); err != nil || got.ID != top.ID || got.Name != "Agile methods" {
		t.Errorf("Category(idnumber agile) = %+v, %v", got, err)
	}
	// Searching on idnumber needs moodle/category:manage: Moodle refuses
	// rather than finding nothing, and so must the connector.
	srv.DenyCapability("moodle/category:manage")
	_, err = c.Category(ctx, lms.CategoryRef{IDNumber: "agile"})
	if wantCode(t, err, "criteriaerror", false); errors.Is(err, lms.ErrNoCategory) {
		t.Errorf("a refused search reads as a missing category: %v", err)
	}
	noRejectedKeys(t, srv)
}

func TestEnrolments(t *testing.T) {
	for _, release := range []string{moodletest.Release45, moodletest.Release52} {
		t.Run(release[:3], func(t *testing.T) {
			ctx := context.Background()
			srv, c := setup(t, moodletest.Options{Release: release, Debug: true}, moodle.Options{})
			course := srv.AddCourse(moodletest.Course{Shortname: "C1", Fullname: "Course 1", Visible: true})
			uid := srv.AddUser(moodletest.User{Username: "fay", Email: "fay@example.com", FirstName: "Fay", LastName: "Kim"})
			start := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
			end := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
			if err := c.Enrol(ctx, lms.Enrolment{UserRef: itoa(uid), CourseID: course, Role: "student", Start: start, End: end}); err != nil {
				t.Fatal(err)
			}
			e, ok := srv.Enrolment(uid, course)
			if !ok || !e.Start.Equal(start) || !e.End.Equal(end) || e.Suspended || !slices.Equal(e.Roles, []string{"student"}) {
				t.Errorf("enrolment %+v", e)
			}
			// Again: the period is replaced (extend), suspension follows.
			later := end.AddDate(1, 0, 0)
			if err := c.Enrol(ctx, lms.Enrolment{UserRef: itoa(uid), CourseID: course, Start: start, End: later, Suspended: true}); err != nil {
				t.Fatal(err)
			}
			if e, _ := srv.Enrolment(uid, course); !e.End.Equal(later) || !e.Start.Equal(start) || !e.Suspended || len(e.Roles) != 1 {
				t.Errorf("re-enrolment %+v", e)
			}
			// Zero times are sent as 0: no limits.
			if err := c.Enrol(ctx, lms.Enrolment{UserRef: itoa(uid), CourseID: course, Role: "student"}); err != nil {
				t.Fatal(err)
			}
			if e, _ := srv.Enrolment(uid, course); !e.Start.IsZero() || !e.End.IsZero() || e.Suspended {
				t.Errorf("open enrolment %+v", e)
			}

			if err := c.Unenrol(ctx, itoa(uid), course); err != nil {
				t.Fatal(err)
			}
			if _, ok := srv.Enrolment(uid, course); ok {
				t.Error("still enrolled")
			}
			if len(srv.RoleAssignments(uid)) != 0 {
				t.Errorf("roles left: %+v", srv.RoleAssignments(uid))
			}
			if err := c.Unenrol(ctx, itoa(uid), course); err != nil {
				t.Errorf("unenrolling again: %v", err)
			}
			for _, call := range srv.CallsTo("enrol_manual_unenrol_users") {
				for k := range call.Args {
					if strings.Contains(k, "roleid") {
						t.Errorf("roleid sent to unenrol: %v", call.Args)
					}
				}
			}

			// Errors keep Moodle's code and say what is missing.
			if err := c.Enrol(ctx, lms.Enrolment{UserRef: "999", CourseID: course}); !errors.Is(err, lms.ErrNoUser) {
				t.Errorf("unknown user: %v", err)
			}
			err := c.Enrol(ctx, lms.Enrolment{UserRef: itoa(uid), CourseID: 999})
			if !errors.Is(err, lms.ErrNoCourse) {
				t.Errorf("unknown course: %v", err)
			}
			wantCode(t, err, "invalidparameter", false)
			if err := c.Unenrol(ctx, itoa(uid), 999); !errors.Is(err, lms.ErrNoCourse) {
				t.Errorf("unenrol from unknown course: %v", err)
			}
			wantCode(t, c.Enrol(ctx, lms.Enrolment{UserRef: itoa(uid), CourseID: course, Role: "manager"}), "wsusercannotassign", false)
			srv.SetManualEnrol(course, false)
			wantCode(t, c.Enrol(ctx, lms.Enrolment{UserRef: itoa(uid), CourseID: course}), "wsnoinstance", false)
			srv.SetManualEnrol(course, true)
			wantCode(t, c.Enrol(ctx, lms.Enrolment{UserRef: itoa(uid), CourseID: 1}), "wsnoinstance", false)
			noRejectedKeys(t, srv)
		})
	}
}

func TestRoleIDs(t *testing.T) {
	ctx := context.Background()
	srv, c := setup(t, moodletest.Options{}, moodle.Options{})
	course := srv.AddCourse(moodletest.Course{Shortname: "SUP", Fullname: "Support", Visible: true})
	buyer := srv.AddUser(moodletest.User{Username: "gus", Email: "gus@example.com", FirstName: "Gus", LastName: "Ray"})
	other := srv.AddUser(moodletest.User{Username: "hal", Email: "hal@example.com", FirstName: "Hal", LastName: "Ray"})

	// Nobody holds "customer" yet and Moodle cannot list roles: say so.
	err := c.Enrol(ctx, lms.Enrolment{UserRef: itoa(buyer), CourseID: course, Role: "customer"})
	e := wantCode(t, err, "unknownrole", false)
	if !strings.Contains(e.Message, "customer") {
		t.Errorf("message %q", e.Message)
	}
	// Configured, it works.
	_, configured := setupSame(t, srv, moodle.Options{RoleIDs: map[string]int64{"customer": srv.RoleID("customer")}})
	if err := configured.Enrol(ctx, lms.Enrolment{UserRef: itoa(buyer), CourseID: course, Role: "customer"}); err != nil {
		t.Fatal(err)
	}
	if e, _ := srv.Enrolment(buyer, course); !slices.Equal(e.Roles, []string{"customer"}) {
		t.Errorf("roles %v", e.Roles)
	}
	// Once a participant holds it, a client learns it from the course and
	// asks only once.
	srv.ResetCalls()
	for _, u := range []int64{other, buyer} {
		if err := c.Enrol(ctx, lms.Enrolment{UserRef: itoa(u), CourseID: course, Role: "customer"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(srv.CallsTo("core_enrol_get_enrolled_users")); n != 1 {
		t.Errorf("participants read %d times, want 1", n)
	}
	// A standard role nobody holds yet takes its standard id.
	fresh := srv.AddCourse(moodletest.Course{Shortname: "NEW", Fullname: "New", Visible: true})
	if err := c.Enrol(ctx, lms.Enrolment{UserRef: itoa(other), CourseID: fresh, Role: "editingteacher"}); err != nil {
		t.Fatal(err)
	}
	if e, _ := srv.Enrolment(other, fresh); !slices.Equal(e.Roles, []string{"editingteacher"}) {
		t.Errorf("roles %v", e.Roles)
	}
	// A site whose roles differ from a fresh install: learnt ids win.
	custom := srv.AddRole("learner", "Learner")
	if err := configured.Enrol(ctx, lms.Enrolment{UserRef: itoa(other), CourseID: course, Role: "learner"}); err == nil {
		t.Error("unknown custom role enrolled")
	}
	_, withLearner := setupSame(t, srv, moodle.Options{RoleIDs: map[string]int64{"learner": custom}})
	if err := withLearner.Enrol(ctx, lms.Enrolment{UserRef: itoa(other), CourseID: course, Role: "learner"}); err != nil {
		t.Fatal(err)
	}
}

func TestRoleAssignments(t *testing.T) {
	ctx := context.Background()
	srv, c := setup(t, moodletest.Options{}, moodle.Options{RoleIDs: map[string]int64{"supervisor": 10}})
	cat := srv.AddCategory(moodletest.Category{Name: "Sales"})
	course := srv.AddCourse(moodletest.Course{CategoryID: cat, Shortname: "S", Fullname: "S", Visible: true})
	uid := srv.AddUser(moodletest.User{Username: "ida", Email: "ida@example.com", FirstName: "Ida", LastName: "Wu"})
	for _, a := range []lms.RoleAssignment{
		{UserRef: itoa(uid), Role: "supervisor", Level: lms.ContextCourse, InstanceID: course},
		{UserRef: itoa(uid), Role: "supervisor", Level: lms.ContextCourse, InstanceID: course}, // again: nothing changes
		{UserRef: itoa(uid), Role: "teacher", Level: lms.ContextCategory, InstanceID: cat},
		{UserRef: itoa(uid), Role: "student", Level: lms.ContextSystem, InstanceID: 42},
	} {
		if err := c.AssignRole(ctx, a); err != nil {
			t.Fatalf("AssignRole(%+v): %v", a, err)
		}
	}
	got := srv.RoleAssignments(uid)
	want := []moodletest.RoleAssignment{
		{UserID: uid, RoleID: 10, Role: "supervisor", ContextLevel: "course", InstanceID: course},
		{UserID: uid, RoleID: 4, Role: "teacher", ContextLevel: "coursecat", InstanceID: cat},
		{UserID: uid, RoleID: 5, Role: "student", ContextLevel: "system", InstanceID: 0},
	}
	if !slices.Equal(got, want) {
		t.Errorf("assignments\n got  %+v\n want %+v", got, want)
	}
	for range 2 {
		if err := c.UnassignRole(ctx, lms.RoleAssignment{UserRef: itoa(uid), Role: "teacher", Level: lms.ContextCategory, InstanceID: cat}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(srv.RoleAssignments(uid)); n != 2 {
		t.Errorf("%d assignments left, want 2", n)
	}
	if err := c.AssignRole(ctx, lms.RoleAssignment{UserRef: itoa(uid), Role: "student", Level: "module", InstanceID: 1}); err == nil {
		t.Error("unknown context level accepted")
	}
	wantCode(t, c.AssignRole(ctx, lms.RoleAssignment{UserRef: itoa(uid), Role: "manager", Level: lms.ContextSystem}), "invalidparameter", false)
	if err := c.AssignRole(ctx, lms.RoleAssignment{UserRef: itoa(uid), Role: "student", Level: lms.ContextCourse, InstanceID: 999}); !errors.Is(err, lms.ErrNoCourse) {
		t.Errorf("unknown course: %v", err)
	}
	noRejectedKeys(t, srv)
}

func TestGroups(t *testing.T) {
	ctx := context.Background()
	srv, c := setup(t, moodletest.Options{}, moodle.Options{})
	course := srv.AddCourse(moodletest.Course{Shortname: "G", Fullname: "G", Visible: true})
	var users []int64
	for _, name := range []string{"jo", "kim", "lou"} {
		users = append(users, srv.AddUser(moodletest.User{Username: name, Email: name + "@example.com", FirstName: name, LastName: "X"}))
	}
	for _, u := range users[:2] {
		if err := c.Enrol(ctx, lms.Enrolment{UserRef: itoa(u), CourseID: course}); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range users[:2] {
		if err := c.AddToGroup(ctx, course, "Session A & B", itoa(u)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.AddToGroup(ctx, course, "Session A & B", itoa(users[0])); err != nil {
		t.Errorf("adding again: %v", err)
	}
	groups := srv.Groups(course)
	if len(groups) != 1 || groups[0].Name != "Session A & B" {
		t.Fatalf("groups %+v", groups)
	}
	if m := srv.GroupMembers(groups[0].ID); !slices.Equal(m, users[:2]) {
		t.Errorf("members %v", m)
	}
	if n := len(srv.CallsTo("core_group_create_groups")); n != 1 {
		t.Errorf("group created %d times", n)
	}
	// Only enrolled users may be members.
	wantCode(t, c.AddToGroup(ctx, course, "Session A & B", itoa(users[2])), "invalidparameter", false)
	if err := c.AddToGroup(ctx, 999, "X", itoa(users[0])); !errors.Is(err, lms.ErrNoCourse) {
		t.Errorf("unknown course: %v", err)
	}
	// Unenrolling takes the user out of the course's groups.
	if err := c.Unenrol(ctx, itoa(users[0]), course); err != nil {
		t.Fatal(err)
	}
	if m := srv.GroupMembers(groups[0].ID); !slices.Equal(m, users[1:2]) {
		t.Errorf("members after unenrol %v", m)
	}
	noRejectedKeys(t, srv)
}

func TestEnrolManyBatches(t *testing.T) {
	ctx := context.Background()
	srv, c := setup(t, moodletest.Options{}, moodle.Options{BatchSize: 2})
	course := srv.AddCourse(moodletest.Course{Shortname: "B", Fullname: "B", Visible: true})
	var es []lms.Enrolment
	for i := range 5 {
		id := srv.AddUser(moodletest.User{Username: "u" + itoa(int64(i)), Email: "u" + itoa(int64(i)) + "@example.com", FirstName: "U", LastName: "V"})
		es = append(es, lms.Enrolment{UserRef: itoa(id), CourseID: course, Role: "student"})
	}
	if err := c.EnrolMany(ctx, es); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.CallsTo("enrol_manual_enrol_users")); n != 3 {
		t.Errorf("%d calls for 5 enrolments by 2, want 3", n)
	}
	if n := len(srv.Enrolments(course)); n != 5 {
		t.Errorf("%d enrolled", n)
	}
	// One bad item fails its batch only; Moodle rolled that batch back.
	es[3].UserRef = "999"
	for i := range es {
		es[i].CourseID = srv.AddCourse(moodletest.Course{Shortname: "B" + itoa(int64(i)), Fullname: "B", Visible: true})
	}
	if err := c.EnrolMany(ctx, es); !errors.Is(err, lms.ErrNoUser) {
		t.Errorf("EnrolMany with a bad user: %v", err)
	}
	for i, e := range es {
		_, enrolled := srv.Enrolment(parse(e.UserRef), e.CourseID)
		if enrolled != (i < 2) {
			t.Errorf("enrolment %d: enrolled %v", i, enrolled)
		}
	}
	if err := c.UnenrolMany(ctx, es[:2]); err != nil {
		t.Fatal(err)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	srv, c := setup(t, moodletest.Options{}, moodle.Options{Timeout: 300 * time.Millisecond})

	// Errors in HTTP 200 bodies keep Moodle's code and are permanent.
	srv.DenyCapability("moodle/user:create")
	_, err := c.CreateUser(ctx, lms.NewUser{Username: "x", Email: "x@example.com", Profile: lms.Profile{FirstName: "X", LastName: "Y"}})
	e := wantCode(t, err, "nopermissions", false)
	if !strings.Contains(e.Message, "Create users") || e.Op != "core_user_create_users" {
		t.Errorf("error %+v", e)
	}
	srv.RemoveFunction("core_course_get_courses_by_field")
	_, err = c.Course(ctx, lms.CourseRef{ID: 2})
	wantCode(t, err, "accessexception", false)
	if errors.Is(err, lms.ErrNoCourse) {
		t.Error("a missing function taken for a missing course")
	}
	_, bad := setupSameToken(t, srv, "ffffffffffffffffffffffffffffffff")
	_, err = bad.SiteInfo(ctx)
	wantCode(t, err, "invalidtoken", false)

	// Web services off: 403, permanent, in plain words.
	srv.SetWebServices(false)
	_, err = c.SiteInfo(ctx)
	e = wantCode(t, err, "webservicesnotenabled", false)
	if !strings.Contains(e.Message, "web services") {
		t.Errorf("message %q", e.Message)
	}
	srv.SetWebServices(true)

	// Maintenance mode passes.
	srv.SetMaintenance(true)
	_, err = c.SiteInfo(ctx)
	wantCode(t, err, "sitemaintenance", true)
	srv.SetMaintenance(false)

	// Transport failures are retryable; the fault is used up after.
	for _, f := range []moodletest.Fault{moodletest.Unavailable, moodletest.BadGateway, moodletest.Reset, moodletest.Hang} {
		srv.FailNext(1, f)
		start := time.Now()
		_, err := c.SiteInfo(ctx)
		if !lms.Retryable(err) {
			t.Errorf("fault %d: %v is not retryable", f, err)
		}
		if _, ok := errors.AsType[*lms.Error](err); !ok {
			t.Errorf("fault %d: %T", f, err)
		}
		if f == moodletest.Hang {
			wantCode(t, err, "timeout", true)
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("the timeout took %v", d)
			}
		}
		if _, err := c.SiteInfo(ctx); err != nil {
			t.Errorf("after fault %d: %v", f, err)
		}
	}
	// Token.php goes through the same transport.
	srv.FailNext(1, moodletest.Unavailable)
	if _, err := c.CheckCredentials(ctx, "admin", "x"); !lms.Retryable(err) || errors.Is(err, lms.ErrBadCredentials) {
		t.Errorf("token.php 503: %v", err)
	}
	// The caller giving up is retryable too, and says why.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = c.SiteInfo(cctx)
	if !lms.Retryable(err) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	// A redirect (http:// to https://, typically) is reported, not followed.
	redirect := httptest.NewServer(http.RedirectHandler(srv.URL(), http.StatusMovedPermanently))
	defer redirect.Close()
	ru, _ := url.Parse(redirect.URL)
	_, err = moodle.New(ru, srv.Token(), moodle.Options{RateLimit: -1}).SiteInfo(ctx)
	if e, ok := errors.AsType[*lms.Error](err); !ok || e.Retryable || !strings.Contains(e.Message, "301") || !strings.Contains(e.Message, srv.URL()) {
		t.Errorf("redirect: %v", err)
	}
	// A site that is not Moodle at all.
	u, _ := url.Parse(srv.URL() + "/elsewhere")
	_, err = moodle.New(u, srv.Token(), moodle.Options{RateLimit: -1}).SiteInfo(ctx)
	if e, ok := errors.AsType[*lms.Error](err); !ok || e.Retryable || !strings.Contains(e.Message, "404") {
		t.Errorf("wrong URL: %v", err)
	}
}

func setupSameToken(t *testing.T, srv *moodletest.Server, token string) (*moodletest.Server, *moodle.Client) {
	u, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	return srv, moodle.New(u, token, moodle.Options{RateLimit: -1})
}

func TestRateLimit(t *testing.T) {
	ctx := context.Background()
	_, c := setup(t, moodletest.Options{}, moodle.Options{RateLimit: 40})
	start := time.Now()
	for range 9 {
		if _, err := c.SiteInfo(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// 9 requests at 40/s: the first at once, then 8 × 25ms.
	if d := time.Since(start); d < 195*time.Millisecond {
		t.Errorf("9 requests at 40/s took %v, want ≥ 200ms", d)
	}
}

// TestEveryMethodOn52 runs every method against the stricter 5.2 site
// and checks that the fake refused no argument.
func TestEveryMethodOn52(t *testing.T) {
	ctx := context.Background()
	srv, c := setup(t, moodletest.Options{Release: moodletest.Release52, Debug: true}, moodle.Options{RoleIDs: map[string]int64{"customer": 9}})
	var conn lms.Connector = c
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := conn.SiteInfo(ctx)
	must(err)
	cat, err := conn.CreateCategory(ctx, "Cat", "cat", 0)
	must(err)
	co, err := conn.CreateCourse(ctx, lms.NewCourse{Fullname: "F", Shortname: "F", IDNumber: "f", CategoryID: cat.ID, Visible: true}, nil)
	must(err)
	_, err = conn.CreateCourse(ctx, lms.NewCourse{Fullname: "F2", Shortname: "F2", IDNumber: "f2", CategoryID: cat.ID}, &lms.CourseRef{IDNumber: "f"})
	must(err)
	u, err := conn.CreateUser(ctx, lms.NewUser{Username: "zed", Email: "zed@example.com", Locale: "en", Profile: lms.Profile{FirstName: "Zed", LastName: "Z"}})
	must(err)
	srv.SetPassword(parse(u.Ref), "Zed-pass-1")
	_, err = conn.CheckCredentials(ctx, "zed@example.com", "Zed-pass-1")
	must(err)
	_, err = conn.UsersByEmail(ctx, "ZED@example.com")
	must(err)
	_, err = conn.UserByRef(ctx, u.Ref)
	must(err)
	must(conn.UpdateProfile(ctx, u.Ref, lms.Profile{FirstName: "Zed", LastName: "Zz", Phone: "1"}))
	must(conn.SetSuspended(ctx, u.Ref, false))
	_, err = conn.PasswordSetURL(ctx, u.Ref)
	must(err)
	_, err = conn.Course(ctx, lms.CourseRef{Shortname: "F"})
	must(err)
	must(conn.Enrol(ctx, lms.Enrolment{UserRef: u.Ref, CourseID: co.ID, Role: "customer", End: time.Now().Add(time.Hour)}))
	must(conn.AddToGroup(ctx, co.ID, "G", u.Ref))
	must(conn.AssignRole(ctx, lms.RoleAssignment{UserRef: u.Ref, Role: "student", Level: lms.ContextCourse, InstanceID: co.ID}))
	must(conn.UnassignRole(ctx, lms.RoleAssignment{UserRef: u.Ref, Role: "student", Level: lms.ContextCourse, InstanceID: co.ID}))
	if in, err := conn.Enrolled(ctx, u.Ref, co.ID); err != nil || !in {
		t.Errorf("Enrolled = %v, %v; want true", in, err)
	}
	if got, want := conn.CourseURL(co.ID), srv.URL()+"/course/view.php?id="+itoa(co.ID); got != want {
		t.Errorf("CourseURL = %q, want %q", got, want)
	}
	must(conn.Unenrol(ctx, u.Ref, co.ID))
	for _, call := range srv.Calls() {
		if call.Error != "" {
			t.Errorf("%s answered %s: %s", call.Function, call.Error, call.Debug)
		}
	}
	noRejectedKeys(t, srv)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func parse(ref string) int64 {
	n, _ := strconv.ParseInt(ref, 10, 64)
	return n
}
