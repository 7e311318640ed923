package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/homebell/homebell/internal/model"
)

// Chat mode (-chat N, -chat-clients C): order chat (I1) as the two people see it. Each of C
// customer-worker pairs gets an order that the worker accepts (so it has a conversation), and the
// worker's /v1/stream is opened. Then:
//
//   - sequential: pair 0's customer sends N messages one after the other; each is timed from the
//     POST /v1/conversations/{id}/messages request to the worker's conversation.message frame
//     carrying that message's client_id (the "message send → the other member's open client"
//     latency), and the response time is recorded too;
//   - concurrent (with -duration): C customers send in a loop, each to its own worker, for the
//     duration after the warm-up.
//
// Each send runs the whole path of a real message: masking, the message row, the receipt of the
// sender, an event for both members, the recipient's message-center entry and its off-app
// delivery plan (notify.Thread), all in one durable commit. The child server runs with the
// per-person rate limits off (as for every phase), since one customer sends far more than the 60
// creating requests a minute a person is allowed.

type chatPair struct {
	c, w   int
	conv   string
	ctok   string
	frames chan chatFrame
}

type chatFrame struct {
	clientID string
	at       time.Time
}

func (b *bench) chat(ctx context.Context) error {
	pairs := max(1, b.o.chatClients)
	pairs = min(pairs, b.o.workers, b.o.customers)
	ws := strings.Replace(b.base, "http://", "ws://", 1)
	var ps []*chatPair
	for i := range pairs {
		p := &chatPair{c: i, w: i, ctok: b.token(customer(i), model.RoleCustomer), frames: make(chan chatFrame, 1024)}
		var o struct {
			ID string `json:"id"`
		}
		if _, err := b.do(ctx, http.MethodPost, "/v1/orders", b.o.key, map[string]any{
			"customer_id": customer(i), "service_item_id": item, "address": "静安区 1 号",
			"appointment_at": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)}, &o); err != nil {
			return err
		}
		wtok := b.token(worker(i), model.RoleWorker)
		if _, err := b.do(ctx, http.MethodPost, "/v1/orders/"+o.ID+"/accept", wtok, nil, nil); err != nil {
			return err
		}
		var conv struct {
			ID string `json:"id"`
		}
		if _, err := b.do(ctx, http.MethodGet, "/v1/orders/"+o.ID+"/conversation", p.ctok, nil, &conv); err != nil {
			return err
		}
		p.conv = conv.ID
		c, _, err := websocket.Dial(ctx, ws+"/v1/stream?access_token="+wtok, nil)
		if err != nil {
			return err
		}
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
			for {
				_, raw, err := c.Read(context.Background())
				at := time.Now()
				if err != nil {
					return
				}
				ev.Type = ""
				if json.Unmarshal(raw, &ev) != nil || ev.Type != model.EventMessage {
					continue
				}
				select {
				case p.frames <- chatFrame{clientID: ev.Data.Message.ClientID, at: at}:
				default:
				}
			}
		}()
		ps = append(ps, p)
	}
	fmt.Printf("\nchat: %d customer-worker pairs, each with an accepted order, its conversation and the worker's stream open\n", len(ps))
	if b.o.chat > 0 {
		r := &chatRecorder{}
		for i := range min(20, b.o.chat) { // warm-up
			if err := b.send(ctx, ps[0], fmt.Sprintf("warm-up %d", i), func(time.Time, time.Duration, time.Duration) {}); err != nil {
				return err
			}
		}
		profile := b.srv != nil && b.o.cpuProfile != "" && b.o.clients == 0 // -clients 0: the profile is of this phase
		if profile {
			if _, err := b.srv.command("cpu-start " + b.o.cpuProfile); err != nil {
				return err
			}
		}
		cpu0, st0 := cpuOf(b.o.pid), b.statements()
		t0 := time.Now()
		for i := range b.o.chat {
			if err := b.send(ctx, ps[0], fmt.Sprintf("明天上午九点到，第 %d 条", i), r.add); err != nil {
				return err
			}
		}
		el := time.Since(t0)
		if profile {
			_, _ = b.srv.command("cpu-stop")
		}
		fmt.Printf("chat sequential, one sender, %d messages in %s (load average %s):\n", b.o.chat, el.Round(time.Millisecond), loadavg())
		cpu := cpuOf(b.o.pid) - cpu0
		r.stmts = b.statements() - st0
		r.report(b, el, cpu)
	}
	if b.o.chatClients > 0 && b.o.duration > 0 {
		r := &chatRecorder{from: time.Now().Add(b.o.warmup)}
		end := r.from.Add(b.o.duration)
		var wg sync.WaitGroup
		errc := make(chan error, len(ps))
		for _, p := range ps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; time.Now().Before(end); i++ {
					if err := b.send(ctx, p, fmt.Sprintf("好的 %d", i), r.add); err != nil {
						errc <- err
						return
					}
				}
			}()
		}
		time.Sleep(time.Until(r.from))
		cpu0 := cpuOf(b.o.pid)
		select {
		case <-time.After(time.Until(end)):
		case err := <-errc:
			return err
		}
		cpu := cpuOf(b.o.pid) - cpu0
		el := time.Since(r.from)
		la := loadavg()
		wg.Wait()
		select {
		case err := <-errc:
			return err
		default:
		}
		fmt.Printf("chat concurrent, %d senders, %s measured after %s warm-up (load average %s):\n", len(ps), el.Round(time.Millisecond), b.o.warmup, la)
		r.report(b, el, cpu)
	}
	return nil
}

