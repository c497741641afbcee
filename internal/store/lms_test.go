package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"courseshop/internal/lms"
	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

var equalTimes = cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })

// The built-in LMS's tables, on each engine.
func TestLMSStore(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		for name, fn := range map[string]func(*testing.T, newStoreFunc){
			"CourseLookups":   testLMSCourseLookups,
			"Users":           testLMSUsers,
			"PasswordTokens":  testLMSPasswordTokens,
			"Enrolments":      testLMSEnrolments,
			"RoleAssignments": testLMSRoleAssignments,
			"Groups":          testLMSGroups,
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				fn(t, newStore)
			})
		}
	})
}

func testLMSCourseLookups(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t, testkit.WithClock(clock()))
	cat := &lms.Category{Name: "Top", IDNumber: "top"}
	must(t, s.CreateLMSCategory(ctx, cat))
	got, err := s.LMSCategoryByID(ctx, cat.ID)
	must(t, err)
	if diff := cmp.Diff(cat, got, equalTimes); diff != "" {
		t.Errorf("LMSCategoryByID mismatch (-want +got):\n%s", diff)
	}
	if _, err := s.LMSCategoryByID(ctx, cat.ID+1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing category: %v", err)
	}

	tpl := &lms.Course{CategoryID: cat.ID, Shortname: "TPL", Fullname: "Template", IDNumber: "tpl", Summary: "S", Visible: true}
	must(t, s.CreateLMSCourse(ctx, tpl))
	made := &lms.Course{Shortname: "MADE", Fullname: "Made"} // no category, no idnumber, hidden
	must(t, s.CreateLMSCourseFromTemplate(ctx, made, tpl.ID))
	for _, tc := range []struct {
		name string
		get  func() (*lms.Course, error)
		want *lms.Course
	}{
		{"by ID", func() (*lms.Course, error) { return s.LMSCourseByID(ctx, tpl.ID) }, tpl},
		{"by idnumber", func() (*lms.Course, error) { return s.LMSCourseByIDNumber(ctx, "tpl") }, tpl},
		{"by shortname", func() (*lms.Course, error) { return s.LMSCourseByShortname(ctx, "TPL") }, tpl},
		{"without idnumber", func() (*lms.Course, error) { return s.LMSCourseByShortname(ctx, "MADE") }, made},
	} {
		got, err := tc.get()
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, equalTimes); diff != "" || !got.CreatedAt.Equal(fixed) {
			t.Errorf("%s mismatch (-want +got):\n%s", tc.name, diff)
		}
	}
	for name, get := range map[string]func() (*lms.Course, error){
		"ID":         func() (*lms.Course, error) { return s.LMSCourseByID(ctx, made.ID+1) },
		"idnumber":   func() (*lms.Course, error) { return s.LMSCourseByIDNumber(ctx, "nope") },
		"empty":      func() (*lms.Course, error) { return s.LMSCourseByIDNumber(ctx, "") }, // NULL is no ID number
		"shortname":  func() (*lms.Course, error) { return s.LMSCourseByShortname(ctx, "nope") },
		"other case": func() (*lms.Course, error) { return s.LMSCourseByShortname(ctx, "tpl") },
	} {
		if _, err := get(); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing course by %s: %v", name, err)
		}
	}
	for id, want := range map[int64]int64{tpl.ID: 0, made.ID: tpl.ID} {
		if got, err := s.LMSCourseTemplate(ctx, id); err != nil || got != want {
			t.Errorf("LMSCourseTemplate(%d) = %d, %v; want %d", id, got, err, want)
		}
	}
	if _, err := s.LMSCourseTemplate(ctx, made.ID+1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LMSCourseTemplate of a missing course: %v", err)
	}
	if err := s.CreateLMSCourse(ctx, &lms.Course{Shortname: "TPL", Fullname: "Dup"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate shortname: %v", err)
	}
	if err := s.CreateLMSCourse(ctx, &lms.Course{Shortname: "X", Fullname: "X", CategoryID: cat.ID + 99}); !errors.Is(err, store.ErrConstraint) {
		t.Errorf("missing category: %v", err)
	}
}

func newLMSUser(t *testing.T, s *store.Store, username string) *store.LMSUser {
	t.Helper()
	u := &store.LMSUser{User: lms.User{Username: username, Email: username + "@example.com", Locale: "en"}, PasswordHash: "$argon2id$old"}
	must(t, s.CreateLMSUser(context.Background(), u))
	return u
}

