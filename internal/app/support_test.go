package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store/storetest"
	"github.com/homebell/homebell/internal/testkit"
)

// Online customer service (I3) over HTTP on both databases.

const (
	supAgentA   = "a-chen"
	supAgentB   = "a-li"
	supCustomer = "c-zhang" // a second customer, a stranger to c-lin's conversations
)

// supWorld is an order world with two agents and a second customer.
func supWorld(t *testing.T, dsn string) *world {
	t.Helper()
	w := newOrdWorld(t, dsn, nil)
	return w.people(
		model.Person{ID: supAgentA, Role: model.RoleAgent, Name: "客服小陈"},
		model.Person{ID: supAgentB, Role: model.RoleAgent, Name: "客服小李"},
		model.Person{ID: supCustomer, Role: model.RoleCustomer, Name: "张伟"})
}

// online opens an agent's stream and waits until the desk counts them online.
func (w *world) online(ctx context.Context, agentID string) *wsStream {
	w.t.Helper()
	s := w.stream(ctx, agentID, -1)
	w.waitOnline(agentID, true)
	return s
}

// waitOnline waits until the agent's presence is as wanted (the hub's presence hook runs on a
// goroutine of its own).
func (w *world) waitOnline(agentID string, want bool) {
	w.t.Helper()
	w.eventually(fmt.Sprintf("agent %s online=%v", agentID, want), func() bool {
		return w.want(w.as(agentID, "GET", "/v1/support/me", nil), 200).JSON["online"] == want
	})
}

// openSupport opens a support conversation as id with a first message and returns the answer.
func (w *world) openSupport(id string, body map[string]any) *apptest.Response {
	w.t.Helper()
	return w.want(w.as(id, "POST", "/v1/support/conversations", body), 201)
}

// messages lists a conversation's messages as id reads them.
func (w *world) messages(id, conv string) []model.Message {
	w.t.Helper()
	var p struct {
		Items []model.Message `json:"items"`
	}
	w.want(w.as(id, "GET", "/v1/conversations/"+conv+"/messages?limit=200", nil), 200).Decode(w.t, &p)
	return p.Items
}

// systemTexts lists the texts of a conversation's system messages.
func (w *world) systemTexts(id, conv string) []string {
	w.t.Helper()
	out := []string{}
	for _, m := range w.messages(id, conv) {
		if m.SenderRole == model.SenderSystem {
			out = append(out, m.Text)
		}
	}
	return out
}

// support reads a support conversation as id.
func (w *world) support(id, conv string) *apptest.Response {
	w.t.Helper()
	return w.want(w.as(id, "GET", "/v1/support/conversations/"+conv, nil), 200)
}

// supportListed is conv as id's list of support conversations shows it (nil if absent).
func (w *world) supportListed(id, conv string) map[string]any {
	w.t.Helper()
	items, _ := w.want(w.as(id, "GET", "/v1/support/conversations", nil), 200).JSON["items"].([]any)
	for _, it := range items {
		if m := it.(map[string]any); m["conversation_id"] == conv {
			return m
		}
	}
	return nil
}

