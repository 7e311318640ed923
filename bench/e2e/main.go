// Command e2e measures homebell as a platform sees it: real HTTP actions against a running node,
// timed from the request until the recipient's open WebSocket stream has the frame. Loopback only;
// every phase is bounded and the run stops by itself.
//
// By default it starts the server as a child process (this same binary with -child-serve: the
// real internal/app wiring, on a fresh SQLite file with synchronous=FULL, or on -db postgres://…),
// so the server's CPU time and RSS are read from /proc/<pid> of that process alone. -target URL
// drives a node that is already running instead (-key: a service key, -secret: its HS256 JWT
// secret, -pid: its process id for CPU and RSS).
//
// Phases:
//
//   - sync: a service item, -workers workers and -customers customers are PUT with the service key;
//     every customer's /v1/stream is opened (WebSocket);
//
//   - sequential (-seq N): one client runs N cycles: the platform books, the worker accepts, starts and
//     completes, each POST with an Idempotency-Key; each notifying step is timed from the request to
//     the customer's frame (the "worker accepts → customer's open client" latency);
//
//   - concurrent (-clients C, -duration D): C clients loop the same cycle for D after a warm-up;
//     reports actions/s, notifications/s, p50/p99/p99.9, server CPU per action and RSS;
//
//   - chat (-chat N, -chat-clients C): order chat, a customer's message → the worker's open
//     stream (see chat.go);
//
//   - bulk (-bulk N): N orders are booked (in an area of their own) for the customers, then one
//     POST /v1/orders/cancel-bulk cancels them all for force majeure; reports the time from the
//     request to the first and to the last customer's order.cancelled frame, the answer's time,
//     notifications/s committed and delivered, server CPU and SQL statements per cancelled order;
//
//   - idle (-idle N): a child process opens N idle streams from several 127.0.0.x source
//     addresses; the server's RSS growth per connection, with heap and stacks after GC.
//
//     go run ./bench/e2e -seq 300 -clients 32 -duration 20s
//     go run ./bench/e2e -db 'postgres://postgres@127.0.0.1:5432/bench?sslmode=disable' -clients 32
//     go run ./bench/e2e -seq 0 -duration 0 -idle 19000
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/homebell/homebell/bench/internal/benchenv"
	"github.com/homebell/homebell/internal/app"
	"github.com/homebell/homebell/internal/auth"
	"github.com/homebell/homebell/internal/config"
	"github.com/homebell/homebell/internal/gcfloor"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
}

type options struct {
	db, target, key, secret string
	pid                     int
	workers, customers      int
	clients, seq, idle      int
	idleAddrs               int
	duration, warmup        time.Duration
	cpuProfile, memProfile  string
	offApp                  bool
	chat, chatClients       int
	noRateLimits            bool
	bulk                    int
	reminders, remindersDue int
	remindersWindow         time.Duration
	nats, natsPrefix        string
	cross                   bool
}

