package local

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"courseshop/internal/lms"
	"courseshop/internal/lms/lmstest"
	"courseshop/internal/password"
	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

func TestCredentials(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	hash, _ := password.Hash("s3cret-pass", password.Cheap())
	for _, u := range []*store.LMSUser{
		{User: lms.User{Username: "ann", Email: "Ann@Example.com", FirstName: "Ann", LastName: "Martin"}, PasswordHash: hash},
		{User: lms.User{Username: "ann2", Email: "ann@example.com", FirstName: "Ann", LastName: "Other"}}, // same e-mail, no password
		{User: lms.User{Username: "sus", Email: "sus@example.com", Suspended: true}, PasswordHash: hash},
	} {
		if err := st.CreateLMSUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	c := New(st)
	for _, tc := range []struct {
		login, pw string
		want      string // username, or "" for refused
	}{
		{"ann", "s3cret-pass", "ann"},
		{" ANN@example.com ", "s3cret-pass", "ann"},
		{"ann", "wrong", ""},
		{"ann2", "", ""},
		{"sus", "s3cret-pass", ""},
		{"nobody", "s3cret-pass", ""},
		{"nobody@example.com", "x", ""},
	} {
		u, err := c.CheckCredentials(ctx, tc.login, tc.pw)
		if tc.want == "" {
			if !errors.Is(err, lms.ErrBadCredentials) {
				t.Errorf("%q/%q: %v, %v; want ErrBadCredentials", tc.login, tc.pw, u, err)
			}
			continue
		}
		if err != nil || u.Username != tc.want || u.Ref == "" {
			t.Errorf("%q: %+v, %v", tc.login, u, err)
		}
	}
	us, err := c.UsersByEmail(ctx, "ANN@example.com")
	if err != nil || len(us) != 2 {
		t.Errorf("UsersByEmail = %d, %v", len(us), err)
	}
	u, err := c.UserByRef(ctx, us[0].Ref)
	if err != nil || u.LastName != "Martin" {
		t.Errorf("UserByRef = %+v, %v", u, err)
	}
	for _, ref := range []string{"999", "x", ""} {
		if _, err := c.UserByRef(ctx, ref); !errors.Is(err, lms.ErrNoUser) {
			t.Errorf("UserByRef(%q) = %v", ref, err)
		}
	}
}

// TestConformance runs the connector conformance suite on the built-in
// connector, on each engine.
func TestConformance(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore func(testing.TB, ...testkit.Option) *store.Store) {
		lmstest.Run(t, lmstest.Harness{New: func(t *testing.T) lmstest.Env {
			st := newStore(t)
			c := New(st, WithPasswordParams(password.Cheap()))
			return lmstest.Env{
				Connector: c,
				Inspector: inspector{st},
				AddCourse: func(t *testing.T, co lms.Course) int64 {
					t.Helper()
					if err := st.CreateLMSCourse(context.Background(), &co); err != nil {
						t.Fatal(err)
					}
					return co.ID
				},
				SetPassword: func(t *testing.T, ref, pw string) {
					t.Helper()
					setPassword(t, c, ref, pw)
				},
			}
		}})
	})
}

// setPassword goes through the password link as the account's owner would.
func setPassword(t *testing.T, c *Connector, ref, pw string) {
	t.Helper()
	ctx := context.Background()
	url, err := c.PasswordSetURL(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetPassword(ctx, strings.TrimPrefix(url, PasswordPath), pw); err != nil {
		t.Fatal(err)
	}
}

// inspector reads the built-in LMS's state straight from the store.
type inspector struct{ st *store.Store }

func refID(t *testing.T, ref string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil {
		t.Fatalf("user ref %q: %v", ref, err)
	}
	return id
}

func (in inspector) User(t *testing.T, ref string) *lms.User {
	t.Helper()
	u, err := in.st.LMSUserByID(context.Background(), refID(t, ref))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return &u.User
}

func (in inspector) Enrolment(t *testing.T, ref string, courseID int64) *lms.Enrolment {
	t.Helper()
	e, err := in.st.LMSEnrolment(context.Background(), courseID, refID(t, ref))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return &e.Enrolment
}

func (in inspector) RoleAssignments(t *testing.T, ref string) []lms.RoleAssignment {
	t.Helper()
	as, err := in.st.LMSRoleAssignments(context.Background(), refID(t, ref))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]lms.RoleAssignment, len(as))
	for i, a := range as {
		out[i] = a.RoleAssignment
	}
	return out
}

