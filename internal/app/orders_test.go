package app_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/booking"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store/storetest"
	"github.com/homebell/homebell/internal/testkit"
)

func TestN1AcceptTellsCustomerWorkerCard(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		at := ordT0.Add(48 * time.Hour)
		id := w.book(at)
		open := w.want(w.as(ordW1, "GET", "/v1/orders/open", nil), 200)
		if items := open.Items(); len(items) != 1 || items[0]["id"] != id {
			t.Fatalf("open orders: %s", open)
		}
		r := w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/accept", nil), 200)
		if r.Str("status") != "accepted" || r.Str("worker_id") != ordW1 {
			t.Fatalf("accept: %s", r)
		}
		n := w.one(ordCustomer, notify.KindOrderAccepted, id)
		ordContains(t, "body", n.Body, "王阿姨", "日常保洁", "3月3日", "09:00", "十年保洁经验")
		card, _ := ordData(t, n)["worker"].(map[string]any)
		if card["name"] != "王阿姨" || card["avatar_url"] != "/avatars/w-wang.svg" || card["bio"] != "十年保洁经验" {
			t.Errorf("worker card in data: %v", card)
		}
		if ordData(t, n)["appointment_at"] != model.FormatTime(at) {
			t.Errorf("appointment in data: %v", ordData(t, n)["appointment_at"])
		}
		// The worker who accepted is not told they accepted.
		if got := w.inbox(ordW1, ""); len(got) != 0 {
			t.Errorf("the accepting worker got %d notifications", len(got))
		}
		// The worker sees the customer's name and avatar, never the phone (X5).
		g := w.want(w.as(ordW1, "GET", "/v1/orders/"+id, nil), 200)
		if strings.Contains(string(g.Body), "13800000001") {
			t.Errorf("the worker sees the customer's phone: %s", g.Body)
		}
		cust, _ := g.JSON["customer"].(map[string]any)
		if cust["name"] != "林晓" || cust["avatar_url"] == nil {
			t.Errorf("customer card: %v", cust)
		}
		item, _ := g.JSON["item"].(map[string]any)
		if name, _ := item["name"].(map[string]any); name["en"] != "Daily cleaning" || name["zh-CN"] != "日常保洁" {
			t.Errorf("item: %v", item)
		}
		// Now nobody else may accept, and it is no longer open.
		wantProblem(t, w.as(ordW2, "POST", "/v1/orders/"+id+"/accept", nil), 409, model.CodeConflict)
		if items := w.as(ordW2, "GET", "/v1/orders/open", nil).Items(); len(items) != 0 {
			t.Errorf("still open: %v", items)
		}
		wantProblem(t, w.as(ordW2, "GET", "/v1/orders/"+id, nil), 404, model.CodeNotFound)
		// Lists: the customer sees it, the worker sees their own, an operator all.
		for _, who := range []string{ordCustomer, ordW1, ordOp1, "platform"} {
			if items := w.want(w.as(who, "GET", "/v1/orders", nil), 200).Items(); len(items) != 1 {
				t.Errorf("%s lists %d orders", who, len(items))
			}
		}
		if items := w.as(ordW2, "GET", "/v1/orders", nil).Items(); len(items) != 0 {
			t.Errorf("another worker lists %d orders", len(items))
		}
	})
}

func TestN2ReminderFollowsReschedule(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		// Operators set 45 minutes for this item (and keep 30 for others).
		p := w.want(w.as(ordOp1, "PUT", "/v1/admin/policies", map[string]any{"reminder_lead_by_item": map[string]int{ordItem: 45}}), 200)
		if p.JSON["reminder_lead_minutes"] != float64(30) {
			t.Fatalf("policy: %s", p)
		}
		wantProblem(t, w.as(ordCustomer, "GET", "/v1/admin/policies", nil), 403, model.CodeForbidden)
		wantProblem(t, w.as(ordW1, "PUT", "/v1/admin/policies", map[string]any{"reminder_lead_minutes": 5}), 403, model.CodeForbidden)
		wantProblem(t, w.as(ordOp1, "PUT", "/v1/admin/policies", map[string]any{"reminder_lead_minutes": 0}), 400, model.CodeInvalid)
		wantProblem(t, w.as(ordCustomer, "GET", "/v1/approvals", nil), 403, model.CodeForbidden)
		a := ordT0.Add(48 * time.Hour)
		id := w.bookAccepted(a)
		j, pl := w.reminder(id, "customer")
		if !j.RunAt.Equal(a.Add(-45*time.Minute)) || pl.WorkerID != ordW1 || j.State != model.JobScheduled {
			t.Fatalf("reminder %+v %+v, want at %s", j, pl, a.Add(-45*time.Minute))
		}
		// E1 moves it a day later.
		b := a.Add(24 * time.Hour)
		c := w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/time-changes", map[string]any{"new_time": b.Format(time.RFC3339), "reason": "堵车"}), 201)
		w.want(w.as(ordCustomer, "POST", "/v1/orders/"+id+"/time-changes/"+c.Str("id")+"/accept", nil), 200)
		for _, aud := range []string{"customer", "worker"} {
			j, pl := w.reminder(id, aud)
			if !j.RunAt.Equal(b.Add(-45*time.Minute)) || !pl.AppointmentAt.Equal(b) {
				t.Fatalf("%s reminder after the change: %+v %+v", aud, j, pl)
			}
		}
		// At the old reminder time nothing is due and nothing is told.
		w.clk.Set(a.Add(-40 * time.Minute))
		w.s.RunJobs(t)
		w.none(ordCustomer, notify.KindServiceStartingSoon)
		w.clk.Set(b.Add(-44 * time.Minute))
		if n := w.s.RunJobs(t); n != 2 {
			t.Fatalf("ran %d jobs at the new reminder time, want 2", n)
		}
		n := w.one(ordCustomer, notify.KindServiceStartingSoon, id)
		ordContains(t, "customer reminder", n.Body, "王阿姨", "3月4日")
		wn := w.one(ordW1, notify.KindServiceStartingSoon, id)
		ordContains(t, "worker reminder", wn.Body, "浦东新区 XX 路 12 号")
		// A re-run of the same reminder does not tell twice.
		w.want(w.as("platform", "PUT", "/v1/admin/policies", map[string]any{"reminder_lead_minutes": 30}), 200)
		if err := w.s.App.Booking.RunReminder(t.Context(), w.job(booking.ReminderKey(id, "customer"))); err != nil {
			t.Fatal(err)
		}
		w.one(ordCustomer, notify.KindServiceStartingSoon, id)
	})
}

