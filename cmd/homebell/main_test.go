package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/app"
	"github.com/homebell/homebell/internal/auth"
	"github.com/homebell/homebell/internal/config"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/store/storetest"
)

// syncBuffer is a bytes.Buffer safe to write from run's goroutine while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// envOf is an environment with exactly vars.
func envOf(vars ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(vars); i += 2 {
		m[vars[i]] = vars[i+1]
	}
	return func(k string) string { return m[k] }
}

// homebell runs the command line args and returns the exit code and output.
func homebell(t *testing.T, env func(string) string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code = run(ctx, args, env, &out, &errb)
	return code, out.String(), errb.String()
}

func TestVersionAndHelp(t *testing.T) {
	if code, out, _ := homebell(t, envOf(), "version"); code != 0 || out != "homebell dev\n" {
		t.Errorf("version: %d %q", code, out)
	}
	if code, out, _ := homebell(t, envOf(), "help"); code != 0 || !strings.Contains(out, "key create NAME") {
		t.Errorf("help: %d %q", code, out)
	}
	if code, _, errs := homebell(t, envOf(), "serve", "-h"); code != 0 || !strings.Contains(errs, "HOMEBELL_DB") {
		t.Errorf("serve -h: %d, flags should name their variables: %q", code, errs)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	if code, _, errs := homebell(t, envOf()); code != 2 || !strings.Contains(errs, "usage: homebell") {
		t.Errorf("no command: %d %q", code, errs)
	}
	if code, _, errs := homebell(t, envOf(), "frobnicate"); code != 2 || !strings.Contains(errs, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %d %q", code, errs)
	}
}

func TestMigrate(t *testing.T) {
	db := filepath.Join(t.TempDir(), "data", "homebell.db")
	for range 2 { // a second run finds nothing to do
		code, out, errs := homebell(t, envOf(), "migrate", "--db", db)
		if code != 0 || out != "migrations applied to sqlite database\n" {
			t.Fatalf("migrate: %d %q %q", code, out, errs)
		}
	}
	st := storetest.Open(t, db)
	if _, err := st.People(context.Background(), "", "", 1); err != nil {
		t.Errorf("the migrated database has no people table: %v", err)
	}
}

func TestMigratePostgres(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	code, out, errs := homebell(t, envOf(), "migrate", "--db", dsn)
	if code != 0 || out != "migrations applied to postgres database\n" {
		t.Fatalf("migrate: %d %q %q", code, out, errs)
	}
}

func TestEnvironmentConfiguresAndFlagsWin(t *testing.T) {
	dir := t.TempDir()
	fromEnv, fromFlag := filepath.Join(dir, "env.db"), filepath.Join(dir, "flag.db")
	if code, _, errs := homebell(t, envOf("HOMEBELL_DB", fromEnv), "migrate"); code != 0 {
		t.Fatalf("migrate with HOMEBELL_DB: %d %s", code, errs)
	}
	if _, err := os.Stat(fromEnv); err != nil {
		t.Errorf("HOMEBELL_DB was not used: %v", err)
	}
	if code, _, errs := homebell(t, envOf("HOMEBELL_DB", fromEnv), "migrate", "--db", fromFlag); code != 0 {
		t.Fatalf("migrate with --db: %d %s", code, errs)
	}
	if _, err := os.Stat(fromFlag); err != nil {
		t.Errorf("--db did not win over HOMEBELL_DB: %v", err)
	}
	// A bad value from the environment is reported like a bad flag.
	if code, _, errs := homebell(t, envOf("HOMEBELL_DB", fromEnv, "HOMEBELL_MAX_BODY_BYTES", "10"), "migrate"); code != 1 || !strings.Contains(errs, "max-body-bytes") {
		t.Errorf("HOMEBELL_MAX_BODY_BYTES=10: %d %q", code, errs)
	}
}

func TestKeyCreate(t *testing.T) {
	db := filepath.Join(t.TempDir(), "homebell.db")
	code, out, errs := homebell(t, envOf(), "key", "create", "crm backend", "--db", db)
	if code != 0 {
		t.Fatalf("key create: %d %s", code, errs)
	}
	cred := strings.TrimSpace(out)
	id, secret, ok := auth.SplitServiceKey(cred)
	if !ok {
		t.Fatalf("stdout %q is not a service key", out)
	}
	if !strings.Contains(errs, id) || !strings.Contains(errs, "shown once") || strings.Contains(errs, secret) {
		t.Errorf("stderr %q should name the key id, warn it is shown once, and not repeat the secret", errs)
	}
	st := storetest.Open(t, db)
	k, err := st.ServiceKey(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if k.Name != "crm backend" || k.RevokedAt != nil || !auth.SecretMatches(secret, k.SecretHash) || k.SecretHash == secret {
		t.Errorf("stored key %+v does not match the printed credential (or stores the secret)", k)
	}
	for _, args := range [][]string{{"key"}, {"key", "create"}, {"key", "delete", "crm"}, {"key", "create", "crm", "extra"}} {
		if code, _, errs := homebell(t, envOf(), append(args, "--db", db)...); code != 1 || !strings.Contains(errs, "homebell key create NAME") {
			t.Errorf("%v: %d %q, want usage", args, code, errs)
		}
	}
}

func TestTokenWorksAgainstAServerOnTheSameDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "homebell.db")
	code, out, errs := homebell(t, envOf(), "token", "--user", "c-lin", "--role", "customer", "--ttl", "10m", "--db", db)
	if code != 0 {
		t.Fatalf("token: %d %s", code, errs)
	}
	tok := strings.TrimSpace(out)
	// Without a configured secret, homebell keeps a development secret in the database: a server
	// started later on the same database accepts the token.
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(context.Background(), config.Config{DB: db, Addr: ":0", MaxBodyBytes: 1 << 20, Dev: true}, app.Options{Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	p, err := a.API.Verifier.Verify(tok)
	if err != nil || p.ID != "c-lin" || p.Role != model.RoleCustomer {
		t.Fatalf("verify: %+v %v", p, err)
	}
	// And the token expires after --ttl.
	late, _ := auth.NewVerifier(a.DevSecret, nil, func() time.Time { return time.Now().Add(15 * time.Minute) })
	if _, err := late.Verify(tok); err == nil {
		t.Error("a --ttl 10m token still verifies 15 minutes later")
	}
}

func TestTokenUsesTheConfiguredSecret(t *testing.T) {
	secret := "platform-shared-secret-0123456789abcdef"
	db := filepath.Join(t.TempDir(), "homebell.db")
	code, out, errs := homebell(t, envOf("HOMEBELL_JWT_SECRET", secret, "HOMEBELL_DB", db), "token", "--user", "w-wang", "--role", "worker")
	if code != 0 {
		t.Fatalf("token: %d %s", code, errs)
	}
	v, _ := auth.NewVerifier([]byte(secret), nil, time.Now)
	if p, err := v.Verify(strings.TrimSpace(out)); err != nil || p.ID != "w-wang" || p.Role != model.RoleWorker {
		t.Errorf("verify with HOMEBELL_JWT_SECRET: %+v %v", p, err)
	}
}

func TestTokenNeedsUserAndRole(t *testing.T) {
	db := filepath.Join(t.TempDir(), "homebell.db")
	for _, args := range [][]string{
		{"token", "--db", db},
		{"token", "--user", "c-lin", "--db", db},
		{"token", "--user", "c-lin", "--role", "admin", "--db", db},
		{"token", "--user", "c-lin", "--role", "platform", "--db", db},
	} {
		if code, out, errs := homebell(t, envOf(), args...); code != 1 || out != "" || !strings.Contains(errs, "need --user ID and --role") {
			t.Errorf("%v: %d %q %q", args, code, out, errs)
		}
	}
}

// freeAddr finds a port that is free now (the demo prints the port it got, but a test needs to
// know it up front).
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serveInBackground runs a serving command until the test cancels it.
func serveInBackground(t *testing.T, env func(string) string, args ...string) (stdout *syncBuffer, stop func() int) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, env, &out, &errb) }()
	stopped := false
	var code int
	stop = func() int {
		if !stopped {
			stopped = true
			cancel()
			select {
			case code = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("homebell did not stop after cancel")
			}
			if code != 0 {
				t.Logf("stderr: %s", errb.String())
			}
		}
		return code
	}
	t.Cleanup(func() { stop() })
	return &out, stop
}

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/healthz never answered 200 (last error %v)", base, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDemoServesSeededPeopleAndStopsCleanly(t *testing.T) {
	// No --db and no HOMEBELL_DB: the demo keeps its own file in the working directory.
	dir := t.TempDir()
	t.Chdir(dir)
	addr := freeAddr(t)
	out, stop := serveInBackground(t, envOf(), "demo", "--addr", addr)
	waitHealthy(t, "http://"+addr)
	_, port, _ := net.SplitHostPort(addr)
	if want := fmt.Sprintf("open http://localhost:%s and pick a person", port); !strings.Contains(out.String(), want) {
		t.Errorf("stdout %q lacks %q", out.String(), want)
	}
	res, err := http.Get("http://" + addr + "/v1/demo/people")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(buf.String(), "王阿姨") {
		t.Errorf("demo people: %d %s", res.StatusCode, buf.String())
	}
	if code := stop(); code != 0 {
		t.Errorf("demo exited %d after cancel, want 0", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "homebell-demo.db")); err != nil {
		t.Errorf("the demo did not use homebell-demo.db: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "homebell.db")); err == nil {
		t.Error("the demo touched homebell.db, the default database of serve")
	}
}

