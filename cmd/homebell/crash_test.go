package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/auth"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/store/storetest"
)

// envCrashChild makes this test binary act as the homebell binary: the crash test starts it as a
// child process (so SIGKILL kills a real process with its open database, mid-transaction) without
// building anything.
const envCrashChild = "HOMEBELL_CRASH_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(envCrashChild) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// TestIssue10CrashLosesNothing runs homebell as a child process under steady load from several
// clients — bookings, accepts, time changes, cancellations, reminders one minute before
// appointments a minute away — and SIGKILLs it at random moments, restarting it each time. The
// clients act as real ones do: a request that got no answer is sent again with the same
// Idempotency-Key until it gets one. Afterwards every answered action is there exactly once,
// each notification it caused exists once, every person's event log is gapless, every reminder
// that came due was sent exactly once and before its appointment, no job is left claimed, and
// every key answers its recorded result (none stuck "in progress").
func TestIssue10CrashLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash test runs homebell as a child process for about a minute")
	}
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		t.Parallel()
		crashRun(t, dsn, 20*time.Second)
	})
}

const crashSecret = "crash-test-secret-0123456789abcdef"

// child is one life of the homebell process.
type child struct {
	cmd  *exec.Cmd
	done chan struct{}
}

type crashWorld struct {
	t      *testing.T
	dsn    string
	addr   string
	base   string
	client *http.Client
	key    string
	stderr *syncBuffer

	extra []string // more flags for serve

	mu    sync.Mutex
	cur   *child
	kills int
}