func run() error {
	var o options
	flag.StringVar(&o.db, "db", "", "server database: empty = a fresh SQLite file in a temporary directory, or postgres://…")
	flag.StringVar(&o.target, "target", "", "drive this running node (http://127.0.0.1:PORT) instead of starting one")
	flag.StringVar(&o.key, "key", "", "with -target: a service key")
	flag.StringVar(&o.secret, "secret", "bench-e2e-secret-0123456789abcdef0123", "HS256 JWT secret (with -target: the node's)")
	flag.IntVar(&o.pid, "pid", 0, "with -target: the node's process id, for CPU and RSS")
	flag.IntVar(&o.workers, "workers", 40, "workers synced")
	flag.IntVar(&o.customers, "customers", 300, "customers synced, each with an open stream")
	flag.IntVar(&o.clients, "clients", 32, "concurrent clients (0 skips the concurrent phase)")
	flag.IntVar(&o.seq, "seq", 300, "sequential cycles with one client (0 skips)")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "concurrent phase, measured part (at most 2m)")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "concurrent phase, unmeasured warm-up")
	flag.IntVar(&o.idle, "idle", 0, "idle WebSocket streams for the memory measure (at most 19000)")
	flag.IntVar(&o.idleAddrs, "idle-addrs", 4, "source addresses 127.0.0.2… the idle streams come from")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "server CPU profile of the measured concurrent phase, or with -clients 0 of the reminders' window, the bulk cancellation or the sequential chat (needs the child server)")
	flag.StringVar(&o.memProfile, "memprofile", "", "server allocation profile of the measured concurrent phase (diff it with -base FILE.base), or with -idle the heap with the idle streams open (-sample_index=inuse_space)")
	flag.BoolVar(&o.offApp, "offapp", true, "child server runs its job runner")
	flag.IntVar(&o.chat, "chat", 0, "order chat: messages sent one after the other, each timed to the worker's frame (0 skips)")
	flag.IntVar(&o.chatClients, "chat-clients", 0, "order chat: customer-worker pairs sending at once for -duration (0 skips)")
	flag.BoolVar(&o.noRateLimits, "child-no-rate-limits", false, "internal: the child runs without per-person rate limits")
	flag.IntVar(&o.reminders, "reminders", 0, "pending reminders written into the node's database (0 skips; at most 2000000)")
	flag.IntVar(&o.remindersDue, "reminders-due", 10000, "of those, orders whose two reminders come due within -reminders-window")
	flag.DurationVar(&o.remindersWindow, "reminders-window", time.Minute, "the due reminders come due evenly over this (at most 5m)")
	flag.IntVar(&o.bulk, "bulk", 0, "orders booked and then cancelled by one bulk force-majeure cancellation (0 skips; at most 20000)")
	flag.StringVar(&o.nats, "nats", "", "NATS URL the child servers fan out through (with -cross; e.g. nats://127.0.0.1:4222)")
	flag.BoolVar(&o.cross, "cross", false, "cross-node: start two servers on one PostgreSQL database (-db) and NATS (-nats); streams open on node A, actions go to node B")
	flag.StringVar(&o.natsPrefix, "child-nats-prefix", "", "internal: the child's NATS subject prefix")
	childServe := flag.String("child-serve", "", "internal: serve on this database")
	childIdle := flag.String("child-idle", "", "internal: open idle streams to this address")
	flag.Parse()
	switch {
	case *childServe != "":
		return serveChild(*childServe, o)
	case *childIdle != "":
		return idleChild(*childIdle, o)
	}
	o.duration = min(o.duration, 2*time.Minute)
	o.warmup = min(o.warmup, 30*time.Second)
	o.seq = min(o.seq, 20000)
	o.clients = min(o.clients, 512)
	o.chat = min(o.chat, 20000)
	o.chatClients = min(o.chatClients, 512)
	o.idle = min(o.idle, 19000)
	o.bulk = min(o.bulk, 20000)
	o.reminders = min(o.reminders, 2000000)
	o.remindersWindow = min(o.remindersWindow, 5*time.Minute)
	if o.customers < o.clients {
		o.customers = o.clients
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute+time.Duration(o.reminders/1000)*time.Second)
	defer cancel()

	var srv *server
	streams := "" // the node the customers' streams open on, when it is not the one acted on
	if o.cross {
		if o.target != "" || !strings.HasPrefix(o.db, "postgres") || o.nats == "" {
			return errors.New("-cross needs -db postgres://… and -nats, and no -target")
		}
		o.natsPrefix = "hbe2e" + strconv.FormatInt(time.Now().UnixNano(), 36) // this run's own subjects
		a, err := startServer(ctx, o)
		if err != nil {
			return err
		}
		defer a.stop()
		streams = "http://" + a.addr
	}
	if o.target == "" {
		var err error
		if srv, err = startServer(ctx, o); err != nil {
			return err
		}
		defer srv.stop()
		o.target, o.key, o.pid = "http://"+srv.addr, srv.key, srv.pid
	}
	u, err := url.Parse(o.target)
	if err != nil {
		return err
	}
	if host, _, err := net.SplitHostPort(u.Host); err != nil || !net.ParseIP(host).IsLoopback() {
		return fmt.Errorf("refusing a non-loopback target %q", o.target)
	}
	b := &bench{o: o, base: strings.TrimSuffix(o.target, "/"), streamBase: streams, srv: srv,
		hc: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 2*o.clients + 8, MaxIdleConns: 4*o.clients + 16}}}
	fmt.Printf("homebell e2e bench: %s, %d CPUs, client GOMAXPROCS=%d, target %s (%s), load average %s\n",
		runtime.Version(), runtime.NumCPU(), runtime.GOMAXPROCS(0), b.base, dbName(o.db), loadavg())
	if streams != "" {
		fmt.Printf("cross-node: streams open on node A %s, actions go to node B %s; NATS %s, subjects %s.*; CPU and RSS are node B's\n",
			streams, b.base, o.nats, o.natsPrefix)
	}
	if err := b.sync(ctx); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	if err := b.openStreams(ctx); err != nil {
		return fmt.Errorf("streams: %w", err)
	}
	defer b.closeStreams()
	fmt.Printf("synced %d workers and %d customers; %d streams open; server RSS %s\n", o.workers, o.customers, o.customers, rssOf(o.pid))
	if o.seq > 0 {
		if err := b.sequential(ctx); err != nil {
			return fmt.Errorf("sequential: %w", err)
		}
	}
	if o.clients > 0 && o.duration > 0 {
		if err := b.concurrent(ctx); err != nil {
			return fmt.Errorf("concurrent: %w", err)
		}
	}
	if o.chat > 0 || o.chatClients > 0 {
		if err := b.chat(ctx); err != nil {
			return fmt.Errorf("chat: %w", err)
		}
	}
	if o.reminders > 0 {
		if err := b.reminders(ctx); err != nil {
			return fmt.Errorf("reminders: %w", err)
		}
	}
	if o.bulk > 0 {
		if err := b.bulkCancel(ctx); err != nil {
			return fmt.Errorf("bulk: %w", err)
		}
	}
	if o.idle > 0 {
		if err := b.idleMemory(ctx); err != nil {
			return fmt.Errorf("idle: %w", err)
		}
	}
	return nil
}

