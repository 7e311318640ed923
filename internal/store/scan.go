package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"reflect"
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

// scanJoined scans one row of an outer join: the columns lead scans into, then those of each
// part in turn, each read by the part's own scan function (scanChange, scanVisit, …), whose
// post-processing runs after the row is read. A part whose columns are all NULL (no joined row)
// leaves its destinations zero; the caller tells from a lead column whether it was there.
func scanJoined(row rowScanner, lead []any, parts ...func(rowScanner) error) error {
	dests := lead
	var run func(i int) error
	run = func(i int) error {
		if i == len(parts) {
			return row.Scan(dests...)
		}
		return parts[i](scanFunc(func(d ...any) error {
			for _, p := range d {
				dests = append(dests, orNull{p})
			}
			return run(i + 1)
		}))
	}
	return run(0)
}

type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// orNull scans a column into dest, leaving dest as it is when the column is NULL.
type orNull struct{ dest any }

func (n orNull) Scan(src any) error {
	if src == nil {
		return nil
	}
	if sc, ok := n.dest.(sql.Scanner); ok {
		return sc.Scan(src)
	}
	dv := reflect.ValueOf(n.dest).Elem()
	switch s := src.(type) {
	case []byte:
		if dv.Kind() == reflect.String {
			dv.SetString(string(s))
			return nil
		}
		if dv.Kind() == reflect.Slice && dv.Type().Elem().Kind() == reflect.Uint8 {
			dv.SetBytes(bytes.Clone(s))
			return nil
		}
	case int64:
		if dv.Kind() == reflect.Bool {
			dv.SetBool(s != 0)
			return nil
		}
	}
	sv := reflect.ValueOf(src)
	if sv.Type().ConvertibleTo(dv.Type()) && (sv.Kind() == dv.Kind() || sv.Kind() == reflect.Int64 && dv.CanInt()) {
		dv.Set(sv.Convert(dv.Type()))
		return nil
	}
	return fmt.Errorf("store: cannot scan %T into %T", src, n.dest)
}