func TestN2ReminderRemovedByCancellation(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		a := ordT0.Add(48 * time.Hour)
		id := w.bookAccepted(a)
		w.want(w.as(ordCustomer, "POST", "/v1/orders/"+id+"/cancel", map[string]any{"reason": "行程有变"}), 200)
		for _, aud := range []string{"customer", "worker"} {
			if j, _ := w.reminder(id, aud); j.State != model.JobCancelled {
				t.Errorf("%s reminder is %s after cancellation", aud, j.State)
			}
		}
		w.clk.Set(a.Add(-10 * time.Minute))
		w.s.RunJobs(t)
		w.none(ordCustomer, notify.KindServiceStartingSoon)
		w.none(ordW1, notify.KindServiceStartingSoon)
	})
}

func TestN2ReminderRetargetedByWorkerChange(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		a := ordT0.Add(48 * time.Hour)
		id := w.bookAccepted(a)
		w.want(w.as(ordOp1, "POST", "/v1/orders/"+id+"/assign", map[string]any{"worker_id": ordW2, "reason": "客户要求"}), 200)
		if _, pl := w.reminder(id, "worker"); pl.WorkerID != ordW2 {
			t.Fatalf("worker reminder targets %s", pl.WorkerID)
		}
		w.clk.Set(a.Add(-29 * time.Minute))
		w.s.RunJobs(t)
		n := w.one(ordW2, notify.KindServiceStartingSoon, id)
		ordContains(t, "new worker's reminder (en)", n.Body, "Daily cleaning", "starts at")
		w.none(ordW1, notify.KindServiceStartingSoon)
		ordContains(t, "customer's reminder", w.one(ordCustomer, notify.KindServiceStartingSoon, id).Body, "赵师傅")
	})
}

func TestN2ReminderFiresOnceAfterRestart(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		clk := testkit.NewClock(ordT0)
		w1 := newOrdWorld(t, dsn, clk)
		past := w1.bookAccepted(ordT0.Add(2 * time.Hour))  // its appointment passes while the node is down
		later := w1.bookAccepted(ordT0.Add(4 * time.Hour)) // its reminder falls due while the node is down
		if err := w1.s.Stop(); err != nil {
			t.Fatal(err)
		}
		clk.Set(ordT0.Add(3*time.Hour + 45*time.Minute))
		w := newWorld(t, dsn, worldOptions{Clock: clk}) // the same store: the cast is there
		w.s.RunJobs(t)
		w.one(ordCustomer, notify.KindServiceStartingSoon, later)
		w.one(ordW1, notify.KindServiceStartingSoon, later)
		for _, n := range w.inbox(ordCustomer, notify.KindServiceStartingSoon) {
			if n.OrderID == past {
				t.Fatalf("a reminder was sent after its appointment: %+v", n)
			}
		}
		for _, aud := range []string{"customer", "worker"} {
			if j, _ := w.reminder(later, aud); j.State != model.JobDone || j.Attempts != 1 {
				t.Errorf("%s reminder: %s after %d attempts", aud, j.State, j.Attempts)
			}
		}
		clk.Add(5 * time.Minute)
		w.s.RunJobs(t) // (off-app deliveries of the reminders run here)
		if got := len(w.inbox(ordCustomer, notify.KindServiceStartingSoon)); got != 1 {
			t.Errorf("customer has %d reminders, want 1", got)
		}
	})
}

