package store

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStatements bounds the statement cache: queries built at run time beyond it are run
// unprepared, as before.
const maxCachedStatements = 2000

// stmtCache keeps one prepared statement per SQL text on one *sql.DB, so SQLite parses and plans
// each query once per connection instead of on every call (a quarter of the write path's CPU
// before it existed). database/sql prepares a cached statement lazily on each connection of the
// pool it runs on, and Tx.StmtContext reuses the one already prepared on the transaction's
// connection.
//
// A miss runs the query unprepared and prepares it in the background: preparing on the DB needs
// a free connection, and the writer's only connection is held by the transaction that missed.
//
// PostgreSQL does not use it: pgx already caches prepared statements per connection.
type stmtCache struct {
	db        *sql.DB
	mu        sync.RWMutex
	stmts     map[string]*sql.Stmt
	preparing map[string]bool
	closed    bool
	// The background prepares: close cancels the ones waiting for a connection and waits for
	// all of them, so none opens a connection to the file after the store is closed.
	// (A read lock per prepare, not a WaitGroup: a WaitGroup first used inside a testing/synctest
	// bubble may not be waited on outside it, and the hub's tests run stores in bubbles.)
	ctx      context.Context
	cancel   context.CancelFunc
	inFlight sync.RWMutex
}

func newStmtCache(db *sql.DB) *stmtCache {
	ctx, cancel := context.WithCancel(context.Background())
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, preparing: map[string]bool{}, ctx: ctx, cancel: cancel}
}

// get returns the prepared statement for query, or nil after starting to prepare it.
func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.RLock()
	st := c.stmts[query]
	c.mu.RUnlock()
	if st != nil {
		return st
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st = c.stmts[query]; st != nil || c.closed || c.preparing[query] || len(c.stmts)+len(c.preparing) >= maxCachedStatements {
		return st
	}
	c.preparing[query] = true
	c.inFlight.RLock() // under mu and not closed: close waits for it
	go func() {
		defer c.inFlight.RUnlock()
		c.prepare(query)
	}()
	return nil
}

func (c *stmtCache) prepare(query string) {
	st, err := c.db.PrepareContext(c.ctx, query)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.preparing, query)
	if err != nil {
		return // the unprepared path reports the error to its caller
	}
	if c.closed {
		st.Close()
		return
	}
	c.stmts[query] = st
}

// close closes every cached statement once the background prepares have ended; later misses
// are no longer prepared.
func (c *stmtCache) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.inFlight.Lock() // every prepare started before closed was set has ended
	c.inFlight.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
}

// dbQuerier runs queries on a pool through its statement cache.
type dbQuerier struct {
	db    *sql.DB
	cache *stmtCache
}

func (d dbQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := d.cache.get(query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return d.db.ExecContext(ctx, query, args...)
}

func (d dbQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := d.cache.get(query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return d.db.QueryContext(ctx, query, args...)
}

// QueryRowContext reads one row with ctx's values but not its cancellation, once ctx is not
// already done: a one-row read is over in microseconds, and a cancellable context costs
// database/sql a context, a goroutine to close the rows and the SQLite driver another goroutine to
// interrupt the statement (0.3 KB and 6 allocations a read, every request's order view has 4–6).
func (d dbQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if ctx.Err() == nil {
		ctx = context.WithoutCancel(ctx)
	}
	if st := d.cache.get(query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return d.db.QueryRowContext(ctx, query, args...)
}

// txQuerier runs queries in a transaction, through the writer's statement cache: the
// transaction-bound copy of a cached statement reuses what is prepared on the connection.
// Statements run with ctx's values but not its cancellation when the transaction is shared by
// several callers (group commit): on SQLite an interrupted write rolls back the whole transaction.
type txQuerier struct {
	tx     *sql.Tx
	cache  *stmtCache
	shared bool
}

func (t txQuerier) ctx(ctx context.Context) context.Context {
	if t.shared {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

func (t txQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = t.ctx(ctx)
	if st := t.cache.get(query); st != nil {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t txQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = t.ctx(ctx)
	if st := t.cache.get(query); st != nil {
		return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t txQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = t.ctx(ctx)
	if st := t.cache.get(query); st != nil {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}
