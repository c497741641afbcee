// Package app wires courseshop together: it reads the configuration, opens
// and migrates the database, builds the services and the HTTP server, and
// runs them until the context ends. It is the only package that knows every
// other one.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"

	"courseshop/internal/config"
	"courseshop/internal/store"
)

// Env is the process environment Run works in; main passes the real one,
// tests their own.
type Env struct {
	Args   []string // without the program name
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
	// Ready, when set, receives the shop's base URL once the server accepts
	// connections (tests listen on port 0).
	Ready func(baseURL string)
}

// OSEnv returns the environment of the running process.
func OSEnv() Env {
	return Env{Args: os.Args[1:], Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr}
}

// UsageError is an error in how the command was called (unknown command,
// bad flag or setting), as opposed to a failure while running it.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

const usage = `courseshop: an online shop for training organisations running Moodle.

usage:
  courseshop serve [flags]     run the shop (see courseshop serve -h)
  courseshop migrate [flags]   apply database migrations and exit
  courseshop catalog export --out DIR [--db DSN]   write the catalogue to DIR/catalog.json and DIR/media/
  courseshop catalog import [--db DSN] FILE        load a catalogue file (docs/catalog-format.md)
  courseshop catalog check [flags]                 look up in the LMS what each product's handler names
  courseshop lms check [--moodle-url URL --moodle-token TOKEN | --shop CODE]   check that a Moodle site is ready for the shop
  courseshop documents attach --shop SHOP --customer EMAIL [--product REF] [--title T] FILE
                               attach a private document to a customer (see courseshop documents -h)
  courseshop documents list --shop SHOP [--customer EMAIL]       list the private documents
  courseshop documents remove --shop SHOP ID                     remove a private document
  courseshop support list --shop SHOP [--since DATE]             list the messages customers sent the sales team
  courseshop version           print the version
`

// Run executes the command named by env.Args until ctx is cancelled (for
// serve) or the command completes.
func Run(ctx context.Context, env Env) error {
	if len(env.Args) == 0 {
		return &UsageError{errors.New("no command given (want serve, migrate or version; see courseshop help)")}
	}
	cmd, args := env.Args[0], env.Args[1:]
	cfgEnv := config.Env{Getenv: env.Getenv, ReadFile: os.ReadFile}
	switch cmd {
	case "serve", "migrate":
		cfg, rest, err := config.Load(cmd, args, cfgEnv, env.Stdout)
		if errors.Is(err, config.ErrHelp) {
			return nil
		}
		if err == nil && len(rest) > 0 {
			err = fmt.Errorf("unexpected argument %q (see courseshop %s -h)", rest[0], cmd)
		}
		if err != nil {
			return &UsageError{err}
		}
		log := newLogger(cfg, env.Stderr)
		if cmd == "migrate" {
			return migrate(ctx, cfg, log)
		}
		return serve(ctx, cfg, env, cfgEnv, log)
	case "catalog":
		return runCatalog(ctx, args, env, cfgEnv)
	case "lms":
		return runLMS(ctx, args, env, cfgEnv)
	case "documents":
		return runDocuments(ctx, args, env, cfgEnv)
	case "support":
		return runSupport(ctx, args, env, cfgEnv)
	case "version":
		fmt.Fprintln(env.Stdout, "courseshop", version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return nil
	default:
		return &UsageError{fmt.Errorf("unknown command %q (want serve, migrate or version)", cmd)}
	}
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// version reports the module version and VCS revision the binary was built
// from, as recorded by the Go toolchain.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v + " " + bi.GoVersion
}

// openStore opens and migrates the database named in cfg.
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.Store, error) {
	st, err := store.Open(ctx, cfg.DB, store.Options{})
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx, log); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

func migrate(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	log.Info("database is up to date", slog.String("engine", string(st.Engine())))
	return st.Close()
}