func dbName(db string) string {
	if strings.HasPrefix(db, "postgres") {
		return "PostgreSQL"
	}
	return "SQLite, synchronous=FULL"
}

// ---- the server child ----

type server struct {
	cmd       *exec.Cmd
	in        io.WriteCloser
	out       *bufio.Reader
	addr, key string
	pid       int
	dir       string // the temporary SQLite directory, removed on stop
	mu        sync.Mutex
}

func startServer(ctx context.Context, o options) (*server, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dsn := o.db
	if dsn == "" {
		dir, err := os.MkdirTemp("", "homebell-e2e-")
		if err != nil {
			return nil, err
		}
		dsn = filepath.Join(dir, "bench.db")
	}
	cmd := exec.CommandContext(ctx, exe, "-child-serve", dsn, "-secret", o.secret, "-offapp="+strconv.FormatBool(o.offApp),
		"-child-no-rate-limits=true", // every phase acts many times a second per person
		"-nats", o.nats, "-child-nats-prefix", o.natsPrefix)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outp, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, in: in, out: bufio.NewReader(outp), pid: cmd.Process.Pid}
	line, err := s.out.ReadString('\n')
	f := strings.Fields(line)
	if err != nil || len(f) != 3 || f[0] != "ready" {
		s.stop()
		return nil, fmt.Errorf("server child: %q %v", line, err)
	}
	s.addr, s.key = f[1], f[2]
	if o.db == "" {
		s.dir = filepath.Dir(dsn)
	}
	return s, nil
}

// command sends one line to the child and returns its one-line answer.
func (s *server) command(cmd string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := io.WriteString(s.in, cmd+"\n"); err != nil {
		return "", err
	}
	line, err := s.out.ReadString('\n')
	return strings.TrimSpace(line), err
}

func (s *server) stop() {
	s.in.Close()
	_ = s.cmd.Wait()
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// serveChild runs the node: the same wiring as `homebell serve`.
func serveChild(dsn string, o options) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := config.Default()
	cfg.Addr, cfg.DB, cfg.JWTSecret = "127.0.0.1:0", dsn, o.secret
	if o.nats != "" {
		cfg.NATS, cfg.NATSPrefix = o.nats, o.natsPrefix
	}
	// The load is many actions per person per second: the per-person rate limits (a guard
	// against abuse, not part of the cost being measured) are off, as 0 turns a class off.
	if o.noRateLimits {
		cfg.RateCreatePerMinute, cfg.RateNotifyPerMinute = 0, 0
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	floor, err := benchenv.GCFloor(&cfg, log)
	if err != nil {
		return err
	}
	defer floor.Stop()
	a, err := app.New(ctx, cfg, app.Options{Log: log, ManualJobs: !o.offApp})
	if err != nil {
		return err
	}
	defer a.Close()
	secret, _, err := auth.CreateServiceKey(ctx, a.Store, "bench-"+strconv.Itoa(os.Getpid()), time.Now())
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()
	fmt.Printf("ready %s %s\n", ln.Addr(), secret)
	in := bufio.NewScanner(os.Stdin)
	var cpu *os.File
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		answer := "ok"
		switch f[0] {
		case "cpu-start":
			if cpu, err = os.Create(f[1]); err == nil {
				err = pprof.StartCPUProfile(cpu)
			}
		case "cpu-stop":
			pprof.StopCPUProfile()
			if cpu != nil {
				err = cpu.Close()
			}
		case "allocs":
			var out *os.File
			if out, err = os.Create(f[1]); err == nil {
				err = errors.Join(pprof.Lookup("allocs").WriteTo(out, 0), out.Close())
			}
		case "stmts":
			answer = strconv.FormatUint(store.Statements(), 10)
		case "heap": // bytes and objects allocated, GC cycles: exact, where a profile samples; GOGC now
			sm := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/allocs:objects"}, {Name: "/gc/cycles/total:gc-cycles"}}
			metrics.Read(sm)
			answer = fmt.Sprintf("%d %d %d %d", sm[0].Value.Uint64(), sm[1].Value.Uint64(), sm[2].Value.Uint64(), gcfloor.GOGC())
		case "mem":
			for range 4 {
				runtime.GC()
			}
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			answer = fmt.Sprintf("heap_inuse=%d stack_inuse=%d sys=%d goroutines=%d conns=%d rss=%d gogc=%d",
				m.HeapInuse, m.StackInuse, m.Sys, runtime.NumGoroutine(), a.Hub.Connections(), rssBytes(os.Getpid()), gcfloor.GOGC())
		}
		if err != nil {
			answer = "error " + err.Error()
			err = nil
		}
		fmt.Println(answer)
	}
	cancel()
	return <-served
}