// I3: queue → offered to the online agent → the agent's reply reaches the customer who left the
// app (message center and off-app push) → internal notes, canned replies and the order panel →
// transfer with a note → pending → resolve → rating (a low one tells operators) → the customer
// writes again and it reopens to the agent → rated again on the next resolve.
func TestI3SupportFlow(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := supWorld(t, dsn)
		gclk := testkit.NewClock(w.clk.Now())
		adv := func(d time.Duration) { w.clk.Add(d); gclk.Add(d) }
		g := newGateway(t, gclk, 200)
		g.register(t, w.s, w.tok(ordOp1), []string{"support.message"})
		orderID := w.bookAccepted(ordT0.Add(48 * time.Hour))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		sa := w.online(ctx, supAgentA)

		// The customer asks about their order; an agent is online within hours: offered at once.
		op := w.openSupport(ordCustomer, map[string]any{"subject": "退款进度", "order_id": orderID, "client_id": "s-1",
			"text": "我的退款什么时候到账？"})
		conv := op.Str("conversation_id")
		if op.Str("agent_id") != supAgentA || op.Str("status") != "open" || op.Str("order_id") != orderID || op.JSON["expect"] == nil {
			t.Fatalf("opened: %s", op)
		}
		// A retry of the same first message answers the same conversation.
		if again := w.openSupport(ordCustomer, map[string]any{"client_id": "s-1", "text": "我的退款什么时候到账？"}); again.Str("conversation_id") != conv {
			t.Fatalf("retry opened another conversation: %s", again)
		}
		ev := nextOf(ctx, t, sa, "support.updated")
		var upd struct {
			ConversationID string `json:"conversation_id"`
			Change         string `json:"change"`
			AgentID        string `json:"agent_id"`
		}
		_ = json.Unmarshal(ev.Data, &upd)
		if upd.ConversationID != conv || upd.Change != "assigned" || upd.AgentID != supAgentA {
			t.Fatalf("agent's console was told %s", ev.Data)
		}
		if sys := w.systemTexts(ordCustomer, conv); len(sys) != 0 {
			t.Fatalf("automatic reply with an agent online in hours: %q", sys)
		}
		mine := w.want(w.as(supAgentA, "GET", "/v1/support/conversations", nil), 200).Items()
		if len(mine) != 1 || mine[0]["conversation_id"] != conv || mine[0]["unread"] != float64(1) {
			t.Fatalf("agent's conversations: %v", mine)
		}

		// The agent replies while the customer has left the app: one push after the grace period.
		w.want(w.send(supAgentA, conv, "a-1", "您好林女士，我来帮您查一下"), 201)
		adv(11 * time.Second)
		runDue(t, w.s)
		var pushes []gatewayRequest
		for _, r := range g.requests() {
			if r.body.Type == "support.message" {
				pushes = append(pushes, r)
			}
		}
		if len(pushes) != 1 || pushes[0].body.Notification.Title != "客服 客服小陈 回复了您" ||
			pushes[0].body.Notification.Body != "您好林女士，我来帮您查一下" {
			t.Fatalf("push to the customer: %+v", pushes)
		}
		n := w.one(ordCustomer, "support.message", "")
		if ordData(t, n)["conversation_id"] != conv || n.Category != "interaction" {
			t.Fatalf("message center: %+v", n)
		}

		// Internal notes: agents and operators only.
		w.want(w.as(supAgentA, "POST", "/v1/support/conversations/"+conv+"/notes", map[string]any{"text": "客户情绪急，优先处理"}), 201)
		w.want(w.as(ordCustomer, "POST", "/v1/support/conversations/"+conv+"/notes", map[string]any{"text": "x"}), 403)
		if c := w.support(ordCustomer, conv); c.JSON["notes"] != nil || c.JSON["events"] != nil {
			t.Fatalf("the customer sees notes or history: %s", c)
		}
		for _, m := range w.messages(ordCustomer, conv) {
			if strings.Contains(m.Text, "情绪") {
				t.Fatalf("a note leaked into the conversation: %+v", m)
			}
		}

		// Canned replies with the conversation's variables.
		w.want(w.as(ordOp1, "POST", "/v1/admin/support/canned-replies", map[string]any{"title": "退款说明",
			"text": "{customer}您好，订单 {order_no} 的退款已提交，服务人员{worker}也已知悉。"}), 201)
		canned := w.want(w.as(supAgentA, "GET", "/v1/support/conversations/"+conv+"/canned-replies", nil), 200).Items()
		if len(canned) != 1 || canned[0]["text"] != "林晓您好，订单 "+orderID+" 的退款已提交，服务人员王阿姨也已知悉。" {
			t.Fatalf("canned: %v", canned)
		}

		// The order panel: the customer's orders with status and timeline, for the desk only.
		orders := w.want(w.as(supAgentA, "GET", "/v1/support/conversations/"+conv+"/orders", nil), 200).Items()
		if len(orders) != 1 || orders[0]["id"] != orderID || orders[0]["status"] != "accepted" {
			t.Fatalf("order panel: %v", orders)
		}
		tl := w.want(w.as(supAgentA, "GET", "/v1/support/conversations/"+conv+"/orders/"+orderID+"/timeline", nil), 200).Items()
		if len(tl) < 2 || tl[0]["event"] != "created" {
			t.Fatalf("timeline: %v", tl)
		}
		w.want(w.as(ordCustomer, "GET", "/v1/support/conversations/"+conv+"/orders", nil), 403)
		// Only the requester's orders: a stranger's order is not in the panel.
		stranger := w.want(w.as(supCustomer, "POST", "/v1/orders", map[string]any{"service_item_id": ordItem, "address": "静安区 YY 路 3 号",
			"appointment_at": ordT0.Add(72 * time.Hour).Format(time.RFC3339)}), 201).Str("id")
		w.want(w.as(supAgentA, "GET", "/v1/support/conversations/"+conv+"/orders/"+stranger+"/timeline", nil), 404)

		// Transfer to another online agent with a note: the customer sees it, A is out.
		sb := w.online(ctx, supAgentB)
		w.want(w.as(supAgentB, "POST", "/v1/support/conversations/"+conv+"/transfer", map[string]any{"agent_id": supAgentB}), 403)
		tr := w.want(w.as(supAgentA, "POST", "/v1/support/conversations/"+conv+"/transfer",
			map[string]any{"agent_id": supAgentB, "note": "退款需财务确认，请跟进"}), 200)
		if tr.Str("agent_id") != supAgentB || tr.Str("agent_name") != "客服小李" {
			t.Fatalf("transfer: %s", tr)
		}
		ev = nextOf(ctx, t, sb, "support.updated")
		if _ = json.Unmarshal(ev.Data, &upd); upd.Change != "transferred" || upd.AgentID != supAgentB {
			t.Fatalf("B was told %s", ev.Data)
		}
		if sys := w.systemTexts(ordCustomer, conv); len(sys) != 1 || sys[0] != "已为您转接至 客服小李，请稍候。" {
			t.Fatalf("customer sees %q", sys)
		}
		if r := w.send(supAgentA, conv, "a-2", "还在吗"); r.Status != 403 {
			t.Fatalf("A writes after the transfer: %s", r)
		}
		notes, _ := w.support(supAgentB, conv).JSON["notes"].([]any)
		if len(notes) != 2 || notes[1].(map[string]any)["text"] != "退款需财务确认，请跟进" || notes[1].(map[string]any)["author_name"] != "客服小陈" {
			t.Fatalf("B's notes: %v", notes)
		}

		// Pending on the customer; the customer's answer makes it open again.
		w.want(w.send(supAgentB, conv, "b-1", "请提供付款截图"), 201)
		if r := w.want(w.as(supAgentB, "PUT", "/v1/support/conversations/"+conv+"/status", map[string]any{"status": "pending"}), 200); r.Str("status") != "pending" {
			t.Fatalf("pending: %s", r)
		}
		w.want(w.send(ordCustomer, conv, "c-2", "已经付过了，截图稍后发"), 201)
		if s := w.support(supAgentB, conv); s.Str("status") != "open" {
			t.Fatalf("after the customer's answer: %s", s)
		}

		// Resolve → rating; a low one tells the operators; once per resolve.
		w.want(w.as(ordCustomer, "POST", "/v1/support/conversations/"+conv+"/rating", map[string]any{"score": 5}), 409)
		w.want(w.as(supAgentB, "PUT", "/v1/support/conversations/"+conv+"/status", map[string]any{"status": "resolved"}), 200)
		c := w.support(ordCustomer, conv)
		if c.Str("status") != "resolved" || c.JSON["can_rate"] != true {
			t.Fatalf("resolved: %s", c)
		}
		if l := w.supportListed(ordCustomer, conv); l == nil || l["can_rate"] != true || l["rating"] != nil {
			t.Fatalf("resolved, in the customer's list: %v", l)
		}
		w.want(w.as(ordCustomer, "POST", "/v1/support/conversations/"+conv+"/rating", map[string]any{"score": 6}), 400)
		w.want(w.as(ordCustomer, "POST", "/v1/support/conversations/"+conv+"/rating", map[string]any{"score": 2, "comment": "等太久了"}), 201)
		w.want(w.as(ordCustomer, "POST", "/v1/support/conversations/"+conv+"/rating", map[string]any{"score": 3}), 409)
		low := w.one(ordOp1, "support.rated_low", "")
		if !strings.Contains(low.Body, "林晓") || !strings.Contains(low.Body, "2") || !strings.Contains(low.Body, "等太久了") {
			t.Fatalf("operators told: %+v", low)
		}
		if c := w.support(ordCustomer, conv); c.JSON["can_rate"] != false || c.JSON["rating"].(map[string]any)["score"] != float64(2) {
			t.Fatalf("after rating: %s", c)
		}
		for _, who := range []string{ordCustomer, ordOp1} { // the lists read the rating in their one query
			if l := w.supportListed(who, conv); l == nil || l["can_rate"] != false || l["rating"] == nil ||
				l["rating"].(map[string]any)["score"] != float64(2) || l["rating"].(map[string]any)["comment"] != "等太久了" {
				t.Fatalf("after rating, in %s's list: %v", who, l)
			}
		}

		// The customer writes into the resolved conversation: it reopens to B, who is still online.
		w.want(w.send(ordCustomer, conv, "c-3", "截图在这里，还是没到账"), 201)
		c = w.support(ordCustomer, conv)
		if c.Str("status") != "open" || c.Str("agent_id") != supAgentB || c.JSON["can_rate"] != false {
			t.Fatalf("reopened: %s", c)
		}
		w.want(w.as(supAgentB, "PUT", "/v1/support/conversations/"+conv+"/status", map[string]any{"status": "resolved"}), 200)
		w.want(w.as(ordCustomer, "POST", "/v1/support/conversations/"+conv+"/rating", map[string]any{"score": 5, "comment": "解决了"}), 201)

		sat := w.want(w.as(ordOp1, "GET", "/v1/admin/support/satisfaction", nil), 200)
		if sat.JSON["count"] != float64(2) || sat.JSON["average"] != 3.5 || sat.JSON["resolved"] != float64(2) ||
			len(sat.JSON["low"].([]any)) != 1 {
			t.Fatalf("satisfaction: %s", sat)
		}
		w.want(w.as(supAgentA, "GET", "/v1/admin/support/satisfaction", nil), 403)
		hist := w.support(ordOp1, conv).JSON["events"].([]any)
		var types []string
		for _, e := range hist {
			types = append(types, e.(map[string]any)["type"].(string))
		}
		if got := strings.Join(types, ","); got != "queued,assigned,transferred,status,status,resolved,rated,reopened,resolved,rated" {
			t.Fatalf("history: %s", got)
		}
	})
}