func TestN3CompletionInvitesReview(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		id := w.bookAccepted(ordSoon)
		wantProblem(t, w.as(ordW1, "POST", "/v1/orders/"+id+"/complete", nil), 409, model.CodeInvalidTransition)
		wantProblem(t, w.as(ordW2, "POST", "/v1/orders/"+id+"/start", nil), 404, model.CodeNotFound)
		wantProblem(t, w.as(ordCustomer, "POST", "/v1/orders/"+id+"/start", nil), 403, model.CodeForbidden)
		w.startAs(ordW1, id)
		w.one(ordCustomer, notify.KindServiceStarted, id)
		r := w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/complete", nil), 200)
		if r.Str("status") != "completed" {
			t.Fatalf("complete: %s", r)
		}
		n := w.one(ordCustomer, notify.KindServiceCompleted, id)
		ordContains(t, "body", n.Body, "王阿姨", "评价")
		acts, _ := ordData(t, n)["actions"].([]any)
		if len(acts) != 1 || fmt.Sprint(acts[0]) != fmt.Sprint(map[string]any{"type": "review", "order_id": id}) {
			t.Errorf("actions: %v", acts)
		}
		// Completed is final.
		wantProblem(t, w.as(ordW1, "POST", "/v1/orders/"+id+"/complete", nil), 409, model.CodeInvalidTransition)
		wantProblem(t, w.as(ordCustomer, "POST", "/v1/orders/"+id+"/cancel", map[string]any{"reason": "x"}), 409, model.CodeInvalidTransition)
		// The platform drives the same steps with its key.
		id2 := w.book(ordSoon)
		w.want(w.as("platform", "POST", "/v1/orders/"+id2+"/assign", map[string]any{"worker_id": ordW2}), 200)
		w.want(w.as("platform", "POST", "/v1/orders/"+id2+"/start", map[string]any{"override_reason": "门店系统已核实到岗"}), 200)
		w.want(w.as("platform", "POST", "/v1/orders/"+id2+"/complete", nil), 200)
		w.one(ordCustomer, notify.KindServiceCompleted, id2)
		// No completing a cancelled order.
		id3 := w.bookAccepted(ordT0.Add(72 * time.Hour))
		w.want(w.as(ordOp1, "POST", "/v1/orders/"+id3+"/cancel", map[string]any{"reason": "测试"}), 200)
		wantProblem(t, w.as(ordW1, "POST", "/v1/orders/"+id3+"/start", nil), 409, model.CodeInvalidTransition)
	})
}

func TestE1TimeChangeAcceptedTellsBothParties(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		a := ordT0.Add(48 * time.Hour)
		b := a.Add(3 * time.Hour)
		id := w.bookAccepted(a)
		c := w.want(w.as(ordCustomer, "POST", "/v1/orders/"+id+"/time-changes", map[string]any{"new_time": b.Format(time.RFC3339), "reason": "临时有事"}), 201)
		if c.Str("state") != "pending" || c.JSON["needs_operator"] != false {
			t.Fatalf("request: %s", c)
		}
		n := w.one(ordW1, notify.KindChangeRequested, id)
		ordContains(t, "request", n.Body, "林晓", "临时有事", "09:00", "12:00")
		// One open request per order; the requester cannot answer it; nor can an operator yet.
		wantProblem(t, w.as(ordW1, "POST", "/v1/orders/"+id+"/time-changes", map[string]any{"new_time": b.Add(time.Hour).Format(time.RFC3339), "reason": "x"}), 409, model.CodeConflict)
		wantProblem(t, w.as(ordCustomer, "POST", "/v1/orders/"+id+"/time-changes/"+c.Str("id")+"/accept", nil), 403, model.CodeForbidden)
		wantProblem(t, w.as(ordOp1, "POST", "/v1/orders/"+id+"/time-changes/"+c.Str("id")+"/accept", nil), 403, model.CodeForbidden)
		g := w.want(w.as(ordCustomer, "GET", "/v1/orders/"+id, nil), 200)
		if pc, _ := g.JSON["pending_change"].(map[string]any); pc["id"] != c.Str("id") {
			t.Errorf("pending change on the order: %v", g.JSON["pending_change"])
		}
		w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/time-changes/"+c.Str("id")+"/accept", nil), 200)
		for _, who := range []string{ordCustomer, ordW1} {
			n := w.one(who, notify.KindScheduleChanged, id)
			ordContains(t, who+"'s change", n.Body, "09:00", "12:00")
			d := ordData(t, n)
			if d["old_time"] != model.FormatTime(a) || d["new_time"] != model.FormatTime(b) {
				t.Errorf("%s data: %v", who, d)
			}
		}
		if o := w.order(id); !o.AppointmentAt.Equal(b) {
			t.Errorf("appointment %s, want %s", o.AppointmentAt, b)
		}
		wantProblem(t, w.as(ordW1, "POST", "/v1/orders/"+id+"/time-changes/"+c.Str("id")+"/decline", nil), 409, model.CodeInvalidTransition)
		// Nobody has accepted yet: the booking simply moves.
		open := w.book(a)
		moved := w.want(w.as(ordCustomer, "POST", "/v1/orders/"+open+"/time-changes", map[string]any{"new_time": b.Format(time.RFC3339), "reason": "改时间"}), 201)
		if moved.Str("state") != "accepted" || !w.order(open).AppointmentAt.Equal(b) {
			t.Errorf("time change of an open order: %s", moved)
		}
		wantProblem(t, w.as(ordCustomer, "POST", "/v1/orders/"+open+"/time-changes", map[string]any{"new_time": "tomorrow", "reason": "x"}), 400, model.CodeInvalid)
		wantProblem(t, w.as(ordCustomer, "POST", "/v1/orders/"+open+"/time-changes", map[string]any{"new_time": ordT0.Add(-time.Hour).Format(time.RFC3339), "reason": "x"}), 400, model.CodeInvalid)
		// The escalation job of the answered request does nothing.
		w.clk.Add(2 * time.Hour)
		w.s.RunJobs(t)
		w.none(ordOp1, notify.KindChangeEscalated)
	})
}

