package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"courseshop/internal/lms"
)

// Config is the validated configuration of one command run.
type Config struct {
	Addr            string
	DB              string
	Demo            bool
	BaseURL         *url.URL // nil: derived from the listening address
	AdminEmail      string
	AdminPassword   string
	LogFormat       string
	LogLevel        slog.Level
	MaxBodyBytes    int64
	ShutdownTimeout time.Duration
	OrderHold       time.Duration
	// SeatGrace is how long after a seat is assigned its customer may
	// still release it (the learner has not really started yet).
	SeatGrace time.Duration
	// JobLease is how long a production job claimed by a node is held
	// before another node (or the node restarted after a crash) may run it
	// again.
	JobLease    time.Duration
	Metrics     bool
	SMTP        *SMTPServer // nil: no mail server, mails stay captured in the outbox
	MailFrom    string
	SalesEmail  string   // empty: nobody is told of new orders
	MoodleURL   *url.URL // nil: no Moodle site configured
	MoodleToken string   // the shop's web-service token; set together with MoodleURL

	// ExpiringDays is how many days before its end a product instance
	// counts as expiring.
	ExpiringDays int
	// ReminderDays is how many days before an enrolment of a renewable
	// product ends its customer is reminded to renew.
	ReminderDays int
	// AccountGraceDays is how many days after their last product ended
	// the LMS accounts the shop created are suspended (rule C8).
	AccountGraceDays int
	// MoodleRoles maps role shortnames to the Moodle site's role ids, for
	// the roles the shop cannot learn; nil when none is configured.
	MoodleRoles map[string]int64
}

// SMTPServer is the mail server named by --smtp-url, with its defaults
// applied: TLS "starttls" for smtp://, "tls" for smtps://, and the port
// that goes with the TLS mode (25, 587, 465).
type SMTPServer struct {
	Host     string
	Port     int
	Username string // empty: no authentication
	Password string
	TLS      string // "none", "starttls" or "tls"
}

// parseSMTPURL reads smtp://[user[:pass]@]host[:port][?tls=none|starttls]
// or smtps://[user[:pass]@]host[:port].
func parseSMTPURL(s string) (*SMTPServer, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, errors.New("not a URL")
	}
	srv := &SMTPServer{Host: u.Hostname()}
	q := u.Query()
	switch u.Scheme {
	case "smtp":
		srv.TLS = "starttls"
		if v := q.Get("tls"); v == "none" || v == "starttls" {
			srv.TLS = v
		} else if q.Has("tls") {
			return nil, errors.New("tls must be none or starttls with smtp:// (use smtps:// for TLS from the start)")
		}
	case "smtps":
		srv.TLS = "tls"
		if q.Has("tls") && q.Get("tls") != "tls" {
			return nil, errors.New("smtps:// always uses TLS: drop the tls parameter")
		}
	default:
		return nil, errors.New("want smtp://host:587 or smtps://host:465")
	}
	q.Del("tls")
	if len(q) > 0 || (u.Path != "" && u.Path != "/") || u.Opaque != "" {
		return nil, errors.New("want no path and no parameter but tls")
	}
	if srv.Host == "" {
		return nil, errors.New("a host is required")
	}
	srv.Port = map[string]int{"none": 25, "starttls": 587, "tls": 465}[srv.TLS]
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, errors.New("bad port")
		}
		srv.Port = n
	}
	if u.User != nil {
		srv.Username = u.User.Username()
		srv.Password, _ = u.User.Password()
	}
	return srv, nil
}

// Env gives access to the process environment; tests pass a map.
type Env struct {
	Getenv   func(string) string
	ReadFile func(string) ([]byte, error)
}

// ErrHelp is returned when the user asked for -h; usage has been written.
var ErrHelp = flag.ErrHelp

// value is a flag.Value that remembers where its value came from, so errors
// can name the flag or the variable the user actually set.
type value struct {
	s      string
	source string
	bool   bool
}

func (v *value) String() string { return v.s }
func (v *value) Set(s string) error {
	v.s, v.source = s, "flag"
	return nil
}
func (v *value) IsBoolFlag() bool { return v.bool }

