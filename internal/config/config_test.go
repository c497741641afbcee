package config

import (
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"strings"
	"testing"
	"time"
)

func envOf(vars map[string]string, files map[string]string) Env {
	return Env{
		Getenv: func(k string) string { return vars[k] },
		ReadFile: func(name string) ([]byte, error) {
			if s, ok := files[name]; ok {
				return []byte(s), nil
			}
			return nil, fs.ErrNotExist
		},
	}
}

func TestLoadDefaults(t *testing.T) {
	c, _, err := Load("serve", nil, envOf(nil, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DB != "sqlite:courseshop.db" || c.Demo || !c.Metrics ||
		c.LogFormat != "text" || c.LogLevel != slog.LevelInfo || c.MaxBodyBytes != 1<<20 ||
		c.ShutdownTimeout != 15*time.Second || c.BaseURL != nil || c.OrderHold != 14*24*time.Hour || c.SeatGrace != 24*time.Hour || c.JobLease != 5*time.Minute ||
		c.ExpiringDays != 30 || c.ReminderDays != 14 || c.AccountGraceDays != 30 {
		t.Errorf("defaults = %+v", c)
	}
}

func TestLoadPrecedence(t *testing.T) {
	env := envOf(map[string]string{
		"COURSESHOP_ADDR":                "0.0.0.0:9000",
		"COURSESHOP_DEMO":                "true",
		"COURSESHOP_DB_FILE":             "/run/secrets/db",
		"COURSESHOP_ADMIN_EMAIL":         "boss@example.com",
		"COURSESHOP_ADMIN_PASSWORD_FILE": "/run/secrets/pw",
	}, map[string]string{"/run/secrets/db": "postgres://u:p@db/shop\n", "/run/secrets/pw": "s3cret\n"})
	c, _, err := Load("serve", []string{"--addr", "127.0.0.1:7000", "--log-format=json"}, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7000" {
		t.Errorf("flag must win over env: addr = %q", c.Addr)
	}
	if !c.Demo || c.DB != "postgres://u:p@db/shop" || c.AdminPassword != "s3cret" || c.AdminEmail != "boss@example.com" || c.LogFormat != "json" {
		t.Errorf("env and files not applied: %+v", c)
	}
}

func TestLoadBaseURL(t *testing.T) {
	c, _, err := Load("serve", []string{"--base-url", "https://shop.example.com/"}, envOf(nil, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.BaseURL.String(); got != "https://shop.example.com/" {
		t.Errorf("base URL = %q", got)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		command string
		args    []string
		vars    map[string]string
		want    string
	}{
		{"unknown flag", "serve", []string{"--colour"}, nil, "flag provided but not defined: -colour (see courseshop serve -h)"},
		{"flag of another command", "migrate", []string{"--addr", "x:1"}, nil, "flag provided but not defined: -addr"},
		{"bad addr from env", "serve", nil, map[string]string{"COURSESHOP_ADDR": "8080"}, `invalid COURSESHOP_ADDR "8080": want host:port`},
		{"bad addr from flag", "serve", []string{"--addr", "nope"}, nil, `invalid --addr "nope"`},
		{"bad bool", "serve", []string{"--demo=maybe"}, nil, `invalid --demo "maybe": want true or false`},
		{"bad bool env", "serve", nil, map[string]string{"COURSESHOP_METRICS": "perhaps"}, `invalid COURSESHOP_METRICS "perhaps": want true or false`},
		{"bad level", "serve", nil, map[string]string{"COURSESHOP_LOG_LEVEL": "loud"}, "want debug, info, warn or error"},
		{"bad format", "migrate", []string{"--log-format", "xml"}, nil, "want text or json"},
		{"bad body", "serve", []string{"--max-body", "12"}, nil, "at least 1024"},
		{"bad timeout", "serve", []string{"--shutdown-timeout", "soon"}, nil, "positive duration"},
		{"bad hold", "serve", []string{"--order-hold", "5s"}, nil, "at least 1m"},
		{"bad lease", "serve", []string{"--job-lease", "500ms"}, nil, "invalid --job-lease"},
		{"no expiring days", "serve", []string{"--expiring-days", "0"}, nil, `invalid --expiring-days "0": want a number of days from 1 to 3650`},
		{"bad reminder days", "serve", nil, map[string]string{"COURSESHOP_RENEWAL_REMINDER_DAYS": "2w"}, `invalid COURSESHOP_RENEWAL_REMINDER_DAYS "2w"`},
		{"bad grace days", "serve", []string{"--account-grace-days=-1"}, nil, "want a number of days from 1 to 3650"},
		{"bad base url", "serve", []string{"--base-url", "shop.example.com"}, nil, "absolute http or https URL"},
		{"admin half set", "serve", nil, map[string]string{"COURSESHOP_ADMIN_EMAIL": "a@b.c"}, "must be set together"},
		{"secret twice", "serve", nil, map[string]string{"COURSESHOP_DB": "sqlite:x", "COURSESHOP_DB_FILE": "/f"}, "set COURSESHOP_DB or COURSESHOP_DB_FILE, not both"},
		{"missing secret file", "serve", nil, map[string]string{"COURSESHOP_DB_FILE": "/nope"}, "COURSESHOP_DB_FILE: file does not exist"},
		{"empty db", "migrate", []string{"--db", ""}, nil, "a database is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Load(tc.command, tc.args, envOf(tc.vars, nil), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", err)
			}
		})
	}
}

func TestSecretValuesNotEchoed(t *testing.T) {
	// A bad secret must not be printed back into logs.
	_, _, err := Load("serve", nil, envOf(map[string]string{"COURSESHOP_DB": ""}, nil), nil)
	if err != nil {
		t.Fatalf("empty env must fall back to default, got %v", err)
	}
	_, _, err = Load("migrate", []string{"--db="}, envOf(nil, nil), nil)
	if err == nil || strings.Contains(err.Error(), `""`) {
		t.Errorf("err = %v", err)
	}
}

func TestHelp(t *testing.T) {
	var out bytes.Buffer
	_, _, err := Load("serve", []string{"-h"}, envOf(nil, nil), &out)
	if !errors.Is(err, ErrHelp) {
		t.Fatalf("err = %v", err)
	}
	for _, o := range Options() {
		if o.accepts("serve") && !strings.Contains(out.String(), "--"+o.Name) {
			t.Errorf("usage misses --%s", o.Name)
		}
	}
}

// TestREADMEListsEveryOption keeps the README's configuration table honest.
func TestREADMEListsEveryOption(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range Options() {
		if !bytes.Contains(b, []byte("`"+o.Env+"`")) || !bytes.Contains(b, []byte("`--"+o.Name+"`")) {
			t.Errorf("README.md does not document --%s / %s", o.Name, o.Env)
		}
	}
}

func TestLoadLifecycle(t *testing.T) {
	env := envOf(map[string]string{"COURSESHOP_EXPIRING_DAYS": "60", "COURSESHOP_ACCOUNT_GRACE_DAYS": "90"}, nil)
	c, _, err := Load("serve", []string{"--renewal-reminder-days", "7", "--expiring-days", "45"}, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.ExpiringDays != 45 || c.ReminderDays != 7 || c.AccountGraceDays != 90 {
		t.Errorf("expiring %d, reminder %d, grace %d: want 45 (flag over env), 7, 90", c.ExpiringDays, c.ReminderDays, c.AccountGraceDays)
	}
}

func TestLoadPositional(t *testing.T) {
	_, rest, err := Load("catalog", []string{"--db", "sqlite:x.db", "import", "file.json"}, envOf(nil, nil), nil)
	if err != nil || len(rest) != 2 || rest[0] != "import" || rest[1] != "file.json" {
		t.Errorf("rest = %q, %v", rest, err)
	}
}

func TestLoadMail(t *testing.T) {
	c, _, err := Load("serve", nil, envOf(nil, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTP != nil || c.MailFrom != "courseshop <no-reply@localhost>" || c.SalesEmail != "" {
		t.Errorf("mail defaults: SMTP %+v, from %q, sales %q", c.SMTP, c.MailFrom, c.SalesEmail)
	}
	for _, tc := range []struct {
		url  string
		want SMTPServer
	}{
		{"smtp://mail.example.com", SMTPServer{Host: "mail.example.com", Port: 587, TLS: "starttls"}},
		{"smtp://shop%40example.com:p%3Ass@mail.example.com:2587/", SMTPServer{Host: "mail.example.com", Port: 2587, Username: "shop@example.com", Password: "p:ss", TLS: "starttls"}},
		{"smtp://localhost?tls=none", SMTPServer{Host: "localhost", Port: 25, TLS: "none"}},
		{"smtp://127.0.0.1:1025?tls=none", SMTPServer{Host: "127.0.0.1", Port: 1025, TLS: "none"}},
		{"smtp://u:p@mail.example.com:587?tls=starttls", SMTPServer{Host: "mail.example.com", Port: 587, Username: "u", Password: "p", TLS: "starttls"}},
		{"smtps://u:p@mail.example.com", SMTPServer{Host: "mail.example.com", Port: 465, Username: "u", Password: "p", TLS: "tls"}},
		{"smtps://[::1]:4650?tls=tls", SMTPServer{Host: "::1", Port: 4650, TLS: "tls"}},
	} {
		c, _, err := Load("serve", nil, envOf(map[string]string{"COURSESHOP_SMTP_URL": tc.url}, nil), nil)
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		if c.SMTP == nil || *c.SMTP != tc.want {
			t.Errorf("%s: SMTP = %+v, want %+v", tc.url, c.SMTP, tc.want)
		}
	}

	env := envOf(map[string]string{
		"COURSESHOP_SMTP_URL_FILE": "/run/secrets/smtp",
		"COURSESHOP_MAIL_FROM":     "Demo Formations <shop@demo.example>",
		"COURSESHOP_SALES_EMAIL":   "sales@demo.example",
	}, map[string]string{"/run/secrets/smtp": "smtps://shop:s3cret@mail.demo.example\n"})
	c, _, err = Load("serve", nil, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTP == nil || c.SMTP.Password != "s3cret" || c.MailFrom != "Demo Formations <shop@demo.example>" || c.SalesEmail != "sales@demo.example" {
		t.Errorf("from env and file: SMTP %+v, from %q, sales %q", c.SMTP, c.MailFrom, c.SalesEmail)
	}
}

func TestLoadMailErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"http scheme", []string{"--smtp-url", "http://mail.example.com"}, "want smtp://host:587 or smtps://host:465"},
		{"no scheme", []string{"--smtp-url", "mail.example.com:587"}, "want smtp://host:587 or smtps://host:465"},
		{"no host", []string{"--smtp-url", "smtp://:587"}, "a host is required"},
		{"bad port", []string{"--smtp-url", "smtp://mail.example.com:0"}, "bad port"},
		{"bad tls", []string{"--smtp-url", "smtp://mail.example.com?tls=ssl"}, "tls must be none or starttls"},
		{"smtps without tls", []string{"--smtp-url", "smtps://mail.example.com?tls=none"}, "smtps:// always uses TLS"},
		{"stray parameter", []string{"--smtp-url", "smtp://mail.example.com?auth=plain"}, "no parameter but tls"},
		{"path", []string{"--smtp-url", "smtp://mail.example.com/inbox"}, "no path"},
		{"bad from", []string{"--mail-from", "no-reply"}, `invalid --mail-from "no-reply": want an e-mail address`},
		{"empty from", []string{"--mail-from", ""}, "invalid --mail-from"},
		{"bad sales", []string{"--sales-email", "sales at example"}, `invalid --sales-email "sales at example"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Load("serve", tc.args, envOf(nil, nil), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	// The URL holds a password: it is never echoed.
	_, _, err := Load("serve", []string{"--smtp-url", "ftp://shop:s3cret@mail.example.com"}, envOf(nil, nil), nil)
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), `invalid --smtp-url "…"`) {
		t.Errorf("err = %v", err)
	}
	// Other commands do not take mail options.
	if _, _, err := Load("migrate", []string{"--smtp-url", "smtp://x"}, envOf(nil, nil), nil); err == nil {
		t.Error("migrate accepted --smtp-url")
	}
}

func TestLoadMoodle(t *testing.T) {
	for _, command := range []string{"serve", "lms"} {
		c, _, err := Load(command, nil, envOf(nil, nil), nil)
		if err != nil || c.MoodleURL != nil || c.MoodleToken != "" {
			t.Errorf("%s defaults: %v %q, %v", command, c.MoodleURL, c.MoodleToken, err)
		}
	}
	env := envOf(map[string]string{
		"COURSESHOP_MOODLE_URL":        "https://lms.example.com/moodle/",
		"COURSESHOP_MOODLE_TOKEN_FILE": "/run/secrets/moodle",
	}, map[string]string{"/run/secrets/moodle": "0123456789abcdef0123456789ABCDEF\n"})
	for _, command := range []string{"serve", "lms"} {
		c, _, err := Load(command, nil, env, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.MoodleURL.String() != "https://lms.example.com/moodle/" || c.MoodleToken != "0123456789abcdef0123456789ABCDEF" {
			t.Errorf("%s: %v %q", command, c.MoodleURL, c.MoodleToken)
		}
	}
	c, _, err := Load("lms", []string{"--moodle-url", "http://127.0.0.1:8081", "--moodle-token", "abc123"}, env, nil)
	if err != nil || c.MoodleURL.Host != "127.0.0.1:8081" || c.MoodleToken != "abc123" {
		t.Errorf("flags over env: %v %q %v", c.MoodleURL, c.MoodleToken, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--moodle-url", "lms.example.com", "--moodle-token", "abc"}, `invalid --moodle-url "lms.example.com": want an absolute http or https URL`},
		{[]string{"--moodle-url", "ftp://lms.example.com", "--moodle-token", "abc"}, "absolute http or https URL"},
		{[]string{"--moodle-url", "https://lms.example.com/?x=1", "--moodle-token", "abc"}, "without user, ? or #"},
		{[]string{"--moodle-url", "https://lms.example.com"}, "COURSESHOP_MOODLE_URL and COURSESHOP_MOODLE_TOKEN must be set together"},
		{[]string{"--moodle-token", "abc"}, "must be set together"},
		{[]string{"--moodle-url", "https://lms.example.com", "--moodle-token", "s3cret token"}, `invalid --moodle-token "…": want the token as Moodle shows it`},
	} {
		_, _, err := Load("serve", tc.args, envOf(nil, nil), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.args, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the token was echoed: %v", err)
		}
	}
	// Only serve and lms take them.
	if _, _, err := Load("migrate", []string{"--moodle-url", "https://lms.example.com"}, envOf(nil, nil), nil); err == nil {
		t.Error("migrate accepted --moodle-url")
	}
}

func TestLoadMoodleRoles(t *testing.T) {
	c, _, err := Load("lms", nil, envOf(map[string]string{"COURSESHOP_MOODLE_ROLES": " customer=9, supervisor = 10 "}, nil), nil)
	if err != nil || !maps.Equal(c.MoodleRoles, map[string]int64{"customer": 9, "supervisor": 10}) {
		t.Errorf("MoodleRoles = %v, %v", c.MoodleRoles, err)
	}
	if c, _, err := Load("serve", nil, envOf(nil, nil), nil); err != nil || c.MoodleRoles != nil {
		t.Errorf("default MoodleRoles = %v, %v", c.MoodleRoles, err)
	}
	for _, bad := range []string{"customer", "customer=", "customer=0", "customer=-1", "customer=x", "=9", "my role=9", "a:b=9", "customer=9,,", "customer=9,customer=10"} {
		_, _, err := Load("serve", []string{"--moodle-roles", bad}, envOf(nil, nil), nil)
		if err == nil || !strings.Contains(err.Error(), "invalid --moodle-roles") {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
	if _, _, err := Load("migrate", []string{"--moodle-roles", "customer=9"}, envOf(nil, nil), nil); err == nil {
		t.Error("migrate accepted --moodle-roles")
	}
}