// I3: two agents claim the same queued conversation at once: exactly one holds it.
func TestI3TwoAgentsClaimOneWins(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := supWorld(t, dsn)
		for i := range 5 {
			conv := w.openSupport(ordCustomer, map[string]any{"client_id": fmt.Sprintf("s-%d", i), "text": "付款失败了"}).Str("conversation_id")
			queue := w.want(w.as(supAgentA, "GET", "/v1/support/queue", nil), 200).Items()
			if len(queue) != 1 || queue[0]["conversation_id"] != conv {
				t.Fatalf("queue: %v", queue)
			}
			var wg sync.WaitGroup
			status := map[string]int{}
			var mu sync.Mutex
			for _, ag := range []string{supAgentA, supAgentB} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := w.s.Do("POST", "/v1/support/conversations/"+conv+"/claim", w.tok(ag), nil)
					mu.Lock()
					status[ag] = r.Status
					mu.Unlock()
				}()
			}
			wg.Wait()
			winner := ""
			for ag, st := range status {
				if st == 200 {
					winner = ag
				} else if st != 409 {
					t.Fatalf("claim answers %v", status)
				}
			}
			if winner == "" || status[supAgentA]+status[supAgentB] != 609 {
				t.Fatalf("claims: %v", status)
			}
			s := w.support(ordOp1, conv)
			agents := 0
			v := w.want(w.as(ordOp1, "GET", "/v1/conversations/"+conv, nil), 200)
			for _, m := range v.JSON["members"].([]any) {
				if m.(map[string]any)["role"] == "agent" {
					agents++
				}
			}
			if s.Str("agent_id") != winner || agents != 1 {
				t.Fatalf("holder %s (winner %s), agent members %d", s.Str("agent_id"), winner, agents)
			}
			if q := w.want(w.as(supAgentA, "GET", "/v1/support/queue", nil), 200).Items(); len(q) != 0 {
				t.Fatalf("still queued: %v", q)
			}
			// Resolve so the next round starts with an empty desk.
			w.want(w.as(winner, "PUT", "/v1/support/conversations/"+conv+"/status", map[string]any{"status": "resolved"}), 200)
		}
	})
}

