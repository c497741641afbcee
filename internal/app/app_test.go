package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"courseshop/internal/lms/moodletest"
	"courseshop/internal/store"
	"courseshop/internal/user"
)

func testEnv(args []string, vars map[string]string) (Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return Env{Args: args, Getenv: func(k string) string { return vars[k] }, Stdout: &out, Stderr: &errb}, &out, &errb
}

func TestRunUsageErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"frobnicate"}, {"serve", "--colour"}, {"migrate", "--addr", "x:1"}, {"serve", "--addr", "nope"}, {"serve", "now"}} {
		env, _, _ := testEnv(args, nil)
		err := Run(context.Background(), env)
		if _, ok := errors.AsType[*UsageError](err); !ok {
			t.Errorf("Run(%q) = %v, want a UsageError", args, err)
		}
	}
}

func TestRunVersionAndHelp(t *testing.T) {
	env, out, _ := testEnv([]string{"version"}, nil)
	if err := Run(context.Background(), env); err != nil || !strings.HasPrefix(out.String(), "courseshop ") {
		t.Errorf("version: %v, %q", err, out)
	}
	env, out, _ = testEnv([]string{"serve", "-h"}, nil)
	if err := Run(context.Background(), env); err != nil || !strings.Contains(out.String(), "COURSESHOP_DB_FILE") {
		t.Errorf("serve -h: %v, %q", err, out)
	}
}

func TestMigrate(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "shop.db")
	for range 2 { // the second run finds nothing to do
		env, _, errb := testEnv([]string{"migrate", "--db", dsn}, nil)
		if err := Run(context.Background(), env); err != nil {
			t.Fatalf("migrate: %v\n%s", err, errb)
		}
	}
	st, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n, err := st.CountShops(context.Background()); err != nil || n != 0 {
		t.Errorf("migrated database: %d shops, %v", n, err)
	}
}

func TestServeDemoThenShutdown(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "shop.db")
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	env, out, errb := testEnv([]string{"serve", "--demo", "--addr", "127.0.0.1:0"}, map[string]string{
		"COURSESHOP_DB":             dsn,
		"COURSESHOP_ADMIN_EMAIL":    "boss@example.com",
		"COURSESHOP_ADMIN_PASSWORD": "long enough secret",
		"COURSESHOP_LOG_FORMAT":     "json",
	})
	env.Ready = func(u string) { ready <- u }
	done := make(chan error, 1)
	go func() { done <- Run(ctx, env) }()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("serve ended early: %v\n%s", err, errb)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("GC percent while serving without GOGC: %d, want %d", got, gcPercent)
	}
	for path, want := range map[string]string{"/healthz": `"status":"ok"`, "/shop/demo": "Project management essentials"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(out.String(), base+"/shop/demo") || !strings.Contains(out.String(), "admin@demo.courseshop.test") {
		t.Errorf("demo banner missing: %q", out)
	}
	if !strings.Contains(errb.String(), `"msg":"stopped"`) {
		t.Errorf("logs are not JSON or lack the stop: %s", errb)
	}
	// The demo administrator exists; the configured one was not created
	// because an administrator already existed.
	st, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.UserByEmail(context.Background(), "admin@demo.courseshop.test"); err != nil {
		t.Errorf("demo admin: %v", err)
	}
	if _, err := st.UserByEmail(context.Background(), "boss@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second admin created although one existed: %v", err)
	}
	if n, _ := st.CountUsers(context.Background(), user.RoleAdmin); n != 1 {
		t.Errorf("%d admins", n)
	}
}

func TestServeCreatesConfiguredAdmin(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "shop.db")
	ctx, cancel := context.WithCancel(context.Background())
	env, _, errb := testEnv([]string{"serve", "--addr", "127.0.0.1:0", "--db", dsn}, map[string]string{
		"COURSESHOP_ADMIN_EMAIL": "Boss@Example.com", "COURSESHOP_ADMIN_PASSWORD": "long enough secret"})
	env.Ready = func(string) { cancel() }
	if err := Run(ctx, env); err != nil {
		t.Fatalf("%v\n%s", err, errb)
	}
	st, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByEmail(context.Background(), "boss@example.com")
	if err != nil || u.Role != user.RoleAdmin || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Errorf("admin = %+v, %v", u, err)
	}
	evs, err := st.AuditFor(context.Background(), "user", "1")
	if err != nil || len(evs) != 1 || evs[0].Action != "user.create_admin" {
		t.Errorf("audit = %+v, %v", evs, err)
	}
	if n, _ := st.CountShops(context.Background()); n != 0 {
		t.Error("demo data loaded without --demo")
	}
}

func TestServeRefusesWeakAdminPassword(t *testing.T) {
	env, _, _ := testEnv([]string{"serve", "--addr", "127.0.0.1:0", "--db", "sqlite:" + filepath.Join(t.TempDir(), "s.db")},
		map[string]string{"COURSESHOP_ADMIN_EMAIL": "a@example.com", "COURSESHOP_ADMIN_PASSWORD": "short"})
	if err := Run(context.Background(), env); err == nil || !strings.Contains(err.Error(), "at least 8 characters") {
		t.Errorf("err = %v", err)
	}
}

func TestLocalURL(t *testing.T) {
	for addr, want := range map[string]string{"127.0.0.1:8080": "http://127.0.0.1:8080", "[::]:80": "http://localhost:80", "0.0.0.0:9": "http://localhost:9", "[::1]:7": "http://[::1]:7"} {
		if got := localURL(addr).String(); got != want {
			t.Errorf("localURL(%s) = %s, want %s", addr, got, want)
		}
	}
}

// TestServeOnMoodle: with a Moodle site configured, the shop signs buyers
// in with their Moodle accounts (through the site's token.php) instead of
// the built-in LMS.
func TestServeOnMoodle(t *testing.T) {
	site := moodletest.New(moodletest.Options{})
	defer site.Close()
	site.AddUser(moodletest.User{Username: "mia", Password: "Moodle-pass-1", Email: "mia@example.com", FirstName: "Mia", LastName: "Moodle", Auth: "manual"})
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	env, _, errb := testEnv([]string{"serve", "--demo", "--addr", "127.0.0.1:0", "--db", "sqlite:" + filepath.Join(t.TempDir(), "shop.db")},
		map[string]string{"COURSESHOP_MOODLE_URL": site.URL(), "COURSESHOP_MOODLE_TOKEN": site.Token()})
	env.Ready = func(u string) { ready <- u }
	done := make(chan error, 1)
	go func() { done <- Run(ctx, env) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v\n%s", err, errb)
	}
	if !strings.Contains(errb.String(), "lms=\"moodle "+site.URL()) {
		t.Errorf("the log does not say the shop runs on Moodle:\n%s", errb)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(base+"/shop/demo/signin", url.Values{"login": {"mia"}, "password": {"Moodle-pass-1"}, "next": {"/shop/demo/cart"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "Signed in as Mia Moodle") {
		t.Errorf("sign-in through Moodle failed: %d\n%s", resp.StatusCode, b)
	}
}
