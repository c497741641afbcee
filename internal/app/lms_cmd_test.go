package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"courseshop/internal/config"
	"courseshop/internal/lms"
	"courseshop/internal/lms/moodle"
	"courseshop/internal/lms/moodletest"
)

// runLMSCheck runs `courseshop lms check` against a fake site with extra
// arguments and returns the error and the output.
func runLMSCheck(t *testing.T, srv *moodletest.Server, extra ...string) (error, string) {
	t.Helper()
	args := append([]string{"lms", "check", "--moodle-url", srv.URL(), "--moodle-token", srv.Token()}, extra...)
	env, out, errb := testEnv(args, nil)
	err := Run(context.Background(), env)
	return err, out.String() + errb.String()
}

// line finds the report line about subject and checks its status.
func wantLine(t *testing.T, report, status, subject string) {
	t.Helper()
	re := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(status) + `\s+` + regexp.QuoteMeta(subject))
	if !re.MatchString(report) {
		t.Errorf("report has no %q line for %q:\n%s", status, subject, report)
	}
}

func TestLMSCheckReportsMissingFunctionAndPermission(t *testing.T) {
	t.Parallel()
	srv := moodletest.New(moodletest.Options{SiteName: "Acme Academy"})
	defer srv.Close()
	srv.RemoveFunction("core_group_create_groups")
	srv.DenyCapability("moodle/course:update")

	err, report := runLMSCheck(t, srv)
	if err == nil {
		t.Fatalf("lms check passed:\n%s", report)
	}
	if _, ok := errors.AsType[*UsageError](err); ok {
		t.Fatalf("a failed check is not a usage error: %v", err)
	}
	if !strings.Contains(err.Error(), "2 problem(s)") {
		t.Errorf("err = %v", err)
	}
	for _, want := range []string{"Acme Academy", srv.URL(), moodletest.Release45, "id 3"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	wantLine(t, report, "MISSING", "core_group_create_groups")
	wantLine(t, report, "ok", "core_group_add_group_members")
	wantLine(t, report, "ok", "enrol_manual_enrol_users")
	wantLine(t, report, "PROBLEM", "see course idnumbers")
	if !strings.Contains(report, "moodle/course:update") || !strings.Contains(report, "External services > Functions") {
		t.Errorf("the report does not say what to do:\n%s", report)
	}
	wantLine(t, report, "ok", "read the shop's own account")
	wantLine(t, report, "skipped", "course permissions")
}

func TestLMSCheckCourseProbes(t *testing.T) {
	t.Parallel()
	srv := moodletest.New(moodletest.Options{Release: moodletest.Release52})
	defer srv.Close()
	srv.AddCourse(moodletest.Course{Shortname: "PM-101", Fullname: "PM", IDNumber: "pm-101", Visible: true})

	err, report := runLMSCheck(t, srv, "--course", "pm-101")
	if err != nil {
		t.Fatalf("healthy site: %v\n%s", err, report)
	}
	wantLine(t, report, "ok", `find course "pm-101"`)
	wantLine(t, report, "ok", "list the course's participants")
	wantLine(t, report, "ok", "read the course's groups")
	if !strings.Contains(report, "ready for the shop") || strings.Contains(report, "MISSING") {
		t.Errorf("report:\n%s", report)
	}

	srv.DenyCapability("moodle/course:viewparticipants")
	err, report = runLMSCheck(t, srv, "--course=PM-101") // a shortname works too
	if err == nil {
		t.Fatalf("a missing capability passed:\n%s", report)
	}
	wantLine(t, report, "PROBLEM", "list the course's participants and their roles: nopermissions")
	if !strings.Contains(report, "View participants") {
		t.Errorf("report:\n%s", report)
	}

	srv.AllowCapability("moodle/course:viewparticipants")
	id := srv.AddCourse(moodletest.Course{Shortname: "OLD", Fullname: "Old", IDNumber: "old", Visible: true})
	srv.SetManualEnrol(id, false)
	err, report = runLMSCheck(t, srv, "--course", "old")
	if err == nil {
		t.Fatalf("a course without manual enrolment passed:\n%s", report)
	}
	wantLine(t, report, "PROBLEM", `find course "old": the course has no enabled manual enrolment`)
	err, report = runLMSCheck(t, srv, "--course", "nope")
	if err == nil || !strings.Contains(report, "no course has that idnumber or shortname") {
		t.Errorf("unknown course: %v\n%s", err, report)
	}
}

func TestLMSCheckFromEnvironment(t *testing.T) {
	t.Parallel()
	srv := moodletest.New(moodletest.Options{ShopUserIsAdmin: true})
	defer srv.Close()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(srv.Token()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env, out, _ := testEnv([]string{"lms", "check"}, map[string]string{
		"COURSESHOP_MOODLE_URL":        srv.URL(),
		"COURSESHOP_MOODLE_TOKEN_FILE": tokenFile,
	})
	if err := Run(context.Background(), env); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out.String(), "site administrator") {
		t.Errorf("no word about the administrator token:\n%s", out)
	}
}

func TestLMSCheckUnusableSite(t *testing.T) {
	t.Parallel()
	srv := moodletest.New(moodletest.Options{})
	defer srv.Close()
	srv.SetWebServices(false)
	err, _ := runLMSCheck(t, srv)
	if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "Enable web services") {
		t.Errorf("web services off: %v", err)
	}
	srv.SetWebServices(true)
	env, _, _ := testEnv([]string{"lms", "check", "--moodle-url", srv.URL(), "--moodle-token", "ffffffffffffffffffffffffffffffff"}, nil)
	if err := Run(context.Background(), env); err == nil || !strings.Contains(err.Error(), "invalidtoken") {
		t.Errorf("bad token: %v", err)
	}
}