// I3: an agent whose stream closed keeps their conversations for offline_after_minutes, then
// they return to the queue and go to an agent who is online; an agent back in time keeps theirs.
func TestI3OfflineAgentReturnsToQueue(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := supWorld(t, dsn)
		hours := w.want(w.as(ordOp1, "GET", "/v1/admin/support/hours", nil), 200).JSON
		hours["offline_after_minutes"] = 2
		w.want(w.as(ordOp1, "PUT", "/v1/admin/support/hours", hours), 200)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()

		sa := w.stream(ctx, supAgentA, -1)
		w.waitOnline(supAgentA, true)
		conv := w.openSupport(ordCustomer, map[string]any{"client_id": "s-1", "text": "师傅没来"}).Str("conversation_id")
		if s := w.support(ordOp1, conv); s.Str("agent_id") != supAgentA {
			t.Fatalf("not offered to A: %s", s)
		}

		// A's connection drops and comes back within the time: A keeps it.
		sa.c.CloseNow()
		w.waitOnline(supAgentA, false)
		w.clk.Add(time.Minute)
		sa = w.online(ctx, supAgentA)
		w.clk.Add(5 * time.Minute)
		runDue(t, w.s)
		if s := w.support(ordOp1, conv); s.Str("agent_id") != supAgentA {
			t.Fatalf("A came back in time but lost it: %s", s)
		}

		// A goes for good: not yet after a minute, back to the queue after two.
		sa.c.CloseNow()
		w.waitOnline(supAgentA, false)
		w.clk.Add(time.Minute)
		runDue(t, w.s)
		if s := w.support(ordOp1, conv); s.Str("agent_id") != supAgentA {
			t.Fatalf("returned too early: %s", s)
		}
		w.clk.Add(61 * time.Second)
		runDue(t, w.s)
		s := w.support(ordOp1, conv)
		if s.Str("agent_id") != "" || s.Str("status") != "open" {
			t.Fatalf("not returned to the queue: %s", s)
		}
		if q := w.want(w.as(supAgentB, "GET", "/v1/support/queue", nil), 200).Items(); len(q) != 1 || q[0]["conversation_id"] != conv {
			t.Fatalf("queue: %v", q)
		}
		if r := w.send(supAgentA, conv, "a-1", "我回来了"); r.Status != 403 {
			t.Fatalf("A still writes: %s", r)
		}

		// B comes online: the queue is offered to B at once.
		w.online(ctx, supAgentB)
		w.eventually("offered to B", func() bool { return w.support(ordOp1, conv).Str("agent_id") == supAgentB })
		var types []string
		for _, e := range w.support(ordOp1, conv).JSON["events"].([]any) {
			types = append(types, e.(map[string]any)["type"].(string))
		}
		if got := strings.Join(types, ","); got != "queued,assigned,returned,assigned" {
			t.Fatalf("history: %s", got)
		}
	})
}