// send posts one message as p's customer and waits for p's worker's frame of it.
func (b *bench) send(ctx context.Context, p *chatPair, text string, record func(start time.Time, resp, frame time.Duration)) error {
	id := uuid.NewString()
	t0 := time.Now()
	if _, err := b.do(ctx, http.MethodPost, "/v1/conversations/"+p.conv+"/messages", p.ctok,
		map[string]any{"client_id": id, "text": text}, nil); err != nil {
		return err
	}
	resp := time.Since(t0)
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		select {
		case f := <-p.frames:
			if f.clientID == id {
				record(t0, resp, f.at.Sub(t0))
				return nil
			}
		case <-deadline.C:
			return fmt.Errorf("no frame of message %s within 10 s", id)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

type chatRecorder struct {
	mu            sync.Mutex
	from          time.Time
	frames, resps []time.Duration
	stmts         uint64 // SQL statements the server ran in the measured part (0: not known)
}

func (r *chatRecorder) add(start time.Time, resp, frame time.Duration) {
	if start.Before(r.from) {
		return
	}
	r.mu.Lock()
	r.frames = append(r.frames, frame)
	r.resps = append(r.resps, resp)
	r.mu.Unlock()
}

func (r *chatRecorder) report(b *bench, el, cpu time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.frames)
	fmt.Printf("  %.0f messages/s (%d)\n", float64(n)/el.Seconds(), n)
	fmt.Printf("  send → worker's frame p50 %s  p99 %s  p99.9 %s  (response p50 %s  p99 %s)\n",
		pct(r.frames, 50), pct(r.frames, 99), pct(r.frames, 99.9), pct(r.resps, 50), pct(r.resps, 99))
	if b.o.pid > 0 && n > 0 {
		fmt.Printf("  server CPU (utime+stime of pid %d from /proc): %.3f ms per message, %.0f%% of one core; server RSS %s\n",
			b.o.pid, ms(cpu)/float64(n), 100*cpu.Seconds()/el.Seconds(), rssOf(b.o.pid))
	}
	if r.stmts > 0 && n > 0 {
		fmt.Printf("  SQL statements run by the server's store: %.1f per message\n", float64(r.stmts)/float64(n))
	}
}
