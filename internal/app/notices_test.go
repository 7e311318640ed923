package app_test

// Notices that must land (Y1): read-by deadlines, the ordered fall-back chain, acknowledgement,
// delivery receipts and SOS — whole flows over HTTP with the injected clock, on both stores.

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/deliver/webhook"
	"github.com/homebell/homebell/internal/deliver/webpush/webpushtest"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store/storetest"
)

// runAll runs due jobs until none is left (a step enqueues its send jobs, due now).
func (w *world) runAll() {
	w.t.Helper()
	for range 10 {
		if w.s.RunJobs(w.t) == 0 {
			return
		}
	}
}

// trail is the order's audit trail entries of notice steps for a recipient, as "step event".
func (w *world) trail(orderID, recipientID string) []string {
	w.t.Helper()
	r := w.want(w.as(ordOp1, "GET", "/v1/orders/"+orderID+"/timeline", nil), 200)
	var out []string
	for _, it := range r.Items() {
		if it["type"] == "notice_step" && it["recipient_id"] == recipientID {
			out = append(out, it["step"].(string)+" "+it["event"].(string))
		}
	}
	return out
}

func wantTrail(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Fatalf("audit trail of the notice:\n got %q\nwant %q", got, want)
	}
}

// Y1: a time change the worker must answer is unread at its deadline (30 min): it goes out by
// Web Push, 30 min later to the gateway marked app_push, and the moment the worker reads it on
// another device the rest of the chain is cancelled — the operators are never told. Each step
// is in the order's audit trail.
func TestY1ChainEscalatesStepByStepAndStopsWhenRead(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		g := newGateway(t, w.clk, 200)
		g.register(t, w.s, w.key, []string{notify.KindChangeRequested})
		vapid := w.as(ordW1, "GET", "/v1/push/vapid-public-key", nil).Str("public_key")
		b := webpushtest.NewBrowser(t)
		ps := webpushtest.NewPushService(t, vapid, b)
		w.want(subscribe(t, w.s, w.tok(ordW1), ps.URL()+"/push/phone", b), 201)

		order := w.bookAccepted(ordT0.Add(48 * time.Hour))
		w.want(w.as(ordCustomer, "POST", "/v1/orders/"+order+"/time-changes", map[string]any{
			"new_time": ordT0.Add(50 * time.Hour).Format(time.RFC3339), "reason": "临时出差"}), 201)
		w.runAll()
		n := w.one(ordW1, notify.KindChangeRequested, order)
		pushes, hooks := len(ps.Received()), len(g.requests()) // the first telling
		if pushes != 1 || hooks != 1 || g.requests()[0].body.Escalation != "" {
			t.Fatalf("first telling: %d pushes, %d webhooks %+v; want 1 each, no escalation", pushes, hooks, g.requests())
		}
		wantTrail(t, w.trail(order, ordW1), "inapp sent")

		w.clk.Add(29 * time.Minute)
		w.runAll()
		if len(ps.Received()) != pushes {
			t.Fatal("a step ran before the deadline")
		}
		w.clk.Add(time.Minute) // the deadline
		w.runAll()
		if len(ps.Received()) != pushes+1 || len(g.requests()) != hooks {
			t.Fatalf("at the deadline: %d pushes, %d webhooks; want the Web Push step only", len(ps.Received()), len(g.requests()))
		}
		wantTrail(t, w.trail(order, ordW1), "inapp sent", "webpush sent")
		board := w.want(w.as(ordOp1, "GET", "/v1/admin/escalations", nil), 200).Items()
		if len(board) != 1 || board[0]["notification_id"] != n.ID || board[0]["at_step"] != "webpush" {
			t.Fatalf("escalations board: %v", board)
		}

		w.clk.Add(30 * time.Minute)
		w.runAll()
		reqs := g.requests()
		if len(reqs) != hooks+1 || reqs[hooks].body.Escalation != model.EscalationAppPush || reqs[hooks].body.Step != 2 ||
			reqs[hooks].body.Notification.ID != n.ID || reqs[hooks].verify != nil {
			t.Fatalf("gateway step: %+v", reqs)
		}
		wantTrail(t, w.trail(order, ordW1), "inapp sent", "webpush sent", "gateway sent")

		// Read on another device: the operators' step is cancelled at once.
		if r := w.want(w.as(ordW1, "POST", "/v1/me/inbox/read", map[string]any{"ids": []string{n.ID}}), 200); r.JSON["marked"] != 1.0 {
			t.Fatalf("read: %s", r)
		}
		if board := w.want(w.as(ordOp1, "GET", "/v1/admin/escalations", nil), 200).Items(); len(board) != 0 {
			t.Fatalf("a read notice is still on the board: %v", board)
		}
		w.clk.Add(2 * time.Hour)
		w.runAll()
		w.none(ordOp1, notify.KindNoticeUnread)
		if len(ps.Received()) != pushes+1 || len(g.requests()) != hooks+1 {
			t.Fatal("the chain went on after the notice was read")
		}
		wantTrail(t, w.trail(order, ordW1), "inapp sent", "webpush sent", "gateway sent", "gateway read")
	})
}

