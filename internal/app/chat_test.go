package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/config"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store/storetest"
	"github.com/homebell/homebell/internal/testkit"
)

// Order chat (I1) over HTTP on both databases.

// conversationOf opens the order's chat as id and returns its id.
func (w *world) conversationOf(id, orderID string) string {
	w.t.Helper()
	r := w.want(w.as(id, "GET", "/v1/orders/"+orderID+"/conversation", nil), 200)
	return r.Str("id")
}

// send sends text as id with a client id and returns the answer.
func (w *world) send(id, conv, clientID, text string) *apptest.Response {
	w.t.Helper()
	return w.as(id, "POST", "/v1/conversations/"+conv+"/messages", map[string]any{"client_id": clientID, "text": text})
}

// texts lists the visible texts of a conversation as id reads them (the newest page).
func (w *world) texts(id, conv string) []string {
	w.t.Helper()
	r := w.want(w.as(id, "GET", "/v1/conversations/"+conv+"/messages", nil), 200)
	var p struct {
		Items []model.Message `json:"items"`
	}
	r.Decode(w.t, &p)
	out := []string{}
	for _, m := range p.Items {
		out = append(out, m.Text)
	}
	return out
}

// I1: the customer and the worker talk before, during and after the service; retries never
// double a message; the chat closes for writing a set time after completion and stays readable.
func TestI1ChatBeforeDuringAfterService(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		orderID := w.book(ordT0.Add(48 * time.Hour))
		// Before anyone accepts there is nobody to talk to.
		if r := w.as(ordCustomer, "GET", "/v1/orders/"+orderID+"/conversation", nil); r.Status != 404 {
			t.Fatalf("chat before acceptance: %s", r)
		}
		w.want(w.as(ordW1, "POST", "/v1/orders/"+orderID+"/accept", nil), 200)
		conv := w.conversationOf(ordCustomer, orderID)
		if got := w.conversationOf(ordW1, orderID); got != conv {
			t.Fatalf("worker sees conversation %s, customer %s", got, conv)
		}

		// Before the service.
		r := w.want(w.send(ordCustomer, conv, "c-1", "门禁密码 1234#，请重点清洁厨房"), 201)
		if r.JSON["duplicate"] != false {
			t.Fatalf("first send: %s", r)
		}
		// A retry after a dropped connection answers the same message, never a second one.
		again := w.want(w.send(ordCustomer, conv, "c-1", "门禁密码 1234#，请重点清洁厨房"), 200)
		m1, _ := r.JSON["message"].(map[string]any)
		m2, _ := again.JSON["message"].(map[string]any)
		if again.JSON["duplicate"] != true || m1["id"] != m2["id"] || m1["seq"] != float64(1) {
			t.Fatalf("retry: %s\nfirst: %s", again, r)
		}
		w.want(w.send(ordW1, conv, "w-1", "好的，我明天九点到"), 201)

		// During the service (the day of the appointment).
		w.clk.Set(ordT0.Add(48 * time.Hour))
		w.startAs(ordW1, orderID)
		w.want(w.send(ordW1, conv, "w-2", "阳台的窗户需要擦吗？"), 201)
		w.want(w.send(ordCustomer, conv, "c-2", "需要，谢谢"), 201)

		// After: still writable for the policy's 7 days after completion.
		w.want(w.as(ordW1, "POST", "/v1/orders/"+orderID+"/complete", nil), 200)
		w.clk.Add(6 * 24 * time.Hour)
		w.want(w.send(ordCustomer, conv, "c-3", "忘了说，钥匙放在门口了吗？"), 201)
		w.want(w.send(ordW1, conv, "w-3", "放在鞋柜上了"), 201)
		got := w.texts(ordCustomer, conv)
		want := []string{"门禁密码 1234#，请重点清洁厨房", "好的，我明天九点到", "阳台的窗户需要擦吗？", "需要，谢谢", "忘了说，钥匙放在门口了吗？", "放在鞋柜上了"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("messages:\n got %q\nwant %q", got, want)
		}

		// Closed for writing after the window; readable still; a retry of an old message still answers.
		w.clk.Add(25 * time.Hour)
		if r := w.send(ordCustomer, conv, "c-4", "还在吗？"); r.Status != 409 || r.Code() != string(model.CodeInvalidTransition) {
			t.Fatalf("send after the window: %s", r)
		}
		w.want(w.send(ordCustomer, conv, "c-3", "忘了说，钥匙放在门口了吗？"), 200)
		if got := w.texts(ordW1, conv); len(got) != 6 {
			t.Fatalf("read after closing: %q", got)
		}
		v := w.want(w.as(ordCustomer, "GET", "/v1/conversations/"+conv, nil), 200)
		if v.JSON["writable"] != false || v.Str("writable_until") == "" {
			t.Fatalf("closed conversation: %s", v)
		}

		// Operators lengthen the window: writable again.
		w.want(w.as(ordOp1, "PUT", "/v1/admin/policies", map[string]any{"chat": map[string]any{"after_completion_hours": 24 * 30}}), 200)
		w.want(w.send(ordCustomer, conv, "c-4", "还在吗？"), 201)

		// Paging by seq.
		p := w.want(w.as(ordCustomer, "GET", "/v1/conversations/"+conv+"/messages?after=2&limit=2", nil), 200)
		items, _ := p.JSON["items"].([]any)
		if len(items) != 2 || items[0].(map[string]any)["seq"] != float64(3) || p.JSON["has_more"] != true {
			t.Fatalf("after=2&limit=2: %s", p)
		}
		p = w.want(w.as(ordCustomer, "GET", "/v1/conversations/"+conv+"/messages?before=3", nil), 200)
		items, _ = p.JSON["items"].([]any)
		if len(items) != 2 || items[1].(map[string]any)["seq"] != float64(2) || p.JSON["has_more"] != false {
			t.Fatalf("before=3: %s", p)
		}
	})
}

