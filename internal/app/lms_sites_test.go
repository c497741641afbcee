package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"courseshop/internal/lms/moodletest"
)

// shopsFile writes a catalogue file with one shop per code → lms_connector
// and moodle_url ("connector url" or "connector") and imports it into a
// new database, whose DSN it returns.
func shopsFile(t *testing.T, shops map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	var list []string
	for code, site := range shops {
		conn, u, _ := strings.Cut(site, " ")
		list = append(list, `{"code": "`+code+`", "name": "Shop `+code+`", "currency": "EUR", "catalog": "c", "default_locale": "en",
		  "payment_modes": ["test"], "lms_connector": "`+conn+`", "moodle_url": "`+u+`", "enabled": true}`)
	}
	data := `{"format": "courseshop-catalog", "version": 1, "catalogs": [{"code": "c", "name": "C"}], "shops": [` + strings.Join(list, ",") + `]}`
	file := filepath.Join(dir, "catalog.json")
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	dsn := "sqlite:" + filepath.Join(dir, "shop.db")
	env, _, errb := testEnv([]string{"catalog", "import", "--db", dsn, file}, nil)
	if err := Run(context.Background(), env); err != nil {
		t.Fatalf("import: %v\n%s", err, errb)
	}
	return dsn
}

// TestLMSCheckShop: `lms check --shop` checks the site of a shop of the
// database with the shop's own token, or the default site's token when
// the shop is on the default site, and says what is missing otherwise.
func TestLMSCheckShop(t *testing.T) {
	t.Parallel()
	east := moodletest.New(moodletest.Options{SiteName: "East Academy"})
	defer east.Close()
	west := moodletest.New(moodletest.Options{SiteName: "West Academy"})
	defer west.Close()
	dsn := shopsFile(t, map[string]string{"acme-fr": "moodle " + east.URL(), "west": "moodle", "lab": "local"})
	check := func(vars map[string]string, args ...string) (string, error) {
		env, out, errb := testEnv(append([]string{"lms", "check", "--db", dsn}, args...), vars)
		err := Run(context.Background(), env)
		return out.String() + errb.String(), err
	}

	out, err := check(nil, "--shop", "acme-fr")
	if err == nil || !strings.Contains(err.Error(), "COURSESHOP_SHOP_ACME_FR_MOODLE_TOKEN") || !strings.Contains(err.Error(), east.URL()) {
		t.Errorf("no token: %v\n%s", err, out)
	}
	// The default site's token is not sent to another site.
	out, err = check(map[string]string{"COURSESHOP_MOODLE_URL": west.URL(), "COURSESHOP_MOODLE_TOKEN": west.Token()}, "--shop", "acme-fr")
	if err == nil || !strings.Contains(err.Error(), "COURSESHOP_SHOP_ACME_FR_MOODLE_TOKEN") {
		t.Errorf("default token on another site: %v\n%s", err, out)
	}
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(east.Token()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = check(map[string]string{"COURSESHOP_SHOP_ACME_FR_MOODLE_TOKEN_FILE": tokenFile}, "--shop", "acme-fr")
	if err != nil || !strings.Contains(out, "Shop acme-fr") || !strings.Contains(out, "East Academy") || !strings.Contains(out, east.URL()) {
		t.Errorf("shop with its token: %v\n%s", err, out)
	}
	wantLine(t, out, "ok", "enrol_manual_enrol_users")

	// A shop without its own site checks the default one.
	out, err = check(nil, "--shop", "west")
	if err == nil || !strings.Contains(err.Error(), "--moodle-url") {
		t.Errorf("no default site: %v\n%s", err, out)
	}
	out, err = check(map[string]string{"COURSESHOP_MOODLE_URL": west.URL(), "COURSESHOP_MOODLE_TOKEN": west.Token()}, "--shop", "west")
	if err != nil || !strings.Contains(out, "West Academy") {
		t.Errorf("shop on the default site: %v\n%s", err, out)
	}
	west.RemoveFunction("core_group_create_groups")
	out, err = check(map[string]string{"COURSESHOP_MOODLE_URL": west.URL(), "COURSESHOP_MOODLE_TOKEN": west.Token()}, "--shop", "west")
	if err == nil {
		t.Errorf("a missing function passed:\n%s", out)
	}
	wantLine(t, out, "MISSING", "core_group_create_groups")

	if out, err = check(nil, "--shop", "lab"); err == nil || !strings.Contains(err.Error(), "built-in LMS") {
		t.Errorf("local shop: %v\n%s", err, out)
	}
	if out, err = check(nil, "--shop", "nope"); err == nil || !strings.Contains(err.Error(), `no shop "nope"`) {
		t.Errorf("unknown shop: %v\n%s", err, out)
	}
}

// TestServeChecksShopSites: serve refuses to start while a shop on
// Moodle has no site or no token, naming the shop and what to set, and
// starts with each shop on its own site once they are set.
func TestServeChecksShopSites(t *testing.T) {
	east := moodletest.New(moodletest.Options{})
	defer east.Close()
	dsn := shopsFile(t, map[string]string{"acme-fr": "moodle " + east.URL(), "west": "moodle", "lab": "local"})
	serve := func(vars map[string]string) (error, string) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		env, _, errb := testEnv([]string{"serve", "--addr", "127.0.0.1:0", "--db", dsn, "--metrics=false"}, vars)
		ready := make(chan string, 1)
		env.Ready = func(u string) { ready <- u }
		done := make(chan error, 1)
		go func() { done <- Run(ctx, env) }()
		select {
		case err := <-done:
			return err, errb.String()
		case <-ready:
			cancel()
			return <-done, errb.String()
		case <-time.After(30 * time.Second):
			t.Fatal("serve neither started nor failed")
		}
		return nil, ""
	}

	err, logs := serve(nil)
	if err == nil {
		t.Fatalf("serve started without Moodle sites:\n%s", logs)
	}
	for _, want := range []string{"shop acme-fr", "COURSESHOP_SHOP_ACME_FR_MOODLE_TOKEN", "shop west", "--moodle-url"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "shop lab") {
		t.Errorf("the local shop needs nothing: %v", err)
	}

	west := moodletest.New(moodletest.Options{})
	defer west.Close()
	err, logs = serve(map[string]string{"COURSESHOP_SHOP_ACME_FR_MOODLE_TOKEN": east.Token(),
		"COURSESHOP_MOODLE_URL": west.URL(), "COURSESHOP_MOODLE_TOKEN": west.Token()})
	if err != nil {
		t.Fatalf("serve: %v\n%s", err, logs)
	}
	for _, want := range []string{`shop=acme-fr lms="moodle ` + east.URL(), `shop=west lms="moodle ` + west.URL(), `shop=lab lms=built-in`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log does not say %s:\n%s", want, logs)
		}
	}
	if !strings.Contains(logs, "shop uses the built-in LMS, not the Moodle site") {
		t.Errorf("no warning about the local shop while a default site is set:\n%s", logs)
	}
}