// ---- the load ----

type frame struct {
	kind, order string
	startCode   string // visit.arrived carries the code the worker is told at the door
	at          time.Time
}

type bench struct {
	o          options
	base       string
	streamBase string // -cross: node A, where the streams open; empty = base
	hc         *http.Client
	srv        *server
	frames     []chan frame // per customer
	conns      []*websocket.Conn
	wg         sync.WaitGroup
}

func worker(i int) string   { return "e2e-w-" + strconv.Itoa(i) }
func customer(i int) string { return "e2e-c-" + strconv.Itoa(i) }

const item = "e2e-cleaning"

func (b *bench) token(id string, role model.Role) string {
	t, err := auth.Mint([]byte(b.o.secret), id, role, time.Now(), 24*time.Hour)
	if err != nil {
		panic(err)
	}
	return t
}

// do sends one request and decodes a JSON answer into out (if not nil).
func (b *bench) do(ctx context.Context, method, path, cred string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+cred)
	req.Header.Set("Content-Type", "application/json")
	if method == http.MethodPost {
		req.Header.Set("Idempotency-Key", uuid.NewString())
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		return resp.StatusCode, json.Unmarshal(raw, out)
	}
	return resp.StatusCode, nil
}

func (b *bench) sync(ctx context.Context) error {
	if _, err := b.do(ctx, http.MethodPut, "/v1/service-items/"+item, b.o.key, map[string]any{
		"name": model.Text{ZH: "日常保洁", EN: "Daily cleaning"}, "duration_minutes": 120, "price_cents": 12000}, nil); err != nil {
		return err
	}
	// Orders are booked 25 minutes ahead (inside the visit's start window); with the reminder and
	// the nudge one minute before the appointment, accepting schedules them as always but none
	// comes due while the bench runs (the reminders have their own phase, -reminders).
	if _, err := b.do(ctx, http.MethodPut, "/v1/admin/policies", b.o.key, map[string]any{
		"reminder_lead_minutes": 1, "visit": map[string]any{"nudge_lead_minutes": 1}}, nil); err != nil {
		return err
	}
	type job struct {
		id   string
		role model.Role
	}
	var jobs []job
	for i := range b.o.workers {
		jobs = append(jobs, job{worker(i), model.RoleWorker})
	}
	for i := range b.o.customers + (b.o.idle+7)/8 {
		jobs = append(jobs, job{customer(i), model.RoleCustomer})
	}
	ch := make(chan job)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				if _, err := b.do(ctx, http.MethodPut, "/v1/people/"+j.id, b.o.key, map[string]any{
					"role": j.role, "name": "Bench " + j.id, "locale": "zh-CN", "time_zone": "Asia/Shanghai", "area": "静安"}, nil); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	return nil
}

func (b *bench) openStreams(ctx context.Context) error {
	base := b.base
	if b.streamBase != "" {
		base = b.streamBase
	}
	ws := strings.Replace(base, "http://", "ws://", 1)
	b.frames = make([]chan frame, b.o.customers)
	for i := range b.o.customers {
		c, _, err := websocket.Dial(ctx, ws+"/v1/stream?access_token="+b.token(customer(i), model.RoleCustomer), nil)
		if err != nil {
			return err
		}
		b.conns = append(b.conns, c)
		ch := make(chan frame, 256)
		b.frames[i] = ch
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			var ev struct {
				Type string `json:"type"`
				Data struct {
					Notification struct {
						Kind    string `json:"kind"`
						OrderID string `json:"order_id"`
						Data    struct {
							StartCode string `json:"start_code"`
						} `json:"data"`
					} `json:"notification"`
				} `json:"data"`
			}
			for {
				_, raw, err := c.Read(context.Background())
				at := time.Now()
				if err != nil {
					return
				}
				ev.Type, ev.Data.Notification.Data.StartCode = "", ""
				if json.Unmarshal(raw, &ev) != nil || ev.Type != model.EventNotification {
					continue
				}
				select {
				case ch <- frame{kind: ev.Data.Notification.Kind, order: ev.Data.Notification.OrderID, startCode: ev.Data.Notification.Data.StartCode, at: at}:
				default: // nobody waits for it (the customer's client is slow): drop
				}
			}
		}()
	}
	return nil
}

func (b *bench) closeStreams() {
	for _, c := range b.conns {
		c.CloseNow()
	}
	b.wg.Wait()
}

// sample is one timed step of a cycle.
type sample struct {
	step     int           // 0 book, 1 accept, 2 check in, 3 start, 4 complete
	resp     time.Duration // request → response
	frame    time.Duration // request → the customer's frame (steps 1-3)
	start    time.Time
	notified bool
}

