// Command homebell is the notification and interaction server of a home-services platform.
//
//	homebell serve            run the server (SQLite ./homebell.db unless --db postgres://…)
//	homebell demo             run with demo data in its own SQLite file, with a development sign-in
//	homebell migrate          apply database migrations and exit
//	homebell token --user ID --role ROLE   mint a development JWT
//	homebell key create NAME  create a service key for a platform backend
//	homebell version          print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/homebell/homebell/internal/app"
	"github.com/homebell/homebell/internal/auth"
	"github.com/homebell/homebell/internal/config"
	"github.com/homebell/homebell/internal/gcfloor"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/observe"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: homebell <command> [flags]

commands:
  serve                          run the server
  demo                           run with demo data (SQLite homebell-demo.db) and a development sign-in
  migrate                        apply database migrations and exit
  token --user ID --role ROLE    print a development JWT for a person
  key create NAME                create a service key for a platform backend
  version                        print the version

Every flag is also an environment variable: --db is HOMEBELL_DB, --addr is HOMEBELL_ADDR, …
Run "homebell serve -h" for the flags.
`

// run is the testable entry point: it returns the process exit code.
func run(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, args := args[0], args[1:]
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args, env, stdout, stderr, false)
	case "demo":
		err = serve(ctx, args, env, stdout, stderr, true)
	case "migrate":
		err = migrate(ctx, args, env, stdout, stderr)
	case "token":
		err = token(ctx, args, env, stdout, stderr)
	case "key":
		err = key(ctx, args, env, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "homebell", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "homebell: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "homebell:", err)
		return 1
	}
	return 0
}

func logger(cfg config.Config, stderr io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	// JSON lines, one per record; records written with a request's or job's context carry its
	// request id, route, person id, job and delivery ids (observe.NewHandler).
	return slog.New(observe.NewHandler(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})))
}

func serve(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer, demo bool) error {
	name := "serve"
	if demo {
		name = "demo"
		// The demo keeps its own file so it never touches a real database, unless told otherwise.
		if env("HOMEBELL_DB") == "" && !hasFlag(args, "db") {
			args = append([]string{"--db", "homebell-demo.db"}, args...)
		}
	}
	cfg, _, err := config.Parse(name, args, env, stderr)
	if err != nil {
		return err
	}
	cfg.Demo = demo
	if demo {
		cfg.Addr = demoAddr(cfg.Addr, env, args)
	}
	log := logger(cfg, stderr)
	// The heap floor is the process's, so it is started here and not in app (tests run many apps
	// in one process).
	defer gcfloor.Start(uint64(cfg.GCFloorMiB)<<20, env, log).Stop()
	a, err := app.New(ctx, cfg, app.Options{Log: log})
	if err != nil {
		return err
	}
	defer a.Close()
	if demo {
		if err := a.SeedDemo(ctx); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	if demo {
		fmt.Fprintf(stdout, "homebell demo: open http://localhost:%d and pick a person\n", ln.Addr().(*net.TCPAddr).Port)
	}
	return a.Serve(ctx, ln)
}

// demoAddr is where the demo listens: on loopback unless an address was given, because the demo
// lets anyone sign in as anyone, operators included.
func demoAddr(addr string, env func(string) string, args []string) string {
	if env("HOMEBELL_ADDR") == "" && !hasFlag(args, "addr") {
		return "127.0.0.1:8080"
	}
	return addr
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == "-"+name || a == "--"+name || strings.HasPrefix(a, "-"+name+"=") || strings.HasPrefix(a, "--"+name+"=") {
			return true
		}
	}
	return false
}

func migrate(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := config.Parse("migrate", args, env, stderr)
	if err != nil {
		return err
	}
	cfg.Dev = true // serves nothing: no token key needed
	a, err := app.New(ctx, cfg, app.Options{Log: logger(cfg, stderr)})
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintln(stdout, "migrations applied to", a.Store.Dialect(), "database")
	return nil
}

func token(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	cfg := config.Default()
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.FlagSet(fs, env)
	user := fs.String("user", "", "person id (the token's sub)")
	role := fs.String("role", "", "customer, worker, agent or operator")
	ttl := fs.Duration("ttl", 24*time.Hour, "lifetime of the token")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *user == "" || !model.Role(*role).Valid() {
		return errors.New("token: need --user ID and --role customer|worker|agent|operator")
	}
	cfg.Dev = true // development tokens are signed with the development secret (serve --dev)
	a, err := app.New(ctx, cfg, app.Options{Log: logger(cfg, stderr)})
	if err != nil {
		return err
	}
	defer a.Close()
	if a.DevSecret == nil {
		return errors.New("token: tokens are issued by the platform's key pair; homebell can mint only HS256 development tokens")
	}
	t, err := auth.Mint(a.DevSecret, *user, model.Role(*role), time.Now(), *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, t)
	return nil
}

func key(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	const keyUsage = "key: usage: homebell key create NAME [flags]"
	// A NAME that looks like a flag means it was left out ("key create --db x"): refuse, rather
	// than create a key called "--db" in the default database.
	if len(args) < 2 || args[0] != "create" || strings.HasPrefix(args[1], "-") {
		return errors.New(keyUsage)
	}
	name := args[1]
	cfg, fs, err := config.Parse("key create", args[2:], env, stderr)
	if err != nil {
		return err
	}
	cfg.Dev = true // serves nothing: no token key needed
	if fs.NArg() > 0 {
		return fmt.Errorf("%s (unexpected %q)", keyUsage, fs.Args())
	}
	a, err := app.New(ctx, cfg, app.Options{Log: logger(cfg, stderr)})
	if err != nil {
		return err
	}
	defer a.Close()
	secret, k, err := auth.CreateServiceKey(ctx, a.Store, name, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", secret)
	fmt.Fprintf(stderr, "service key %s (%s) created; the secret above is shown once\n", k.ID, k.Name)
	return nil
}
