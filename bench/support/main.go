// Command support measures online customer service (I3) at scale: agents online with open
// WebSocket streams, thousands of open support conversations spread over them, and customers'
// messages flowing. It reports the API latency of sending a message, the time from sending it to
// the holding agent's console (their stream's conversation.message frame), and the agent console's
// reads (my conversations, the queue). While it runs, every agent's console reads its lists when the
// web console would (-live: after queue signals and desk updates, not after a message in a listed
// conversation), and new conversations keep joining the queue (-churn). Server and clients run in
// this one process over loopback HTTP, so the figures include the clients' own CPU on the same cores.
//
//	go run ./bench/support -agents 50 -conversations 5000 -clients 16 -duration 20s
//	go run ./bench/support -agents 50 -conversations 5000 -clients 16 -rate 100 -duration 20s   # open loop
//	go run ./bench/support -db 'postgres://postgres@127.0.0.1:5432/perf_support?sslmode=disable'
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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
	"github.com/homebell/homebell/internal/support"
)

const secret = "bench-support-secret-0123456789abcdef0123"

type options struct {
	db               string
	agents, convs    int
	clients          int
	duration, warmup time.Duration
	consoleEvery     int
	openers          int
	frameWait        time.Duration
	capacityPerAgent int
	cpuProfile       string
	rate             float64
	perCall          int
	live             bool
	churn            float64
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "support bench:", err)
		os.Exit(1)
	}
}

func run() error {
	var o options
	flag.StringVar(&o.db, "db", "", "database: empty = a fresh SQLite file in a temporary directory, or postgres://… (an empty database)")
	flag.IntVar(&o.agents, "agents", 50, "agents online (each with an open WebSocket stream)")
	flag.IntVar(&o.convs, "conversations", 5000, "open support conversations, one per customer")
	flag.IntVar(&o.clients, "clients", 16, "customers sending at once")
	flag.Float64Var(&o.rate, "rate", 0, "messages per second in all, on a fixed schedule shared by the -clients senders (open loop; a send that starts late because the sender's previous one overran is timed from when it was due); 0 = each sender sends again as soon as it has the frame (closed loop)")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "measured load phase")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "unmeasured warm-up")
	flag.IntVar(&o.consoleEvery, "console-every", 5, "every Nth step a random agent also reads their console (my conversations and the queue)")
	flag.IntVar(&o.openers, "openers", 4, "goroutines opening the conversations")
	flag.DurationVar(&o.frameWait, "frame-wait", 5*time.Second, "how long a sender waits for the agent's frame")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "CPU profile of the measured load phase (server and clients: one process); FILE.percall is the profile of the -per-call phase")
	flag.BoolVar(&o.live, "live", true, "during the load, each agent's console reads its lists again after the frames that make the web console do so (web/static/js/views/support.js: at most once per 300 ms), as 50 open consoles would")
	flag.Float64Var(&o.churn, "churn", 2, "new support conversations per second during the load, each opened over HTTP by a customer of its own (the agents are full, so each waits in the queue and the consoles are told the queue changed)")
	flag.IntVar(&o.perCall, "per-call", 100, "after the load, this many calls of each kind one at a time: SQL statements, process CPU and latency per call (0 = none)")
	flag.Parse()
	// Capacity is 1-50 per agent (operators' limit): what the agents cannot hold waits in the queue.
	o.capacityPerAgent = min(50, (o.convs+o.agents-1)/o.agents)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cfg := config.Default()
	cfg.JWTSecret = secret
	cfg.DB = o.db
	if cfg.DB == "" {
		dir, err := os.MkdirTemp("", "bench-support-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.DB = filepath.Join(dir, "support.db")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	floor, err := benchenv.GCFloor(&cfg, log)
	if err != nil {
		return err
	}
	defer floor.Stop()
	a, err := app.New(ctx, cfg, app.Options{Log: log})
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- a.Serve(sctx, ln) }()
	defer func() { stop(); <-served }()
	b := &bench{o: o, a: a, base: "http://" + ln.Addr().String(), hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}},
		waiters: map[string]chan time.Time{}}

	fmt.Printf("db=%s agents=%d conversations=%d clients=%d duration=%s load=%s\n", a.Store.Dialect(), o.agents, o.convs, o.clients, o.duration, loadavg())
	t0 := time.Now()
	if err := b.seed(ctx); err != nil {
		return err
	}
	fmt.Printf("seeded %d agents and %d customers in %s\n", o.agents, o.convs, time.Since(t0).Round(time.Millisecond))
	if err := b.openStreams(ctx); err != nil {
		return err
	}
	defer b.closeStreams()
	t0 = time.Now()
	if err := b.openConversations(ctx); err != nil {
		return err
	}
	el := time.Since(t0)
	fmt.Printf("opened %d support conversations in %s (%.0f/s): %d held by agents (capacity %d each), %d in the queue\n", o.convs,
		el.Round(time.Millisecond), float64(o.convs)/el.Seconds(), len(b.held), o.capacityPerAgent, b.queueLen(ctx))
	if err := b.load(ctx); err != nil {
		return err
	}
	return b.perCall(ctx)
}

