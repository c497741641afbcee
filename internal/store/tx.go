package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// maxTxAttempts bounds retries of transactions that lost a race
// (PostgreSQL serialization failures and deadlocks, SQLite busy).
const maxTxAttempts = 5

// InTx runs fn in one transaction on the writer and commits it when fn
// returns nil. fn receives a Store bound to the transaction: every method
// called on it is part of the transaction. fn must do its database work
// through tx alone, and make no slow call (network, LMS) while it holds the
// transaction's connection: a pool whose connections all wait on
// themselves deadlocks. A transaction that loses a race
// with another one is run again from the start, so fn must not have effects
// outside the database. Called on a Store that is already in a transaction,
// InTx joins it.
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	var err error
	defer s.wstmts.prepareMissed(context.WithoutCancel(ctx))
	for attempt := 1; attempt <= maxTxAttempts; attempt++ {
		err = s.runTx(ctx, fn)
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

func (s *Store) runTx(ctx context.Context, fn func(tx *Store) error) (err error) {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err, "begin transaction")
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
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