// I1: a cancelled order's chat stays writable for 24 hours, then closes.
func TestI1ChatClosesAfterCancellation(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		orderID := w.bookAccepted(ordT0.Add(72 * time.Hour))
		conv := w.conversationOf(ordW1, orderID)
		w.want(w.as(ordCustomer, "POST", "/v1/orders/"+orderID+"/cancel", map[string]any{"reason": "临时出差"}), 200)
		w.clk.Add(23 * time.Hour)
		w.want(w.send(ordW1, conv, "w-1", "好的，下次再约"), 201)
		w.clk.Add(2 * time.Hour)
		if r := w.send(ordCustomer, conv, "c-1", "谢谢"); r.Status != 409 {
			t.Fatalf("send a day after cancellation: %s", r)
		}
	})
}

// I1, E2: a worker change moves the chat to the new worker in the commit that makes it; the
// removed worker is refused everything from then on, and their stream gets no more frames.
func TestI1WorkerChangeMovesAccess(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		orderID := w.bookAccepted(ordT0.Add(48 * time.Hour))
		conv := w.conversationOf(ordCustomer, orderID)
		w.want(w.send(ordW1, conv, "w-1", "我是王阿姨"), 201)

		w.want(w.as(ordOp1, "POST", "/v1/orders/"+orderID+"/assign", map[string]any{"worker_id": ordW2, "reason": "王阿姨生病"}), 200)
		for _, r := range []*apptest.Response{
			w.as(ordW1, "GET", "/v1/orders/"+orderID+"/conversation", nil),
			w.as(ordW1, "GET", "/v1/conversations/"+conv, nil),
			w.as(ordW1, "GET", "/v1/conversations/"+conv+"/messages", nil),
			w.send(ordW1, conv, "w-2", "还在吗"),
			w.as(ordW1, "POST", "/v1/conversations/"+conv+"/read", map[string]any{}),
			w.as(ordW1, "POST", "/v1/conversations/"+conv+"/typing", nil),
			w.as(ordW1, "PUT", "/v1/conversations/"+conv+"/mute", map[string]any{"muted": true}),
		} {
			if r.Status != 404 && r.Status != 403 {
				t.Errorf("removed worker: %s", r)
			}
		}
		// The new worker sees the history and writes.
		if got := w.texts(ordW2, conv); len(got) != 1 || got[0] != "我是王阿姨" {
			t.Fatalf("new worker reads %q", got)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		old := w.stream(ctx, ordW1, -1)
		w.want(w.send(ordW2, conv, "z-1", "您好，我是赵师傅，明天我来"), 201)
		w.want(w.send(ordCustomer, conv, "c-1", "好的"), 201)
		// A notification to the old worker proves their stream is live; nothing of the chat came first.
		tellPerson(t, w.s, ordW1, "probe", "probe")
		ev, err := old.next(ctx)
		if err != nil || ev.Type != model.EventNotification || ev.body() != "probe" {
			t.Fatalf("removed worker's stream got %+v (%v), want only the probe", ev, err)
		}
		mine := w.want(w.as(ordW1, "GET", "/v1/me/conversations", nil), 200)
		if len(mine.Items()) != 0 {
			t.Fatalf("removed worker still lists %s", mine)
		}
		if len(w.want(w.as(ordW2, "GET", "/v1/me/conversations", nil), 200).Items()) != 1 {
			t.Fatal("new worker does not list the conversation")
		}
	})
}