func TestLMSCheckCreatesDemoCourses(t *testing.T) {
	t.Parallel()
	srv := moodletest.New(moodletest.Options{})
	defer srv.Close()
	courses := filepath.Join("..", "demo", "courses.json")
	srv.AddCourse(moodletest.Course{Shortname: "PM-101", Fullname: "Already there", IDNumber: "pm-101", Visible: true})

	err, report := runLMSCheck(t, srv, "--create-demo-courses", "--courses", courses)
	if err != nil {
		t.Fatalf("%v\n%s", err, report)
	}
	demo, err := readDemoCourses(courses)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(srv.Courses()); got != len(demo) {
		t.Errorf("%d courses in Moodle, want %d", got, len(demo))
	}
	wantLine(t, report, "exists", "pm-101")
	wantLine(t, report, "created", "pm-201")
	for _, d := range demo {
		c, ok := srv.CourseByIDNumber(d.IDNumber)
		if !ok || c.Shortname != d.Shortname || c.Fullname != d.Fullname && d.IDNumber != "pm-101" {
			t.Errorf("course %s: %+v", d.IDNumber, c)
			continue
		}
		cats := srv.Categories()
		name := ""
		for _, cat := range cats {
			if cat.ID == c.CategoryID {
				name = cat.Name
			}
		}
		if d.IDNumber != "pm-101" && name != d.Category {
			t.Errorf("course %s in category %q, want %q", d.IDNumber, name, d.Category)
		}
	}
	nCats := len(srv.Categories())

	// Again: nothing to do.
	err, report = runLMSCheck(t, srv, "--create-demo-courses", "--courses", courses)
	if err != nil {
		t.Fatalf("%v\n%s", err, report)
	}
	if strings.Contains(report, "created") || len(srv.Courses()) != len(demo) || len(srv.Categories()) != nCats {
		t.Errorf("second run changed something:\n%s", report)
	}

	// Without the functions it needs, it says so and fails.
	srv.RemoveFunction("core_course_get_categories")
	err, report = runLMSCheck(t, srv, "--create-demo-courses", "--courses", courses)
	if err == nil || !strings.Contains(report, "without core_course_get_categories") {
		t.Errorf("without get_categories: %v\n%s", err, report)
	}
}

