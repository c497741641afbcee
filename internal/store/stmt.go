package store

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds the statement cache: statements are constants but
// for a few built with a variable number of placeholders.
const maxCachedStmts = 512

// stmtCache keeps one prepared statement per query text and pool. Parsing
// SQL is a large part of a small query's cost on SQLite (and a round trip
// on PostgreSQL); database/sql then keeps each statement prepared on every
// connection it used.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
	// missed holds the queries a transaction ran unprepared, to be
	// prepared on the pool once it has released its connection.
	missed map[string]struct{}
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}, missed: map[string]struct{}{}}
}

// miss records that a transaction ran query unprepared.
func (c *stmtCache) miss(query string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m)+len(c.missed) < maxCachedStmts {
		c.missed[query] = struct{}{}
	}
}

// prepareMissed prepares the queries transactions ran unprepared, so that
// the next transactions reuse them: the statements that only ever run in
// transactions (most writes) would otherwise be parsed on every call. It
// takes a pool connection: call it after the transaction has ended.
func (c *stmtCache) prepareMissed(ctx context.Context) {
	c.mu.Lock()
	if len(c.missed) == 0 {
		c.mu.Unlock()
		return
	}
	queries := make([]string, 0, len(c.missed))
	for q := range c.missed {
		queries = append(queries, q)
	}
	clear(c.missed)
	c.mu.Unlock()
	for _, q := range queries {
		c.get(ctx, q)
	}
}

// cached returns the prepared statement of query, or nil.
func (c *stmtCache) cached(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[query]
}

// get returns the prepared statement of query, preparing it on the pool
// when needed, or nil when it cannot be prepared (the caller then runs the
// query unprepared, which reports the error) or the cache is full. It
// takes a pool connection: never call it while holding one (in a
// transaction).
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	if st := c.cached(query); st != nil {
		return st
	}
	c.mu.Lock()
	full := len(c.m) >= maxCachedStmts
	c.mu.Unlock()
	if full {
		return nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[query]; ok { // prepared meanwhile by another caller
		st.Close()
		return old
	}
	c.m[query] = st
	return st
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}

// pool runs queries on a connection pool through the cache.
type pool struct{ c *stmtCache }

func (p pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := p.c.get(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return p.c.db.ExecContext(ctx, query, args...)
}

func (p pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := p.c.get(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.c.db.QueryContext(ctx, query, args...)
}

func (p pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := p.c.get(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.c.db.QueryRowContext(ctx, query, args...)
}

// txq runs queries in a transaction, reusing the writer's prepared
// statements on the transaction's connection. It never prepares on the
// pool: that would take a second connection while the transaction holds
// one, and a pool whose connections all wait on themselves deadlocks.
type txq struct {
	tx *sql.Tx
	c  *stmtCache
}

func (q txq) stmt(ctx context.Context, query string) *sql.Stmt {
	if st := q.c.cached(query); st != nil {
		return q.tx.StmtContext(ctx, st)
	}
	q.c.miss(query)
	return nil
}

func (q txq) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := q.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.tx.ExecContext(ctx, query, args...)
}

func (q txq) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.tx.QueryContext(ctx, query, args...)
}

func (q txq) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.tx.QueryRowContext(ctx, query, args...)
}
