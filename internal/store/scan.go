package store

import (
	"context"
	"fmt"
)

// rowScanner is what *sql.Row and *sql.Rows have in common.
type rowScanner interface{ Scan(dest ...any) error }

// queryAll runs query and scans every row with scan, in order; what names the rows in errors.
// The result is never nil, so an empty list encodes as [].
func queryAll[T any](ctx context.Context, q querier, what string, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
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
