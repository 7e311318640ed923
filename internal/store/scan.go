package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"sync"
	"time"
)

// rowScanner is what *sql.Row and *sql.Rows have in common.
type rowScanner interface{ Scan(dest ...any) error }

// queryEach runs query and calls each with every row, in order, until each fails; what names the
// rows in errors. Its eachRow is the one rows loop of the store (a PostgreSQL batch's results go
// through it too): readers that build a slice use queryAll, those that fill a map or the rows of
// a page call it with their own each.
func queryEach(ctx context.Context, q querier, what string, each func(rowScanner) error, query string, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	return eachRow(rows, what, each)
}

// rowIter is what *sql.Rows and pgx.Rows (a PostgreSQL batch's results) have in common.
type rowIter interface {
	rowScanner
	Next() bool
	Err() error
}

// eachRow calls each with every row of rows, in order, until each fails; the caller closes rows.
func eachRow(rows rowIter, what string, each func(rowScanner) error) error {
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
	// The parts' destinations are wrapped in one slice of orNull, pointed into, not boxed one by
	// one; the slices are reused by the next row (nothing keeps them once the row is scanned).
	j := joinedScans.Get().(*joinedScan)
	j.row, j.parts, j.dests = row, parts, append(j.dests[:0], lead...)
	err := j.run(0)
	clear(j.dests)
	clear(j.nulls)
	j.row, j.parts, j.dests, j.nulls = nil, nil, j.dests[:0], j.nulls[:0]
	joinedScans.Put(j)
	return err
}

var joinedScans = sync.Pool{New: func() any { return &joinedScan{dests: make([]any, 0, 64), nulls: make([]orNull, 0, 64)} }}

type joinedScan struct {
	row   rowScanner
	parts []func(rowScanner) error
	dests []any
	nulls []orNull
	i     int
}

func (j *joinedScan) run(i int) error {
	if i == len(j.parts) {
		return j.row.Scan(j.dests...)
	}
	j.i = i
	return j.parts[i](j)
}

// Scan is the row as part j.i sees it: its destinations are appended, then the next part runs.
func (j *joinedScan) Scan(d ...any) error {
	i := j.i
	for _, p := range d {
		if len(j.nulls) == cap(j.nulls) { // the pointers taken stay valid: a new array, the old one kept
			j.nulls = make([]orNull, 0, len(d)+cap(j.nulls))
		}
		j.nulls = append(j.nulls, orNull{p})
		j.dests = append(j.dests, &j.nulls[len(j.nulls)-1])
	}
	return j.run(i + 1)
}

// joinedCols qualifies each of a comma-separated column list with a table alias, for a query
// whose row scanJoined reads: on SQLite each column as an expression (the no-op unary plus), which
// the driver neither parses as a time nor asks the declared type of (a string allocated per
// column and query); orNull reads the stored text of a time.
func joinedCols(d Dialect, alias, cols string) string {
	if d == SQLite {
		alias = "+" + alias
	}
	return prefixed(alias, cols)
}

// dialectSQL is a query's text for each dialect.
func dialectSQL(f func(Dialect) string) map[Dialect]string {
	return map[Dialect]string{SQLite: f(SQLite), Postgres: f(Postgres)}
}

// orNull scans a column into dest, leaving dest as it is when the column is NULL. The common
// destinations are set directly (database/sql's conversion would go through reflect, allocating);
// a time column's text (SQLite, see joinedCols) is read by parseStoredTime.
type orNull struct{ dest any }

func (n *orNull) Scan(src any) error {
	if src == nil {
		return nil
	}
	switch s := src.(type) {
	case string:
		switch d := n.dest.(type) {
		case *string:
			*d = s
			return nil
		case *sql.NullString:
			d.String, d.Valid = s, true
			return nil
		case *time.Time:
			t, err := parseStoredTime(s)
			*d = t
			return err
		case *sql.NullTime:
			t, err := parseStoredTime(s)
			d.Time, d.Valid = t, err == nil
			return err
		}
	case int64:
		switch d := n.dest.(type) {
		case *int64:
			*d = s
			return nil
		case *int:
			*d = int(s)
			return nil
		case *bool:
			*d = s != 0
			return nil
		case *sql.NullInt64:
			d.Int64, d.Valid = s, true
			return nil
		}
	case time.Time:
		switch d := n.dest.(type) {
		case *time.Time:
			*d = s
			return nil
		case *sql.NullTime:
			d.Time, d.Valid = s, true
			return nil
		}
	case bool:
		if d, ok := n.dest.(*bool); ok {
			*d = s
			return nil
		}
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