type bench struct {
	o     options
	a     *app.App
	base  string
	hc    *http.Client
	conns []*websocket.Conn
	wg    sync.WaitGroup

	mu      sync.Mutex
	waiters map[string]chan time.Time // client id → the agent's frame
	convs   []string                  // customer i's conversation
	hmu     sync.Mutex
	held    []int // customers whose conversation an agent holds
	frames  atomic.Int64

	// The live consoles (-live): on while the load runs; each relist's time (the slower of its two
	// reads, as the console waits for both) while measuring.
	liveOn, liveMeasure atomic.Bool
	lmu                 sync.Mutex
	relists             []time.Duration
	relistErrs          int
}

func agentID(i int) string    { return "bs-a-" + strconv.Itoa(i) }
func customerID(i int) string { return "bs-c-" + strconv.Itoa(i) }

func token(id string, role model.Role) string {
	t, err := auth.Mint([]byte(secret), id, role, time.Now(), 24*time.Hour)
	if err != nil {
		panic(err)
	}
	return t
}

// newcomers is how many customers the churn may need: customers b.o.convs and on.
func (b *bench) newcomers() int {
	return int(b.o.churn*(b.o.warmup+b.o.duration).Seconds()) + 1
}

// seed stores the people directly (the API path for people is not what is measured), open hours
// round the clock, and each agent's capacity.
func (b *bench) seed(ctx context.Context) error {
	now := time.Now()
	var people []model.Person
	for i := range b.o.agents {
		people = append(people, model.Person{ID: agentID(i), Role: model.RoleAgent, Name: "客服" + strconv.Itoa(i), Locale: model.LocaleZH, TimeZone: model.DefaultTimeZone})
	}
	for i := range b.o.convs + b.newcomers() {
		people = append(people, model.Person{ID: customerID(i), Role: model.RoleCustomer, Name: "客户" + strconv.Itoa(i), Locale: model.LocaleZH, TimeZone: model.DefaultTimeZone})
	}
	for start := 0; start < len(people); start += 500 {
		end := min(start+500, len(people))
		if err := b.a.Store.InTx(ctx, func(tx *store.Tx) error {
			for i := range people[start:end] {
				if _, err := tx.UpsertPerson(ctx, &people[start+i], now); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	if err := b.a.Store.InTx(ctx, func(tx *store.Tx) error {
		for i := range b.o.agents {
			if err := tx.EnsureSupportAgent(ctx, agentID(i), now); err != nil {
				return err
			}
			if err := tx.SetAgentCapacity(ctx, agentID(i), b.o.capacityPerAgent, now); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	days := map[string]model.DayHours{}
	for _, d := range model.Weekdays {
		days[d] = model.DayHours{Start: "00:00", End: "24:00"}
	}
	_, err := b.a.Support.PutBusinessHours(ctx, support.Actor{ID: "bench", Role: model.RolePlatform},
		model.BusinessHours{TimeZone: model.DefaultTimeZone, Days: days, OfflineAfterMinutes: 5})
	return err
}

// openStreams connects every agent's console stream and waits until the desk counts them online.
func (b *bench) openStreams(ctx context.Context) error {
	ws := strings.Replace(b.base, "http://", "ws://", 1)
	for i := range b.o.agents {
		c, _, err := websocket.Dial(ctx, ws+"/v1/stream?access_token="+token(agentID(i), model.RoleAgent), nil)
		if err != nil {
			return err
		}
		c.SetReadLimit(1 << 22)
		b.conns = append(b.conns, c)
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			var ev struct {
				Type string `json:"type"`
				Data struct {
					Message struct {
						ClientID string `json:"client_id"`
					} `json:"message"`
				} `json:"data"`
			}
			con := &console{b: b, token: token(agentID(i), model.RoleAgent)}
			for {
				_, raw, err := c.Read(context.Background())
				at := time.Now()
				if err != nil {
					return
				}
				ev.Type, ev.Data.Message.ClientID = "", ""
				if json.Unmarshal(raw, &ev) != nil {
					continue
				}
				con.frame(ev.Type)
				if ev.Type != model.EventMessage {
					continue
				}
				b.frames.Add(1)
				b.mu.Lock()
				ch := b.waiters[ev.Data.Message.ClientID]
				b.mu.Unlock()
				if ch != nil {
					select {
					case ch <- at:
					default:
					}
				}
			}
		}()
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		av, err := b.a.Store.AvailableAgents(ctx)
		if err != nil {
			return err
		}
		if len(av) == b.o.agents {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d agents online after 30 s", len(av), b.o.agents)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// console is one agent's web console as the bench plays it: the frames after which
// web/static/js/views/support.js reads its lists again, which lists, and its coalescing. A message
// in a conversation the lists show changes that row in the page and reads nothing (the bench's
// messages all go to conversations their agent holds).
type console struct {
	b                 *bench
	token             string
	mu                sync.Mutex
	pending           bool
	wantQueue, wantMe bool
}

// relistAfter is the console's coalescing window (support.js's relist); a queue signal adds up
// to queueSpread more, at random.
const (
	relistAfter = 300 * time.Millisecond
	queueSpread = 500 * time.Millisecond
)

// frame plays the console's handlers for one frame.
func (c *console) frame(typ string) {
	if !c.b.o.live || !c.b.liveOn.Load() {
		return
	}
	queue, mine, spread := false, false, time.Duration(0)
	switch typ {
	case "support.queue":
		queue, spread = true, time.Duration(rand.Int64N(int64(queueSpread)))
	case "support.updated", "conversation.closed":
		queue, mine = true, true
	default:
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wantQueue = c.wantQueue || queue
	c.wantMe = c.wantMe || mine
	if c.pending {
		return
	}
	c.pending = true
	time.AfterFunc(relistAfter+spread, c.relist)
}

// relist reads what the frames asked for, both lists at once as loadLists does.
func (c *console) relist() {
	c.mu.Lock()
	queue, mine := c.wantQueue, c.wantMe
	c.pending, c.wantQueue, c.wantMe = false, false, false
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t0 := time.Now()
	errs := make(chan error, 2)
	read := func(on bool, path string) {
		if !on {
			errs <- nil
			return
		}
		errs <- c.b.do(ctx, http.MethodGet, path, c.token, nil)
	}
	go read(queue, "/v1/support/queue")
	read(mine, "/v1/support/conversations")
	err, err2 := <-errs, <-errs
	el := time.Since(t0)
	if !c.b.liveMeasure.Load() {
		return
	}
	c.b.lmu.Lock()
	defer c.b.lmu.Unlock()
	if err != nil || err2 != nil {
		c.b.relistErrs++
		return
	}
	c.b.relists = append(c.b.relists, el)
}

func (b *bench) closeStreams() {
	for _, c := range b.conns {
		c.CloseNow()
	}
	b.wg.Wait()
}

// openConversations opens one support conversation per customer through the service (each is
// queued and offered to the least-loaded agent, as over HTTP).
func (b *bench) openConversations(ctx context.Context) error {
	b.convs = make([]string, b.o.convs)
	next := atomic.Int64{}
	errc := make(chan error, b.o.openers)
	var wg sync.WaitGroup
	for range b.o.openers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.o.convs {
					return
				}
				v, err := b.a.Support.Open(ctx, support.Actor{ID: customerID(i), Role: model.RoleCustomer},
					support.OpenInput{ClientID: "open-" + strconv.Itoa(i), Text: "付款失败了，请帮忙看一下"})
				if err != nil {
					errc <- err
					return
				}
				b.convs[i] = v.ConversationID
				if v.AgentID != "" {
					b.hmu.Lock()
					b.held = append(b.held, i)
					b.hmu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

func (b *bench) queueLen(ctx context.Context) int {
	n, _ := b.a.Store.QueueLength(ctx)
	return n
}

func (b *bench) do(ctx context.Context, method, path, cred string, body any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+cred)
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 300 {
		// Read through and dropped: the client's copy of a 150 KB queue page is not the server's cost.
		_, err := io.Copy(io.Discard, resp.Body)
		return err
	}
	raw, _ := io.ReadAll(resp.Body)
	return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
}

type samples struct {
	mu                          sync.Mutex
	send, toFrame, afterResp    []time.Duration
	opened                      []time.Duration // the churn's POST /v1/support/conversations
	console, queue              []time.Duration
	missed, errors, sent, reads int
}

// load runs clients that each pick a random customer, send a message into their conversation and
// wait for the holding agent's frame; every console-every steps a random agent reads their list
// and the queue as the console does.
func (b *bench) load(ctx context.Context) error {
	var s samples
	var measuring atomic.Bool
	lctx, cancel := context.WithTimeout(ctx, b.o.warmup+b.o.duration)
	defer cancel()
	tokens := make([]string, b.o.convs)
	for i := range tokens {
		tokens[i] = token(customerID(i), model.RoleCustomer)
	}
	atokens := make([]string, b.o.agents)
	for i := range atokens {
		atokens[i] = token(agentID(i), model.RoleAgent)
	}
	var cpu0 time.Duration
	var gc0 uint32
	// The profile is stopped when the load has ended, before the report: stopping it from a timer
	// raced the process's exit and left the file empty.
	var profMu sync.Mutex
	var stopProfile func()
	time.AfterFunc(b.o.warmup, func() {
		cpu0 = cpuSelf()
		gc0 = numGC()
		measuring.Store(true)
		b.liveMeasure.Store(true)
		if b.o.cpuProfile != "" {
			if f, err := os.Create(b.o.cpuProfile); err == nil && pprof.StartCPUProfile(f) == nil {
				profMu.Lock()
				stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
				profMu.Unlock()
			}
		}
	})
	endProfile := func() {
		profMu.Lock()
		if stopProfile != nil {
			stopProfile()
			stopProfile = nil
		}
		profMu.Unlock()
	}
	defer endProfile()
	b.liveOn.Store(true)
	defer func() { b.liveOn.Store(false); b.liveMeasure.Store(false) }()
	var wg sync.WaitGroup
	if b.o.churn > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			every := time.Duration(float64(time.Second) / b.o.churn)
			tick := time.NewTicker(every)
			defer tick.Stop()
			for n := 0; n < b.newcomers(); n++ {
				select {
				case <-tick.C:
				case <-lctx.Done():
					return
				}
				i := b.o.convs + n
				t0 := time.Now()
				err := b.do(lctx, http.MethodPost, "/v1/support/conversations", token(customerID(i), model.RoleCustomer),
					map[string]any{"client_id": "churn-" + strconv.Itoa(i), "text": "师傅还没到，能帮我问一下吗"})
				el := time.Since(t0)
				if measuring.Load() && lctx.Err() == nil {
					s.mu.Lock()
					if err != nil {
						s.errors++
					} else {
						s.opened = append(s.opened, el)
					}
					s.mu.Unlock()
				}
			}
		}()
	}
	var measuredFrom time.Time
	var once sync.Once
	start := time.Now()
	for k := range b.o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(k), 7))
			for step := 0; lctx.Err() == nil; step++ {
				var due time.Time
				if b.o.rate > 0 {
					due = start.Add(time.Duration(float64(k+step*b.o.clients) / b.o.rate * float64(time.Second)))
					select {
					case <-time.After(time.Until(due)):
					case <-lctx.Done():
						return
					}
				}
				i := b.held[r.IntN(len(b.held))]
				cid := uuid.NewString()
				ch := make(chan time.Time, 1)
				b.mu.Lock()
				b.waiters[cid] = ch
				b.mu.Unlock()
				t0 := time.Now()
				if !due.IsZero() && t0.Sub(due) > time.Millisecond {
					t0 = due // behind schedule: the wait for the previous send counts (no coordinated omission)
				}
				err := b.do(lctx, http.MethodPost, "/v1/conversations/"+b.convs[i]+"/messages", tokens[i],
					map[string]any{"client_id": cid, "text": "还是没有到账，订单号 A" + strconv.Itoa(step)})
				resp := time.Since(t0)
				var frameAt time.Time
				if err == nil {
					select {
					case frameAt = <-ch:
					case <-time.After(b.o.frameWait):
					case <-lctx.Done():
					}
				}
				b.mu.Lock()
				delete(b.waiters, cid)
				b.mu.Unlock()
				on := measuring.Load()
				if on {
					once.Do(func() { measuredFrom = time.Now() })
				}
				if on && lctx.Err() == nil {
					s.mu.Lock()
					switch {
					case err != nil:
						s.errors++
					case frameAt.IsZero():
						s.missed++
						s.sent++
						s.send = append(s.send, resp)
					default:
						s.sent++
						s.send = append(s.send, resp)
						s.toFrame = append(s.toFrame, frameAt.Sub(t0))
						s.afterResp = append(s.afterResp, max(0, frameAt.Sub(t0)-resp))
					}
					s.mu.Unlock()
				}
				if b.o.consoleEvery > 0 && step%b.o.consoleEvery == 0 {
					ag := atokens[r.IntN(b.o.agents)]
					t1 := time.Now()
					err1 := b.do(lctx, http.MethodGet, "/v1/support/conversations", ag, nil)
					t2 := time.Now()
					err2 := b.do(lctx, http.MethodGet, "/v1/support/queue", ag, nil)
					t3 := time.Now()
					if on && lctx.Err() == nil {
						s.mu.Lock()
						if err1 == nil && err2 == nil {
							s.console = append(s.console, t2.Sub(t1))
							s.queue = append(s.queue, t3.Sub(t2))
							s.reads++
						} else {
							s.errors++
						}
						s.mu.Unlock()
					}
				}
			}
		}()
	}
	wg.Wait()
	b.liveMeasure.Store(false)
	endProfile()
	el := time.Since(measuredFrom)
	cpu := cpuSelf() - cpu0
	gcs := numGC() - gc0
	fmt.Printf("load average after: %s\n", loadavg())
	fmt.Printf("messages sent %d (%.0f/s), frames missed %d, errors %d, console reads %d\n", s.sent, float64(s.sent)/el.Seconds(), s.missed, s.errors, s.reads)
	fmt.Printf("process CPU (server and clients) %.1f%% of one core, %.2f ms per message (console reads included)\n",
		100*cpu.Seconds()/el.Seconds(), float64(cpu)/1e6/float64(max(1, s.sent)))
	fmt.Printf("garbage collections %d (%.1f per 1,000 messages; heap floor GOGC now %d)\n", gcs, 1000*float64(gcs)/float64(max(1, s.sent)), gcfloor.GOGC())
	fmt.Printf("POST message (API)                       p50 %s  p90 %s  p99 %s  max %s\n", pct(s.send, 50), pct(s.send, 90), pct(s.send, 99), pct(s.send, 100))
	fmt.Printf("message → agent console, from send       p50 %s  p90 %s  p99 %s  max %s\n", pct(s.toFrame, 50), pct(s.toFrame, 90), pct(s.toFrame, 99), pct(s.toFrame, 100))
	fmt.Printf("message → agent console, after the answer p50 %s  p90 %s  p99 %s\n", pct(s.afterResp, 50), pct(s.afterResp, 90), pct(s.afterResp, 99))
	fmt.Printf("GET my conversations (%d held each)     p50 %s  p90 %s  p99 %s\n", b.o.capacityPerAgent, pct(s.console, 50), pct(s.console, 90), pct(s.console, 99))
	fmt.Printf("GET queue                                p50 %s  p90 %s  p99 %s\n", pct(s.queue, 50), pct(s.queue, 90), pct(s.queue, 99))
	if b.o.churn > 0 {
		fmt.Printf("POST new conversation (churn, %d)        p50 %s  p90 %s  p99 %s\n", len(s.opened), pct(s.opened, 50), pct(s.opened, 90), pct(s.opened, 99))
	}
	if b.o.live {
		b.lmu.Lock()
		fmt.Printf("live consoles' relists %d (%.0f/s), errors %d: the lists a frame asked for p50 %s  p90 %s  p99 %s\n", len(b.relists),
			float64(len(b.relists))/el.Seconds(), b.relistErrs, pct(b.relists, 50), pct(b.relists, 90), pct(b.relists, 99))
		b.lmu.Unlock()
	}
	if s.sent == 0 {
		return errors.New("nothing was measured")
	}
	return nil
}

func pct(d []time.Duration, p float64) string {
	if len(d) == 0 {
		return "-"
	}
	d = slices.Clone(d)
	slices.Sort(d)
	i := int(float64(len(d)-1) * p / 100)
	return fmt.Sprintf("%.2fms", float64(d[i])/1e6)
}

// numGC is how many garbage collections the process has finished.
func numGC() uint32 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.NumGC
}

// cpuSelf is this process's user+system CPU time (/proc/self/stat, 10 ms ticks).
func cpuSelf() time.Duration {
	raw, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	sy, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+sy) * 10 * time.Millisecond
}

func loadavg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// perCall runs each measured call -per-call times one after another, nothing else running: the
// SQL statements (store.Statements), process CPU (getrusage) and latency of one call. These do not
// depend on the machine's load as the percentiles of the load phase do.
func (b *bench) perCall(ctx context.Context) error {
	n := b.o.perCall
	if n <= 0 {
		return nil
	}
	r := rand.New(rand.NewPCG(99, 7))
	agent := func() string { return token(agentID(r.IntN(b.o.agents)), model.RoleAgent) }
	calls := []struct {
		name string
		do   func() error
	}{
		{"POST message", func() error {
			i := b.held[r.IntN(len(b.held))]
			return b.do(ctx, http.MethodPost, "/v1/conversations/"+b.convs[i]+"/messages", token(customerID(i), model.RoleCustomer),
				map[string]any{"client_id": uuid.NewString(), "text": "还是没有到账"})
		}},
		{"GET my conversations", func() error { return b.do(ctx, http.MethodGet, "/v1/support/conversations", agent(), nil) }},
		{"GET queue", func() error { return b.do(ctx, http.MethodGet, "/v1/support/queue", agent(), nil) }},
	}
	if b.o.cpuProfile != "" {
		if f, err := os.Create(b.o.cpuProfile + ".percall"); err == nil && pprof.StartCPUProfile(f) == nil {
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	fmt.Printf("one call at a time, %d each (statements, CPU and allocations per call; CPU and allocations include the client):\n", n)
	for _, c := range calls {
		if err := c.do(); err != nil { // warm
			return err
		}
		var took []time.Duration
		writeAllocs := func(suffix string) {
			if b.o.cpuProfile != "" {
				if f, err := os.Create(b.o.cpuProfile + ".allocs." + suffix); err == nil {
					pprof.Lookup("allocs").WriteTo(f, 0)
					f.Close()
				}
			}
		}
		writeAllocs(strings.ReplaceAll(c.name, " ", "_") + ".0")
		defer writeAllocs(strings.ReplaceAll(c.name, " ", "_") + ".1")
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		st0, cpu0 := store.Statements(), cpuPrecise()
		for range n {
			t0 := time.Now()
			if err := c.do(); err != nil {
				return err
			}
			took = append(took, time.Since(t0))
		}
		st, cpu := store.Statements()-st0, cpuPrecise()-cpu0
		runtime.ReadMemStats(&m1)
		fmt.Printf("%-22s %5.1f statements  CPU %.2f ms  %6.0f allocations %5.0f KB  p50 %s  p90 %s\n", c.name, float64(st)/float64(n),
			float64(cpu)/1e6/float64(n), float64(m1.Mallocs-m0.Mallocs)/float64(n), float64(m1.TotalAlloc-m0.TotalAlloc)/1024/float64(n),
			pct(took, 50), pct(took, 90))
	}
	return nil
}

// cpuPrecise is this process's user+system CPU time to the microsecond (getrusage).
func cpuPrecise() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