// TestCatalogCheckShop: `catalog check --shop` checks one shop's products
// on the shop's own platform, with the shop's token.
func TestCatalogCheckShop(t *testing.T) {
	t.Parallel()
	east := moodletest.New(moodletest.Options{SiteName: "East Academy"})
	defer east.Close()
	dir := t.TempDir()
	data := `{"format": "courseshop-catalog", "version": 1,
	  "catalogs": [{"code": "c", "name": "C", "products": [{"code": "PM", "kind": "product", "status": "available", "audience": "everyone",
	    "seat_mode": "none", "texts": {"en": {"name": "N"}}, "prices": {"EUR": [{"up_to": 0, "unit": "1"}]},
	    "handler": "enrol_one_course", "handler_params": {"course_idnumber": "pm-101"}}]}],
	  "shops": [
	    {"code": "east", "name": "East", "currency": "EUR", "catalog": "c", "default_locale": "en", "payment_modes": ["test"], "lms_connector": "moodle", "moodle_url": "` + east.URL() + `", "enabled": true},
	    {"code": "lab", "name": "Lab", "currency": "EUR", "catalog": "c", "default_locale": "en", "payment_modes": ["test"], "lms_connector": "local", "enabled": true}]}`
	file := filepath.Join(dir, "catalog.json")
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	dsn := "sqlite:" + filepath.Join(dir, "shop.db")
	run := func(vars map[string]string, args ...string) (string, error) {
		env, out, errb := testEnv(append([]string{args[0], args[1], "--db", dsn}, args[2:]...), vars)
		err := Run(context.Background(), env)
		return out.String() + errb.String(), err
	}
	if out, err := run(nil, "catalog", "import", file); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	token := map[string]string{"COURSESHOP_SHOP_EAST_MOODLE_TOKEN": east.Token()}

	if out, err := run(nil, "catalog", "check", "--shop", "east"); err == nil || !strings.Contains(err.Error(), "COURSESHOP_SHOP_EAST_MOODLE_TOKEN") {
		t.Errorf("no token: %v\n%s", err, out)
	}
	out, err := run(token, "catalog", "check", "--shop", "east")
	if err == nil || !strings.Contains(out, "Moodle at "+east.URL()+" (shop east)") {
		t.Errorf("course missing on east: %v\n%s", err, out)
	}
	wantLine(t, out, "PROBLEM", "c/PM  enrol_one_course  course idnumber pm-101")
	east.AddCourse(moodletest.Course{Shortname: "PM101", Fullname: "Project management", IDNumber: "pm-101", Visible: true})
	out, err = run(token, "catalog", "check", "--shop", "east")
	if err != nil {
		t.Errorf("course on east: %v\n%s", err, out)
	}
	wantLine(t, out, "ok", "c/PM  enrol_one_course  course idnumber pm-101 (Project management)")

	// The built-in shop is checked on the built-in LMS, which lacks it.
	out, err = run(token, "catalog", "check", "--shop", "lab")
	if err == nil || !strings.Contains(out, "the built-in LMS (shop lab)") {
		t.Errorf("built-in shop: %v\n%s", err, out)
	}
	if _, err := run(nil, "catalog", "check", "--shop", "nope"); err == nil || !strings.Contains(err.Error(), `no shop "nope"`) {
		t.Errorf("unknown shop: %v", err)
	}
}