func TestE1DeclineAndOperatorWindowAndEscalation(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		a := ordT0.Add(48 * time.Hour)
		// Decline: the requester is told, the time stays.
		id := w.bookAccepted(a)
		c := w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/time-changes", map[string]any{"new_time": a.Add(time.Hour).Format(time.RFC3339), "reason": "生病"}), 201)
		w.one(ordCustomer, notify.KindChangeRequested, id)
		w.want(w.as(ordCustomer, "POST", "/v1/orders/"+id+"/time-changes/"+c.Str("id")+"/decline", map[string]any{"reason": "那天不行"}), 200)
		n := w.one(ordW1, notify.KindChangeDeclined, id)
		ordContains(t, "decline", n.Body, "那天不行")
		if o := w.order(id); !o.AppointmentAt.Equal(a) {
			t.Errorf("declined change moved the order to %s", o.AppointmentAt)
		}

		// Unanswered: at the deadline (60 min) it escalates to every operator, who may then decide.
		c2 := w.want(w.as(ordCustomer, "POST", "/v1/orders/"+id+"/time-changes", map[string]any{"new_time": a.Add(-2 * time.Hour).Format(time.RFC3339), "reason": "提前"}), 201)
		w.clk.Add(59 * time.Minute)
		w.s.RunJobs(t)
		w.none(ordOp1, notify.KindChangeEscalated)
		w.clk.Add(2 * time.Minute)
		w.s.RunJobs(t)
		w.one(ordOp1, notify.KindChangeEscalated, id)
		w.one(ordOp2, notify.KindChangeEscalated, id)
		ap := w.want(w.as(ordOp2, "GET", "/v1/approvals", nil), 200)
		if tc, _ := ap.JSON["time_changes"].([]any); len(tc) != 1 {
			t.Fatalf("approvals: %s", ap)
		}
		wantProblem(t, w.as(ordW1, "POST", "/v1/orders/"+id+"/time-changes/"+c2.Str("id")+"/accept", nil), 403, model.CodeForbidden)
		w.want(w.as(ordOp2, "POST", "/v1/orders/"+id+"/time-changes/"+c2.Str("id")+"/accept", nil), 200)
		w.one(ordCustomer, notify.KindScheduleChanged, id)
		w.one(ordW1, notify.KindScheduleChanged, id)

		// Inside the operator window (default 2 h before): operators decide instead of the other party.
		soon := w.clk.Now().Add(90 * time.Minute)
		id2 := w.bookAccepted(soon)
		c3 := w.want(w.as(ordW1, "POST", "/v1/orders/"+id2+"/time-changes", map[string]any{"new_time": soon.Add(time.Hour).Format(time.RFC3339), "reason": "前一单超时"}), 201)
		if c3.JSON["needs_operator"] != true {
			t.Fatalf("request inside the window: %s", c3)
		}
		ordContains(t, "operator's request", w.one(ordOp1, notify.KindChangeRequested, id2).Title, "审批")
		// The customer is not asked — but both parties are told it is with the platform (#11).
		other := w.one(ordCustomer, notify.KindChangeRequested, id2)
		ordContains(t, "the customer's notice", other.Title, "待平台审批")
		ordContains(t, "the customer's notice", other.Body, "无需您操作")
		if d := ordData(t, other); d["actions"] != nil || d["with_platform"] != true {
			t.Errorf("the customer's notice offers actions although operators decide: %v", d)
		}
		mine := w.one(ordW1, notify.KindChangeRequested, id2)
		ordContains(t, "the requester's notice", mine.Title, "已提交平台审批")
		ordContains(t, "the requester's notice", mine.Body, "结果会通知您")
		wantProblem(t, w.as(ordCustomer, "POST", "/v1/orders/"+id2+"/time-changes/"+c3.Str("id")+"/accept", nil), 403, model.CodeForbidden)
		w.want(w.as(ordOp1, "POST", "/v1/orders/"+id2+"/time-changes/"+c3.Str("id")+"/decline", map[string]any{"reason": "客户已安排"}), 200)
		w.one(ordW1, notify.KindChangeDeclined, id2)
	})
}