func testLMSUsers(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t)
	u := newLMSUser(t, s, "ann")
	p := lms.Profile{FirstName: "Ann", LastName: "Martin", City: "Lyon", Country: "FR", Institution: "I", Department: "D", Phone: "P"}
	must(t, s.UpdateLMSUserProfile(ctx, u.ID, p))
	must(t, s.SetLMSUserSuspended(ctx, u.ID, true))
	got, err := s.LMSUserByID(ctx, u.ID)
	must(t, err)
	want := *u
	want.FirstName, want.LastName, want.City, want.Country = p.FirstName, p.LastName, p.City, p.Country
	want.Institution, want.Department, want.Phone, want.Suspended = p.Institution, p.Department, p.Phone, true
	if *got != want {
		t.Errorf("after profile and suspension: %+v, want %+v", got, want)
	}
	must(t, s.SetLMSUserPassword(ctx, u.ID, "$argon2id$new"))
	must(t, s.SetLMSUserSuspended(ctx, u.ID, false))
	got, _ = s.LMSUserByID(ctx, u.ID)
	if got.PasswordHash != "$argon2id$new" || got.Suspended || got.FirstName != "Ann" || got.Phone != "P" || got.Email != u.Email {
		t.Errorf("after password and reactivation: %+v", got)
	}
	for name, err := range map[string]error{
		"profile":  s.UpdateLMSUserProfile(ctx, u.ID+1, p),
		"suspend":  s.SetLMSUserSuspended(ctx, u.ID+1, true),
		"password": s.SetLMSUserPassword(ctx, u.ID+1, "x"),
	} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s of a missing user: %v", name, err)
		}
	}
}

// lmsClock is a store clock that the test moves.
type lmsClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *lmsClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *lmsClock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

func testLMSPasswordTokens(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	clk := &lmsClock{now: fixed}
	s := newStore(t, testkit.WithClock(clk.Now))
	u, v := newLMSUser(t, s, "u"), newLMSUser(t, s, "v")
	exp, err := s.CreateLMSPasswordToken(ctx, "h1", u.ID, time.Hour)
	if err != nil || !exp.Equal(fixed.Add(time.Hour)) {
		t.Fatalf("CreateLMSPasswordToken = %v, %v", exp, err)
	}
	_, err = s.CreateLMSPasswordToken(ctx, "h2", u.ID, time.Hour)
	must(t, err)
	_, err = s.CreateLMSPasswordToken(ctx, "hv", v.ID, time.Hour)
	must(t, err)
	if _, err := s.CreateLMSPasswordToken(ctx, "h1", v.ID, time.Hour); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate token hash: %v", err)
	}
	if id, err := s.LMSPasswordToken(ctx, "h1"); err != nil || id != u.ID {
		t.Errorf("LMSPasswordToken(h1) = %d, %v", id, err)
	}
	if id, err := s.UseLMSPasswordToken(ctx, "h2"); err != nil || id != u.ID {
		t.Errorf("UseLMSPasswordToken(h2) = %d, %v", id, err)
	}
	// Using h2 retired u's other link, not v's.
	for _, h := range []string{"h1", "h2", "nope"} {
		if _, err := s.LMSPasswordToken(ctx, h); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LMSPasswordToken(%s) after use: %v", h, err)
		}
		if _, err := s.UseLMSPasswordToken(ctx, h); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UseLMSPasswordToken(%s) after use: %v", h, err)
		}
	}
	clk.Advance(time.Hour)
	if _, err := s.UseLMSPasswordToken(ctx, "hv"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired token: %v", err)
	}
}