// I1, X1: read receipts and typing reach the other member's open stream at once.
func TestI1ReceiptsAndTypingLive(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		orderID := w.bookAccepted(ordT0.Add(48 * time.Hour))
		conv := w.conversationOf(ordCustomer, orderID)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cs := w.stream(ctx, ordCustomer, -1)
		ws := w.stream(ctx, ordW1, -1)

		w.want(w.as(ordW1, "POST", "/v1/conversations/"+conv+"/typing", nil), 204)
		ev := nextOf(ctx, t, cs, model.EventTyping)
		var ty struct {
			ConversationID string `json:"conversation_id"`
			PersonID       string `json:"person_id"`
			Name           string `json:"name"`
		}
		_ = json.Unmarshal(ev.Data, &ty)
		if ty.ConversationID != conv || ty.PersonID != ordW1 || ty.Name != "王阿姨" {
			t.Fatalf("typing frame: %s", ev.Data)
		}
		w.want(w.send(ordW1, conv, "w-1", "我到楼下了"), 201)
		ev = nextOf(ctx, t, cs, model.EventMessage)
		var msg struct {
			Message model.Message `json:"message"`
		}
		_ = json.Unmarshal(ev.Data, &msg)
		if msg.Message.Text != "我到楼下了" || msg.Message.Seq != 1 {
			t.Fatalf("message frame: %s", ev.Data)
		}
		r := w.want(w.as(ordCustomer, "POST", "/v1/conversations/"+conv+"/read", map[string]any{"seq": 1}), 200)
		if me, _ := r.JSON["me"].(map[string]any); me["last_read_seq"] != float64(1) || r.JSON["unread"] != float64(0) {
			t.Fatalf("read: %s", r)
		}
		ev = nextOf(ctx, t, ws, model.EventReadReceipt)
		var rc struct {
			PersonID    string `json:"person_id"`
			LastReadSeq int64  `json:"last_read_seq"`
		}
		_ = json.Unmarshal(ev.Data, &rc)
		if rc.PersonID != ordCustomer || rc.LastReadSeq != 1 {
			t.Fatalf("receipt frame: %s", ev.Data)
		}
		// The worker's view shows the customer's read position (已读).
		v := w.want(w.as(ordW1, "GET", "/v1/conversations/"+conv, nil), 200)
		for _, m := range v.JSON["members"].([]any) {
			mm := m.(map[string]any)
			if mm["person_id"] == ordCustomer && mm["last_read_seq"] != float64(1) {
				t.Fatalf("members: %s", v)
			}
		}
	})
}

// nextOf reads frames until one of type typ.
func nextOf(ctx context.Context, t *testing.T, s *wsStream, typ string) streamEvent {
	t.Helper()
	for {
		ev, err := s.next(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v", typ, err)
		}
		if ev.Type == typ {
			return ev
		}
	}
}