func (w *crashWorld) start() {
	w.t.Helper()
	args := []string{"serve", "--db", w.dsn, "--addr", w.addr, "--jwt-secret", crashSecret,
		"--rate-create", "0", "--rate-notify", "0", "--log-level", "error", "--files-dir", w.t.TempDir()}
	cmd := exec.Command(os.Args[0], append(args, w.extra...)...)
	cmd.Env = append(os.Environ(), envCrashChild+"=1")
	cmd.Stdout = io.Discard
	cmd.Stderr = w.stderr
	if err := cmd.Start(); err != nil {
		w.t.Fatalf("start homebell: %v", err)
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(c.done) }()
	w.mu.Lock()
	w.cur = c
	w.mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := w.client.Get(w.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		select {
		case <-c.done:
			w.t.Fatalf("homebell exited while starting: %s", w.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("homebell not ready within 60 s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill SIGKILLs the current life and waits for it to be gone.
func (w *crashWorld) kill() {
	w.mu.Lock()
	c := w.cur
	w.kills++
	w.mu.Unlock()
	c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// stop ends the current life as an operator would (SIGTERM) and waits for it.
func (w *crashWorld) stop() {
	w.mu.Lock()
	c := w.cur
	w.mu.Unlock()
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		w.t.Errorf("homebell did not stop within 30 s of SIGTERM")
	}
}

type answer struct {
	status int
	body   map[string]any
}

func (a answer) str(k string) string { s, _ := a.body[k].(string); return s }

// do sends one request and returns the answer, or an error when none came (connection refused
// or reset: the server is down or was killed mid-request).
func (w *crashWorld) do(method, path, token, key string, body any) (answer, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, w.base+path, rd)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := w.client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{status: res.StatusCode}
	if len(raw) > 0 && raw[0] == '{' {
		json.Unmarshal(raw, &a.body)
	}
	return a, nil
}

// must sends a request as a client that keeps trying until it has an answer: no answer, a 5xx
// (a node starting up answers 503) or a key still in progress means "try again, same key".
func (w *crashWorld) must(method, path, token, key string, body any) answer {
	w.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		a, err := w.do(method, path, token, key, body)
		if err == nil && a.status < 500 && !(a.status == 409 && a.str("code") == "idempotency_in_progress") {
			return a
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%s %s: no answer within 90 s (last: %v %d %v)", method, path, err, a.status, a.body)
		}
		time.Sleep(time.Duration(30+rand.IntN(70)) * time.Millisecond)
	}
}

func mintToken(t *testing.T, id string, role model.Role) string {
	tok, err := auth.Mint([]byte(crashSecret), id, role, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// sent records one request a client sent and the answer it finally got.
type sent struct {
	method, path, tok, key string
	body                   any
	status                 int
	orderID                string
}

type crashOrder struct {
	id, customer, worker string
	accepted, cancelled  bool
	appointment          time.Time
}

func crashRun(t *testing.T, dsn string, load time.Duration) {
	const clients = 4
	w, op := startCrashWorld(t, dsn, clients, nil)
	ctx := context.Background()

	// Reminders one minute before; changes and cancellations this close in need nobody's approval.
	pol := w.must("GET", "/v1/admin/policies", op, "", nil)
	if pol.status != 200 {
		t.Fatalf("policy: %d %v", pol.status, pol.body)
	}
	pol.body["reminder_lead_minutes"] = 1
	pol.body["change_operator_window_minutes"] = 0
	refund := pol.body["refund"].(map[string]any)
	refund["approval_within_hours"] = 0
	if a := w.must("PUT", "/v1/admin/policies", op, "", pol.body); a.status != 200 {
		t.Fatalf("put policy: %d %v", a.status, a.body)
	}

	// The killer: SIGKILL at random moments, restart at once.
	stopKiller := make(chan struct{})
	killerDone := make(chan struct{})
	go func() {
		defer close(killerDone)
		for {
			select {
			case <-stopKiller:
				return
			case <-time.After(time.Duration(1500+rand.IntN(2500)) * time.Millisecond):
			}
			w.kill()
			w.start()
		}
	}()

	var (
		mu     sync.Mutex
		log    []sent
		orders = map[string]*crashOrder{}
	)
	record := func(s sent) {
		mu.Lock()
		log = append(log, s)
		mu.Unlock()
	}
	end := time.Now().Add(load)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cust, work := fmt.Sprintf("c-%d", c), fmt.Sprintf("w-%d", c)
			ct, wt := mintToken(t, cust, model.RoleCustomer), mintToken(t, work, model.RoleWorker)
			for i := 0; time.Now().Before(end); i++ {
				k := func(what string) string { return fmt.Sprintf("%s-%d-%s", cust, i, what) }
				at := time.Now().Add(65*time.Second + time.Duration(rand.IntN(10))*time.Second).Truncate(time.Second)
				body := map[string]any{"service_item_id": "clean", "address": "浦东新区 XX 路 1 号", "appointment_at": at.UTC().Format(time.RFC3339)}
				a := w.must("POST", "/v1/orders", ct, k("book"), body)
				if a.status != 201 {
					t.Errorf("book: %d %v", a.status, a.body)
					return
				}
				o := &crashOrder{id: a.str("id"), customer: cust, appointment: at}
				record(sent{"POST", "/v1/orders", ct, k("book"), body, a.status, o.id})
				mu.Lock()
				orders[o.id] = o
				mu.Unlock()

				a = w.must("POST", "/v1/orders/"+o.id+"/accept", wt, k("accept"), nil)
				if a.status != 200 {
					t.Errorf("accept: %d %v", a.status, a.body)
					return
				}
				record(sent{"POST", "/v1/orders/" + o.id + "/accept", wt, k("accept"), nil, a.status, o.id})
				mu.Lock()
				o.accepted, o.worker = true, work
				mu.Unlock()

				switch i % 3 {
				case 0: // the customer moves it five seconds later; the worker agrees
					nt := at.Add(5 * time.Second)
					tb := map[string]any{"new_time": nt.UTC().Format(time.RFC3339), "reason": "晚点到家"}
					a = w.must("POST", "/v1/orders/"+o.id+"/time-changes", ct, k("change"), tb)
					if a.status != 201 {
						t.Errorf("time change: %d %v", a.status, a.body)
						return
					}
					record(sent{"POST", "/v1/orders/" + o.id + "/time-changes", ct, k("change"), tb, a.status, o.id})
					path := "/v1/orders/" + o.id + "/time-changes/" + a.str("id") + "/accept"
					a = w.must("POST", path, wt, k("agree"), nil)
					if a.status/100 != 2 {
						t.Errorf("accept time change: %d %v", a.status, a.body)
						return
					}
					record(sent{"POST", path, wt, k("agree"), nil, a.status, o.id})
					mu.Lock()
					o.appointment = nt
					mu.Unlock()
				case 1: // the customer cancels
					cb := map[string]any{"reason": "临时有事"}
					a = w.must("POST", "/v1/orders/"+o.id+"/cancel", ct, k("cancel"), cb)
					if a.status != 200 {
						t.Errorf("cancel: %d %v", a.status, a.body)
						return
					}
					record(sent{"POST", "/v1/orders/" + o.id + "/cancel", ct, k("cancel"), cb, a.status, o.id})
					mu.Lock()
					o.cancelled = true
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(stopKiller)
	<-killerDone
	if t.Failed() {
		return
	}

	// Let the last life run until every reminder of the run is due, plus time to send it.
	var lastDue time.Time
	for _, o := range orders {
		if due := o.appointment.Add(-time.Minute); o.accepted && !o.cancelled && due.After(lastDue) {
			lastDue = due
		}
	}
	time.Sleep(time.Until(lastDue.Add(3 * time.Second)))

	// No key stuck: every request sent again with its key answers what it answered the first time.
	for _, s := range log {
		a, err := w.do(s.method, s.path, s.tok, s.key, s.body)
		if err != nil {
			t.Fatalf("replay %s %s: %v", s.method, s.path, err)
		}
		if a.status != s.status {
			t.Errorf("replay %s %s (key %s): %d %v, first answer was %d", s.method, s.path, s.key, a.status, a.body, s.status)
		}
		if s.path == "/v1/orders" && a.str("id") != s.orderID {
			t.Errorf("replay of booking %s answered order %q, first answer was %q", s.key, a.str("id"), s.orderID)
		}
	}
	w.stop()
	t.Logf("%d requests answered across %d SIGKILLs; %d orders", len(log), w.kills, len(orders))
	if w.kills < 3 {
		t.Errorf("only %d kills during the run: the test did not test crashes", w.kills)
	}

	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db := st.DB()
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}

	// Every answered booking exactly once, and nothing else.
	if n := count(`SELECT COUNT(*) FROM orders`); n != len(orders) {
		t.Errorf("%d orders in the database, %d bookings answered", n, len(orders))
	}
	for _, o := range orders {
		var status, worker string
		var appt time.Time
		err := db.QueryRowContext(ctx, `SELECT status, COALESCE(worker_id, ''), appointment_at FROM orders WHERE id = $1`, o.id).
			Scan(&status, &worker, &appt)
		if err != nil {
			t.Errorf("order %s answered but not stored: %v", o.id, err)
			continue
		}
		want := "accepted"
		if o.cancelled {
			want = "cancelled"
		}
		if status != want || worker != o.worker || !appt.Equal(o.appointment) {
			t.Errorf("order %s: %s by %q at %s; the answers said %s by %q at %s", o.id, status, worker, appt, want, o.worker, o.appointment)
		}
		// Each answered action told its party once.
		if n := count(`SELECT COUNT(*) FROM notifications WHERE order_id = $1 AND kind = 'order.accepted'`, o.id); n != 1 {
			t.Errorf("order %s: %d order.accepted notifications, want 1", o.id, n)
		}
		if o.cancelled {
			if n := count(`SELECT COUNT(*) FROM notifications WHERE order_id = $1 AND kind = 'order.cancelled' AND recipient_id = $2`, o.id, o.worker); n != 1 {
				t.Errorf("order %s: the worker has %d order.cancelled notifications, want 1", o.id, n)
			}
			continue
		}
		// The reminder for the appointment it has now: once to each side, before the appointment.
		for _, who := range []string{o.customer, o.worker} {
			rows, err := db.QueryContext(ctx, `SELECT created_at, data FROM notifications
				WHERE order_id = $1 AND kind = 'service.starting_soon' AND recipient_id = $2`, o.id, who)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for rows.Next() {
				var at time.Time
				var data string
				if err := rows.Scan(&at, &data); err != nil {
					t.Fatal(err)
				}
				var d struct {
					AppointmentAt time.Time `json:"appointment_at"`
				}
				json.Unmarshal([]byte(data), &d)
				if d.AppointmentAt.Equal(o.appointment) {
					n++
					if !at.Before(o.appointment) {
						t.Errorf("order %s: reminder to %s sent at %s, not before the appointment %s", o.id, who, at, o.appointment)
					}
				}
			}
			rows.Close()
			if n != 1 {
				t.Errorf("order %s (appointment %s): %d reminders to %s for it, want 1", o.id, o.appointment.Format(time.TimeOnly), n, who)
			}
		}
	}

	// Every person's event log is 1..n with no gap and no duplicate.
	rows, err := db.QueryContext(ctx, `SELECT e.person_id, COUNT(*), COUNT(DISTINCT e.seq), MIN(e.seq), MAX(e.seq), MAX(s.seq)
		FROM person_events e JOIN person_seq s ON s.person_id = e.person_id GROUP BY e.person_id`)
	if err != nil {
		t.Fatal(err)
	}
	people2 := 0
	for rows.Next() {
		var id string
		var n, distinct, lo, hi, last int64
		if err := rows.Scan(&id, &n, &distinct, &lo, &hi, &last); err != nil {
			t.Fatal(err)
		}
		people2++
		if n != distinct || lo != 1 || hi != n || last != hi {
			t.Errorf("event log of %s: %d events, %d distinct seqs, %d..%d, counter at %d", id, n, distinct, lo, hi, last)
		}
	}
	rows.Close()
	if people2 < 2*clients {
		t.Errorf("only %d people have event logs", people2)
	}

	// Nothing claimed by a dead life, nothing due left unrun.
	if n := count(`SELECT COUNT(*) FROM jobs WHERE state = 'running'`); n != 0 {
		t.Errorf("%d jobs still claimed after the last life stopped", n)
	}
	if n := count(`SELECT COUNT(*) FROM jobs WHERE state = 'scheduled' AND kind = 'booking.reminder' AND run_at < $1`, time.Now().Add(-3*time.Second).UTC()); n != 0 {
		t.Errorf("%d reminders overdue and never run", n)
	}
}

// startCrashWorld starts homebell as a child process on dsn (with extra flags) after creating a
// service key as `homebell key create` does (which also creates the schema), and syncs an
// operator, customers c-0… and workers w-0… (clients of each) and the service item "clean". It
// returns the world and the operator's token; the child is killed when the test ends.
func startCrashWorld(t *testing.T, dsn string, clients int, extra []string) (*crashWorld, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	w := &crashWorld{t: t, dsn: dsn, addr: addr, base: "http://" + addr, stderr: &syncBuffer{},
		client: &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}, extra: extra}
	var out, errb syncBuffer
	if code := run(context.Background(), []string{"key", "create", "crash", "--db", dsn}, envOf(), &out, &errb); code != 0 {
		t.Fatalf("key create: %s", errb.String())
	}
	w.key = strings.TrimSpace(out.String())
	w.start()
	t.Cleanup(func() {
		select {
		case <-w.cur.done:
		default:
			w.cur.cmd.Process.Kill()
			<-w.cur.done
		}
	})
	op := mintToken(t, "o-crash", model.RoleOperator)
	people := []map[string]any{{"id": "o-crash", "role": "operator", "name": "值班运营"}}
	for i := range clients {
		people = append(people, map[string]any{"id": fmt.Sprintf("c-%d", i), "role": "customer", "name": fmt.Sprintf("顾客%d", i)},
			map[string]any{"id": fmt.Sprintf("w-%d", i), "role": "worker", "name": fmt.Sprintf("阿姨%d", i)})
	}
	for _, p := range people {
		id := p["id"].(string)
		delete(p, "id")
		if a := w.must("PUT", "/v1/people/"+id, w.key, "", p); a.status/100 != 2 {
			t.Fatalf("sync person: %d %v", a.status, a.body)
		}
	}
	item := map[string]any{"name": map[string]string{"zh-CN": "日常保洁", "en": "Daily cleaning"}, "duration_minutes": 120,
		"price_cents": 10000, "active": true}
	if a := w.must("PUT", "/v1/service-items/clean", op, "", item); a.status/100 != 2 {
		t.Fatalf("service item: %d %v", a.status, a.body)
	}
	return w, op
}