func testLMSEnrolments(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	clk := &lmsClock{now: fixed}
	s := newStore(t, testkit.WithClock(clk.Now))
	u, v := newLMSUser(t, s, "u"), newLMSUser(t, s, "v")
	b := &lms.Course{Shortname: "B", Fullname: "Bravo", Summary: "b", IDNumber: "b"}
	a := &lms.Course{Shortname: "A", Fullname: "Alpha", Visible: true}
	must(t, s.CreateLMSCourse(ctx, b))
	must(t, s.CreateLMSCourse(ctx, a))
	// Sub-microsecond parts are dropped, as everywhere in the store.
	start := time.Date(2027, 1, 1, 9, 0, 0, 123456789, time.FixedZone("CET", 3600))
	end := start.AddDate(0, 6, 0)

	e := &store.LMSEnrolment{UserID: u.ID, Enrolment: lms.Enrolment{CourseID: b.ID, Role: "student", Start: start, End: end}}
	must(t, s.UpsertLMSEnrolment(ctx, e))
	if e.ID == 0 || e.UserRef != u.Ref || !e.CreatedAt.Equal(fixed) {
		t.Errorf("UpsertLMSEnrolment set %+v", e)
	}
	got, err := s.LMSEnrolment(ctx, b.ID, u.ID)
	must(t, err)
	if got.ID != e.ID || got.UserRef != u.Ref || got.Role != "student" || !got.Start.Equal(start.Truncate(time.Microsecond)) ||
		!got.End.Equal(end.Truncate(time.Microsecond)) || got.Suspended {
		t.Errorf("LMSEnrolment = %+v", got)
	}

	// Again: the same row, with the new role, period and suspension.
	clk.Advance(time.Minute)
	again := &store.LMSEnrolment{UserID: u.ID, Enrolment: lms.Enrolment{CourseID: b.ID, Role: "teacher", End: end.AddDate(1, 0, 0), Suspended: true}}
	must(t, s.UpsertLMSEnrolment(ctx, again))
	if again.ID != e.ID || !again.CreatedAt.Equal(fixed) || !again.UpdatedAt.Equal(fixed.Add(time.Minute)) {
		t.Errorf("second upsert = %+v, want the first row (id %d)", again, e.ID)
	}
	got, _ = s.LMSEnrolment(ctx, b.ID, u.ID)
	if got.Role != "teacher" || !got.Start.IsZero() || !got.End.Equal(end.AddDate(1, 0, 0).Truncate(time.Microsecond)) || !got.Suspended {
		t.Errorf("after the second upsert: %+v", got)
	}

	must(t, s.UpsertLMSEnrolment(ctx, &store.LMSEnrolment{UserID: u.ID, Enrolment: lms.Enrolment{CourseID: a.ID, Role: "student"}}))
	must(t, s.UpsertLMSEnrolment(ctx, &store.LMSEnrolment{UserID: v.ID, Enrolment: lms.Enrolment{CourseID: a.ID, Role: "student"}}))
	list, err := s.LMSEnrolments(ctx, u.ID)
	must(t, err)
	if len(list) != 2 || list[0].Course.ID != a.ID || list[0].Course.Fullname != "Alpha" || !list[0].Course.Visible ||
		list[0].CourseID != a.ID || list[1].Course.IDNumber != "b" || list[1].Course.Summary != "b" || list[1].Role != "teacher" ||
		!list[1].Course.CreatedAt.Equal(fixed) {
		t.Errorf("LMSEnrolments = %+v", list)
	}
	if list, err := s.LMSEnrolments(ctx, v.ID+100); err != nil || len(list) != 0 {
		t.Errorf("LMSEnrolments of nobody = %v, %v", list, err)
	}

	for name, en := range map[string]*store.LMSEnrolment{
		"missing course": {UserID: u.ID, Enrolment: lms.Enrolment{CourseID: a.ID + 100, Role: "student"}},
		"missing user":   {UserID: v.ID + 100, Enrolment: lms.Enrolment{CourseID: a.ID, Role: "student"}},
	} {
		if err := s.UpsertLMSEnrolment(ctx, en); !errors.Is(err, store.ErrConstraint) {
			t.Errorf("%s: %v", name, err)
		}
	}

	// Unenrolling from B takes u's roles in B and B's groups, and nothing
	// else.
	grB, grA := &store.LMSGroup{CourseID: b.ID, Name: "g"}, &store.LMSGroup{CourseID: a.ID, Name: "g"}
	must(t, s.CreateLMSGroup(ctx, grB))
	must(t, s.CreateLMSGroup(ctx, grA))
	for _, g := range []int64{grB.ID, grA.ID} {
		must(t, s.AddLMSGroupMember(ctx, g, u.ID))
		must(t, s.AddLMSGroupMember(ctx, g, v.ID))
	}
	for _, ra := range []store.LMSRoleAssignment{
		{UserID: u.ID, RoleAssignment: lms.RoleAssignment{Role: "r", Level: lms.ContextCourse, InstanceID: b.ID}},
		{UserID: u.ID, RoleAssignment: lms.RoleAssignment{Role: "r", Level: lms.ContextCourse, InstanceID: a.ID}},
		{UserID: u.ID, RoleAssignment: lms.RoleAssignment{Role: "r", Level: lms.ContextCategory, InstanceID: b.ID}},
		{UserID: v.ID, RoleAssignment: lms.RoleAssignment{Role: "r", Level: lms.ContextCourse, InstanceID: b.ID}},
	} {
		must(t, s.UpsertLMSRoleAssignment(ctx, &ra))
	}
	must(t, s.DeleteLMSEnrolment(ctx, b.ID, u.ID))
	if _, err := s.LMSEnrolment(ctx, b.ID, u.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("enrolment after delete: %v", err)
	}
	if err := s.DeleteLMSEnrolment(ctx, b.ID, u.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting again: %v", err)
	}
	roles, _ := s.LMSRoleAssignments(ctx, u.ID)
	if len(roles) != 2 || roles[0].Level != lms.ContextCategory || roles[1].InstanceID != a.ID {
		t.Errorf("u's roles after unenrolment from B = %+v", roles)
	}
	if roles, _ := s.LMSRoleAssignments(ctx, v.ID); len(roles) != 1 {
		t.Errorf("v's roles changed: %+v", roles)
	}
	if m, _ := s.LMSGroupMembers(ctx, grB.ID); !slices.Equal(m, []int64{v.ID}) {
		t.Errorf("B's group = %v, want only v", m)
	}
	if m, _ := s.LMSGroupMembers(ctx, grA.ID); len(m) != 2 {
		t.Errorf("A's group = %v, want both", m)
	}
}