// I1, S4, X2: a message read live within the grace period is not pushed; a burst becomes one
// push saying how many messages wait, at most one a minute per conversation; the message center
// shows the conversation as one entry; a muted conversation pushes nothing.
func TestI1PushSkippedWhenSeenLiveAndBurstsCollapse(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		gclk := testkit.NewClock(w.clk.Now())
		adv := func(d time.Duration) { w.clk.Add(d); gclk.Add(d) }
		g := newGateway(t, gclk, 200)
		g.register(t, w.s, w.tok(ordOp1), []string{"chat.message"})
		orderID := w.bookAccepted(ordT0.Add(48 * time.Hour))
		conv := w.conversationOf(ordCustomer, orderID)
		pushes := func() []gatewayRequest {
			var out []gatewayRequest
			for _, r := range g.requests() {
				if r.body.Type == "chat.message" {
					out = append(out, r)
				}
			}
			return out
		}

		// Seen live: read within the grace period, so no push.
		w.want(w.send(ordW1, conv, "w-1", "我出发了"), 201)
		adv(5 * time.Second)
		runDue(t, w.s)
		w.want(w.as(ordCustomer, "POST", "/v1/conversations/"+conv+"/read", map[string]any{}), 200)
		adv(6 * time.Second)
		runDue(t, w.s)
		if got := pushes(); len(got) != 0 {
			t.Fatalf("pushed a message read live: %+v", got)
		}

		// A burst: one push after the grace period, counting all three.
		for i, text := range []string{"到小区门口了", "几号楼？", "找到了"} {
			w.want(w.send(ordW1, conv, fmt.Sprintf("w-b%d", i), text), 201)
			adv(2 * time.Second)
			runDue(t, w.s)
		}
		if got := pushes(); len(got) != 0 {
			t.Fatalf("pushed within the grace period: %d", len(got))
		}
		adv(5 * time.Second)
		runDue(t, w.s)
		got := pushes()
		if len(got) != 1 || got[0].verify != nil || got[0].body.Notification.Title != "王阿姨 发来 3 条新消息" ||
			got[0].body.Notification.Body != "找到了" {
			t.Fatalf("burst: %d pushes %+v", len(got), got)
		}
		// The next message waits a minute after that push.
		w.want(w.send(ordW1, conv, "w-c", "我上楼了"), 201)
		adv(15 * time.Second)
		runDue(t, w.s)
		if len(pushes()) != 1 {
			t.Fatal("a second push within the minute")
		}
		adv(50 * time.Second)
		runDue(t, w.s)
		if got := pushes(); len(got) != 2 || got[1].body.Notification.Title != "王阿姨 发来 4 条新消息" {
			t.Fatalf("after the minute: %+v", got)
		}

		// The message center: one entry for the conversation, unread, with the count.
		r := w.want(w.as(ordCustomer, "GET", "/v1/me/inbox?category=interaction", nil), 200)
		if items := r.Items(); len(items) != 1 || items[0]["kind"] != "chat.message" || items[0]["read_at"] != nil ||
			items[0]["data"].(map[string]any)["unread"] != float64(4) || items[0]["data"].(map[string]any)["conversation_id"] != conv {
			t.Fatalf("message center: %s", r)
		}
		if u := w.want(w.as(ordCustomer, "GET", "/v1/me/inbox/unread", nil), 200); u.JSON["by_category"].(map[string]any)["interaction"] != float64(1) {
			t.Fatalf("unread: %s", u)
		}
		top := w.want(w.as(ordCustomer, "GET", "/v1/me/inbox?sort=importance&limit=100", nil), 200)
		n := 0
		for _, it := range top.Items() {
			if it["kind"] == "chat.message" {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("importance sort lists the conversation %d times", n)
		}
		w.want(w.as(ordCustomer, "POST", "/v1/conversations/"+conv+"/read", map[string]any{}), 200)
		if u := w.want(w.as(ordCustomer, "GET", "/v1/me/inbox/unread", nil), 200); u.JSON["by_category"].(map[string]any)["interaction"] != float64(0) {
			t.Fatalf("unread after reading the conversation: %s", u)
		}

		// Muted: the entry updates, nothing is pushed.
		w.want(w.as(ordCustomer, "PUT", "/v1/conversations/"+conv+"/mute", map[string]any{"muted": true}), 200)
		w.want(w.send(ordW1, conv, "w-m", "打扫完了"), 201)
		adv(2 * time.Minute)
		runDue(t, w.s)
		if len(pushes()) != 2 {
			t.Fatal("a muted conversation was pushed")
		}
		r = w.want(w.as(ordCustomer, "GET", "/v1/me/inbox?category=interaction", nil), 200)
		if items := r.Items(); len(items) != 1 || items[0]["body"] != "打扫完了" || items[0]["alert"] != "badge" {
			t.Fatalf("muted entry: %s", r)
		}
	})
}