func TestE2WorkerChangeTellsCustomerAndNewWorker(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		a := ordT0.Add(48 * time.Hour)
		id := w.bookAccepted(a)
		r := w.want(w.as(ordCustomer, "POST", "/v1/orders/"+id+"/worker-changes", map[string]any{"reason": "希望换一位师傅"}), 201)
		if r.Str("outcome") != "requested" {
			t.Fatalf("worker change: %s", r)
		}
		ordContains(t, "operators' notice", w.one(ordOp1, notify.KindWorkerChangeRequested, id).Body, "希望换一位师傅")
		w.one(ordOp2, notify.KindWorkerChangeRequested, id)
		w.want(w.as(ordOp1, "POST", "/v1/orders/"+id+"/assign", map[string]any{"worker_id": ordW2, "reason": "客户要求更换"}), 200)

		n := w.one(ordCustomer, notify.KindWorkerChanged, id)
		ordContains(t, "customer", n.Body, "赵师傅", "家电清洗专家")
		if card, _ := ordData(t, n)["worker"].(map[string]any); card["name"] != "赵师傅" || card["avatar_url"] != "/avatars/w-zhao.svg" {
			t.Errorf("new worker's card: %v", card)
		}
		ordContains(t, "new worker (en)", w.one(ordW2, notify.KindOrderAssigned, id).Body, "Daily cleaning", "Requirements: 厨房重点清洁")
		ordContains(t, "removed worker", w.one(ordW1, notify.KindWorkerRemoved, id).Body, "客户要求更换")
		wantProblem(t, w.as(ordW1, "GET", "/v1/orders/"+id, nil), 404, model.CodeNotFound)
		wantProblem(t, w.as(ordW1, "GET", "/v1/orders/"+id+"/timeline", nil), 404, model.CodeNotFound)
		wantProblem(t, w.as(ordW1, "POST", "/v1/orders/"+id+"/start", nil), 404, model.CodeNotFound)
		if g := w.want(w.as(ordW2, "GET", "/v1/orders/"+id, nil), 200); g.Str("worker_id") != ordW2 {
			t.Errorf("order: %s", g)
		}

		// The new worker withdraws: off at once, the order is open again, operators and customer told.
		r = w.want(w.as(ordW2, "POST", "/v1/orders/"+id+"/worker-changes", map[string]any{"reason": "家里有事"}), 201)
		if r.Str("outcome") != "withdrawn" {
			t.Fatalf("withdraw: %s", r)
		}
		if o := w.order(id); o.Status != model.OrderPending || o.WorkerID != "" {
			t.Errorf("after withdrawal: %+v", o)
		}
		if items := w.as(ordW1, "GET", "/v1/orders/open", nil).Items(); len(items) != 1 || items[0]["id"] != id {
			t.Errorf("open after withdrawal: %v", items)
		}
		ordContains(t, "customer told of withdrawal", w.one(ordCustomer, notify.KindWorkerChangeRequested, id).Body, "正在为您安排")
		if got := w.inbox(ordOp1, notify.KindWorkerChangeRequested); len(got) != 2 {
			t.Errorf("operator has %d worker-change notices, want 2", len(got))
		}
		if j, _ := w.reminder(id, "worker"); j.State != model.JobCancelled {
			t.Errorf("reminder after withdrawal: %s", j.State)
		}
		// Another worker accepts: the customer hears of a change, with the new card.
		w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/accept", nil), 200)
		w.one(ordCustomer, notify.KindOrderAccepted, id)
		if got := w.inbox(ordCustomer, notify.KindWorkerChanged); len(got) != 2 || !strings.Contains(got[1].Body, "王阿姨") {
			t.Errorf("worker changes told to the customer: %+v", got)
		}
	})
}

