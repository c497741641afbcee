// Package config turns command-line flags and environment variables into a
// typed, validated Config. Every flag has an environment variable
// (COURSESHOP_<NAME>); secrets can also come from a file named by
// COURSESHOP_<NAME>_FILE, as container secrets are mounted. Nothing here is
// global: each call to Load returns a fresh Config.
package config

import "slices"

// Option describes one setting: its flag, environment variable, default and
// the commands that accept it. The table is the single source for flag
// parsing, usage text and the README's configuration table (checked by a test).
type Option struct {
	Name     string // flag name, without dashes
	Env      string // environment variable
	Default  string
	Usage    string
	Secret   bool // also read from Env+"_FILE"
	Bool     bool
	Commands []string
}

const (
	cmdServe     = "serve"
	cmdMigrate   = "migrate"
	cmdCatalog   = "catalog"
	cmdLMS       = "lms"
	cmdDocuments = "documents"
	cmdSupport   = "support"
)

// Options returns the settings table, in the order usage lists them.
func Options() []Option {
	// The commands that open the database and log; lms check --shop only
	// reads a shop from it.
	withDB := []string{cmdServe, cmdMigrate, cmdCatalog, cmdDocuments, cmdSupport}
	db := append(slices.Clone(withDB), cmdLMS)
	serve := []string{cmdServe}
	moodle := []string{cmdServe, cmdLMS, cmdCatalog} // catalog check looks products up in Moodle
	return []Option{
		{Name: "addr", Env: "COURSESHOP_ADDR", Default: "127.0.0.1:8080", Usage: "address the HTTP server listens on", Commands: serve},
		{Name: "db", Env: "COURSESHOP_DB", Default: "sqlite:courseshop.db", Usage: "database: sqlite:PATH or postgres://user:pass@host:port/name", Secret: true, Commands: db},
		{Name: "demo", Env: "COURSESHOP_DEMO", Default: "false", Usage: "load the demo shop into an empty database and create the demo administrator", Bool: true, Commands: serve},
		{Name: "base-url", Env: "COURSESHOP_BASE_URL", Usage: "public URL of the shop, used in links and as trusted origin (default http://ADDR)", Commands: serve},
		{Name: "admin-email", Env: "COURSESHOP_ADMIN_EMAIL", Usage: "e-mail of the first back-office administrator, created at start-up when none exists", Commands: serve},
		{Name: "admin-password", Env: "COURSESHOP_ADMIN_PASSWORD", Usage: "password of that administrator (prefer the _FILE variable)", Secret: true, Commands: serve},
		{Name: "log-format", Env: "COURSESHOP_LOG_FORMAT", Default: "text", Usage: "log format: text or json", Commands: withDB},
		{Name: "log-level", Env: "COURSESHOP_LOG_LEVEL", Default: "info", Usage: "log level: debug, info, warn or error", Commands: withDB},
		{Name: "max-body", Env: "COURSESHOP_MAX_BODY", Default: "1048576", Usage: "largest request body accepted, in bytes", Commands: serve},
		{Name: "seat-release-grace", Env: "COURSESHOP_SEAT_RELEASE_GRACE", Default: "24h", Usage: "how long after assigning a seat its customer may still release it", Commands: serve},
		{Name: "expiring-days", Env: "COURSESHOP_EXPIRING_DAYS", Default: "30", Usage: "days before its end a product instance counts as expiring", Commands: serve},
		{Name: "renewal-reminder-days", Env: "COURSESHOP_RENEWAL_REMINDER_DAYS", Default: "14", Usage: "days before an enrolment of a renewable product ends its customer is reminded by e-mail", Commands: serve},
		{Name: "account-grace-days", Env: "COURSESHOP_ACCOUNT_GRACE_DAYS", Default: "30", Usage: "days after their last product ended the LMS accounts the shop created are suspended", Commands: serve},
		{Name: "job-lease", Env: "COURSESHOP_JOB_LEASE", Default: "5m", Usage: "how long a production job a node took is held before another node, or this one restarted after a crash, may run it again; keep it longer than the slowest LMS call (Moodle calls time out after 20s)", Commands: serve},
		{Name: "order-hold", Env: "COURSESHOP_ORDER_HOLD", Default: "336h", Usage: "how long an unpaid order keeps its limited stock before it is cancelled", Commands: serve},
		{Name: "shutdown-timeout", Env: "COURSESHOP_SHUTDOWN_TIMEOUT", Default: "15s", Usage: "how long in-flight requests may run on SIGINT/SIGTERM", Commands: serve},
		{Name: "metrics", Env: "COURSESHOP_METRICS", Default: "true", Usage: "serve Prometheus metrics on /metrics", Bool: true, Commands: serve},
		{Name: "smtp-url", Env: "COURSESHOP_SMTP_URL", Usage: "mail server: smtp://user:pass@host:587 (STARTTLS; ?tls=none for a local relay) or smtps://user:pass@host:465; empty: mails stay in the outbox, marked captured", Secret: true, Commands: serve},
		{Name: "mail-from", Env: "COURSESHOP_MAIL_FROM", Default: "courseshop <no-reply@localhost>", Usage: "sender of the shop's e-mails", Commands: serve},
		{Name: "sales-email", Env: "COURSESHOP_SALES_EMAIL", Usage: "address told of every new order (none when empty)", Commands: serve},
		{Name: "moodle-url", Env: "COURSESHOP_MOODLE_URL", Usage: "address of the Moodle site (its wwwroot, e.g. https://lms.example.com); set with --moodle-token", Commands: moodle},
		{Name: "moodle-token", Env: "COURSESHOP_MOODLE_TOKEN", Usage: "web-service token of the shop's Moodle user (prefer the _FILE variable)", Secret: true, Commands: moodle},
		{Name: "moodle-roles", Env: "COURSESHOP_MOODLE_ROLES", Usage: "ids of Moodle roles by shortname, e.g. customer=9,supervisor=10: the custom roles the shop gives (Moodle cannot list them); they take precedence over what the shop learns", Commands: moodle},
	}
}

func (o Option) accepts(command string) bool { return slices.Contains(o.Commands, command) }
