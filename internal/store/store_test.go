package store_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/store/storetest"
)

// TestMain runs the suite with the local time zone set to Shanghai, so a time read back without
// normalising to UTC shows up as a failure even on machines whose clock is in UTC.
func TestMain(m *testing.M) {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		time.Local = loc
	}
	os.Exit(m.Run())
}

func TestConformanceSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *store.Store {
		return storetest.Open(t, storetest.MigratedSQLitePath(t))
	})
}

func TestConformancePostgres(t *testing.T) {
	storetest.Env(t, storetest.EnvPostgres, "a PostgreSQL admin database URL such as postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	storetest.Run(t, func(t *testing.T) *store.Store {
		s := storetest.Open(t, storetest.MigratedPostgresURL(t))
		if s.Dialect() != store.Postgres {
			t.Fatalf("dialect %s, want postgres", s.Dialect())
		}
		return s
	})
}

// Several nodes starting together on one PostgreSQL database each run the migrations; all must
// start.
func TestConcurrentMigratePostgres(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	const nodes = 4
	errs := make(chan error, nodes)
	for range nodes {
		go func() {
			s, err := store.Open(context.Background(), dsn)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			errs <- s.Migrate(context.Background())
		}()
	}
	for range nodes {
		if err := <-errs; err != nil {
			t.Errorf("node start: %v", err)
		}
	}
}