// I1, X5, X4: contact details are masked before the text is stored, the sender is told why in
// their language, and only operators see the original — each of their reads in the order's
// audit trail.
func TestI1MaskedContactsAndOperatorReadsAudited(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		orderID := w.bookAccepted(ordT0.Add(48 * time.Hour))
		conv := w.conversationOf(ordCustomer, orderID)
		r := w.want(w.send(ordCustomer, conv, "c-1", "有事打我电话 138 0013 8000，加微信 linxiao_88"), 201)
		notice, _ := r.JSON["masked"].(map[string]any)
		if notice == nil || notice["code"] != "contact_masked" || notice["message"] == "" {
			t.Fatalf("no masked notice: %s", r)
		}
		msg := r.JSON["message"].(map[string]any)
		text, _ := msg["text"].(string)
		if msg["original"] != nil || containsAny(text, "0013 8000", "linxiao_88") {
			t.Fatalf("the sender's answer shows contact details: %s", r)
		}
		for _, who := range []string{ordW1, ordCustomer} {
			body := string(w.want(w.as(who, "GET", "/v1/conversations/"+conv+"/messages", nil), 200).Body)
			if containsAny(body, "0013 8000", "linxiao_88") {
				t.Fatalf("%s reads contact details: %s", who, body)
			}
		}
		// The English-speaking worker would be told in English.
		w.want(w.as(ordOp1, "POST", "/v1/orders/"+orderID+"/assign", map[string]any{"worker_id": ordW2, "reason": "调班"}), 200)
		r = w.want(w.send(ordW2, conv, "z-1", "my email is zhao.master@163.com"), 201)
		if n, _ := r.JSON["masked"].(map[string]any); n == nil || !containsAny(n["message"].(string), "hidden") {
			t.Fatalf("English notice: %s", r)
		}

		// The operator reads the originals; the read is audited in the order's timeline.
		op := w.want(w.as(ordOp1, "GET", "/v1/conversations/"+conv+"/messages", nil), 200)
		if !containsAny(string(op.Body), "linxiao_88") || !containsAny(string(op.Body), "zhao.master@163.com") {
			t.Fatalf("operator does not see originals: %s", op)
		}
		if r := w.send(ordOp1, conv, "o-1", "运营介入"); r.Status != 403 {
			t.Fatalf("operator writing: %s", r)
		}
		tl := w.want(w.as(ordOp1, "GET", "/v1/orders/"+orderID+"/timeline", nil), 200)
		found := false
		for _, it := range tl.JSON["items"].([]any) {
			e := it.(map[string]any)
			if e["event"] == "conversation_viewed" && e["actor_id"] == ordOp1 {
				d := e["details"].(map[string]any)
				found = d["originals_shown"] == float64(2) && d["conversation_id"] == conv
			}
		}
		if !found {
			t.Fatalf("no audited operator read in the timeline: %s", tl)
		}
	})
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// I1 images: a message carries only its sender's uploads; the files it shows are readable by
// the conversation's current members (and operators, for disputes) and nobody else — a worker
// removed from the order loses the image and its thumbnail in the commit that removes them.
func TestI1ImagesFollowMembership(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		other := w.s.AddPerson(model.Person{ID: "c-other", Role: model.RoleCustomer, Name: "路人甲"})
		orderID := w.bookAccepted(ordT0.Add(48 * time.Hour))
		conv := w.conversationOf(ordCustomer, orderID)
		mine := uploadPNG(t, w.s, w.tok(ordCustomer), 210)
		theirs := uploadPNG(t, w.s, other, 80)
		path := "/v1/conversations/" + conv + "/messages"
		wantFields(t, w.as(ordCustomer, "POST", path, map[string]any{"client_id": "c-x", "file_ids": []string{theirs}}), "file_ids")
		wantFields(t, w.as(ordCustomer, "POST", path, map[string]any{"client_id": "c-y", "file_ids": []string{"no-such-file"}}), "file_ids")
		read := func(who, tok string, want int) {
			t.Helper()
			for _, p := range []string{"/v1/files/" + mine, "/v1/files/" + mine + "/thumbnail"} {
				if got := w.s.Do("GET", p, tok, nil); got.Status != want {
					t.Errorf("%s GET %s → %d, want %d", who, p, got.Status, want)
				}
			}
		}
		// Uploaded but not sent: only its uploader sees it.
		read("worker before the message", w.tok(ordW1), 404)
		r := w.want(w.as(ordCustomer, "POST", path, map[string]any{"client_id": "c-1", "text": "水管这里漏水", "file_ids": []string{mine}}), 201)
		m, _ := r.JSON["message"].(map[string]any)
		if ids, _ := m["file_ids"].([]any); len(ids) != 1 || ids[0] != mine {
			t.Fatalf("message: %s", r)
		}
		// An image alone, without text, is a message too.
		w.want(w.as(ordCustomer, "POST", path, map[string]any{"client_id": "c-2", "file_ids": []string{mine}}), 201)
		read("customer", w.tok(ordCustomer), 200)
		read("worker", w.tok(ordW1), 200)
		read("operator", w.tok(ordOp1), 200)
		read("another worker", w.tok(ordW2), 404)
		read("another customer", other, 404)

		w.want(w.as(ordOp1, "POST", "/v1/orders/"+orderID+"/assign", map[string]any{"worker_id": ordW2, "reason": "王阿姨生病"}), 200)
		read("removed worker", w.tok(ordW1), 404)
		read("new worker", w.tok(ordW2), 200)
		read("customer after the change", w.tok(ordCustomer), 200)
	})
}