func TestE3CancellationRefundTerms(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		everyone := []string{ordCustomer, ordW1, ordOp1, ordOp2}

		// Early customer cancellation: free, everyone told the refund and when it arrives.
		early := w.bookAccepted(ordT0.Add(48 * time.Hour))
		q := w.want(w.as(ordCustomer, "GET", "/v1/orders/"+early+"/cancellation-quote", nil), 200)
		if q.Str("policy") != booking.PolicyFree || q.JSON["refund_cents"] != float64(15000) || q.JSON["needs_approval"] != false {
			t.Fatalf("quote: %s", q)
		}
		c := w.want(w.as(ordCustomer, "POST", "/v1/orders/"+early+"/cancel", map[string]any{"reason": "行程有变"}), 200)
		if c.Str("status") != "approved" || c.JSON["refund_cents"] != float64(15000) {
			t.Fatalf("cancel: %s", c)
		}
		for _, who := range everyone {
			n := w.one(who, notify.KindOrderCancelled, early)
			ordContains(t, who, n.Body, "行程有变", "¥150.00")
			ref, _ := ordData(t, n)["refund"].(map[string]any)
			if ref["amount_cents"] != float64(15000) || ref["status"] != "pending" || ref["eta"] != model.FormatTime(ordT0.Add(72*time.Hour)) {
				t.Errorf("%s refund data: %v", who, ref)
			}
		}
		ordContains(t, "customer", w.one(ordCustomer, notify.KindOrderCancelled, early).Body, "3月4日")
		w.want(w.as("platform", "POST", "/v1/orders/"+early+"/refund/settled", nil), 200)
		ordContains(t, "settled", w.one(ordCustomer, notify.KindRefundSettled, early).Body, "¥150.00")
		wantProblem(t, w.as("platform", "POST", "/v1/orders/"+early+"/refund/settled", nil), 409, model.CodeInvalidTransition)

		// Late customer cancellation (1 h before): a 20 % fee, and an operator approves.
		late := w.bookAccepted(ordT0.Add(time.Hour))
		c = w.want(w.as(ordCustomer, "POST", "/v1/orders/"+late+"/cancel", map[string]any{"reason": "不需要了"}), 202)
		if c.Str("status") != "pending_approval" || c.JSON["refund_cents"] != float64(12000) || c.JSON["fee_cents"] != float64(3000) {
			t.Fatalf("late cancel: %s", c)
		}
		w.one(ordOp1, notify.KindCancellationRequested, late)
		if o := w.order(late); o.Status != model.OrderAccepted {
			t.Fatalf("order awaiting approval is %s", o.Status)
		}
		ap := w.want(w.as(ordOp1, "GET", "/v1/approvals", nil), 200)
		if cs, _ := ap.JSON["cancellations"].([]any); len(cs) != 1 {
			t.Errorf("approvals: %s", ap)
		}
		wantProblem(t, w.as(ordCustomer, "POST", "/v1/orders/"+late+"/cancellation/approve", nil), 403, model.CodeForbidden)
		w.want(w.as(ordOp1, "POST", "/v1/orders/"+late+"/cancellation/approve", nil), 200)
		for _, who := range everyone {
			ref, _ := ordData(t, w.one(who, notify.KindOrderCancelled, late))["refund"].(map[string]any)
			if ref["amount_cents"] != float64(12000) {
				t.Errorf("%s late refund: %v", who, ref)
			}
		}
		ordContains(t, "late", w.one(ordCustomer, notify.KindOrderCancelled, late).Body, "¥120.00")

		// Declined: the order goes ahead and the customer is told.
		kept := w.bookAccepted(ordT0.Add(90 * time.Minute))
		w.want(w.as(ordCustomer, "POST", "/v1/orders/"+kept+"/cancel", map[string]any{"reason": "想取消"}), 202)
		w.want(w.as(ordOp2, "POST", "/v1/orders/"+kept+"/cancellation/decline", map[string]any{"reason": "师傅已出发"}), 200)
		ordContains(t, "declined", w.one(ordCustomer, notify.KindCancellationDeclined, kept).Body, "师傅已出发")
		if o := w.order(kept); o.Status != model.OrderAccepted {
			t.Errorf("declined cancellation left %s", o.Status)
		}

		// The worker cancels: full refund, even 30 minutes before.
		byWorker := w.bookAccepted(ordT0.Add(30 * time.Minute))
		c = w.want(w.as(ordW1, "POST", "/v1/orders/"+byWorker+"/cancel", map[string]any{"reason": "生病"}), 200)
		if c.Str("policy") != booking.PolicyWorkerSide || c.JSON["refund_cents"] != float64(15000) {
			t.Errorf("worker cancel: %s", c)
		}

		// Force majeure in bulk: every active order of the area in [from, to), full refunds, idempotent.
		from, to := ordT0.Add(100*time.Hour), ordT0.Add(110*time.Hour)
		storm1 := w.bookAccepted(from)
		storm2 := w.book(from.Add(5 * time.Hour))
		outside := w.bookAccepted(to)
		done := w.bookAccepted(from.Add(time.Hour))
		w.want(w.as(ordCustomer, "POST", "/v1/orders/"+done+"/cancel", map[string]any{"reason": "自己取消"}), 200)
		body := map[string]any{"area": ordArea, "from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339), "reason": "台风"}
		r := w.want(w.as(ordOp1, "POST", "/v1/orders/cancel-bulk", body), 200)
		if fmt.Sprint(r.JSON["cancelled"]) != fmt.Sprint([]any{storm1, storm2}) || fmt.Sprint(r.JSON["skipped"]) != fmt.Sprint([]any{done}) {
			t.Fatalf("bulk: %s", r)
		}
		r = w.want(w.as("platform", "POST", "/v1/orders/cancel-bulk", body), 200)
		if len(r.JSON["cancelled"].([]any)) != 0 || len(r.JSON["skipped"].([]any)) != 3 {
			t.Fatalf("bulk retry: %s", r)
		}
		for _, id := range []string{storm1, storm2} {
			n := w.one(ordCustomer, notify.KindOrderCancelled, id)
			ordContains(t, "storm", n.Body, "台风", "¥150.00")
			if d := ordData(t, n); d["force_majeure"] != true {
				t.Errorf("force majeure flag: %v", d)
			}
		}
		w.one(ordW1, notify.KindOrderCancelled, storm1)
		w.one(ordOp2, notify.KindOrderCancelled, storm2)
		if o := w.order(outside); o.Status != model.OrderAccepted {
			t.Errorf("order outside the range is %s", o.Status)
		}
	})
}

// X4: the order's audit trail — every transition, every notification and to whom — in order;
// a customer or worker sees only the notifications sent to them (#11).
func TestX4OrderTimeline(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		a := ordT0.Add(48 * time.Hour)
		id := w.bookAccepted(a)
		c := w.want(w.as(ordCustomer, "POST", "/v1/orders/"+id+"/time-changes", map[string]any{"new_time": a.Add(time.Hour).Format(time.RFC3339), "reason": "晚一点"}), 201)
		w.clk.Add(time.Minute)
		w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/time-changes/"+c.Str("id")+"/accept", nil), 200)
		w.clk.Set(a.Add(40 * time.Minute))
		w.s.RunJobs(t)
		w.startAs(ordW1, id)
		w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/complete", nil), 200)

		for _, who := range []string{ordCustomer, ordW1, ordOp1, "platform"} {
			r := w.want(w.as(who, "GET", "/v1/orders/"+id+"/timeline", nil), 200)
			var tl struct {
				Items []booking.TimelineEntry `json:"items"`
			}
			r.Decode(t, &tl)
			var transitions, told []string
			for i, e := range tl.Items {
				if i > 0 && e.At.Before(tl.Items[i-1].At) {
					t.Errorf("timeline out of order at %d", i)
				}
				if e.Type == "notice_step" {
					continue // a notice's chain steps (Y1), checked by the TestY1 tests
				}
				if e.Type == "transition" {
					transitions = append(transitions, e.Event)
				} else {
					told = append(told, e.Kind+"→"+e.RecipientID)
					if len(e.Channels) == 0 || e.Channels[0] != "inbox" || e.At.IsZero() {
						t.Errorf("notification entry lacks channel or time: %+v", e)
					}
				}
			}
			// The worker had not set out 20 minutes before the new time: nudged (Y4).
			wantT := "created accepted time_change_requested rescheduled worker_nudged checked_in started completed"
			if strings.Join(transitions, " ") != wantT {
				t.Errorf("%s transitions: %v, want %s", who, transitions, wantT)
			}
			sort.Strings(told)
			wantN := []string{"order.accepted→c-lin", "schedule.change_requested→w-wang", "schedule.changed→c-lin", "schedule.changed→w-wang",
				"service.completed→c-lin", "service.started→c-lin", "service.starting_soon→c-lin", "service.starting_soon→w-wang",
				"visit.arrived→c-lin", "visit.nudge→w-wang"}
			// The customer and the worker see only what was sent to them; operators and the
			// platform everything (#11).
			if who == ordCustomer || who == ordW1 {
				var mine []string
				for _, n := range wantN {
					if strings.HasSuffix(n, "→"+who) {
						mine = append(mine, n)
					}
				}
				wantN = mine
			}
			if fmt.Sprint(told) != fmt.Sprint(wantN) {
				t.Errorf("%s notifications:\n got %v\nwant %v", who, told, wantN)
			}
		}
		wantProblem(t, w.as(ordW2, "GET", "/v1/orders/"+id+"/timeline", nil), 404, model.CodeNotFound)
	})
}

