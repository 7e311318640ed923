// Command realtime measures homebell's realtime path (X1) on this machine, over loopback only:
//
//   - latency: one WebSocket client; notifications are committed one at a time and the time from
//     commit to the client receiving the frame is recorded (p50, p99, max);
//   - fan-out: C clients, each a different person, all told by one commit (one event each); the
//     time from commit until every client has its frame gives deliveries per second;
//   - idle memory: the server's heap and stacks before and after I idle WebSocket connections
//     are opened by a child process (so the clients' own memory is not counted).
//
// It starts an in-process node on a fresh SQLite file (or -db postgres://…), listens on
// 127.0.0.1:0, and stops by itself: every phase is bounded in count and by -timeout.
//
//	go run ./bench/realtime -seq 2000 -clients 1000 -rounds 10 -idle 2000
//
// -offapp=false leaves the off-app delivery jobs unrun, to measure the realtime path alone;
// -cpuprofile FILE profiles the fan-out phase; BENCH_HEAPPROFILE=FILE writes a heap profile with
// the idle connections open.
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
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/homebell/homebell/internal/app"
	"github.com/homebell/homebell/internal/auth"
	"github.com/homebell/homebell/internal/config"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
)

const secret = "bench-realtime-secret-0123456789abcdef"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "realtime:", err)
		os.Exit(1)
	}
}

func run() error {
	db := flag.String("db", "", "database: empty = a fresh SQLite file in a temporary directory, or postgres://…")
	seq := flag.Int("seq", 2000, "sequential latency samples (at most 100000)")
	clients := flag.Int("clients", 1000, "fan-out clients, one person each (at most 10000)")
	rounds := flag.Int("rounds", 10, "fan-out rounds (at most 100)")
	idle := flag.Int("idle", 2000, "idle connections for the memory measure (at most 10000)")
	timeout := flag.Duration("timeout", 5*time.Minute, "the whole run stops after this")
	offApp := flag.Bool("offapp", true, "run the job runner, which executes the off-app delivery job every notification schedules (false: measure the realtime path alone)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the fan-out phase to this file")
	child := flag.String("child-connect", "", "internal: open idle connections to this loopback address")
	childTok := flag.String("child-token", "", "internal")
	flag.Parse()
	if *child != "" {
		return idleClients(*child, *childTok, *idle)
	}
	*seq, *clients, *rounds, *idle = min(*seq, 100000), min(*clients, 10000), min(*rounds, 100), min(*idle, 10000)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	dsn := *db
	if dsn == "" {
		dir, err := os.MkdirTemp("", "homebell-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dsn = filepath.Join(dir, "bench.db")
	}
	cfg := config.Default()
	cfg.Addr, cfg.DB, cfg.JWTSecret = "127.0.0.1:0", dsn, secret
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	a, err := app.New(ctx, cfg, app.Options{Log: log, ManualJobs: !*offApp})
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- a.Serve(sctx, ln) }()
	defer func() { stop(); <-served }()
	addr := ln.Addr().String()
	n := max(*clients, 1)
	if err := addPeople(ctx, a, max(n, (*idle+7)/8)+1); err != nil {
		return err
	}
	fmt.Printf("homebell realtime bench: %s, GOMAXPROCS=%d, %s store, off-app delivery jobs running: %v\n",
		runtime.Version(), runtime.GOMAXPROCS(0), a.Store.Dialect(), *offApp)

	if err := latency(ctx, a, addr, *seq); err != nil {
		return fmt.Errorf("latency: %w", err)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	err = fanout(ctx, a, addr, n, *rounds)
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return fmt.Errorf("fan-out: %w", err)
	}
	if *idle > 0 {
		if err := idleMemory(ctx, a, addr, *idle); err != nil {
			return fmt.Errorf("idle memory: %w", err)
		}
	}
	return nil
}

func person(i int) string { return "bench-" + strconv.Itoa(i) }

func addPeople(ctx context.Context, a *app.App, n int) error {
	return a.Store.InTx(ctx, func(tx *store.Tx) error {
		for i := range n {
			p := model.Person{ID: person(i), Role: model.RoleCustomer, Name: "客户 " + strconv.Itoa(i)}
			p.Normalize()
			if _, err := tx.UpsertPerson(ctx, &p, time.Now()); err != nil {
				return err
			}
		}
		return nil
	})
}

func token(a *app.App, id string) (string, error) {
	return auth.Mint([]byte(secret), id, model.RoleCustomer, a.Now(), 24*time.Hour)
}

func dial(ctx context.Context, addr, tok string) (*websocket.Conn, error) {
	c, _, err := websocket.Dial(ctx, "ws://"+addr+"/v1/stream?access_token="+tok, nil)
	if err != nil {
		return nil, err
	}
	// The first frame is stream.open.
	if _, _, err := c.Read(ctx); err != nil {
		c.CloseNow()
		return nil, err
	}
	return c, nil
}

// tell commits one notification to each of ids and returns the moment of commit (the first
// after-commit hook, before the hub is woken).
func tell(ctx context.Context, a *app.App, key string, ids []string) (time.Time, error) {
	var committed time.Time
	rs := make([]notify.Recipient, len(ids))
	for i, id := range ids {
		rs[i] = notify.Recipient{PersonID: id}
	}
	err := a.Store.InTx(ctx, func(tx *store.Tx) error {
		tx.AfterCommit(func() { committed = time.Now() })
		_, err := a.Notify.Notify(ctx, tx, notify.Event{Kind: notify.KindSupportMessage, Key: key, Recipients: rs,
			Vars: map[string]any{"text": "您好，师傅已出发"}})
		return err
	})
	return committed, err
}

