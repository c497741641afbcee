// Package store owns all SQL. One Store serves SQLite (modernc, embedded) and
// PostgreSQL (pgx) with the same hand-written statements and $N placeholders;
// only the DDL in migrations/<engine> differs. Driver errors leave this package
// mapped to ErrNotFound, ErrConflict or ErrConstraint.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Engine names a database engine.
type Engine string

// The engines the store runs on.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Store is the persistence layer. A Store returned by Open uses the reader
// pool for queries and the writer pool for changes; the Store handed to an
// InTx callback runs everything in that transaction.
type Store struct {
	engine Engine
	writer *sql.DB
	reader *sql.DB // == writer on PostgreSQL
	wstmts *stmtCache
	rstmts *stmtCache
	tx     *sql.Tx    // set on the Store given to InTx callbacks
	wal    *walSyncer // SQLite: makes commits durable, see InTx
	// writerLoop runs SQLite's transactions (see writer).
	writerLoop *writer
	now        func() time.Time
}

// Options tune Open; the zero value is fine for production.
type Options struct {
	// Now is the clock for created_at/updated_at; tests may freeze it.
	Now func() time.Time
	// MaxConns bounds the PostgreSQL pool and the SQLite reader pool.
	MaxConns int
}

// Open connects to the database named by dsn ("sqlite:PATH" or
// "postgres://…") and checks that it answers. It does not migrate.
func Open(ctx context.Context, dsn string, opt Options) (*Store, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.MaxConns <= 0 {
		// Room for every in-flight transaction and the reads around it:
		// a pool as small as the CPU count starves under concurrent
		// checkouts long before the CPUs are busy.
		opt.MaxConns = max(16, 4*runtime.NumCPU())
	}
	var s *Store
	var err error
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		s, err = openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"), opt)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		s, err = openPostgres(ctx, dsn, opt)
	default:
		scheme, _, _ := strings.Cut(dsn, ":")
		return nil, fmt.Errorf("unknown database scheme %q: want sqlite:PATH or postgres://…", scheme)
	}
	if err != nil {
		return nil, err
	}
	// Microseconds: PostgreSQL keeps no more, and both engines must hold
	// the same values.
	s.now = func() time.Time { return opt.Now().UTC().Truncate(time.Microsecond) }
	s.wstmts = newStmtCache(s.writer)
	s.rstmts = s.wstmts
	if s.reader != s.writer {
		s.rstmts = newStmtCache(s.reader)
	}
	return s, nil
}

// sqliteDSN returns the modernc DSN for path. busy_timeout is applied first
// by the driver, so the other pragmas never fail with SQLITE_BUSY while
// another process holds the file. synchronous=FULL makes every write
// outside a transaction survive a power cut, at the cost of one fsync per
// commit; transactions commit with NORMAL and are made durable by group
// commit (see InTx).
func sqliteDSN(path string, writer bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", "10000")
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "1")
	q.Set("_synchronous", "FULL")
	q.Set("_time_format", "sqlite")
	if writer {
		// BEGIN IMMEDIATE takes the write lock up front: a transaction
		// never fails half-way when it upgrades from reading to writing.
		q.Set("_txlock", "immediate")
	} else {
		q.Set("_query_only", "1")
	}
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	return u.String()
}

func openSQLite(ctx context.Context, path string, opt Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty path: want sqlite:PATH, e.g. sqlite:courseshop.db")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if st, err := os.Stat(filepath.Dir(abs)); err != nil {
		return nil, fmt.Errorf("sqlite: directory %s does not exist", filepath.Dir(abs))
	} else if !st.IsDir() {
		return nil, fmt.Errorf("sqlite: %s is not a directory", filepath.Dir(abs))
	}
	// Creating the file ourselves gives a plain "permission denied" instead
	// of SQLite's "unable to open database file (14)".
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: cannot write %s: %w", abs, errors.Unwrap(err))
	}
	f.Close()

	// One writer connection shared by every writer: SQLite allows one writer
	// at a time, and more connections would only trade waiting for
	// SQLITE_BUSY errors. Readers get their own pool; WAL lets them run
	// alongside the writer.
	w, err := sql.Open("sqlite", sqliteDSN(abs, true))
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite", sqliteDSN(abs, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	r.SetMaxOpenConns(opt.MaxConns)
	r.SetMaxIdleConns(opt.MaxConns)
	r.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{engine: SQLite, writer: w, reader: r, wal: newWALSyncer(abs), writerLoop: startWriter()}
	// Switching a new file to WAL needs an exclusive lock that SQLite's busy
	// handler does not wait for, so processes opening the same new file at
	// once retry here.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := s.Ping(ctx)
		if err == nil {
			return s, nil
		}
		if !errors.Is(mapErr(err, ""), errRetry) || time.Now().After(deadline) {
			s.Close()
			return nil, fmt.Errorf("sqlite: cannot open %s: %w", abs, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func openPostgres(ctx context.Context, dsn string, opt Options) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: invalid DSN: %w", errors.Unwrap(err))
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db.SetMaxOpenConns(opt.MaxConns)
	db.SetMaxIdleConns(opt.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{engine: Postgres, writer: db, reader: db}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.Ping(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: cannot reach %s:%d/%s: %s", cfg.Host, cfg.Port, cfg.Database, rootCause(err))
	}
	return s, nil
}

// rootCause keeps start-up errors to one readable line: pgx nests the dial
// error several levels deep behind a long prefix, and joins one error per
// address tried.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			break
		}
		err = next
	}
	first, _, _ := strings.Cut(err.Error(), "\n")
	return first
}

// Engine reports which engine the store runs on.
func (s *Store) Engine() Engine { return s.engine }

// Ping checks that both pools answer.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.writer.PingContext(ctx); err != nil {
		return err
	}
	if s.reader != s.writer {
		return s.reader.PingContext(ctx)
	}
	return nil
}

// Close closes the pools.
func (s *Store) Close() error {
	if s.writerLoop != nil {
		s.writerLoop.close()
	}
	s.wstmts.close()
	if s.rstmts != s.wstmts {
		s.rstmts.close()
	}
	err := s.writer.Close()
	if s.reader != s.writer {
		err = errors.Join(err, s.reader.Close())
	}
	return err
}

// w returns where changes go: the transaction, or the writer pool.
func (s *Store) w() querier {
	if s.tx != nil {
		return txq{s.tx, s.wstmts}
	}
	return pool{s.wstmts}
}

// r returns where queries go: the transaction (so a transaction reads its own
// writes), or the reader pool.
func (s *Store) r() querier {
	if s.tx != nil {
		return txq{s.tx, s.wstmts}
	}
	return pool{s.rstmts}
}

// rowScanner is a row of a query: *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// queryAll runs query on q and returns its rows, each read by scan.
func queryAll[T any](ctx context.Context, q querier, what string, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err, what)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, mapErr(err, what)
		}
		out = append(out, v)
	}
	return out, mapErr(rows.Err(), what)
}

// ids runs a query returning one integer column, for lists of IDs.
func (s *Store) ids(ctx context.Context, what, query string, args ...any) ([]int64, error) {
	return queryAll(ctx, s.r(), what, func(row rowScanner) (int64, error) {
		var id int64
		return id, row.Scan(&id)
	}, query, args...)
}