// Load parses args (the arguments after the command name) for command,
// reading defaults from env, and returns the positional arguments left after
// the flags. Usage goes to usage on -h.
func Load(command string, args []string, env Env, usage io.Writer) (Config, []string, error) {
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	values := map[string]*value{}
	for _, o := range Options() {
		if !o.accepts(command) {
			continue
		}
		v := &value{s: o.Default, source: "default", bool: o.Bool}
		if err := fromEnv(o, env, v); err != nil {
			return Config{}, nil, err
		}
		values[o.Name] = v
		fs.Var(v, o.Name, o.Usage)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			writeUsage(usage, command)
			return Config{}, nil, ErrHelp
		}
		return Config{}, nil, fmt.Errorf("%v (see courseshop %s -h)", err, command)
	}
	c, err := build(values)
	return c, fs.Args(), err
}

func fromEnv(o Option, env Env, v *value) error {
	plain := env.Getenv(o.Env)
	file := ""
	if o.Secret {
		file = env.Getenv(o.Env + "_FILE")
	}
	switch {
	case plain != "" && file != "":
		return fmt.Errorf("set %s or %s_FILE, not both", o.Env, o.Env)
	case file != "":
		b, err := env.ReadFile(file)
		if err != nil {
			return fmt.Errorf("%s_FILE: %w", o.Env, err)
		}
		v.s, v.source = strings.TrimRight(string(b), "\r\n"), o.Env+"_FILE"
	case plain != "":
		v.s, v.source = plain, o.Env
	}
	return nil
}