// The visit (Y4): the worker checks in at the door, the customer's notice carries the start code,
// and the worker starts with it (the start window is 30 min before the appointment to 240 after,
// so the bench books 25 minutes ahead).
var steps = []struct{ path, kind string }{{"", ""}, {"accept", "order.accepted"}, {"check-in", "visit.arrived"}, {"start", "service.started"}, {"complete", "service.completed"}}

// cycle books an order for customer c, then worker w accepts, starts and completes it; each
// notifying step waits for c's frame.
func (b *bench) cycle(ctx context.Context, c, w int, wtok string, record func(sample)) error {
	var o struct {
		ID string `json:"id"`
	}
	t0 := time.Now()
	if _, err := b.do(ctx, http.MethodPost, "/v1/orders", b.o.key, map[string]any{
		"customer_id": customer(c), "service_item_id": item, "address": "静安区 1 号",
		"appointment_at": time.Now().Add(25 * time.Minute).UTC().Format(time.RFC3339)}, &o); err != nil {
		return err
	}
	record(sample{step: 0, resp: time.Since(t0), start: t0})
	code := ""
	for s := 1; s < len(steps); s++ {
		var body any
		if steps[s].path == "start" {
			body = map[string]string{"code": code}
		}
		t0 := time.Now()
		if _, err := b.do(ctx, http.MethodPost, "/v1/orders/"+o.ID+"/"+steps[s].path, wtok, body, nil); err != nil {
			return err
		}
		resp := time.Since(t0)
		deadline := time.NewTimer(10 * time.Second)
		for got := false; !got; {
			select {
			case f := <-b.frames[c]:
				if f.kind == steps[s].kind && f.order == o.ID {
					got, code = true, cmp.Or(f.startCode, code)
					record(sample{step: s, resp: resp, frame: f.at.Sub(t0), start: t0, notified: true})
				}
			case <-deadline.C:
				return fmt.Errorf("no %s frame for order %s within 10 s", steps[s].kind, o.ID)
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		deadline.Stop()
	}
	return nil
}

type recorder struct {
	mu      sync.Mutex
	from    time.Time
	frames  [5][]time.Duration
	resps   [5][]time.Duration
	lags    []time.Duration // per notifying step: the frame − the action's answer (negative: the frame came first)
	actions int
	told    int
	stmts   uint64 // SQL statements the server ran in the measured part (0: not known)
	heap    heapStats
}

func (r *recorder) add(s sample) {
	if s.start.Before(r.from) {
		return
	}
	r.mu.Lock()
	r.actions++
	r.resps[s.step] = append(r.resps[s.step], s.resp)
	if s.notified {
		r.told++
		r.frames[s.step] = append(r.frames[s.step], s.frame)
		r.lags = append(r.lags, s.frame-s.resp)
	}
	r.mu.Unlock()
}

func (b *bench) sequential(ctx context.Context) error {
	r := &recorder{}
	wtok := b.token(worker(0), model.RoleWorker)
	for range min(20, b.o.seq) { // warm-up: connections, caches, statements
		if err := b.cycle(ctx, 0, 0, wtok, func(sample) {}); err != nil {
			return err
		}
	}
	cpu0, st0, h0 := cpuOf(b.o.pid), b.statements(), b.heapStats()
	t0 := time.Now()
	for range b.o.seq {
		if err := b.cycle(ctx, 0, 0, wtok, r.add); err != nil {
			return err
		}
	}
	el := time.Since(t0)
	cpu := cpuOf(b.o.pid) - cpu0
	r.stmts = b.statements() - st0
	r.heap = b.heapStats().minus(h0)
	fmt.Printf("\nsequential, one client, %d cycles in %s (load average %s):\n", b.o.seq, el.Round(time.Millisecond), loadavg())
	b.report(r, el, cpu)
	return nil
}

func (b *bench) concurrent(ctx context.Context) error {
	r := &recorder{from: time.Now().Add(b.o.warmup)}
	end := r.from.Add(b.o.duration)
	var wg sync.WaitGroup
	errc := make(chan error, b.o.clients)
	for k := range b.o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := k % b.o.workers
			wtok := b.token(worker(w), model.RoleWorker)
			for i := 0; time.Now().Before(end); i++ {
				// Client k is the only one telling its customers k, k+clients, …: frames cannot mix.
				c := k + (i%max(1, b.o.customers/b.o.clients))*b.o.clients
				if err := b.cycle(ctx, c, w, wtok, r.add); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	time.Sleep(time.Until(r.from))
	cpu0, st0, h0 := cpuOf(b.o.pid), b.statements(), b.heapStats()
	if b.srv != nil && b.o.memProfile != "" {
		if _, err := b.srv.command("allocs " + b.o.memProfile + ".base"); err != nil {
			return err
		}
	}
	if b.srv != nil && b.o.cpuProfile != "" {
		if _, err := b.srv.command("cpu-start " + b.o.cpuProfile); err != nil {
			return err
		}
	}
	select {
	case <-time.After(time.Until(end)):
	case err := <-errc:
		return err
	}
	cpu := cpuOf(b.o.pid) - cpu0
	stmts, heap := b.statements()-st0, b.heapStats().minus(h0)
	el := time.Since(r.from)
	if b.srv != nil && b.o.cpuProfile != "" {
		_, _ = b.srv.command("cpu-stop")
	}
	if b.srv != nil && b.o.memProfile != "" {
		_, _ = b.srv.command("allocs " + b.o.memProfile)
	}
	la := loadavg()
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
	}
	fmt.Printf("\nconcurrent, %d clients, %s measured after %s warm-up (load average %s):\n", b.o.clients, el.Round(time.Millisecond), b.o.warmup, la)
	r.mu.Lock()
	r.stmts, r.heap = stmts, heap
	r.mu.Unlock()
	b.report(r, el, cpu)
	return nil
}

func (b *bench) report(r *recorder, el time.Duration, cpu time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	secs := el.Seconds()
	fmt.Printf("  %.0f actions/s (%d), %.0f notifying actions/s = notifications/s delivered (%d frames)\n",
		float64(r.actions)/secs, r.actions, float64(r.told)/secs, r.told)
	var all []time.Duration
	for s := 1; s < len(steps); s++ {
		all = append(all, r.frames[s]...)
		fmt.Printf("  %-9s request → customer's frame p50 %s  p99 %s  p99.9 %s  (response p50 %s  p99 %s; n=%d)\n",
			steps[s].path, pct(r.frames[s], 50), pct(r.frames[s], 99), pct(r.frames[s], 99.9),
			pct(r.resps[s], 50), pct(r.resps[s], 99), len(r.frames[s]))
	}
	fmt.Printf("  %-9s response p50 %s  p99 %s  p99.9 %s\n", "book", pct(r.resps[0], 50), pct(r.resps[0], 99), pct(r.resps[0], 99.9))
	fmt.Printf("  all notifying steps → frame p50 %s  p99 %s  p99.9 %s\n", pct(all, 50), pct(all, 99), pct(all, 99.9))
	// With -cross this is the hop from node B's answer (sent after its commit) to node A's frame.
	fmt.Printf("  the frame − the action's answer (negative: the frame came first) p50 %s  p99 %s  p99.9 %s\n",
		pct(r.lags, 50), pct(r.lags, 99), pct(r.lags, 99.9))
	if b.o.pid > 0 && r.actions > 0 {
		fmt.Printf("  server CPU (utime+stime of pid %d from /proc): %.3f ms per action, %.3f ms per notifying action, %.0f%% of one core; server RSS %s\n",
			b.o.pid, ms(cpu)/float64(r.actions), ms(cpu)/float64(max(r.told, 1)), 100*cpu.Seconds()/secs, rssOf(b.o.pid))
	}
	if r.stmts > 0 && r.actions > 0 {
		fmt.Printf("  SQL statements run by the server's store: %.1f per action, %.1f per notifying action\n",
			float64(r.stmts)/float64(r.actions), float64(r.stmts)/float64(max(r.told, 1)))
	}
	if h := r.heap; h.bytes > 0 && r.actions > 0 {
		a, t := float64(r.actions), float64(max(r.told, 1))
		fmt.Printf("  server heap allocations (runtime/metrics): %.1f KB and %.0f objects per action, %.1f KB and %.0f objects per notifying action; %.1f GC cycles per 1,000 actions (server GOGC at the end: %d)\n",
			float64(h.bytes)/a/1000, float64(h.objects)/a, float64(h.bytes)/t/1000, float64(h.objects)/t, 1000*float64(h.gcs)/a, h.gogc)
	}
}

// heapStats is what the child server has allocated and its GC cycles so far, and its GOGC now
// (the heap floor, internal/gcfloor, moves it).
type heapStats struct {
	bytes, objects, gcs uint64
	gogc                int
}

func (h heapStats) minus(o heapStats) heapStats {
	return heapStats{h.bytes - o.bytes, h.objects - o.objects, h.gcs - o.gcs, h.gogc}
}

// heapStats reads the child server's heap statistics (zero when it is not this bench's child).
func (b *bench) heapStats() heapStats {
	var h heapStats
	if b.srv == nil {
		return h
	}
	line, err := b.srv.command("heap")
	if err != nil {
		return h
	}
	if _, err := fmt.Sscan(line, &h.bytes, &h.objects, &h.gcs, &h.gogc); err != nil {
		return heapStats{}
	}
	return h
}

// statements is how many SQL statements the child server's store has run (store.Statements), or
// 0 when the server is not this bench's child.
func (b *bench) statements() uint64 {
	if b.srv == nil {
		return 0
	}
	line, err := b.srv.command("stmts")
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseUint(strings.TrimSpace(line), 10, 64)
	return n
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func pct(s []time.Duration, p float64) string {
	if len(s) == 0 {
		return "-"
	}
	s = slices.Clone(s)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.999999) - 1
	return fmt.Sprintf("%.2fms", ms(s[min(max(i, 0), len(s)-1)]))
}

// ---- /proc ----

// cpuOf is the process's user+system CPU time (clock ticks of 10 ms).
func cpuOf(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

func rssBytes(pid int) int64 {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func rssOf(pid int) string {
	if pid <= 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f MiB", float64(rssBytes(pid))/(1<<20))
}

func loadavg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(raw))
	return strings.Join(f[:3], " ")
}

// ---- idle memory ----

func (b *bench) idleMemory(ctx context.Context) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	mem := func() (map[string]int64, error) {
		out := map[string]int64{"rss": rssBytes(b.o.pid)}
		if b.srv == nil {
			return out, nil
		}
		line, err := b.srv.command("mem")
		if err != nil {
			return nil, err
		}
		for _, kv := range strings.Fields(line) {
			k, v, _ := strings.Cut(kv, "=")
			out[k], _ = strconv.ParseInt(v, 10, 64)
		}
		return out, nil
	}
	before, err := mem()
	if err != nil {
		return err
	}
	u, _ := url.Parse(b.base)
	// The child mints its own tokens (customers from -customers on, 8 streams each): thousands
	// of tokens do not fit in an argument list.
	cmd := exec.CommandContext(ctx, exe, "-child-idle", u.Host, "-secret", b.o.secret, "-customers", strconv.Itoa(b.o.customers),
		"-idle", strconv.Itoa(b.o.idle), "-idle-addrs", strconv.Itoa(b.o.idleAddrs))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { in.Close(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		return fmt.Errorf("idle child: %q %v", line, err)
	}
	opened := time.Since(t0)
	// The hub pings every stream every 25 s (and a pong is read like any client frame): measure
	// after every stream has had one.
	time.Sleep(30 * time.Second)
	after, err := mem()
	if err != nil {
		return err
	}
	if b.srv != nil && b.o.memProfile != "" { // go tool pprof -sample_index=inuse_space
		if _, err := b.srv.command("allocs " + b.o.memProfile); err != nil {
			return err
		}
	}
	n := float64(b.o.idle)
	per := func(k string) float64 { return float64(after[k]-before[k]) / n / 1024 }
	fmt.Printf("\nidle: %d WebSocket streams from %d source addresses opened in %s (load average %s)\n", b.o.idle, b.o.idleAddrs, opened.Round(time.Millisecond), loadavg())
	if b.srv != nil {
		fmt.Printf("  server: %d → %d streams open, %d → %d goroutines, GOGC %d → %d\n", before["conns"], after["conns"], before["goroutines"], after["goroutines"], before["gogc"], after["gogc"])
	}
	fmt.Printf("  server RSS %.1f → %.1f MiB: %.1f KB per connection\n", float64(before["rss"])/(1<<20), float64(after["rss"])/(1<<20), per("rss"))
	if b.srv != nil {
		fmt.Printf("  after GC: heap in use %.1f KB + goroutine stacks %.1f KB per connection; the rest of RSS is freed-but-unreturned heap, runtime and kernel-visible overhead (Sys grew %.1f KB per connection)\n",
			per("heap_inuse"), per("stack_inuse"), per("sys"))
	}
	return nil
}

// idleChild opens n streams (8 per token) from source addresses 127.0.0.2…, says ready, and holds
// them until stdin closes.
func idleChild(addr string, o options) error {
	n, addrs := o.idle, o.idleAddrs
	if host, _, err := net.SplitHostPort(addr); err != nil || !net.ParseIP(host).IsLoopback() {
		return fmt.Errorf("refusing a non-loopback address %q", addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tokens := make([]string, (n+7)/8)
	for i := range tokens {
		t, err := auth.Mint([]byte(o.secret), customer(o.customers+i), model.RoleCustomer, time.Now(), 24*time.Hour)
		if err != nil {
			return err
		}
		tokens[i] = t
	}
	var mu sync.Mutex
	var conns []*websocket.Conn
	defer func() {
		for _, c := range conns {
			c.CloseNow()
		}
	}()
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				src := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%max(addrs, 1)))}
				hc := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: src}).DialContext}}
				c, _, err := websocket.Dial(ctx, "ws://"+addr+"/v1/stream?access_token="+tokens[i/8%len(tokens)], &websocket.DialOptions{HTTPClient: hc})
				if err != nil {
					errc <- err
					return
				}
				// The first frames are stream.open and the unread counts (unread.changed); then
				// CloseRead answers the server's pings (it closes the connection on any data frame,
				// and an idle stream gets no more).
				for seen := false; !seen; {
					_, raw, err := c.Read(ctx)
					if err != nil {
						errc <- err
						return
					}
					seen = bytes.Contains(raw, []byte(`"type":"`+model.EventUnread+`"`))
				}
				c.CloseRead(ctx)
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
	}
	fmt.Print("ready\n")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