func TestServeOnPostgres(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	addr := freeAddr(t)
	_, stop := serveInBackground(t, envOf("HOMEBELL_DB", dsn, "HOMEBELL_ADDR", addr,
		"HOMEBELL_JWT_SECRET", "platform-shared-secret-0123456789abcdef"), "serve")
	waitHealthy(t, "http://"+addr)
	res, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("/readyz on PostgreSQL: %d", res.StatusCode)
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exited %d after cancel, want 0", code)
	}
	st := storetest.Open(t, dsn)
	if st.Dialect() != store.Postgres {
		t.Errorf("dialect %s", st.Dialect())
	}
}

// Issue 10, defect 10: a development secret kept in the database (by demo or token) must not
// sign anyone in on a server that was given no token key: serve refuses to start without
// --jwt-secret or --jwt-public-key unless --dev says so.
func TestServeRefusesToStartWithoutATokenKey(t *testing.T) {
	db := filepath.Join(t.TempDir(), "homebell.db")
	// A demo (or token) run leaves a development secret in the database.
	if code, _, errs := homebell(t, envOf(), "token", "--user", "o-zhou", "--role", "operator", "--db", db); code != 0 {
		t.Fatalf("token: %d %s", code, errs)
	}
	code, _, errs := homebell(t, envOf(), "serve", "--db", db, "--addr", freeAddr(t))
	if code != 1 || !strings.Contains(errs, "--jwt-secret") || !strings.Contains(errs, "--dev") {
		t.Fatalf("serve without a token key: exit %d, %q; want a refusal naming --jwt-secret and --dev", code, errs)
	}
	addr := freeAddr(t)
	_, stop := serveInBackground(t, envOf("HOMEBELL_DEV", "1"), "serve", "--db", db, "--addr", addr)
	waitHealthy(t, "http://"+addr)
	if code := stop(); code != 0 {
		t.Errorf("serve --dev exited %d", code)
	}
}