func (in inspector) GroupMembers(t *testing.T, courseID int64, group string) []string {
	t.Helper()
	ctx := context.Background()
	g, err := in.st.LMSGroupByName(ctx, courseID, group)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	ids, err := in.st.LMSGroupMembers(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, id := range ids {
		out = append(out, strconv.FormatInt(id, 10))
	}
	return out
}

func (in inspector) CourseTemplate(t *testing.T, courseID int64) int64 {
	t.Helper()
	id, err := in.st.LMSCourseTemplate(context.Background(), courseID)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// permanent checks that err is a permanent *lms.Error matching target.
func permanent(t *testing.T, what string, err, target error) {
	t.Helper()
	var le *lms.Error
	if !errors.As(err, &le) || le.Retryable || le.Op == "" || !errors.Is(err, target) {
		t.Errorf("%s: %v, want a permanent *lms.Error matching %v", what, err, target)
	}
}

// mutableClock is a store clock that tests move forward.
type mutableClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *mutableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *mutableClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestPasswordLinks(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore func(testing.TB, ...testkit.Option) *store.Store) {
		ctx := context.Background()
		clock := &mutableClock{now: time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)}
		st := newStore(t, testkit.WithClock(clock.Now))
		c := New(st, WithPasswordParams(password.Cheap()), WithBaseURL("https://shop.example.com/"))
		u, err := c.CreateUser(ctx, lms.NewUser{Username: "new.buyer", Email: "New.Buyer@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		su, err := st.LMSUserByID(ctx, refID(t, u.Ref))
		if err != nil || !su.CreatedByShop || su.PasswordHash != "" || su.Locale != "en" {
			t.Fatalf("created user = %+v, %v; want created by the shop, no password, locale en", su, err)
		}

		link := func() string {
			t.Helper()
			url, err := c.PasswordSetURL(ctx, u.Ref)
			if err != nil {
				t.Fatal(err)
			}
			const prefix = "https://shop.example.com" + PasswordPath
			if !strings.HasPrefix(url, prefix) || len(url) != len(prefix)+43 {
				t.Fatalf("PasswordSetURL = %q, want %s<43-character token>", url, prefix)
			}
			return strings.TrimPrefix(url, prefix)
		}
		first, second := link(), link()
		if first == second {
			t.Fatal("two links share a token")
		}
		if got, err := c.PasswordTokenUser(ctx, first); err != nil || got.Ref != u.Ref {
			t.Errorf("PasswordTokenUser = %+v, %v", got, err)
		}
		permanent(t, "short password", c.SetPassword(ctx, second, "short"), ErrWeakPassword)
		if err := c.SetPassword(ctx, second, "long enough"); err != nil {
			t.Fatalf("SetPassword after a refused short one: %v", err)
		}
		if got, err := c.CheckCredentials(ctx, "new.buyer@EXAMPLE.com", "long enough"); err != nil || got.Ref != u.Ref {
			t.Errorf("signing in with the new password: %+v, %v", got, err)
		}
		su, _ = st.LMSUserByID(ctx, su.ID)
		if !strings.Contains(su.PasswordHash, "m=64,t=1,p=1") {
			t.Errorf("hash %q does not use the injected parameters", su.PasswordHash)
		}
		permanent(t, "used link", c.SetPassword(ctx, second, "another one"), ErrBadToken)
		permanent(t, "older link after a password was set", c.SetPassword(ctx, first, "another one"), ErrBadToken)
		_, err = c.PasswordTokenUser(ctx, first)
		permanent(t, "PasswordTokenUser of a used link", err, ErrBadToken)
		permanent(t, "unknown link", c.SetPassword(ctx, "nonsense", "another one"), ErrBadToken)

		third := link()
		clock.Advance(DefaultPasswordLinkTTL - time.Second)
		if _, err := c.PasswordTokenUser(ctx, third); err != nil {
			t.Errorf("a link about to expire: %v", err)
		}
		clock.Advance(time.Second)
		permanent(t, "expired link", c.SetPassword(ctx, third, "too late now"), ErrBadToken)
		if _, err := c.CheckCredentials(ctx, "new.buyer", "long enough"); err != nil {
			t.Errorf("a refused link changed the password: %v", err)
		}

		_, err = c.PasswordSetURL(ctx, "424242")
		permanent(t, "PasswordSetURL of nobody", err, lms.ErrNoUser)
		if path, err := New(st).PasswordSetURL(ctx, u.Ref); err != nil || !strings.HasPrefix(path, PasswordPath) {
			t.Errorf("without a base URL, PasswordSetURL = %q, %v; want a path", path, err)
		}
	})
}

// TestCourseURL: a course's page is the built-in LMS's course page, under
// the shop's address when the connector has it.
func TestCourseURL(t *testing.T) {
	st := testkit.NewStore(t)
	if got := New(st, WithBaseURL("https://shop.example.com/")).CourseURL(42); got != "https://shop.example.com/lms/courses/42" {
		t.Errorf("CourseURL = %q", got)
	}
	if got := New(st).CourseURL(42); got != CoursePath+"42" {
		t.Errorf("without a base URL, CourseURL = %q; want a path", got)
	}
}

func TestEnrolments(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore func(testing.TB, ...testkit.Option) *store.Store) {
		ctx := context.Background()
		st := newStore(t)
		c := New(st, WithPasswordParams(password.Cheap()))
		u, err := c.CreateUser(ctx, lms.NewUser{Username: "lea", Email: "lea@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		cat, _ := c.CreateCategory(ctx, "Cat", "", 0)
		b, _ := c.CreateCourse(ctx, lms.NewCourse{Fullname: "Bravo", Shortname: "B", CategoryID: cat.ID}, nil)
		a, _ := c.CreateCourse(ctx, lms.NewCourse{Fullname: "Alpha", Shortname: "A", IDNumber: "a"}, nil)
		jan := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		jun := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
		for _, e := range []lms.Enrolment{
			{UserRef: u.Ref, CourseID: b.ID, Role: "editingteacher", Start: jan, End: jun},
			{UserRef: u.Ref, CourseID: a.ID, Role: "student"},
		} {
			if err := c.Enrol(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		es, err := c.Enrolments(ctx, u.Ref)
		if err != nil || len(es) != 2 {
			t.Fatalf("Enrolments = %+v, %v", es, err)
		}
		if es[0].Course.ID != a.ID || es[0].Course.IDNumber != "a" || es[0].Role != "student" || !es[0].Start.IsZero() || !es[0].End.IsZero() ||
			es[1].Course.ID != b.ID || es[1].Course.Fullname != "Bravo" || es[1].Course.CategoryID != cat.ID || es[1].Role != "editingteacher" ||
			!es[1].Start.Equal(jan) || !es[1].End.Equal(jun) {
			t.Errorf("Enrolments = %+v", es)
		}
		for _, tc := range []struct {
			now  time.Time
			want bool
		}{{jan.Add(-time.Second), false}, {jan, true}, {jun.Add(-time.Second), true}, {jun, false}} {
			if got := es[1].Active(tc.now); got != tc.want {
				t.Errorf("Active(%v) = %v", tc.now, got)
			}
		}
		if !es[0].Active(jan) || (EnrolmentInfo{Suspended: true}).Active(jan) {
			t.Error("Active ignores an open period or a suspension")
		}

		// Unenrolling from B takes the user's roles in B and B's groups,
		// and nothing else.
		roles := []lms.RoleAssignment{
			{UserRef: u.Ref, Role: "manager", Level: lms.ContextCourse, InstanceID: b.ID},
			{UserRef: u.Ref, Role: "manager", Level: lms.ContextCourse, InstanceID: a.ID},
			{UserRef: u.Ref, Role: "manager", Level: lms.ContextCategory, InstanceID: cat.ID},
			{UserRef: u.Ref, Role: "manager", Level: lms.ContextSystem},
		}
		for _, r := range roles {
			if err := c.AssignRole(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		for _, co := range []int64{a.ID, b.ID} {
			if err := c.AddToGroup(ctx, co, "G", u.Ref); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Unenrol(ctx, u.Ref, b.ID); err != nil {
			t.Fatal(err)
		}
		in := inspector{st}
		if got := in.RoleAssignments(t, u.Ref); len(got) != 3 || slices.Contains(got, roles[0]) {
			t.Errorf("roles after Unenrol(B) = %+v", got)
		}
		if m := in.GroupMembers(t, b.ID, "G"); len(m) != 0 {
			t.Errorf("B's group after Unenrol(B) = %v", m)
		}
		if m := in.GroupMembers(t, a.ID, "G"); len(m) != 1 {
			t.Errorf("A's group after Unenrol(B) = %v", m)
		}
		if es, err := c.Enrolments(ctx, u.Ref); err != nil || len(es) != 1 || es[0].Course.ID != a.ID {
			t.Errorf("Enrolments after Unenrol(B) = %+v, %v", es, err)
		}
		_, err = c.Enrolments(ctx, "424242")
		permanent(t, "Enrolments of nobody", err, lms.ErrNoUser)
	})
}

func TestInvalidRequests(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	c := New(st, WithPasswordParams(password.Cheap()))
	u, err := c.CreateUser(ctx, lms.NewUser{Username: "ok_user-1.x@y", Email: "ok@example.com"})
	if err != nil {
		t.Fatalf("a username with every allowed character: %v", err)
	}
	co, _ := c.CreateCourse(ctx, lms.NewCourse{Fullname: "C", Shortname: "C"}, nil)
	for _, name := range []string{"", "Ann", "an n", "ann!", "é"} {
		_, err := c.CreateUser(ctx, lms.NewUser{Username: name, Email: "x@example.com"})
		permanent(t, "CreateUser("+name+")", err, ErrInvalid)
	}
	for _, email := range []string{"", "ann", "Ann <ann@example.com>"} {
		_, err := c.CreateUser(ctx, lms.NewUser{Username: "fine", Email: email})
		permanent(t, "CreateUser e-mail "+email, err, ErrInvalid)
	}
	jan := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	permanent(t, "Enrol without role", c.Enrol(ctx, lms.Enrolment{UserRef: u.Ref, CourseID: co.ID}), ErrInvalid)
	permanent(t, "Enrol ending before it starts",
		c.Enrol(ctx, lms.Enrolment{UserRef: u.Ref, CourseID: co.ID, Role: "student", Start: jan, End: jan}), ErrInvalid)
	permanent(t, "Enrol in a missing course", c.Enrol(ctx, lms.Enrolment{UserRef: u.Ref, CourseID: co.ID + 9, Role: "student"}), lms.ErrNoCourse)
	permanent(t, "AssignRole unknown level",
		c.AssignRole(ctx, lms.RoleAssignment{UserRef: u.Ref, Role: "r", Level: "module", InstanceID: 1}), ErrInvalid)
	permanent(t, "AssignRole system with instance",
		c.AssignRole(ctx, lms.RoleAssignment{UserRef: u.Ref, Role: "r", Level: lms.ContextSystem, InstanceID: 1}), ErrInvalid)
	permanent(t, "AssignRole without role",
		c.AssignRole(ctx, lms.RoleAssignment{UserRef: u.Ref, Level: lms.ContextCourse, InstanceID: co.ID}), ErrInvalid)
	permanent(t, "AddToGroup without name", c.AddToGroup(ctx, co.ID, " ", u.Ref), ErrInvalid)
	_, err = c.CreateCourse(ctx, lms.NewCourse{Shortname: "X"}, nil)
	permanent(t, "CreateCourse without full name", err, ErrInvalid)
	_, err = c.CreateCategory(ctx, "", "", 0)
	permanent(t, "CreateCategory without name", err, ErrInvalid)

	// A username with "@" signs in as a username too.
	if err := st.SetLMSUserPassword(ctx, refID(t, u.Ref), mustHash(t, "pass-word")); err != nil {
		t.Fatal(err)
	}
	if got, err := c.CheckCredentials(ctx, "ok_user-1.x@y", "pass-word"); err != nil || got.Ref != u.Ref {
		t.Errorf("signing in with a username containing @: %+v, %v", got, err)
	}
}

func mustHash(t *testing.T, pw string) string {
	t.Helper()
	h, err := password.Hash(pw, password.Cheap())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestErrorClassification(t *testing.T) {
	if err := fail("op", nil); err != nil {
		t.Errorf("fail(nil) = %v", err)
	}
	err := fail("enrol", fmt.Errorf("wrapped: %w", store.ErrConstraint))
	var le *lms.Error
	if !errors.As(err, &le) || le.Retryable || le.Op != "enrol" || !errors.Is(err, store.ErrConstraint) {
		t.Errorf("fail(constraint) = %#v", err)
	}
	orig := &lms.Error{Op: "inner", Retryable: true}
	if got := fail("outer", fmt.Errorf("ctx: %w", orig)); !lms.Retryable(got) {
		t.Errorf("fail lost an inner *lms.Error's classification: %v", got)
	}
	s, err := New(nil).SiteInfo(context.Background())
	if err != nil || s.Name != "courseshop built-in LMS" || s.Version != "builtin" || s.Functions != nil {
		t.Errorf("SiteInfo = %+v, %v", s, err)
	}
}
