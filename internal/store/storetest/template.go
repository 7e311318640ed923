package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/store"
)

// Migrating a database takes a few dozen statements, each its own transaction; the tests need
// hundreds of migrated databases. So each dialect's schema is migrated once into a template —
// named by store.SchemaID, kept between runs, shared by concurrent test processes — and every
// test gets a copy: CREATE DATABASE … TEMPLATE on PostgreSQL, a file copy on SQLite. The
// migrations themselves stay tested where they are the subject (PostgresURL and SQLitePath are
// still empty: cmd/homebell's migrate tests, TestConcurrentMigratePostgres).

var templates struct {
	mu   sync.Mutex
	done map[string]string // admin URL or "sqlite" → template database name or file
}

// template returns what key's template is, building it with build the first time this process
// asks.
func template(key string, build func() (string, error)) (string, error) {
	templates.mu.Lock()
	defer templates.mu.Unlock()
	if v, ok := templates.done[key]; ok {
		return v, nil
	}
	v, err := build()
	if err != nil {
		return "", err
	}
	if templates.done == nil {
		templates.done = map[string]string{}
	}
	templates.done[key] = v
	return v, nil
}

// MigratedSQLitePath is a fresh SQLite database file in the test's temporary directory that
// already holds the current schema (a copy of a template migrated once per schema).
func MigratedSQLitePath(t testing.TB) string {
	t.Helper()
	tmpl, err := template("sqlite", buildSQLiteTemplate)
	if err != nil {
		t.Fatalf("storetest: SQLite template: %v", err)
	}
	path := SQLitePath(t)
	if err := copyFile(tmpl, path); err != nil {
		t.Fatalf("storetest: copy the SQLite template: %v", err)
	}
	return path
}

// buildSQLiteTemplate returns the path of the migrated template file of the current schema,
// creating it (in a temporary file, then renamed into place, so a reader never sees half of it)
// when it is not there yet.
func buildSQLiteTemplate() (string, error) {
	id, err := store.SchemaID(store.SQLite)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(os.TempDir(), "homebell-storetest")
	final := filepath.Join(dir, "sqlite-"+id[:16]+".db")
	if _, err := os.Stat(final); err == nil {
		return final, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	work, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	path := filepath.Join(work, "homebell.db")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := migrated(ctx, path); err != nil {
		return "", err
	}
	// Closing the last connection checkpoints the write-ahead log into the file and removes it;
	// a log left over would hold part of the schema, and the copy would lack it.
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		return "", fmt.Errorf("%s-wal still holds %d bytes after close", path, fi.Size())
	}
	if err := os.Rename(path, final); err != nil {
		return "", err
	}
	return final, nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// MigratedPostgresURL is PostgresURL with the current schema already in place: the database is
// created from a template migrated once per schema.
func MigratedPostgresURL(t testing.TB) string {
	t.Helper()
	admin := Env(t, EnvPostgres, "a PostgreSQL admin database URL such as postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	tmpl, err := template(admin, func() (string, error) { return buildPostgresTemplate(admin) })
	if err != nil {
		t.Fatalf("storetest: PostgreSQL template: %v", err)
	}
	return createPostgres(t, admin, "TEMPLATE "+tmpl)
}

// templateLock is the advisory lock key under which test processes build PostgreSQL templates
// one at a time.
const templateLock = 0x686273746d706c // "hbstmpl"

// buildPostgresTemplate returns the name of the migrated template database of the current
// schema on the server at admin, creating it when it is not there yet. Processes building it at
// the same time take turns on an advisory lock; the database is marked a template only once it
// is fully migrated, so a half-built one (a process killed while building) is built again.
func buildPostgresTemplate(admin string) (string, error) {
	id, err := store.SchemaID(store.Postgres)
	if err != nil {
		return "", err
	}
	name := "hb_template_" + id[:16]
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return "", err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, templateLock); err != nil {
		return "", err
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, templateLock)
	var ready bool
	err = conn.QueryRowContext(ctx, `SELECT datistemplate FROM pg_database WHERE datname = $1`, name).Scan(&ready)
	if err == nil && ready {
		return name, nil
	}
	if err != nil && err != sql.ErrNoRows {
		return "", err
	}
	for _, stmt := range []string{"DROP DATABASE IF EXISTS " + name + " WITH (FORCE)", "CREATE DATABASE " + name} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return "", err
		}
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	if err := migrated(ctx, u.String()); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, "ALTER DATABASE "+name+" WITH IS_TEMPLATE true"); err != nil {
		return "", err
	}
	return name, nil
}

// createPostgres creates a database with a unique name (hb_test_<random>) on the server at admin
// with the options of CREATE DATABASE in opts, drops it when the test ends and returns its URL.
func createPostgres(t testing.TB, admin, opts string) string {
	t.Helper()
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL, got %q", EnvPostgres, admin)
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := "hb_test_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := adminExec(ctx, admin, "CREATE DATABASE "+name+" "+opts); err != nil {
		t.Fatalf("create test database on %s: %v", redact(u), err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// FORCE: a connection the test forgot to close must not keep the database alive.
		if err := adminExec(ctx, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// migrated opens the database at dsn, migrates it to the current schema and closes it.
func migrated(ctx context.Context, dsn string) error {
	s, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return err
	}
	return s.Close()
}