// Y1: a worker's new assignment counts as unread until acknowledged: opening it does not stop
// the chain; steps with nowhere to go (no browser, no gateway) hand over at once, so the
// operators are told; "收到" on the order page ends it and clears the board.
func TestY1AssignmentNeedsAcknowledgement(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		order := w.book(ordT0.Add(48 * time.Hour))
		w.want(w.as(ordOp1, "POST", "/v1/orders/"+order+"/assign", map[string]any{"worker_id": ordW2}), 200)
		n := w.one(ordW2, notify.KindOrderAssigned, order)
		d := ordData(t, n)
		if d["ack_required"] != true || !strings.Contains(string(n.Data), `"type":"acknowledge"`) {
			t.Fatalf("an assignment must ask for an acknowledgement: %s", n.Data)
		}
		w.want(w.as(ordW2, "POST", "/v1/me/inbox/read", map[string]any{"ids": []string{n.ID}}), 200)
		w.clk.Add(15 * time.Minute)
		w.runAll()
		op := w.one(ordOp1, notify.KindNoticeUnread, order)
		if !strings.Contains(op.Body, "赵师傅") || !strings.Contains(op.Body, "确认") {
			t.Fatalf("operators' notice: %s / %s", op.Title, op.Body)
		}
		w.one(ordOp2, notify.KindNoticeUnread, order)
		wantTrail(t, w.trail(order, ordW2), "inapp sent", "webpush skipped", "gateway skipped", "operators sent")
		board := w.want(w.as(ordOp1, "GET", "/v1/admin/escalations", nil), 200).Items()
		if len(board) != 1 || board[0]["at_step"] != "operators" || board[0]["recipient_name"] != "赵师傅" {
			t.Fatalf("board: %v", board)
		}
		// Another worker cannot acknowledge for them; the worker acknowledges from the order.
		if r := w.want(w.as(ordW1, "POST", "/v1/me/inbox/"+n.ID+"/acknowledge", nil), 404); r.Code() != "not_found" {
			t.Fatal(r)
		}
		r := w.want(w.as(ordW2, "POST", "/v1/orders/"+order+"/acknowledge", nil), 200)
		if ids := r.JSON["ids"].([]any); len(ids) != 1 || ids[0] != n.ID {
			t.Fatalf("acknowledged: %s", r)
		}
		if r := w.want(w.as(ordW2, "POST", "/v1/me/inbox/"+n.ID+"/acknowledge", nil), 200); len(r.JSON["ids"].([]any)) != 0 {
			t.Fatalf("acknowledging twice: %s", r)
		}
		if board := w.want(w.as(ordOp1, "GET", "/v1/admin/escalations", nil), 200).Items(); len(board) != 0 {
			t.Fatalf("board after the acknowledgement: %v", board)
		}
		if d := ordData(t, w.one(ordW2, notify.KindOrderAssigned, order)); d["acknowledged_at"] == nil {
			t.Fatal("the notice does not say it was acknowledged")
		}
		wantTrail(t, w.trail(order, ordW2), "inapp sent", "webpush skipped", "gateway skipped", "operators sent", "operators acknowledged")
	})
}

