package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations holds one folder of goose SQL files per engine. Both folders
// carry the same versions (a test checks it); DML is shared, DDL is not.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// MigrationFS returns the migration files of an engine.
func MigrationFS(e Engine) (fs.FS, error) {
	return fs.Sub(migrations, "migrations/"+string(e))
}

// Migrate applies pending migrations while holding a lock, so that several
// processes starting at once (nodes on PostgreSQL, or `migrate` run while
// `serve` starts on SQLite) migrate one after another instead of racing.
func (s *Store) Migrate(ctx context.Context, log *slog.Logger) error {
	fsys, err := MigrationFS(s.engine)
	if err != nil {
		return err
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true), goose.WithSessionLocker(sqliteLocker{})}
	dialect := goose.DialectSQLite3
	if s.engine == Postgres {
		dialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 600))
		if err != nil {
			return fmt.Errorf("store: migration lock: %w", err)
		}
		opts[1] = goose.WithSessionLocker(locker)
	}
	p, err := goose.NewProvider(dialect, s.writer, fsys, opts...)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for _, r := range results {
		log.Info("migration applied", slog.Int64("version", r.Source.Version), slog.String("file", r.Source.Path), slog.Duration("took", r.Duration))
	}
	return nil
}

// sqliteLocker is a migration lock for SQLite, which has no advisory locks:
// a row in a table of its own. A lock older than sqliteLockStale is taken to
// be left by a crashed process.
type sqliteLocker struct{}

const sqliteLockStale = 10 * time.Minute

// SessionLock waits until it inserts the lock row.
func (sqliteLocker) SessionLock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx,
		`CREATE TABLE IF NOT EXISTS courseshop_migration_lock (id INTEGER PRIMARY KEY CHECK (id = 1), taken_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("store: migration lock table: %w", err)
	}
	for {
		now := time.Now().Unix()
		if _, err := conn.ExecContext(ctx, `DELETE FROM courseshop_migration_lock WHERE taken_at < $1`, now-int64(sqliteLockStale/time.Second)); err != nil {
			return fmt.Errorf("store: migration lock: %w", err)
		}
		_, err := conn.ExecContext(ctx, `INSERT INTO courseshop_migration_lock (id, taken_at) VALUES (1, $1)`, now)
		if err == nil {
			return nil
		}
		if !errors.Is(mapErr(err, "migration lock"), ErrConflict) {
			return fmt.Errorf("store: migration lock: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// SessionUnlock removes the lock row.
func (sqliteLocker) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, `DELETE FROM courseshop_migration_lock WHERE id = 1`)
	return err
}