// I3: out of business hours the customer gets one automatic reply saying when agents answer,
// not one per message; in hours with nobody online, one saying by when today.
func TestI3OutOfHoursAutoReplyOnce(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := supWorld(t, dsn)
		// 23:00 on Sunday in Shanghai: closed until Monday 09:00.
		w.clk.Set(ordT0.Add(14 * time.Hour))
		av := w.want(w.as(ordCustomer, "GET", "/v1/support/availability", nil), 200)
		if av.JSON["open"] != false || av.Str("next_open") != "2026-03-02T01:00:00.000000Z" {
			t.Fatalf("availability: %s", av)
		}
		conv := w.openSupport(ordCustomer, map[string]any{"client_id": "s-1", "text": "在吗"}).Str("conversation_id")
		w.want(w.send(ordCustomer, conv, "c-2", "付款一直失败"), 201)
		w.want(w.send(ordCustomer, conv, "c-3", "急"), 201)
		sys := w.systemTexts(ordCustomer, conv)
		if len(sys) != 1 || sys[0] != "已收到您的消息。现在是非工作时间，客服将于 3月2日 09:00 起回复您。" {
			t.Fatalf("automatic replies: %q", sys)
		}
		if ms := w.messages(ordCustomer, conv); len(ms) != 4 || ms[1].SenderRole != model.SenderSystem {
			t.Fatalf("the reply follows the first message: %+v", ms)
		}

		// In English for an English-speaking requester (a worker asking).
		orderID := w.bookAccepted(ordT0.Add(48 * time.Hour))
		wconv := w.openSupport(ordW2, map[string]any{"client_id": "s-1", "text": "Customer not home"}).Str("conversation_id")
		if sys := w.systemTexts(ordW2, wconv); len(sys) != 1 || sys[0] != "Thanks for your message. We are outside business hours; an agent will answer from Mon 2 Mar 09:00." {
			t.Fatalf("English reply: %q", sys)
		}
		_ = orderID

		// Monday 10:00, nobody online: one reply saying by when today; an agent's answer ends the
		// wait, so the next wait gets its own.
		w.clk.Set(ordT0.Add(25 * time.Hour))
		conv2 := w.openSupport(supCustomer, map[string]any{"client_id": "s-1", "text": "你好"}).Str("conversation_id")
		w.want(w.send(supCustomer, conv2, "c-2", "有人吗"), 201)
		if sys := w.systemTexts(supCustomer, conv2); len(sys) != 1 || sys[0] != "已收到您的消息。客服暂时不在线，我们会在今天 21:00 前回复您。" {
			t.Fatalf("in hours, nobody online: %q", sys)
		}
		w.want(w.as(supAgentA, "POST", "/v1/support/conversations/"+conv2+"/claim", nil), 200)
		w.want(w.send(supAgentA, conv2, "a-1", "您好，请讲"), 201)
		w.want(w.send(supCustomer, conv2, "c-3", "订单付款失败"), 201)
		if sys := w.systemTexts(supCustomer, conv2); len(sys) != 2 {
			t.Fatalf("after the agent answered and left: %q", sys)
		}
	})
}