// Y1: the gateway's signed receipts move the chain: failed runs the next step at once, read
// stops it; an unsigned or wrongly signed receipt is refused and changes nothing.
func TestY1ReceiptsMoveTheChain(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		g := newGateway(t, w.clk, 200)
		g.register(t, w.s, w.key, []string{notify.KindOrderAssigned})
		order := w.book(ordT0.Add(48 * time.Hour))
		w.want(w.as(ordOp1, "POST", "/v1/orders/"+order+"/assign", map[string]any{"worker_id": ordW1}), 200)
		w.runAll()
		w.clk.Add(15 * time.Minute)
		w.runAll() // no browser: straight to the gateway, marked sms
		reqs := g.requests()
		if len(reqs) != 2 || reqs[1].body.Escalation != model.EscalationSMS {
			t.Fatalf("gateway: %+v", reqs)
		}
		w.none(ordOp1, notify.KindNoticeUnread)
		receipt := func(secret []byte, status string) *http.Response {
			body, _ := json.Marshal(map[string]string{"delivery_id": reqs[1].body.DeliveryID, "status": status})
			req, _ := http.NewRequest("POST", w.s.URL+"/v1/deliveries/receipts", strings.NewReader(string(body)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(webhook.HeaderID, "r-"+status)
			req.Header.Set(webhook.HeaderTimestamp, strconvUnix(w.clk.Now()))
			req.Header.Set(webhook.HeaderSignature, webhook.Sign(secret, "r-"+status, w.clk.Now(), body))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res
		}
		if res := receipt([]byte("not-the-endpoint-secret-0123456789"), "failed"); res.StatusCode != 401 {
			t.Fatalf("a forged receipt: %d", res.StatusCode)
		}
		w.runAll()
		w.none(ordOp1, notify.KindNoticeUnread)
		if res := receipt(g.secret, "delivered"); res.StatusCode != 200 {
			t.Fatalf("delivered: %d", res.StatusCode)
		}
		if res := receipt(g.secret, "failed"); res.StatusCode != 200 {
			t.Fatalf("failed: %d", res.StatusCode)
		}
		w.runAll() // no clock move: the failed step hands over at once
		w.one(ordOp1, notify.KindNoticeUnread, order)
		ds := deliveries(t, w.s, w.tok(ordOp1), "order_id="+order)
		var found bool
		for _, d := range ds {
			found = found || (d.ID == reqs[1].body.DeliveryID && d.Receipt == "failed" && d.Step == 2)
		}
		if !found {
			t.Fatalf("the delivery log does not show the receipt: %+v", ds)
		}
		wantTrail(t, w.trail(order, ordW1), "inapp sent", "webpush skipped", "gateway sent", "gateway receipt", "gateway receipt",
			"gateway failed", "operators sent")
	})
}

// Y1: an SOS from an order pages every operator at once — outside their receiving window too —
// and again every 2 minutes until one acknowledges; then paging stops and the raiser is told.
func TestY1SOSRepeatsUntilAcknowledged(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		order := w.bookAccepted(ordT0.Add(3 * time.Hour))
		// op2 takes alerts 22:00–23:00 only: an SOS is urgent all the same.
		w.want(w.as(ordOp2, "PUT", "/v1/me/preferences", map[string]any{"window": map[string]string{"start": "22:00", "end": "23:00"}}), 200)
		if r := w.as(ordW2, "POST", "/v1/orders/"+order+"/sos", map[string]any{"text": "?"}); r.Status != 404 {
			t.Fatalf("a stranger's SOS: %s", r)
		}
		sos := w.want(w.as(ordCustomer, "POST", "/v1/orders/"+order+"/sos", map[string]any{"text": "服务人员受伤了"}), 201)
		for _, op := range []string{ordOp1, ordOp2} {
			ns := w.inbox(op, notify.KindSOS)
			if len(ns) != 1 || ns[0].Importance != "critical" || ns[0].Alert != "sound" || !strings.Contains(ns[0].Body, "服务人员受伤了") {
				t.Fatalf("%s: %+v", op, ns)
			}
		}
		w.clk.Add(2 * time.Minute)
		w.runAll()
		w.clk.Add(2 * time.Minute)
		w.runAll()
		if ns := w.inbox(ordOp1, notify.KindSOS); len(ns) != 3 || !strings.Contains(ns[2].Title, "第 3 次") {
			t.Fatalf("pages: %+v", ns)
		}
		board := w.want(w.as(ordOp1, "GET", "/v1/admin/escalations", nil), 200)
		if open := board.JSON["sos"].([]any); len(open) != 1 {
			t.Fatalf("open SOS: %s", board)
		}
		w.want(w.as(ordOp2, "POST", "/v1/sos/"+sos.Str("id")+"/acknowledge", nil), 200)
		w.clk.Add(10 * time.Minute)
		w.runAll()
		if ns := w.inbox(ordOp1, notify.KindSOS); len(ns) != 3 {
			t.Fatalf("paging went on after the acknowledgement: %d pages", len(ns))
		}
		told := w.one(ordCustomer, notify.KindSOSAcknowledged, order)
		if !strings.Contains(told.Body, "运营钱主管") {
			t.Fatal(told.Body)
		}
		if r := w.want(w.as(ordOp1, "POST", "/v1/sos/"+sos.Str("id")+"/acknowledge", nil), 200); r.Str("acknowledged_by") != ordOp2 {
			t.Fatalf("the second acknowledgement: %s", r)
		}
		if open := w.want(w.as(ordOp1, "GET", "/v1/admin/escalations", nil), 200).JSON["sos"].([]any); len(open) != 0 {
			t.Fatalf("open SOS after the acknowledgement: %v", open)
		}
	})
}

