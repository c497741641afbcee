package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"time"
)

// maxTxAttempts bounds retries of transactions that lost a race
// (PostgreSQL serialization failures and deadlocks, SQLite busy).
const maxTxAttempts = 5

// InTx runs fn in one transaction on the writer and commits it when fn
// returns nil; the commit is on disk when InTx returns. On SQLite the
// commit itself does not wait for the disk, so that the one write lock is
// held as briefly as possible; InTx then waits for an fsync of the
// write-ahead log shared with the transactions committed meanwhile (group
// commit, see walSyncer). fn receives a Store bound to the transaction:
// every method called on it is part of the transaction. fn must do its
// database work through tx alone, and make no slow call (network, LMS)
// while it holds the transaction's connection: a pool whose connections
// all wait on themselves deadlocks. A transaction that loses a race with
// another one is run again from the start, so fn must not have effects
// outside the database. Called on a Store that is already in a
// transaction, InTx joins it.
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	return s.inTx(ctx, true, fn)
}

// InRelaxedTx is InTx whose commit is not waited for on disk (on
// PostgreSQL, synchronous_commit=off for this transaction). The commit
// survives a crash of the process; a power cut may lose it until the next
// durable commit, which makes it durable with everything committed before
// (both engines only ever lose a suffix of the commit history, never one
// in the middle). It is for what a visitor can type again: carts and
// checkout progress. Never for orders, payments, invoice numbers or
// production. Joined to an outer transaction, the outer one decides.
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
		switch {
		case s.engine == SQLite:
			err = s.queueTx(ctx, fn)
		case durable:
			err = s.runTx(ctx, s.writer, "", fn)
		default:
			err = s.runTx(ctx, s.writer, "SET LOCAL synchronous_commit = off", fn)
		}
		if !errors.Is(err, errRetry) {
			break
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		}
	}
	if err == nil && durable && s.wal != nil {
		err = s.wal.sync()
	}
	return err
}

// txRequest is a transaction for the writer goroutine to run, and where
// its result goes.
type txRequest struct {
	s    *Store
	ctx  context.Context
	fn   func(tx *Store) error
	done chan txResult
}

type txResult struct {
	err      error
	panicked any // the panic of fn, raised again in the caller's goroutine
}

// writer runs SQLite's transactions one after the other on one goroutine.
// When each request's goroutine took the writer connection in turn, the
// connection sat idle while the next one was woken up and scheduled, which
// on a busy CPU took longer than the transactions themselves; this
// goroutine goes straight from one transaction to the next.
type writer struct {
	txs    chan *txRequest
	closed chan struct{}
	once   sync.Once
}

func startWriter() *writer {
	w := &writer{txs: make(chan *txRequest), closed: make(chan struct{})}
	go w.loop()
	return w
}

func (w *writer) loop() {
	for {
		select {
		case <-w.closed:
			return
		case req := <-w.txs:
			req.done <- req.run()
		}
	}
}

func (w *writer) close() { w.once.Do(func() { close(w.closed) }) }

func (req *txRequest) run() (res txResult) {
	defer func() {
		if p := recover(); p != nil {
			res.panicked = p
		}
	}()
	if err := req.ctx.Err(); err != nil {
		return txResult{err: err}
	}
	return txResult{err: req.s.runSQLiteTx(req.ctx, req.fn)}
}

// queueTx runs fn in a transaction on the writer goroutine and waits for
// it, even when ctx ends meanwhile: the transaction may be under way.
func (s *Store) queueTx(ctx context.Context, fn func(tx *Store) error) error {
	req := &txRequest{s: s, ctx: ctx, fn: fn, done: make(chan txResult, 1)}
	select {
	case s.writerLoop.txs <- req:
	case <-s.writerLoop.closed:
		return errors.New("store: closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	res := <-req.done
	if res.panicked != nil {
		panic(res.panicked)
	}
	return res.err
}

// beginner is where a transaction starts: the writer pool, or one
// connection taken from it.
type beginner interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}

// runSQLiteTx runs fn with synchronous=NORMAL on the writer connection,
// held for the whole time so that no autocommit write runs with the
// setting, and restores FULL after the commit. A connection whose setting
// cannot be restored is discarded.
func (s *Store) runSQLiteTx(ctx context.Context, fn func(tx *Store) error) error {
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
	return s.runTx(ctx, conn, "", fn)
}

// runTx runs fn in a transaction begun on on, after the statement setup
// when there is one.
func (s *Store) runTx(ctx context.Context, on beginner, setup string, fn func(tx *Store) error) (err error) {
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
	if setup != "" {
		if _, err := tx.ExecContext(ctx, setup); err != nil {
			_ = tx.Rollback()
			return mapErr(err, setup)
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