// I3: the first message carries an image: the agent who holds the conversation and other agents
// see it; a stranger does not.
func TestI3SupportChatWithImage(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := supWorld(t, dsn)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		w.online(ctx, supAgentA)
		img := uploadPNG(t, w.s, w.tok(ordCustomer), 40)
		other := uploadPNG(t, w.s, w.tok(supCustomer), 80)
		// Only one's own uploads.
		if r := w.as(ordCustomer, "POST", "/v1/support/conversations", map[string]any{"client_id": "s-0", "file_ids": []string{other}}); r.Status != 400 {
			t.Fatalf("someone else's image: %s", r)
		}
		op := w.openSupport(ordCustomer, map[string]any{"client_id": "s-1", "text": "付款失败截图", "file_ids": []string{img}})
		conv := op.Str("conversation_id")
		ms := w.messages(supAgentA, conv)
		if len(ms) != 1 || len(ms[0].FileIDs) != 1 || ms[0].FileIDs[0] != img {
			t.Fatalf("agent reads %+v", ms)
		}
		for _, who := range []string{supAgentA, supAgentB, ordOp1} {
			if r := w.s.Do("GET", "/v1/files/"+img, w.tok(who), nil); r.Status != 200 {
				t.Fatalf("%s reads the image: %s", who, r)
			}
		}
		for _, who := range []string{supCustomer, ordW1} {
			if r := w.s.Do("GET", "/v1/files/"+img+"/thumbnail", w.tok(who), nil); r.Status != 404 {
				t.Fatalf("%s reads the image: %s", who, r)
			}
		}
		// An image-only reply from the agent.
		reply := uploadPNG(t, w.s, w.tok(supAgentA), 120)
		w.want(w.as(supAgentA, "POST", "/v1/conversations/"+conv+"/messages", map[string]any{"client_id": "a-1", "file_ids": []string{reply}}), 201)
		if r := w.s.Do("GET", "/v1/files/"+reply, w.tok(ordCustomer), nil); r.Status != 200 {
			t.Fatalf("customer reads the agent's image: %s", r)
		}
	})
}

