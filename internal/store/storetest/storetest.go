// Package storetest is the conformance suite of internal/store and the helpers other packages'
// tests use to run against both databases.
//
// The suite is a list of named cases, one file per aggregate (people.go, settings.go, …). To add
// cases for a new aggregate, create a file here with
//
//	func init() {
//		Register(
//			Case{"orders/accept moves a booking to accepted", func(t *testing.T, s *store.Store) { … }},
//		)
//	}
//
// Every case gets a fresh, migrated store of its own (a copy of a template, see template.go) and runs in parallel with the others, so a
// case may count rows and list tables without minding its neighbours. Run executes every case on
// the store it is given; internal/store's tests run it on SQLite and on PostgreSQL.
//
// Other packages run their own tests on both dialects with Dialects (or Open on one DSN):
//
//	storetest.Dialects(t, func(t *testing.T, dsn string) { s := storetest.Open(t, dsn); … })
//
// PostgreSQL is used when HOMEBELL_TEST_POSTGRES names an admin database URL; each test creates
// and drops a database of its own there. Without it the PostgreSQL half is skipped, unless
// HOMEBELL_TEST_REQUIRE=1, which turns every such skip into a failure (CI sets it).
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for CREATE/DROP DATABASE

	"github.com/homebell/homebell/internal/store"
)

// The environment variables of homebell's tests.
const (
	// EnvPostgres is a URL of a PostgreSQL database the tests may create databases from,
	// e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
	EnvPostgres = "HOMEBELL_TEST_POSTGRES"
	// EnvRequire set to 1 makes a test that lacks an external service fail instead of skip.
	EnvRequire = "HOMEBELL_TEST_REQUIRE"
)

// Case is one conformance check. Fn gets a fresh, migrated store.
type Case struct {
	Name string
	Fn   func(t *testing.T, s *store.Store)
}

var cases []Case

// Register adds cases to the suite; call it from an init function in this package. Names must be
// unique: they are the subtest names.
func Register(cs ...Case) {
	for _, c := range cs {
		for _, old := range cases {
			if old.Name == c.Name {
				panic("storetest: two cases named " + c.Name)
			}
		}
		if c.Name == "" || c.Fn == nil {
			panic("storetest: a case needs a name and a function")
		}
		cases = append(cases, c)
	}
}

// Cases lists the registered cases in registration order.
func Cases() []Case { return append([]Case(nil), cases...) }

// Run runs every case as a parallel subtest, each on a store made by open. open must return a
// migrated store and arrange its own cleanup (Open does both).
func Run(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Helper()
	if len(cases) == 0 {
		t.Fatal("storetest: no cases registered")
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			c.Fn(t, open(t))
		})
	}
}

// Open opens the store at dsn, migrates it and closes it when the test ends.
func Open(t testing.TB, dsn string) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s store: %v", s.Dialect(), err)
	}
	return s
}

// SQLitePath is the path of a SQLite database file, not yet created, in the test's temporary
// directory: an empty database. MigratedSQLitePath is one with the schema in place.
func SQLitePath(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "homebell-test-")
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() { removeDir(t, dir) })
	return filepath.Join(dir, "homebell.db")
}

// removeDir removes a test database's directory once the test is over (after the store's own
// cleanup has closed it). A SQLite connection can outlive the store's Close by a moment —
// database/sql closes a connection that was in use when it is handed back — and closing the last
// connection deletes the -wal and -shm files, so a removal that meets those files going away is
// tried again (t.TempDir's single attempt once failed so: "directory not empty").
func removeDir(t testing.TB, dir string) {
	var err error
	for range 100 {
		if err = os.RemoveAll(dir); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("storetest: remove %s: %v", dir, err)
}

// Dialects runs fn as two subtests, "sqlite" and "postgres", each with the DSN of a fresh
// database that already holds the current schema (MigratedSQLitePath, MigratedPostgresURL:
// migrating it again finds nothing to do). The postgres subtest is skipped when PostgreSQL is
// not configured (and fails instead when HOMEBELL_TEST_REQUIRE=1).
func Dialects(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, MigratedSQLitePath(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, MigratedPostgresURL(t)) })
}

// Required reports whether tests must fail, rather than skip, when an external service they need
// is not configured (HOMEBELL_TEST_REQUIRE=1).
func Required() bool { return os.Getenv(EnvRequire) == "1" }

// Env returns the value of the environment variable name. When it is empty the test is skipped
// with a message saying what to set — or fails, when HOMEBELL_TEST_REQUIRE=1. what describes the
// service, e.g. "NATS with JetStream (nats://127.0.0.1:4222)".
func Env(t testing.TB, name, what string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		msg := fmt.Sprintf("%s is not set: this test needs %s", name, what)
		if Required() {
			t.Fatalf("%s, and %s=1 requires it", msg, EnvRequire)
		}
		t.Skip(msg + "; set it to run this test")
	}
	return v
}

// PostgresURL creates an empty database with a unique name (hb_test_<random>) on the server named
// by HOMEBELL_TEST_POSTGRES, drops it when the test ends, and returns its URL (MigratedPostgresURL
// makes one with the schema in place). Without the variable
// the test is skipped (or fails when HOMEBELL_TEST_REQUIRE=1).
func PostgresURL(t testing.TB) string {
	t.Helper()
	admin := Env(t, EnvPostgres, "a PostgreSQL admin database URL such as postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	return createPostgres(t, admin, "")
}

func adminExec(ctx context.Context, dsn, stmt string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, stmt)
	return err
}

// redact hides a password in a URL for messages.
func redact(u *url.URL) string {
	return strings.Replace(u.Redacted(), "xxxxx", "…", 1)
}