// I1: typing is passed on at most once a second per person and conversation; posts in between
// are answered 204 but tell nobody.
func TestI1TypingRateLimited(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		orderID := w.bookAccepted(ordT0.Add(48 * time.Hour))
		conv := w.conversationOf(ordCustomer, orderID)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cs := w.stream(ctx, ordCustomer, -1)
		typings := func(until string) int {
			t.Helper()
			n := 0
			for {
				ev, err := cs.next(ctx)
				if err != nil {
					t.Fatalf("stream: %v", err)
				}
				switch ev.Type {
				case model.EventTyping:
					n++
				case model.EventMessage:
					var m struct {
						Message model.Message `json:"message"`
					}
					_ = json.Unmarshal(ev.Data, &m)
					if m.Message.Text == until {
						return n
					}
				}
			}
		}
		for i := 0; i < 5; i++ {
			w.want(w.as(ordW1, "POST", "/v1/conversations/"+conv+"/typing", nil), 204)
		}
		w.want(w.send(ordW1, conv, "w-1", "one"), 201)
		if n := typings("one"); n != 1 {
			t.Fatalf("5 typing posts within a second gave %d frames, want 1", n)
		}
		w.clk.Add(1100 * time.Millisecond)
		w.want(w.as(ordW1, "POST", "/v1/conversations/"+conv+"/typing", nil), 204)
		w.want(w.as(ordW1, "POST", "/v1/conversations/"+conv+"/typing", nil), 204)
		w.want(w.send(ordW1, conv, "w-2", "two"), 201)
		if n := typings("two"); n != 1 {
			t.Fatalf("typing a second later gave %d frames, want 1", n)
		}
	})
}

