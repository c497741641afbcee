// Package testkit gives tests real databases: a fresh migrated SQLite file
// per test by default, and a fresh PostgreSQL database per test when
// COURSESHOP_TEST_POSTGRES holds the DSN of a server tests may create
// databases on (e.g. postgres://postgres@127.0.0.1:5432/postgres).
package testkit

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"courseshop/internal/store"
)

// PostgresEnv names the variable holding the PostgreSQL server for tests.
const PostgresEnv = "COURSESHOP_TEST_POSTGRES"

// Option adjusts the store a test gets.
type Option func(*store.Options)

// WithClock makes the store use now for its timestamps.
func WithClock(now func() time.Time) Option {
	return func(o *store.Options) { o.Now = now }
}

// WithMaxConns bounds the store's pool, to test behaviour under a small
// pool.
func WithMaxConns(n int) Option {
	return func(o *store.Options) { o.MaxConns = n }
}

// NewStore returns a migrated store on a database of its own: PostgreSQL when
// COURSESHOP_TEST_POSTGRES is set, SQLite otherwise. It is closed and dropped
// when the test ends.
func NewStore(t testing.TB, opts ...Option) *store.Store {
	t.Helper()
	if dsn := os.Getenv(PostgresEnv); dsn != "" {
		return newPostgres(t, dsn, opts)
	}
	return newSQLite(t, opts)
}

// ForEachEngine runs fn as a subtest on SQLite, then on PostgreSQL when
// COURSESHOP_TEST_POSTGRES is set; without it, the PostgreSQL subtest is
// skipped with a message saying how to run it (and fails in CI, where it
// must never be skipped silently). newStore gives a fresh store on that
// subtest's engine.
func ForEachEngine(t *testing.T, fn func(t *testing.T, newStore func(testing.TB, ...Option) *store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, func(tb testing.TB, opts ...Option) *store.Store { tb.Helper(); return newSQLite(tb, opts) })
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := postgresDSN(t)
		fn(t, func(tb testing.TB, opts ...Option) *store.Store { tb.Helper(); return newPostgres(tb, dsn, opts) })
	})
}

// EmptyDatabase returns the DSN of a new, unmigrated database on engine, for
// tests of migration itself. The PostgreSQL one is skipped (or fails in CI)
// like ForEachEngine's.
func EmptyDatabase(t *testing.T, engine store.Engine) string {
	t.Helper()
	if engine == store.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "empty.db")
	}
	dsn := postgresDSN(t)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "courseshop_test_" + randomHex(8)
	if _, err := admin.ExecContext(context.Background(), `CREATE DATABASE `+name); err != nil {
		t.Fatalf("%s: create database: %v", PostgresEnv, err)
	}
	dropOnCleanup(t, dsn, name)
	return withDatabase(dsn, name)
}

// postgresDSN returns the test server's DSN, skipping the test when there is
// none (failing in CI, where the PostgreSQL suite must run).
func postgresDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set in CI: the PostgreSQL suite must run there", PostgresEnv)
		}
		t.Skipf("PostgreSQL tests skipped: set %s=postgres://postgres@127.0.0.1:5432/postgres to run them", PostgresEnv)
	}
	return dsn
}

func dropOnCleanup(t testing.TB, dsn, name string) {
	t.Cleanup(func() {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return
		}
		defer db.Close()
		if _, err := db.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
}

func options(opts []Option) store.Options {
	var o store.Options
	for _, f := range opts {
		f(&o)
	}
	return o
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newSQLite(t testing.TB, opts []Option) *store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "test.db"), options(opts))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx, quietLog()); err != nil {
		t.Fatal(err)
	}
	return s
}

// newPostgres clones a per-schema-version template database, which is much
// faster than migrating each test's database: CREATE DATABASE … TEMPLATE
// copies files.
func newPostgres(t testing.TB, dsn string, opts []Option) *store.Store {
	t.Helper()
	ctx := context.Background()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	defer admin.Close()
	if err := admin.PingContext(ctx); err != nil {
		t.Fatalf("%s=%s is set but PostgreSQL does not answer: %v", PostgresEnv, dsn, err)
	}
	tmpl, err := ensureTemplate(ctx, admin, dsn)
	if err != nil {
		t.Fatal(err)
	}
	name := "courseshop_test_" + randomHex(8)
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name+` TEMPLATE `+tmpl); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	dropOnCleanup(t, dsn, name)
	s, err := store.Open(ctx, withDatabase(dsn, name), options(opts))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// ensureTemplate makes sure a migrated template for the current migrations
// exists. Test binaries run in parallel, so creation happens under an
// advisory lock, and the template only gets its final name once migrated.
func ensureTemplate(ctx context.Context, admin *sql.DB, dsn string) (string, error) {
	sum, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name := "courseshop_tmpl_" + sum
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7262012026)`); err != nil {
		return "", fmt.Errorf("template lock: %w", err)
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(7262012026)`)
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_building"
	if _, err := conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+building+` WITH (FORCE)`); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+building); err != nil {
		return "", fmt.Errorf("create template: %w", err)
	}
	s, err := store.Open(ctx, withDatabase(dsn, building), store.Options{})
	if err != nil {
		return "", err
	}
	err = s.Migrate(ctx, quietLog())
	s.Close()
	if err != nil {
		return "", fmt.Errorf("migrate template: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `ALTER DATABASE `+building+` RENAME TO `+name); err != nil {
		return "", fmt.Errorf("rename template: %w", err)
	}
	return name, nil
}

func migrationsHash() (string, error) {
	fsys, err := store.MigrationFS(store.Postgres)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	err = fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, path)
		fmt.Fprintf(h, "%s\x00%s\x00", path, b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil))[:16], err
}

func withDatabase(dsn, db string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	u.Path = "/" + db
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
