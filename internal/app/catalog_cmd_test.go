package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"courseshop/internal/lms/moodletest"
)

func TestCatalogCommand(t *testing.T) {
	ctx := context.Background()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "shop.db")
	fixture := filepath.Join("..", "catalogfile", "testdata", "rich", "catalog.json")
	run := func(args ...string) (string, string, error) {
		env, out, errb := testEnv(args, map[string]string{"COURSESHOP_DB": dsn})
		err := Run(ctx, env)
		return out.String(), errb.String(), err
	}

	out, errs, err := run("catalog", "import", fixture)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, errs)
	}
	if !strings.Contains(out, "products:    7 created, 0 updated, 0 unchanged") || !strings.Contains(out, "created: demo, suisse, archive") {
		t.Errorf("import report:\n%s", out)
	}
	out, _, err = run("catalog", "import", "--db", dsn, fixture)
	if err != nil || !strings.Contains(out, "products:    0 created, 0 updated, 7 unchanged") {
		t.Errorf("second import: %v\n%s", err, out)
	}

	dir := filepath.Join(t.TempDir(), "export")
	out, errs, err = run("catalog", "export", "--out", dir)
	if err != nil {
		t.Fatalf("export: %v\n%s", err, errs)
	}
	if want := filepath.Join(dir, "catalog.json"); !strings.Contains(out, want) {
		t.Errorf("export output %q does not name %s", out, want)
	}
	for _, name := range []string{"catalog.json", "media/pm-101.png", "media/Leaflet-PM-101.pdf"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("export: %v", err)
		}
	}
	// The export imports back as it is, with --out=… spelling too.
	out, _, err = run("catalog", "import", filepath.Join(dir, "catalog.json"))
	if err != nil || !strings.Contains(out, "shops:       0 created, 0 updated, 3 unchanged") {
		t.Errorf("import of the export: %v\n%s", err, out)
	}
	if _, _, err := run("catalog", "export", "--out="+filepath.Join(t.TempDir(), "again")); err != nil {
		t.Errorf("export --out=DIR: %v", err)
	}

	// A broken file: every problem on stderr, one per line, named by the
	// path given; an error (exit 1), not a usage error.
	broken := filepath.Join("..", "catalogfile", "testdata", "broken", "catalog.json")
	out, errs, err = run("catalog", "import", broken)
	if err == nil || !strings.Contains(err.Error(), "nothing was imported") {
		t.Fatalf("broken import: err = %v", err)
	}
	if _, usage := errors.AsType[*UsageError](err); usage {
		t.Errorf("a broken file is not a usage error: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if !slices.Contains(lines, broken+`: catalogs[shop2].products[TIERS].tax_class: unknown tax class "nosuch": not in the file nor in the database`) || len(lines) < 30 {
		t.Errorf("stderr has %d lines:\n%s", len(lines), errs)
	}
	if out != "" {
		t.Errorf("stdout after a rejected import: %q", out)
	}
}

// TestCatalogImportChecksHandlers: `catalog import` refuses a product
// whose handler is unknown or whose parameters are wrong, saying which.
func TestCatalogImportChecksHandlers(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "catalog.json")
	product := func(code, handler, params string) string {
		return `{"code": "` + code + `", "kind": "product", "status": "available", "audience": "everyone", "seat_mode": "none",
		  "texts": {"en": {"name": "N"}}, "prices": {"EUR": [{"up_to": 0, "unit": "1"}]}, "handler": "` + handler + `", "handler_params": ` + params + `}`
	}
	data := `{"format": "courseshop-catalog", "version": 1, "catalogs": [{"code": "c", "name": "C", "products": [` +
		product("OK", "assign_role", `{"role": "manager", "category_id": 2}`) + `,` +
		product("TYPO", "enrol_one_cours", `{"course_idnumber": "x"}`) + `,` +
		product("BAD", "create_category", `{"name": "Space", "parent_id": -1}`) + `]}]}`
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	env, out, errb := testEnv([]string{"catalog", "import", file}, map[string]string{"COURSESHOP_DB": "sqlite:" + filepath.Join(dir, "shop.db")})
	err := Run(context.Background(), env)
	if err == nil || !strings.Contains(err.Error(), "2 problem(s)") {
		t.Fatalf("err = %v, want 2 problems\n%s", err, errb)
	}
	var lines []string // the problems, among the log lines
	for _, l := range strings.Split(errb.String(), "\n") {
		if strings.HasPrefix(l, file+":") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 2 || !strings.HasPrefix(lines[0], file+`: catalogs[c].products[TYPO].handler: unknown handler "enrol_one_cours"`) ||
		!strings.HasPrefix(lines[1], file+": catalogs[c].products[BAD].handler_params: ") || !strings.Contains(lines[1], "parent_id -1") {
		t.Errorf("stderr:\n%s", errb)
	}
	if out.Len() != 0 {
		t.Errorf("stdout after a rejected import: %q", out)
	}
}