func TestLMSCheckUsage(t *testing.T) {
	t.Parallel()
	srv := moodletest.New(moodletest.Options{})
	defer srv.Close()
	for _, args := range [][]string{
		{"lms"},
		{"lms", "frobnicate"},
		{"lms", "check"},
		{"lms", "check", "--moodle-url", srv.URL()},
		{"lms", "check", "--moodle-url", "not a url", "--moodle-token", "abc"},
		{"lms", "check", "--moodle-url", srv.URL(), "--moodle-token", srv.Token(), "--create-demo-courses"},
		{"lms", "check", "--moodle-url", srv.URL(), "--moodle-token", srv.Token(), "--courses", "x.json"},
		{"lms", "check", "--moodle-url", srv.URL(), "--moodle-token", srv.Token(), "extra"},
		{"lms", "check", "--moodle-url", srv.URL(), "--moodle-token", srv.Token(), "--create-demo-courses=maybe"},
		{"lms", "check", "--db", "sqlite:x.db"},
	} {
		env, _, _ := testEnv(args, nil)
		err := Run(context.Background(), env)
		if _, ok := errors.AsType[*UsageError](err); !ok {
			t.Errorf("Run(%q) = %v, want a UsageError", args, err)
		}
	}
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("usage errors called Moodle %d times", n)
	}
	// A bad courses file changes nothing either.
	bad := filepath.Join(t.TempDir(), "courses.json")
	os.WriteFile(bad, []byte(`[{"shortname":"X"}]`), 0o600)
	err, _ := runLMSCheck(t, srv, "--create-demo-courses", "--courses", bad)
	if err == nil || !strings.Contains(err.Error(), "needs a shortname, a fullname and an idnumber") || len(srv.Calls()) != 0 {
		t.Errorf("bad courses file: %v, %d calls", err, len(srv.Calls()))
	}
	env, out, _ := testEnv([]string{"lms", "-h"}, nil)
	if err := Run(context.Background(), env); err != nil || !strings.Contains(out.String(), "--moodle-token") || !strings.Contains(out.String(), "COURSESHOP_MOODLE_TOKEN_FILE") {
		t.Errorf("lms -h: %v\n%s", err, out)
	}
	env, out, _ = testEnv([]string{"help"}, nil)
	if err := Run(context.Background(), env); err != nil || !strings.Contains(out.String(), "courseshop lms check") {
		t.Errorf("help: %v\n%s", err, out)
	}
}

// TestMoodleRolesConfig: COURSESHOP_MOODLE_ROLES reaches the Moodle client
// that serve and lms check use, and its ids are used as given: a custom
// role nobody holds yet works, and a configured id wins over the standard
// id and over what the course's participants show.
func TestMoodleRolesConfig(t *testing.T) {
	ctx := context.Background()
	srv := moodletest.New(moodletest.Options{})
	t.Cleanup(srv.Close)
	coach := srv.AddRole("coach", "Coach")
	course := srv.AddCourse(moodletest.Course{Shortname: "C1", Fullname: "Course", Visible: true})
	ann := srv.AddUser(moodletest.User{Username: "ann", Email: "ann@example.com", FirstName: "Ann", LastName: "Lee"})
	bob := srv.AddUser(moodletest.User{Username: "bob", Email: "bob@example.com", FirstName: "Bob", LastName: "Ray"})
	load := func(roles string) *moodle.Client {
		t.Helper()
		vars := map[string]string{"COURSESHOP_MOODLE_URL": srv.URL(), "COURSESHOP_MOODLE_TOKEN": srv.Token(), "COURSESHOP_MOODLE_ROLES": roles}
		cfg, _, err := config.Load("serve", nil, config.Env{Getenv: func(k string) string { return vars[k] }, ReadFile: os.ReadFile}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return moodleClient(cfg, lms.Access{URL: cfg.MoodleURL, Token: cfg.MoodleToken})
	}
	ref := func(id int64) string { return strconv.FormatInt(id, 10) }

	// Unconfigured, a custom role nobody holds cannot be given.
	if err := load("").Enrol(ctx, lms.Enrolment{UserRef: ref(ann), CourseID: course, Role: "coach"}); err == nil {
		t.Fatal("an unconfigured custom role was given")
	}
	// Bob is a teacher of the course: a client could learn "teacher" = 4.
	if err := load("").Enrol(ctx, lms.Enrolment{UserRef: ref(bob), CourseID: course, Role: "teacher"}); err != nil {
		t.Fatal(err)
	}
	// This site's "teacher" is configured as the supervisor role (10).
	c := load(fmt.Sprintf("coach=%d, teacher=%d", coach, srv.RoleID("supervisor")))
	for _, role := range []string{"coach", "teacher"} {
		if err := c.Enrol(ctx, lms.Enrolment{UserRef: ref(ann), CourseID: course, Role: role}); err != nil {
			t.Fatalf("enrol as %s: %v", role, err)
		}
	}
	if e, ok := srv.Enrolment(ann, course); !ok || !slices.Equal(e.Roles, []string{"coach", "supervisor"}) {
		t.Errorf("ann's roles %+v, want coach and the configured supervisor id", e.Roles)
	}
}