// Issue 10, defect 10: the demo lets anyone sign in as an operator, so it listens on loopback
// unless told otherwise.
func TestDemoListensOnLoopbackByDefault(t *testing.T) {
	if got := demoAddr(config.Default().Addr, envOf(), nil); got != "127.0.0.1:8080" {
		t.Errorf("demo default address %q, want 127.0.0.1:8080", got)
	}
	if got := demoAddr(":9000", envOf(), []string{"--addr", ":9000"}); got != ":9000" {
		t.Errorf("demo --addr :9000 gave %q", got)
	}
	if got := demoAddr(":9001", envOf("HOMEBELL_ADDR", ":9001"), nil); got != ":9001" {
		t.Errorf("demo HOMEBELL_ADDR=:9001 gave %q", got)
	}
}

// The heap floor (internal/gcfloor) is on by default in serve, off with --gc-floor-mib 0, and off
// when the operator set GOGC or GOMEMLIMIT; the log says which.
func TestServeStartsTheHeapFloorUnlessTold(t *testing.T) {
	for _, c := range []struct {
		name string
		env  []string
		want string
	}{
		{"default", nil, `"msg":"gc floor on`},
		{"turned off", []string{"HOMEBELL_GC_FLOOR_MIB", "0"}, `"msg":"gc floor off (--gc-floor-mib 0)`},
		{"GOGC set", []string{"GOGC", "200"}, `"GOGC":"200"`},
		{"GOMEMLIMIT set", []string{"GOMEMLIMIT", "2GiB"}, `"GOMEMLIMIT":"2GiB"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // serve logs the floor's state, then stops at once (the store cannot open)
			var out, errb syncBuffer
			env := envOf(append([]string{"HOMEBELL_DB", filepath.Join(t.TempDir(), "h.db"), "HOMEBELL_DEV", "1",
				"HOMEBELL_ADDR", "127.0.0.1:0"}, c.env...)...)
			run(ctx, []string{"serve"}, env, &out, &errb)
			if !strings.Contains(errb.String(), c.want) {
				t.Fatalf("log lacks %s:\n%s", c.want, errb.String())
			}
		})
	}
	if code, _, errs := homebell(t, envOf("HOMEBELL_GC_FLOOR_MIB", "-1"), "migrate", "--db", filepath.Join(t.TempDir(), "h.db")); code != 1 || !strings.Contains(errs, "gc-floor-mib") {
		t.Errorf("HOMEBELL_GC_FLOOR_MIB=-1: %d %q", code, errs)
	}
}