// I1: the conversation list shows each conversation exactly as opening it does — members and
// their read positions, unread count, whether and until when it takes messages — for open,
// completed, cancelled-and-closed and worker-less orders (the list builds a page's views with one
// query per kind of data, the single view the same way).
func TestI1ConversationListMatchesEachConversation(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		open := w.bookAccepted(ordT0.Add(48 * time.Hour))
		done := w.bookAccepted(ordT0.Add(3 * time.Hour))
		gone := w.bookAccepted(ordT0.Add(72 * time.Hour))
		left := w.bookAccepted(ordT0.Add(96 * time.Hour))
		for i, o := range []string{open, done, gone, left} {
			conv := w.conversationOf(ordCustomer, o)
			w.want(w.send(ordW1, conv, fmt.Sprintf("w-%d", i), "您好"), 201)
			w.want(w.send(ordW1, conv, fmt.Sprintf("w-%d-b", i), "明天见"), 201)
			if i%2 == 0 {
				w.want(w.as(ordCustomer, "POST", "/v1/conversations/"+conv+"/read", map[string]any{"seq": 1}), 200)
			}
		}
		w.clk.Add(3 * time.Hour)
		w.startAs(ordW1, done)
		w.want(w.as(ordW1, "POST", "/v1/orders/"+done+"/complete", nil), 200)
		w.want(w.as(ordCustomer, "POST", "/v1/orders/"+gone+"/cancel", map[string]any{"reason": "出差"}), 200)
		w.want(w.as(ordW1, "POST", "/v1/orders/"+left+"/worker-changes", map[string]any{"reason": "家里有事"}), 201)
		w.clk.Add(25 * time.Hour)

		list := w.want(w.as(ordCustomer, "GET", "/v1/me/conversations", nil), 200)
		if len(list.Items()) != 4 {
			t.Fatalf("list: %s", list)
		}
		states := map[string]string{}
		for _, it := range list.Items() {
			id, _ := it["id"].(string)
			one := w.want(w.as(ordCustomer, "GET", "/v1/conversations/"+id, nil), 200)
			got, _ := json.Marshal(it)
			want, _ := json.Marshal(one.JSON)
			if string(got) != string(want) {
				t.Errorf("conversation %s in the list:\n%s\nopened:\n%s", id, got, want)
			}
			states[fmt.Sprint(it["order_id"])] = fmt.Sprintf("writable=%v until=%v unread=%v", it["writable"], it["writable_until"] != nil, it["unread"])
		}
		for o, want := range map[string]string{open: "writable=true until=false unread=1", done: "writable=true until=true unread=2",
			gone: "writable=false until=true unread=1", left: "writable=false until=false unread=2"} {
			if states[o] != want {
				t.Errorf("order %s: %s, want %s", o, states[o], want)
			}
		}
	})
}

// I1: an open chat posts a read position for each arriving message and typing every few seconds;
// neither uses up the person's creating bucket, so a lively chat is never refused with 429 while
// messages themselves stay limited like other creating requests.
func TestI1ChatReadAndTypingOutsideTheCreatingBucket(t *testing.T) {
	t.Parallel()
	w := relWorld(t, storetest.SQLitePath(t), func(c *config.Config) {
		c.RateCreatePerMinute, c.RateCreateBurst = 6, 6 // booking takes one
		c.RateNotifyPerMinute, c.RateNotifyBurst = 2, 1
	})
	orderID := w.book(ordT0.Add(48 * time.Hour))
	w.want(w.as(ordW1, "POST", "/v1/orders/"+orderID+"/accept", nil), 200)
	conv := w.conversationOf(ordCustomer, orderID)
	for i := 0; i < 20; i++ {
		w.want(w.as(ordCustomer, "POST", "/v1/conversations/"+conv+"/typing", nil), 204)
		w.want(w.as(ordCustomer, "POST", "/v1/conversations/"+conv+"/read", map[string]any{}), 200)
	}
	for i := 0; i < 5; i++ {
		w.want(w.send(ordCustomer, conv, fmt.Sprint("c-", i), "好的"), 201)
	}
	relProblem(t, w.send(ordCustomer, conv, "c-5", "还有一条"), 429, model.CodeRateLimited)
}