// ---- bulk cancellation ----

// bulkArea is the area of the bulk phase's orders: no other phase books there.
const bulkArea = "e2e-bulk"

func (b *bench) bulkCancel(ctx context.Context) error {
	n := b.o.bulk
	base := time.Now().Add(72 * time.Hour).Truncate(time.Minute)
	step := 10 * time.Second
	ids := make(chan int)
	errc := make(chan error, 16)
	var wg sync.WaitGroup
	t0 := time.Now()
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ids {
				if _, err := b.do(ctx, http.MethodPost, "/v1/orders", b.o.key, map[string]any{
					"customer_id": customer(i % b.o.customers), "service_item_id": item, "address": "静安区 1 号", "area": bulkArea,
					"appointment_at": base.Add(time.Duration(i) * step).UTC().Format(time.RFC3339)}, nil); err != nil {
					select {
					case errc <- err:
					default:
					}
					return
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case ids <- i:
		case err := <-errc:
			close(ids)
			wg.Wait()
			return err
		case <-ctx.Done():
			break feed
		}
	}
	close(ids)
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
	}
	fmt.Printf("\nbulk: booked %d orders in %s\n", n, time.Since(t0).Round(time.Millisecond))
	// Frames of earlier phases are not this phase's.
	for _, ch := range b.frames {
		for len(ch) > 0 {
			<-ch
		}
	}
	var mu sync.Mutex
	var first, last time.Time
	got := 0
	all := make(chan struct{})
	stop := make(chan struct{})
	var cwg sync.WaitGroup
	for _, ch := range b.frames {
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			for {
				select {
				case f := <-ch:
					if f.kind != "order.cancelled" {
						continue
					}
					mu.Lock()
					if got == 0 || f.at.Before(first) {
						first = f.at
					}
					if f.at.After(last) {
						last = f.at
					}
					got++
					if got == n {
						close(all)
					}
					mu.Unlock()
				case <-stop:
					return
				}
			}
		}()
	}
	hc := &http.Client{Timeout: 5 * time.Minute}
	body, _ := json.Marshal(map[string]any{"area": bulkArea, "from": base.Add(-time.Second).UTC().Format(time.RFC3339),
		"to": base.Add(time.Duration(n)*step + time.Second).UTC().Format(time.RFC3339), "reason": "台风 (bench)"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base+"/v1/orders/cancel-bulk", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+b.o.key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", uuid.NewString())
	la := loadavg()
	profile := b.srv != nil && b.o.cpuProfile != "" && b.o.clients == 0 // -clients 0: the profile is of this phase
	if profile {
		if _, err := b.srv.command("cpu-start " + b.o.cpuProfile); err != nil {
			return err
		}
	}
	cpu0, st0 := cpuOf(b.o.pid), b.statements()
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		close(stop)
		cwg.Wait()
		return err
	}
	var out struct {
		Cancelled []string `json:"cancelled"`
	}
	err = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	answered := time.Since(start)
	if err != nil || resp.StatusCode != http.StatusOK {
		close(stop)
		cwg.Wait()
		return fmt.Errorf("cancel-bulk: %d %v", resp.StatusCode, err)
	}
	select {
	case <-all:
	case <-time.After(60 * time.Second):
	}
	cpu, stmts := cpuOf(b.o.pid)-cpu0, b.statements()-st0
	if profile {
		_, _ = b.srv.command("cpu-stop")
	}
	close(stop)
	cwg.Wait()
	mu.Lock()
	defer mu.Unlock()
	fmt.Printf("bulk force-majeure cancellation of %d orders (%d cancelled; load average %s):\n", n, len(out.Cancelled), la)
	if got == 0 {
		fmt.Printf("  no order.cancelled frame within 60 s of the answer (%s)\n", answered.Round(time.Millisecond))
		return nil
	}
	fmt.Printf("  request → first customer's frame %s, → last customer's frame %s (%d of %d frames); answer after %s\n",
		first.Sub(start).Round(10*time.Microsecond), last.Sub(start).Round(10*time.Microsecond), got, n, answered.Round(time.Millisecond))
	fmt.Printf("  %.0f notifications/s committed (until the answer), %.0f/s delivered (until the last frame); server CPU %.3f ms per cancelled order\n",
		float64(len(out.Cancelled))/answered.Seconds(), float64(got)/last.Sub(start).Seconds(), ms(cpu)/float64(max(len(out.Cancelled), 1)))
	if stmts > 0 {
		fmt.Printf("  %.2f SQL statements per cancelled order (all the server ran until the last frame, the streams' reads included)\n",
			float64(stmts)/float64(max(len(out.Cancelled), 1)))
	}
	return nil
}