// build converts and validates the raw values. Options a command does not
// accept keep their zero value.
func build(values map[string]*value) (Config, error) {
	var c Config
	var errs []string
	bad := func(name, why string) {
		v := values[name]
		where := "--" + name
		if v.source != "flag" && v.source != "default" {
			where = v.source
		}
		shown := v.s
		if secret(name) {
			shown = "…"
		}
		errs = append(errs, fmt.Sprintf("invalid %s %q: %s", where, shown, why))
	}
	get := func(name string) (string, bool) {
		v, ok := values[name]
		if !ok {
			return "", false
		}
		return v.s, true
	}
	if s, ok := get("addr"); ok {
		if _, port, err := net.SplitHostPort(s); err != nil || port == "" {
			bad("addr", "want host:port, e.g. 127.0.0.1:8080")
		}
		c.Addr = s
	}
	if s, ok := get("db"); ok {
		if s == "" {
			bad("db", "a database is required")
		}
		c.DB = s
	}
	for name, dst := range map[string]*bool{"demo": &c.Demo, "metrics": &c.Metrics} {
		if s, ok := get(name); ok {
			b, err := strconv.ParseBool(s)
			if err != nil {
				bad(name, "want true or false")
			}
			*dst = b
		}
	}
	if s, ok := get("base-url"); ok && s != "" {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("base-url", "want an absolute http or https URL")
		}
		c.BaseURL = u
	}
	c.AdminEmail, _ = get("admin-email")
	c.AdminPassword, _ = get("admin-password")
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		errs = append(errs, "COURSESHOP_ADMIN_EMAIL and COURSESHOP_ADMIN_PASSWORD must be set together")
	}
	if s, ok := get("log-format"); ok {
		if s != "text" && s != "json" {
			bad("log-format", "want text or json")
		}
		c.LogFormat = s
	}
	if s, ok := get("log-level"); ok {
		if err := c.LogLevel.UnmarshalText([]byte(s)); err != nil {
			bad("log-level", "want debug, info, warn or error")
		}
	}
	if s, ok := get("max-body"); ok {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1024 {
			bad("max-body", "want a number of bytes, at least 1024")
		}
		c.MaxBodyBytes = n
	}
	if s, ok := get("order-hold"); ok {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Minute {
			bad("order-hold", "want a duration of at least 1m, such as 336h")
		}
		c.OrderHold = d
	}
	if s, ok := get("job-lease"); ok {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Second {
			bad("job-lease", "want a duration of at least 1s, such as 5m")
		}
		c.JobLease = d
	}
	if s, ok := get("seat-release-grace"); ok {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			bad("seat-release-grace", "want a duration such as 24h, or 0")
		}
		c.SeatGrace = d
	}
	for name, dst := range map[string]*int{"expiring-days": &c.ExpiringDays, "renewal-reminder-days": &c.ReminderDays,
		"account-grace-days": &c.AccountGraceDays} {
		if s, ok := get(name); ok {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 3650 {
				bad(name, "want a number of days from 1 to 3650")
			}
			*dst = n
		}
	}
	if s, ok := get("shutdown-timeout"); ok {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			bad("shutdown-timeout", "want a positive duration such as 15s")
		}
		c.ShutdownTimeout = d
	}
	if s, ok := get("smtp-url"); ok && s != "" {
		srv, err := parseSMTPURL(s)
		if err != nil {
			bad("smtp-url", err.Error())
		}
		c.SMTP = srv
	}
	if s, ok := get("mail-from"); ok {
		if _, err := mail.ParseAddress(s); err != nil {
			bad("mail-from", `want an e-mail address, e.g. "Shop <no-reply@example.com>"`)
		}
		c.MailFrom = s
	}
	if s, ok := get("sales-email"); ok && s != "" {
		if _, err := mail.ParseAddress(s); err != nil {
			bad("sales-email", "want an e-mail address")
		}
		c.SalesEmail = s
	}
	if s, ok := get("moodle-url"); ok && s != "" {
		u, err := lms.ParseSiteURL(s)
		if err != nil {
			bad("moodle-url", err.Error())
		}
		c.MoodleURL = u
	}
	if s, ok := get("moodle-token"); ok && s != "" {
		if err := checkToken(s); err != nil {
			bad("moodle-token", err.Error())
		}
		c.MoodleToken = s
	}
	if s, ok := get("moodle-roles"); ok && s != "" {
		roles, err := parseRoleIDs(s)
		if err != nil {
			bad("moodle-roles", err.Error())
		}
		c.MoodleRoles = roles
	}
	if s, ok := get("moodle-url"); ok && (s == "") != (c.MoodleToken == "") {
		errs = append(errs, "COURSESHOP_MOODLE_URL and COURSESHOP_MOODLE_TOKEN must be set together")
	}
	if len(errs) > 0 {
		// One line, so that a bad start-up says everything at once and stays
		// readable in a service manager's log.
		return Config{}, errors.New(strings.Join(errs, "; "))
	}
	return c, nil
}

// parseRoleIDs reads "shortname=id,shortname=id".
func parseRoleIDs(s string) (map[string]int64, error) {
	roles := map[string]int64{}
	for item := range strings.SplitSeq(s, ",") {
		name, num, ok := strings.Cut(strings.TrimSpace(item), "=")
		name = strings.TrimSpace(name)
		id, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
		switch {
		case !ok || name == "" || strings.ContainsAny(name, " \t:") || err != nil || id <= 0:
			return nil, fmt.Errorf("want shortname=id pairs separated by commas, e.g. customer=9,supervisor=10 (got %q)", strings.TrimSpace(item))
		case roles[name] != 0:
			return nil, fmt.Errorf("role %s is given twice", name)
		}
		roles[name] = id
	}
	return roles, nil
}

func secret(name string) bool {
	for _, o := range Options() {
		if o.Name == name {
			return o.Secret
		}
	}
	return false
}

func writeUsage(w io.Writer, command string) {
	fmt.Fprintf(w, "usage: courseshop %s [flags]\n\nflags (each also read from its environment variable):\n", command)
	for _, o := range Options() {
		if !o.accepts(command) {
			continue
		}
		env := o.Env
		if o.Secret {
			env += " or " + o.Env + "_FILE"
		}
		def := ""
		if o.Default != "" {
			def = " (default " + o.Default + ")"
		}
		fmt.Fprintf(w, "  --%s\t%s%s [%s]\n", o.Name, o.Usage, def, env)
	}
}
