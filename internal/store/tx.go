package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"
)

// maxTxAttempts bounds retries of transactions that lost a race
// (PostgreSQL serialization failures and deadlocks, SQLite busy).
const maxTxAttempts = 5

// InTx runs fn in one transaction on the writer and commits it when fn
// returns nil; the commit is on disk when InTx returns (on SQLite, one
// fsync). fn receives a Store bound to the transaction: every method
// called on it is part of the transaction. fn must do its database work
// through tx alone, and make no slow call (network, LMS) while it holds the
// transaction's connection: a pool whose connections all wait on
// themselves deadlocks. A transaction that loses a race
// with another one is run again from the start, so fn must not have effects
// outside the database. Called on a Store that is already in a transaction,
// InTx joins it.
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	return s.inTx(ctx, true, fn)
}

// InRelaxedTx is InTx whose commit does not wait for the disk (SQLite's
// synchronous=NORMAL, PostgreSQL's synchronous_commit=off, for this
// transaction only). The commit survives a crash of the process; a power
// cut may lose it until the next durable commit or checkpoint, which
// makes it durable with everything committed before (both engines only
// ever lose a suffix of the commit history, never one in the middle). It
// is for what a visitor can type again: carts and checkout progress. Never
// for orders, payments, invoice numbers or production. Joined to an outer
// transaction, the outer one decides.
func (s *Store) InRelaxedTx(ctx context.Context, fn func(tx *Store) error) error {
	return s.inTx(ctx, false, fn)
}

func (s *Store) inTx(ctx context.Context, durable bool, fn func(tx *Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	var err error
	defer s.wstmts.prepareMissed(context.WithoutCancel(ctx))
	for attempt := 1; attempt <= maxTxAttempts; attempt++ {
		if durable || s.engine == Postgres {
			err = s.runTx(ctx, s.writer, durable, fn)
		} else {
			err = s.runRelaxedSQLiteTx(ctx, fn)
		}
		if !errors.Is(err, errRetry) {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		}
	}
	return err
}

// beginner is where a transaction starts: the writer pool, or one
// connection taken from it.
type beginner interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}

// runRelaxedSQLiteTx runs fn with synchronous=NORMAL on the writer
// connection, held for the whole time so that no other transaction or
// autocommit write runs with the setting, and restores FULL after the
// commit. A connection whose setting cannot be restored is discarded.
func (s *Store) runRelaxedSQLiteTx(ctx context.Context, fn func(tx *Store) error) error {
	conn, err := s.writer.Conn(ctx)
	if err != nil {
		return mapErr(err, "writer connection")
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
		return mapErr(err, "relax commit")
	}
	defer func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous = FULL"); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	return s.runTx(ctx, conn, false, fn)
}
func (s *Store) runTx(ctx context.Context, on beginner, durable bool, fn func(tx *Store) error) (err error) {
	tx, err := on.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err, "begin transaction")
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if !durable && s.engine == Postgres {
		if _, err := tx.ExecContext(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
			_ = tx.Rollback()
			return mapErr(err, "relax commit")
		}
	}
	bound := *s
	bound.tx = tx
	if err := fn(&bound); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil {
			return errors.Join(err, fmt.Errorf("store: rollback: %w", rbErr))
		}
		return err
	}
	return mapErr(tx.Commit(), "commit")
}
