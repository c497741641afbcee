package store

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Sentinel errors of the store boundary. Errors returned by the store wrap
// one of these (test with errors.Is) together with the driver error.
var (
	ErrNotFound   = errors.New("store: not found")
	ErrConflict   = errors.New("store: already exists")                // unique constraint
	ErrConstraint = errors.New("store: violates a data constraint")    // foreign key, check, not null
	errRetry      = errors.New("store: transient conflict, try again") // serialization failure, deadlock, busy
)

// mapErr translates driver errors into the store's sentinels, adding what
// the statement was about. It returns nil for nil.
func mapErr(err error, what string) error {
	if err == nil {
		return nil
	}
	var kind error
	var se *sqlite.Error
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, sql.ErrNoRows):
		kind = ErrNotFound
	case errors.As(err, &se):
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			kind = ErrConflict
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL, sqlite3.SQLITE_CONSTRAINT_TRIGGER:
			kind = ErrConstraint
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_BUSY_SNAPSHOT:
			kind = errRetry
		}
	case errors.As(err, &pe):
		switch pe.Code {
		case "23505":
			kind = ErrConflict
		case "23503", "23514", "23502":
			kind = ErrConstraint
		case "40001", "40P01":
			kind = errRetry
		}
	}
	if kind == nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return fmt.Errorf("%w: %s: %w", kind, what, err)
}
