package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Deferred writes (PostgreSQL only). A write whose result the caller needs only after commit (a
// message-center entry's renewal, log entries to publish) can wait in the transaction for its next
// statement and go with it, as data-modifying WITH parts of one statement: one round trip for
// several writes. Every statement of the transaction runs the writes waiting before it (in the
// same statement when it is a write that takes them, see withDeferred; otherwise in one statement
// of their own, first), and commit runs those still waiting, so nothing reads the tables before
// the writes that came first are in them.
//
// The parts of one statement see the same snapshot and must not touch the same rows: a write
// whose key is waiting already runs those first. They run in the order they were deferred
// (locking their rows in that order, as separate statements did): the statement's select list
// reads each one's result in turn, and a statement that takes them runs its own write after.

// pending holds a transaction's deferred writes.
type pending struct {
	q      querier // the transaction's querier, without the flush
	writes []deferredWrite
	keys   map[string]bool
	err    error // a run of deferred writes failed: the transaction is aborted
}

// deferredWrite is one held-back write.
type deferredWrite struct {
	key string // writes with the same key do not go in one statement
	// build writes the WITH parts, named from name, with their arguments appended to a; result
	// is a scalar SQL expression over them, read back as text for done.
	build func(a *argList, name string) (parts, result string)
	done  func(result sql.NullString) error
}

// argList numbers a statement's arguments as they are added.
type argList struct{ args []any }

// p adds v and returns its placeholder.
func (a *argList) p(v any) string {
	a.args = append(a.args, v)
	return "$" + strconv.Itoa(len(a.args))
}

// deferring reports whether q can hold writes back (a PostgreSQL transaction).
func (q *Queries) deferring() bool { return q.pend != nil }

// hasDeferred reports whether writes are waiting.
func (q *Queries) hasDeferred() bool {
	return q.pend != nil && len(q.pend.writes) > 0 && q.pend.err == nil
}

// deferWrite holds w back until the transaction's next statement or its commit.
func (q *Queries) deferWrite(ctx context.Context, w deferredWrite) error {
	p := q.pend
	if p.keys[w.key] {
		if err := p.flush(ctx); err != nil {
			return err
		}
	}
	if p.keys == nil {
		p.keys = map[string]bool{}
	}
	p.keys[w.key] = true
	p.writes = append(p.writes, w)
	return nil
}

// build writes the WITH parts of the waiting writes (arguments after those in a) and their
// results' select list, and empties the queue.
func (p *pending) build(a *argList) (parts string, results []string, writes []deferredWrite) {
	var sb strings.Builder
	writes = p.writes
	for i, w := range writes {
		ps, res := w.build(a, "_d"+strconv.Itoa(i))
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(ps)
		results = append(results, "CAST(("+res+") AS TEXT) AS _r"+strconv.Itoa(i))
	}
	p.writes, p.keys = nil, nil
	return sb.String(), results, writes
}

// flush runs the waiting writes in one statement.
func (p *pending) flush(ctx context.Context) error {
	if p.err != nil {
		return p.err
	}
	if len(p.writes) == 0 {
		return nil
	}
	var a argList
	parts, results, writes := p.build(&a)
	got := make([]sql.NullString, len(writes))
	dest := make([]any, len(got))
	for i := range got {
		dest[i] = &got[i]
	}
	err := p.q.QueryRowContext(ctx, "WITH "+parts+" SELECT "+strings.Join(results, ", "), a.args...).Scan(dest...)
	if err == nil {
		err = p.finish(writes, got)
	}
	if err != nil {
		p.err = fmt.Errorf("store: deferred writes: %w", err)
	}
	return p.err
}

// finish hands the writes their results.
func (p *pending) finish(writes []deferredWrite, got []sql.NullString) error {
	for i, w := range writes {
		if err := w.done(got[i]); err != nil {
			return err
		}
	}
	return nil
}

// afterDeferred is where a statement given to withDeferred puts the condition that runs the
// deferred writes before its own (in its WHERE clause, after another condition).
const afterDeferred = "/*deferred*/"

// withDeferred runs query — a write returning at most one row, its arguments numbered from $1,
// afterDeferred in its WHERE clause — with the transaction's deferred writes in one statement,
// and scans its row into dest; found is false when it returned none. Without deferred writes it
// is the query alone.
func (q *Queries) withDeferred(ctx context.Context, query string, args []any, dest ...any) (found bool, err error) {
	p := q.pend
	if p == nil || len(p.writes) == 0 || p.err != nil {
		err := q.q.QueryRowContext(ctx, strings.Replace(query, afterDeferred, "", 1), args...).Scan(dest...)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	}
	a := argList{args: append([]any(nil), args...)}
	parts, results, writes := p.build(&a)
	stmt := "WITH " + parts + ", _dr AS MATERIALIZED (SELECT " + strings.Join(results, ", ") + "), _dm AS (" +
		strings.Replace(query, afterDeferred, "AND EXISTS (SELECT 1 FROM _dr)", 1) +
		") SELECT _dr.*, _dh.* FROM _dr LEFT JOIN (SELECT true AS _hit, * FROM _dm) _dh ON true"
	err = func() error {
		rows, err := p.q.QueryContext(ctx, stmt, a.args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return err
			}
			return sql.ErrNoRows
		}
		got := make([]sql.NullString, len(writes))
		var hit sql.NullBool
		first := make([]any, 0, len(writes)+1+len(dest))
		second := make([]any, 0, cap(first))
		for i := range got {
			first = append(first, &got[i])
			second = append(second, new(any))
		}
		first, second = append(first, &hit), append(second, new(any))
		for range dest {
			first = append(first, new(any))
		}
		second = append(second, dest...)
		if err := rows.Scan(first...); err != nil {
			return err
		}
		if err := p.finish(writes, got); err != nil {
			return err
		}
		if found = hit.Valid && hit.Bool; found {
			if err := rows.Scan(second...); err != nil {
				return err
			}
		}
		return rows.Close()
	}()
	if err != nil {
		p.err = fmt.Errorf("store: deferred writes: %w", err)
		return false, p.err
	}
	return found, nil
}

// flushing is a PostgreSQL transaction's querier: it runs the deferred writes before each statement.
type flushing struct{ p *pending }

func (f flushing) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := f.p.flush(ctx); err != nil {
		return nil, err
	}
	return f.p.q.ExecContext(ctx, query, args...)
}

func (f flushing) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := f.p.flush(ctx); err != nil {
		return nil, err
	}
	return f.p.q.QueryContext(ctx, query, args...)
}

// QueryRowContext cannot return the flush's error itself: after a failed flush the transaction is
// aborted, so the statement fails, and InTx returns the flush's error.
func (f flushing) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	_ = f.p.flush(ctx)
	return f.p.q.QueryRowContext(ctx, query, args...)
}