func TestOrderAcceptRaceOneWins(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		for round := range 5 {
			id := w.book(ordT0.Add(time.Duration(round+2) * time.Hour))
			toks := []string{w.tok(ordW1), w.tok(ordW2)}
			var wg sync.WaitGroup
			res := make([]*apptest.Response, 2)
			start := make(chan struct{})
			for i := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					res[i] = w.s.Do("POST", "/v1/orders/"+id+"/accept", toks[i], nil)
				}()
			}
			close(start)
			wg.Wait()
			st := []int{res[0].Status, res[1].Status}
			sort.Ints(st)
			if st[0] != 200 || st[1] != 409 {
				t.Fatalf("round %d: %s | %s", round, res[0], res[1])
			}
			loser := res[0]
			if loser.Status == 200 {
				loser = res[1]
			}
			if loser.Code() != string(model.CodeConflict) {
				t.Errorf("loser: %s", loser)
			}
			w.one(ordCustomer, notify.KindOrderAccepted, id)
		}
	})
}

func TestOrderTransactionFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		id := w.book(ordT0.Add(48 * time.Hour))
		w.s.App.Booking.SetFailpoint(func(action string) error { return errors.New("injected failure in " + action) })
		r := w.as(ordW1, "POST", "/v1/orders/"+id+"/accept", nil)
		if r.Status != 500 {
			t.Fatalf("accept with a failing transaction: %s", r)
		}
		if o := w.order(id); o.Status != model.OrderPending || o.WorkerID != "" || o.Version != 1 {
			t.Errorf("order changed: %+v", o)
		}
		if got := w.inbox(ordCustomer, ""); len(got) != 0 {
			t.Errorf("notifications survived the rollback: %+v", got)
		}
		if _, err := w.s.Store.JobByKey(t.Context(), booking.ReminderKey(id, "customer")); !model.IsCode(err, model.CodeNotFound) {
			t.Errorf("reminder job survived the rollback: %v", err)
		}
		if evs, _ := w.s.Store.OrderEvents(t.Context(), id); len(evs) != 1 {
			t.Errorf("timeline has %d events, want only created", len(evs))
		}
		w.s.App.Booking.SetFailpoint(nil)
		w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/accept", nil), 200)
		w.one(ordCustomer, notify.KindOrderAccepted, id)
	})
}

func TestOrderIdempotencyKeyOneTransition(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		id := w.book(ordSoon)
		for i := range 2 {
			r := w.s.DoWith("POST", "/v1/orders/"+id+"/accept", w.tok(ordW1), nil, ordIdem("acc-1"))
			if r.Status != 200 || (i == 1 && r.Header.Get("Idempotent-Replayed") != "true") {
				t.Fatalf("accept #%d: %s", i+1, r)
			}
		}
		w.one(ordCustomer, notify.KindOrderAccepted, id)
		w.startAs(ordW1, id)
		for range 2 {
			w.want(w.s.DoWith("POST", "/v1/orders/"+id+"/complete", w.tok(ordW1), nil, ordIdem("done-1")), 200)
		}
		w.one(ordCustomer, notify.KindServiceCompleted, id)
		if o := w.order(id); o.Version != 4 {
			t.Errorf("version %d, want 4 (created, accepted, started, completed)", o.Version)
		}
		id2 := w.bookAccepted(ordT0.Add(48 * time.Hour))
		for range 2 {
			w.want(w.s.DoWith("POST", "/v1/orders/"+id2+"/cancel", w.tok(ordCustomer), map[string]any{"reason": "不要了"}, ordIdem("cxl-1")), 200)
		}
		for _, who := range []string{ordCustomer, ordW1, ordOp1} {
			w.one(who, notify.KindOrderCancelled, id2)
		}
	})
}

