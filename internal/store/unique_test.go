package store_test

import (
	"context"
	"testing"

	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/store/storetest"
)

// TestUniqueViolationByCode: a duplicate key is told apart from other constraint failures by the
// drivers' error codes in both dialects (issue #9: it used to match message text).
func TestUniqueViolationByCode(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		s := storetest.Open(t, dsn)
		ctx := context.Background()
		db := s.DB()
		if _, err := db.ExecContext(ctx, `CREATE TABLE uniq_probe (id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE)`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO uniq_probe (id, code) VALUES ('a', 'x')`); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			stmt   string
			unique bool
		}{
			{`INSERT INTO uniq_probe (id, code) VALUES ('a', 'y')`, true},   // primary key
			{`INSERT INTO uniq_probe (id, code) VALUES ('b', 'x')`, true},   // unique column
			{`INSERT INTO uniq_probe (id, code) VALUES ('c', NULL)`, false}, // not null
			{`INSERT INTO no_such_table (id) VALUES ('a')`, false},
		} {
			_, err := db.ExecContext(ctx, c.stmt)
			if err == nil {
				t.Fatalf("%s: no error", c.stmt)
			}
			if got := store.IsUniqueViolation(err); got != c.unique {
				t.Errorf("%s: unique violation %v, want %v (%v)", c.stmt, got, c.unique, err)
			}
		}
	})
}