func testLMSRoleAssignments(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	clk := &lmsClock{now: fixed}
	s := newStore(t, testkit.WithClock(clk.Now))
	u := newLMSUser(t, s, "u")
	ra := lms.RoleAssignment{Role: "manager", Level: lms.ContextCategory, InstanceID: 7}
	first := &store.LMSRoleAssignment{UserID: u.ID, RoleAssignment: ra}
	must(t, s.UpsertLMSRoleAssignment(ctx, first))
	clk.Advance(time.Hour)
	second := &store.LMSRoleAssignment{UserID: u.ID, RoleAssignment: ra}
	must(t, s.UpsertLMSRoleAssignment(ctx, second))
	if first.ID == 0 || second.ID != first.ID || !second.CreatedAt.Equal(fixed) || second.UserRef != u.Ref {
		t.Errorf("upserting twice: %+v then %+v", first, second)
	}
	sys := lms.RoleAssignment{Role: "auditor", Level: lms.ContextSystem}
	must(t, s.UpsertLMSRoleAssignment(ctx, &store.LMSRoleAssignment{UserID: u.ID, RoleAssignment: sys}))
	got, err := s.LMSRoleAssignments(ctx, u.ID)
	must(t, err)
	if len(got) != 2 || got[0].RoleAssignment != (lms.RoleAssignment{UserRef: u.Ref, Role: "manager", Level: lms.ContextCategory, InstanceID: 7}) ||
		got[1].Role != "auditor" || got[1].InstanceID != 0 {
		t.Errorf("LMSRoleAssignments = %+v %+v", got[0], got[1])
	}
	if err := s.UpsertLMSRoleAssignment(ctx, &store.LMSRoleAssignment{UserID: u.ID,
		RoleAssignment: lms.RoleAssignment{Role: "x", Level: "module"}}); !errors.Is(err, store.ErrConstraint) {
		t.Errorf("unknown context level: %v", err)
	}
	must(t, s.DeleteLMSRoleAssignment(ctx, u.ID, ra))
	if err := s.DeleteLMSRoleAssignment(ctx, u.ID, ra); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting again: %v", err)
	}
	if got, _ := s.LMSRoleAssignments(ctx, u.ID); len(got) != 1 || got[0].Role != "auditor" {
		t.Errorf("after delete: %+v", got)
	}
}

func testLMSGroups(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t, testkit.WithClock(clock()))
	u, v := newLMSUser(t, s, "u"), newLMSUser(t, s, "v")
	c := &lms.Course{Shortname: "C", Fullname: "C"}
	must(t, s.CreateLMSCourse(ctx, c))
	g := &store.LMSGroup{CourseID: c.ID, Name: "Session 1", IDNumber: "s1"}
	must(t, s.CreateLMSGroup(ctx, g))
	if err := s.CreateLMSGroup(ctx, &store.LMSGroup{CourseID: c.ID, Name: "Session 1"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate group name: %v", err)
	}
	got, err := s.LMSGroupByName(ctx, c.ID, "Session 1")
	must(t, err)
	if diff := cmp.Diff(g, got, equalTimes); diff != "" || !got.CreatedAt.Equal(fixed) {
		t.Errorf("LMSGroupByName mismatch (-want +got):\n%s", diff)
	}
	if _, err := s.LMSGroupByName(ctx, c.ID, "Session 2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing group: %v", err)
	}
	if m, err := s.LMSGroupMembers(ctx, g.ID); err != nil || len(m) != 0 {
		t.Errorf("members of a new group = %v, %v", m, err)
	}
	for _, id := range []int64{v.ID, u.ID, v.ID} {
		must(t, s.AddLMSGroupMember(ctx, g.ID, id))
	}
	if m, err := s.LMSGroupMembers(ctx, g.ID); err != nil || !slices.Equal(m, []int64{u.ID, v.ID}) {
		t.Errorf("members = %v, %v; want [%d %d]", m, err, u.ID, v.ID)
	}
	if err := s.AddLMSGroupMember(ctx, g.ID, v.ID+100); !errors.Is(err, store.ErrConstraint) {
		t.Errorf("missing user: %v", err)
	}
}

func TestIsTransient(t *testing.T) {
	for _, err := range []error{nil, store.ErrNotFound, store.ErrConflict, fmt.Errorf("x: %w", store.ErrConstraint), context.DeadlineExceeded} {
		if store.IsTransient(err) {
			t.Errorf("IsTransient(%v) = true", err)
		}
	}
}