// Y1: operators set a kind's deadline and chain; a step list is data (an unknown step refused).
func TestY1OperatorsSetDeadlinesAndChains(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		r := w.want(w.as(ordOp1, "GET", "/v1/admin/notice-chains", nil), 200)
		var got struct {
			Rules []model.ChainRule `json:"rules"`
			Steps []string          `json:"steps"`
		}
		r.Decode(t, &got)
		var assigned model.ChainRule
		for _, rl := range got.Rules {
			if rl.Kind == notify.KindOrderAssigned {
				assigned = rl
			}
		}
		if assigned.ReadByMinutes != 15 || !assigned.Acknowledge || strings.Join(assigned.Steps, ",") != "webpush,gateway,operators" {
			t.Fatalf("catalogue default: %+v", assigned)
		}
		if r := w.as(ordOp1, "PUT", "/v1/admin/notice-chains", map[string]any{"rules": []map[string]any{
			{"kind": notify.KindOrderAssigned, "read_by_minutes": 5, "steps": []string{"fax"}}}}); r.Status != 400 {
			t.Fatalf("an unknown step: %s", r)
		}
		w.want(w.as(ordOp1, "PUT", "/v1/admin/notice-chains", map[string]any{"rules": []map[string]any{
			{"kind": notify.KindOrderAssigned, "read_by_minutes": 5, "steps": []string{"operators"}}}}), 200)
		order := w.book(ordT0.Add(48 * time.Hour))
		w.want(w.as(ordOp1, "POST", "/v1/orders/"+order+"/assign", map[string]any{"worker_id": ordW1}), 200)
		w.clk.Add(5 * time.Minute)
		w.runAll()
		w.one(ordOp1, notify.KindNoticeUnread, order)
		wantTrail(t, w.trail(order, ordW1), "inapp sent", "operators sent")
	})
}

// Y1: a deadline never falls after the notice stops mattering: an assignment half an hour before
// the appointment squeezes its three 15-minute steps into that half hour.
func TestY1DeadlineBeforeTheAppointment(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		order := w.book(ordT0.Add(30 * time.Minute))
		w.want(w.as(ordOp1, "POST", "/v1/orders/"+order+"/assign", map[string]any{"worker_id": ordW1}), 200)
		n := w.one(ordW1, notify.KindOrderAssigned, order)
		w.clk.Add(9 * time.Minute)
		w.runAll()
		w.none(ordOp1, notify.KindNoticeUnread)
		w.clk.Add(time.Minute) // 30 min / 3 steps
		w.runAll()
		w.one(ordOp1, notify.KindNoticeUnread, order)
		board := w.want(w.as(ordOp1, "GET", "/v1/admin/escalations", nil), 200).Items()
		if len(board) != 1 || board[0]["notification_id"] != n.ID || board[0]["deadline_at"] != model.FormatTime(ordT0.Add(10*time.Minute)) {
			t.Fatalf("board: %v", board)
		}
	})
}

func strconvUnix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
