package store

import (
	"context"
	"database/sql"
	"sync/atomic"
)

// statements counts the SQL statements this process ran through any Store (Statements): a
// deterministic measure of what an action costs, where CPU time is noisy (bench/e2e reports it
// per action).
var statements atomic.Uint64

// Statements returns how many SQL statements the process's stores have run so far.
func Statements() uint64 { return statements.Load() }

// counting is a querier that counts its statements.
type counting struct{ q querier }

func (c counting) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	statements.Add(1)
	return c.q.ExecContext(ctx, query, args...)
}

func (c counting) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	statements.Add(1)
	return c.q.QueryContext(ctx, query, args...)
}

func (c counting) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	statements.Add(1)
	return c.q.QueryRowContext(ctx, query, args...)
}