// I3: customers never see another's support conversation; workers only their own; agents see
// support conversations but not order chats; only the desk works the queue.
func TestI3Access(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := supWorld(t, dsn)
		orderID := w.bookAccepted(ordT0.Add(48 * time.Hour))
		orderChat := w.conversationOf(ordCustomer, orderID)
		conv := w.openSupport(ordCustomer, map[string]any{"client_id": "s-1", "text": "我的地址写错了", "order_id": orderID}).Str("conversation_id")
		wconv := w.openSupport(ordW1, map[string]any{"client_id": "s-1", "text": "客户联系不上", "order_id": orderID}).Str("conversation_id")

		// A stranger customer and a worker (even the order's) see nothing of the customer's conversation.
		for _, who := range []string{supCustomer, ordW1} {
			for _, r := range []*apptest.Response{
				w.as(who, "GET", "/v1/support/conversations/"+conv, nil),
				w.as(who, "GET", "/v1/conversations/"+conv, nil),
				w.as(who, "GET", "/v1/conversations/"+conv+"/messages", nil),
				w.send(who, conv, "x-1", "hi"),
				w.as(who, "POST", "/v1/support/conversations/"+conv+"/rating", map[string]any{"score": 1}),
			} {
				if r.Status != 404 {
					t.Errorf("%s: %s", who, r)
				}
			}
		}
		if r := w.as(ordCustomer, "GET", "/v1/support/conversations/"+wconv, nil); r.Status != 404 {
			t.Errorf("customer reads the worker's support conversation: %s", r)
		}
		for who, want := range map[string]string{ordCustomer: conv, ordW1: wconv} {
			items := w.want(w.as(who, "GET", "/v1/support/conversations", nil), 200).Items()
			if len(items) != 1 || items[0]["conversation_id"] != want {
				t.Errorf("%s lists %v", who, items)
			}
		}
		if items := w.want(w.as(supCustomer, "GET", "/v1/support/conversations", nil), 200).Items(); len(items) != 0 {
			t.Errorf("stranger lists %v", items)
		}
		// Only one's own orders.
		if r := w.as(supCustomer, "POST", "/v1/support/conversations", map[string]any{"client_id": "s-1", "text": "x", "order_id": orderID}); r.Status != 400 {
			t.Errorf("a stranger's order: %s", r)
		}
		if r := w.as(ordW2, "POST", "/v1/support/conversations", map[string]any{"client_id": "s-1", "text": "x", "order_id": orderID}); r.Status != 400 {
			t.Errorf("another worker's order: %s", r)
		}

		// Agents: support conversations yes (read), order chats no.
		w.want(w.as(supAgentA, "GET", "/v1/support/conversations/"+conv, nil), 200)
		if ms := w.messages(supAgentA, conv); len(ms) != 2 || ms[0].Text != "我的地址写错了" {
			t.Errorf("agent reads the queued conversation as %+v", ms)
		}
		for _, r := range []*apptest.Response{
			w.as(supAgentA, "GET", "/v1/conversations/"+orderChat, nil),
			w.as(supAgentA, "GET", "/v1/conversations/"+orderChat+"/messages", nil),
			w.as(supAgentA, "GET", "/v1/orders/"+orderID+"/conversation", nil),
		} {
			if r.Status != 404 && r.Status != 403 {
				t.Errorf("agent reads the order chat: %s", r)
			}
		}
		// Reading is not writing: an agent writes only in a conversation they hold.
		if r := w.send(supAgentA, conv, "a-1", "您好"); r.Status != 403 {
			t.Errorf("agent writes without holding: %s", r)
		}
		// The desk's routes are the desk's; agents don't open conversations or rate.
		for _, r := range []*apptest.Response{
			w.as(ordCustomer, "GET", "/v1/support/queue", nil),
			w.as(ordW1, "GET", "/v1/support/agents", nil),
			w.as(ordCustomer, "POST", "/v1/support/conversations/"+conv+"/claim", nil),
			w.as(ordCustomer, "PUT", "/v1/support/conversations/"+conv+"/status", map[string]any{"status": "resolved"}),
			w.as(ordCustomer, "POST", "/v1/support/conversations/"+conv+"/transfer", map[string]any{"agent_id": supAgentA}),
			w.as(supAgentA, "POST", "/v1/support/conversations", map[string]any{"client_id": "s-1", "text": "x"}),
			w.as(supAgentA, "POST", "/v1/support/conversations/"+conv+"/rating", map[string]any{"score": 5}),
			w.as(ordOp1, "POST", "/v1/support/conversations/"+conv+"/claim", nil),
		} {
			if r.Status != 403 {
				t.Errorf("want 403: %s", r)
			}
		}
		// An agent who does not hold it cannot change it.
		w.want(w.as(supAgentA, "POST", "/v1/support/conversations/"+conv+"/claim", nil), 200)
		for _, r := range []*apptest.Response{
			w.as(supAgentB, "PUT", "/v1/support/conversations/"+conv+"/status", map[string]any{"status": "resolved"}),
			w.as(supAgentB, "POST", "/v1/support/conversations/"+conv+"/release", nil),
		} {
			if r.Status != 403 {
				t.Errorf("non-holder: %s", r)
			}
		}
		// Operators read everything of support and may release; they are not in the conversation.
		w.want(w.as(ordOp1, "POST", "/v1/support/conversations/"+conv+"/release", nil), 200)
		if r := w.send(ordOp1, conv, "o-1", "hi"); r.Status != 403 {
			t.Errorf("operator writes: %s", r)
		}
	})
}