func TestDemoSeedsOrdersOnce(t *testing.T) {
	t.Parallel()
	clk := testkit.NewClock(ordT0)
	s := apptest.Start(t, storetest.SQLitePath(t), apptest.Options{Now: clk.Now, Demo: true, ManualJobs: true})
	op := s.Token("o-zhou", model.RoleOperator)
	r := s.Do("GET", "/v1/orders", op, nil)
	if r.Status != 200 || len(r.Items()) != 4 {
		t.Fatalf("demo orders: %s", r)
	}
	statuses := map[string]int{}
	for _, it := range r.Items() {
		statuses[it["status"].(string)]++
		// Issue 15, item 7: nothing started or completed before its start window.
		if st := it["status"].(string); st == "completed" || st == "in_service" {
			at, _ := time.Parse(time.RFC3339, it["appointment_at"].(string))
			if !at.Before(ordT0) {
				t.Errorf("demo order %s is %s with its appointment %s still ahead", it["id"], st, at)
			}
			tl := s.Do("GET", "/v1/orders/"+it["id"].(string)+"/timeline", op, nil)
			var trail struct {
				Items []struct {
					At    time.Time `json:"at"`
					Event string    `json:"event"`
				} `json:"items"`
			}
			tl.Decode(t, &trail)
			for _, e := range trail.Items {
				if (e.Event == "started" || e.Event == "completed") && e.At.Before(at.Add(-30*time.Minute)) {
					t.Errorf("demo order %s was %s at %s, before its appointment %s", it["id"], e.Event, e.At, at)
				}
			}
		}
	}
	if statuses["pending"] != 1 || statuses["accepted"] != 2 || statuses["completed"] != 1 {
		t.Errorf("demo statuses: %v", statuses)
	}
	if n, _ := s.Store.CountNotifications(t.Context(), "c-lin"); n < 2 {
		t.Errorf("c-lin has %d notifications, want the acceptance and the completion", n)
	}
	if err := s.App.SeedDemo(t.Context()); err != nil {
		t.Fatal(err)
	}
	if r := s.Do("GET", "/v1/orders", op, nil); len(r.Items()) != 4 {
		t.Errorf("after a second seed: %d orders", len(r.Items()))
	}
}

// Every step from every status over HTTP: allowed steps succeed, the rest are refused with
// 409 invalid_transition (the rules themselves: booking.TestOrderTransitionTable).
func TestOrderTransitionsOverHTTP(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		at := ordSoon // inside the start window
		// orderIn returns an order of w1 in status.
		orderIn := func(status model.OrderStatus) string {
			id := w.book(at)
			switch status {
			case model.OrderPending:
				return id
			case model.OrderCancelled:
				w.want(w.as("platform", "POST", "/v1/orders/"+id+"/cancel", map[string]any{"reason": "x"}), 200)
				return id
			}
			w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/accept", nil), 200)
			if status == model.OrderAccepted {
				return id
			}
			w.startAs(ordW1, id)
			if status == model.OrderCompleted {
				w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/complete", nil), 200)
			}
			return id
		}
		steps := []struct {
			action booking.Action
			who    string
			path   string
			body   map[string]any
		}{
			{booking.ActAssign, ordOp1, "/assign", map[string]any{"worker_id": ordW2}},
			{booking.ActStart, "platform", "/start", map[string]any{"override_reason": "x"}},
			{booking.ActComplete, "platform", "/complete", map[string]any{}},
			{booking.ActCancel, ordOp1, "/cancel", map[string]any{"reason": "x"}},
			{booking.ActChangeTime, "platform", "/time-changes", map[string]any{"new_time": at.Add(time.Hour).Format(time.RFC3339), "reason": "x"}},
			{booking.ActWithdraw, "platform", "/worker-changes", map[string]any{"reason": "x"}},
		}
		for _, status := range []model.OrderStatus{model.OrderPending, model.OrderAccepted, model.OrderInService, model.OrderCompleted, model.OrderCancelled} {
			for _, st := range steps {
				id := orderIn(status)
				r := w.as(st.who, "POST", "/v1/orders/"+id+st.path, st.body)
				if booking.Allowed(status, st.action) {
					if r.Status < 200 || r.Status > 299 {
						t.Errorf("%s from %s: %s", st.action, status, r)
					}
				} else if r.Status != 409 || r.Code() != string(model.CodeInvalidTransition) {
					t.Errorf("%s from %s: %s, want 409 invalid_transition", st.action, status, r)
				}
			}
		}
	})
}

// E3: the refund reaches the platform as an event — the order.cancelled webhook carries it.
func TestE3RefundHandedToPlatformWebhook(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		var mu sync.Mutex
		var got []map[string]any
		gw := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			var body map[string]any
			_ = json.NewDecoder(r.Body).Decode(&body)
			mu.Lock()
			got = append(got, body)
			mu.Unlock()
		}))
		defer gw.Close()
		w := newOrdWorld(t, dsn, nil)
		w.want(w.as("platform", "POST", "/v1/admin/webhooks", map[string]any{"url": gw.URL + "/hook",
			"kinds": []string{notify.KindOrderCancelled, notify.KindRefundSettled}}), 201)
		id := w.bookAccepted(ordT0.Add(48 * time.Hour))
		w.want(w.as(ordCustomer, "POST", "/v1/orders/"+id+"/cancel", map[string]any{"reason": "行程有变"}), 200)
		w.s.RunJobs(t) // fan-out to the gateway
		w.s.RunJobs(t) // the webhook sends
		mu.Lock()
		defer mu.Unlock()
		found := false
		for _, b := range got {
			rc, _ := b["recipient"].(map[string]any)
			data, _ := b["data"].(map[string]any)
			if b["type"] == notify.KindOrderCancelled && rc["id"] == ordCustomer && data["order_id"] == id {
				ref, _ := data["refund"].(map[string]any)
				if ref["amount_cents"] != float64(15000) || ref["status"] != "pending" || ref["eta"] == nil {
					t.Errorf("refund in the webhook: %v", ref)
				}
				found = true
			}
		}
		if !found {
			t.Fatalf("no order.cancelled webhook for the customer among %d: %v", len(got), got)
		}
	})
}
