package store

import (
	"context"
	"fmt"
)

// rowScanner is what *sql.Row and *sql.Rows have in common.
type rowScanner interface{ Scan(dest ...any) error }

// queryEach runs query and calls each with every row, in order, until each fails; what names the
// rows in errors. It is the one rows loop of the store: readers that build a slice use queryAll,
// those that fill a map or the rows of a page call it with their own each.
func queryEach(ctx context.Context, q querier, what string, each func(rowScanner) error, query string, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return nil
}

// queryAll runs query and scans every row with scan, in order; what names the rows in errors.
// The result is never nil, so an empty list encodes as [].
func queryAll[T any](ctx context.Context, q querier, what string, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	out := []T{}
	err := queryEach(ctx, q, what, func(r rowScanner) error {
		v, err := scan(r)
		if err != nil {
			return err
		}
		out = append(out, v)
		return nil
	}, query, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// groupBy files vs under key(v), keeping their order.
func groupBy[T any](vs []T, key func(T) string) map[string][]T {
	out := map[string][]T{}
	for _, v := range vs {
		out[key(v)] = append(out[key(v)], v)
	}
	return out
}

// queryCounts reads rows of (key, count), as a GROUP BY key query returns them, into a map; keys
// without rows are absent. The result is never nil.
func queryCounts(ctx context.Context, q querier, what, query string, args ...any) (map[string]int, error) {
	out := map[string]int{}
	err := queryEach(ctx, q, what, func(r rowScanner) error {
		var k string
		var n int
		if err := r.Scan(&k, &n); err != nil {
			return err
		}
		out[k] = n
		return nil
	}, query, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}