// I3, X1: an agent who is online but away takes no conversation, yet their console hears that the
// queue grew (support.queue, after commit) and the queued conversation waits for them.
func TestI3QueueSignalReachesOnlineAgents(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := supWorld(t, dsn)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		sb := w.online(ctx, supAgentB)
		w.want(w.as(supAgentB, "PUT", "/v1/support/me", map[string]any{"away": true}), 200)
		conv := w.openSupport(ordCustomer, map[string]any{"client_id": "s-1", "text": "在吗"}).Str("conversation_id")
		if s := w.support(ordOp1, conv); s.Str("agent_id") != "" {
			t.Fatalf("offered to an away agent: %s", s)
		}
		ev := nextOf(ctx, t, sb, "support.queue")
		var q struct {
			QueueLength int `json:"queue_length"`
		}
		if err := json.Unmarshal(ev.Data, &q); err != nil || q.QueueLength != 1 {
			t.Fatalf("queue signal %s", ev.Data)
		}
		// Back from away: the queue is offered at once.
		w.want(w.as(supAgentB, "PUT", "/v1/support/me", map[string]any{"away": false}), 200)
		if s := w.support(ordOp1, conv); s.Str("agent_id") != supAgentB {
			t.Fatalf("not offered when B came back: %s", s)
		}
	})
}