func TestCatalogCommandUsage(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "shop.db")
	for _, args := range [][]string{
		{"catalog"},
		{"catalog", "frobnicate"},
		{"catalog", "export"},
		{"catalog", "export", "--out"},
		{"catalog", "export", "--out", "x", "extra"},
		{"catalog", "import"},
		{"catalog", "import", "a.json", "b.json"},
		{"catalog", "import", "--addr", "x:1", "a.json"},
	} {
		env, _, _ := testEnv(args, map[string]string{"COURSESHOP_DB": dsn})
		err := Run(context.Background(), env)
		if _, ok := errors.AsType[*UsageError](err); !ok {
			t.Errorf("Run(%q) = %v, want a UsageError", args, err)
		}
	}
	env, out, _ := testEnv([]string{"catalog", "-h"}, nil)
	if err := Run(context.Background(), env); err != nil || !strings.Contains(out.String(), "catalog export --out DIR") || !strings.Contains(out.String(), "--db") {
		t.Errorf("catalog -h: %v\n%s", err, out)
	}
	env, _, _ = testEnv([]string{"catalog", "import", filepath.Join(t.TempDir(), "missing.json")}, map[string]string{"COURSESHOP_DB": dsn})
	if err := Run(context.Background(), env); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
}

// TestCatalogCheck: `catalog check` looks up in Moodle what each product's
// handler names and reports, product by product, what is missing, until
// the site has it.
func TestCatalogCheck(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := moodletest.New(moodletest.Options{})
	t.Cleanup(srv.Close)
	product := func(code, handler, params string) string {
		return `{"code": "` + code + `", "kind": "product", "status": "available", "audience": "everyone", "seat_mode": "none",
		  "texts": {"en": {"name": "N"}}, "prices": {"EUR": [{"up_to": 0, "unit": "1"}]}, "handler": "` + handler + `", "handler_params": ` + params + `}`
	}
	data := `{"format": "courseshop-catalog", "version": 1, "catalogs": [{"code": "c", "name": "C", "products": [` +
		product("PM", "enrol_one_course", `{"course_idnumber": "pm-101"}`) + `,` +
		product("COACH", "assign_role", `{"role": "coach", "category_idnumber": "clients"}`) + `,` +
		product("OWN", "create_course", `{"template_shortname": "TPL", "fullname": "{answer:company}"}`) + `,` +
		product("LIC", "registered_product", `{"duration_days": 365}`) + `,` +
		product("BOOK", "", `{}`) + `]}]}`
	file := filepath.Join(dir, "catalog.json")
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"COURSESHOP_DB": "sqlite:" + filepath.Join(dir, "shop.db")}
	run := func(args ...string) (string, error) {
		env, out, errb := testEnv(args, vars)
		err := Run(ctx, env)
		if err != nil {
			t.Logf("%s", errb)
		}
		return out.String(), err
	}
	if _, err := run("catalog", "import", file); err != nil {
		t.Fatal(err)
	}
	vars["COURSESHOP_MOODLE_URL"], vars["COURSESHOP_MOODLE_TOKEN"] = srv.URL(), srv.Token()

	report, err := run("catalog", "check")
	if err == nil || !strings.Contains(err.Error(), "4 problem(s) in the 4 product(s) checked") {
		t.Fatalf("err = %v\n%s", err, report)
	}
	wantLine(t, report, "PROBLEM", "c/PM     enrol_one_course    course idnumber pm-101: lms: core_course_get_courses_by_field")
	wantLine(t, report, "PROBLEM", "c/COACH  assign_role         category idnumber clients:")
	wantLine(t, report, "PROBLEM", "c/COACH  assign_role         role coach: lms: roles: unknownrole")
	wantLine(t, report, "PROBLEM", "c/OWN    create_course       template TPL:")
	wantLine(t, report, "ok", "c/LIC    registered_product  nothing to look up in the LMS")
	if strings.Contains(report, "BOOK") {
		t.Errorf("a product without handler was checked:\n%s", report)
	}

	srv.AddCourse(moodletest.Course{Shortname: "PM101", Fullname: "Project management", IDNumber: "pm-101", Visible: true})
	srv.AddCourse(moodletest.Course{Shortname: "TPL", Fullname: "Template", Visible: true})
	srv.AddCategory(moodletest.Category{Name: "Clients", IDNumber: "clients"})
	vars["COURSESHOP_MOODLE_ROLES"] = fmt.Sprintf("coach=%d", srv.AddRole("coach", "Coach"))
	report, err = run("catalog", "check")
	if err != nil {
		t.Fatalf("err = %v\n%s", err, report)
	}
	wantLine(t, report, "ok", "c/PM     enrol_one_course    course idnumber pm-101 (Project management)")
	wantLine(t, report, "ok", "c/PM     enrol_one_course    role student")
	wantLine(t, report, "ok", "c/COACH  assign_role         category idnumber clients (Clients)")
	wantLine(t, report, "ok", "c/OWN    create_course       role editingteacher")
	if !strings.Contains(report, "4 product(s) checked, no problem") {
		t.Errorf("report:\n%s", report)
	}
	if calls := srv.Calls(); slices.ContainsFunc(calls, func(c moodletest.Call) bool { return strings.Contains(c.Function, "create") }) {
		t.Errorf("the check changed the site: %+v", calls)
	}
}