func latency(ctx context.Context, a *app.App, addr string, n int) error {
	tok, err := token(a, person(0))
	if err != nil {
		return err
	}
	c, err := dial(ctx, addr, tok)
	if err != nil {
		return err
	}
	defer c.CloseNow()
	got := make(chan time.Time, 1)
	go func() {
		for {
			if _, _, err := c.Read(ctx); err != nil {
				close(got)
				return
			}
			got <- time.Now()
		}
	}()
	samples := make([]time.Duration, 0, n)
	for i := range n {
		committed, err := tell(ctx, a, "lat-"+strconv.Itoa(i), []string{person(0)})
		if err != nil {
			return err
		}
		at, ok := <-got
		if !ok {
			return errors.New("stream closed")
		}
		samples = append(samples, at.Sub(committed))
	}
	slices.Sort(samples)
	fmt.Printf("latency, commit → WebSocket client, sequential, %d events: p50 %s  p99 %s  max %s\n",
		n, pct(samples, 50), pct(samples, 99), samples[len(samples)-1])
	return nil
}

func pct(s []time.Duration, p int) time.Duration {
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)].Round(time.Microsecond)
}

func fanout(ctx context.Context, a *app.App, addr string, n, rounds int) error {
	ids := make([]string, n)
	conns := make([]*websocket.Conn, n)
	for i := range n {
		ids[i] = person(i + 1)
		tok, err := token(a, ids[i])
		if err != nil {
			return err
		}
		if conns[i], err = dial(ctx, addr, tok); err != nil {
			return err
		}
	}
	defer func() {
		for _, c := range conns {
			c.CloseNow()
		}
	}()
	var received atomic.Int64
	var wg sync.WaitGroup
	roundDone := make(chan struct{}, 1)
	var target atomic.Int64
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if _, _, err := c.Read(ctx); err != nil {
					return
				}
				if received.Add(1) == target.Load() {
					roundDone <- struct{}{}
				}
			}
		}()
	}
	var rates []float64
	var worst time.Duration
	for r := range rounds {
		target.Store(received.Load() + int64(n))
		committed, err := tell(ctx, a, "fan-"+strconv.Itoa(r), ids)
		if err != nil {
			return err
		}
		select {
		case <-roundDone:
		case <-ctx.Done():
			return ctx.Err()
		}
		d := time.Since(committed)
		worst = max(worst, d)
		rates = append(rates, float64(n)/d.Seconds())
	}
	slices.Sort(rates)
	fmt.Printf("fan-out, one commit telling %d people, each with an open WebSocket, %d rounds: median %.0f deliveries/s (best %.0f, worst %.0f; slowest round %s)\n",
		n, rounds, rates[len(rates)/2], rates[len(rates)-1], rates[0], worst.Round(time.Microsecond))
	for _, c := range conns {
		c.CloseNow()
	}
	wg.Wait()
	return nil
}

func serverMemory() (heap, stacks uint64) {
	// Several collections: each may halve an idle goroutine's stack, as a long-running server's
	// periodic collections do.
	for range 6 {
		runtime.GC()
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse, m.StackInuse
}

// idleMemory has a child process open n idle connections, so only the server's side is measured.
func idleMemory(ctx context.Context, a *app.App, addr string, n int) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	heap0, stack0 := serverMemory()
	conns0 := a.Hub.Connections()
	// A person may hold 8 streams: the child spreads its connections over people, 8 each.
	toks := ""
	people := (n + 7) / 8
	for i := range people {
		t, err := token(a, person(1+i))
		if err != nil {
			return err
		}
		if i > 0 {
			toks += ","
		}
		toks += t
	}
	cmd := exec.CommandContext(ctx, exe, "-child-connect", addr, "-child-token", toks, "-idle", strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { in.Close(); _ = cmd.Wait() }()
	buf := make([]byte, 64)
	k, err := out.Read(buf)
	if err != nil || string(buf[:k]) != "ready\n" {
		return fmt.Errorf("child: %q %v", buf[:k], err)
	}
	for a.Hub.Connections() < conns0+n && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	heap1, stack1 := serverMemory()
	if f := os.Getenv("BENCH_HEAPPROFILE"); f != "" {
		if out, err := os.Create(f); err == nil {
			_ = pprof.Lookup("heap").WriteTo(out, 0)
			out.Close()
		}
	}
	per := func(a, b uint64) float64 { return float64(int64(b)-int64(a)) / float64(n) / 1024 }
	fmt.Printf("idle connections: %d open WebSocket streams cost the server %.1f KB each (heap in use %.1f KB + goroutine stacks %.1f KB, after GC)\n",
		n, per(heap0+stack0, heap1+stack1), per(heap0, heap1), per(stack0, stack1))
	return nil
}

// idleClients is the child: it opens n streams (8 per token, round robin), says "ready", and
// holds them until its stdin closes.
func idleClients(addr, toks string, n int) error {
	if host, _, err := net.SplitHostPort(addr); err != nil || !net.ParseIP(host).IsLoopback() {
		return fmt.Errorf("refusing a non-loopback address %q", addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tokens := splitComma(toks)
	conns := make([]*websocket.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.CloseNow()
		}
	}()
	for i := range n {
		c, err := dial(ctx, addr, tokens[i/8%len(tokens)])
		if err != nil {
			return err
		}
		c.CloseRead(ctx) // answer the server's pings
		conns = append(conns, c)
	}
	fmt.Print("ready\n")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}
