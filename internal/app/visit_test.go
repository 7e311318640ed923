package app_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store/storetest"
)

// visitEvents lists an order's trail transitions of the given types, oldest first, with details.
func (w *world) visitEvents(orderID string, types ...string) []map[string]any {
	w.t.Helper()
	r := w.want(w.as(ordOp1, "GET", "/v1/orders/"+orderID+"/timeline", nil), 200)
	var tl struct {
		Items []struct {
			Type    string         `json:"type"`
			Event   string         `json:"event"`
			Details map[string]any `json:"details"`
		} `json:"items"`
	}
	r.Decode(w.t, &tl)
	var out []map[string]any
	for _, e := range tl.Items {
		for _, typ := range types {
			if e.Type == "transition" && e.Event == typ {
				d := map[string]any{"event": e.Event}
				for k, v := range e.Details {
					d[k] = v
				}
				out = append(out, d)
			}
		}
	}
	return out
}

// visitOf reads the order's visit as who sees it.
func (w *world) visitOf(who, orderID string) map[string]any {
	w.t.Helper()
	r := w.want(w.as(who, "GET", "/v1/orders/"+orderID, nil), 200)
	v, _ := r.JSON["visit"].(map[string]any)
	return v
}

// Y4: the worker sets out (the customer told once; a small slip is not told, a big one is, but not
// twice within the gap), reminders are skipped once they are on the way, the start window refuses
// an early check-in with a clear problem, the check-in shows the customer a start code the worker
// never sees, wrong codes are limited and logged (then operators are told and one overrides,
// recorded), and the completion carries photos the customer's notice shows and only the order's
// parties can read.
func TestY4VisitOnTheWayStartCodeOverrideAndPhotos(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		w.people(model.Person{ID: "c-chen", Role: model.RoleCustomer, Name: "陈先生"})
		appt := ordT0.Add(3 * time.Hour)
		id := w.bookAccepted(appt)

		// Too early: three hours before, neither the worker nor an operator's override may start.
		r := w.as(ordW1, "POST", "/v1/orders/"+id+"/check-in", nil)
		wantProblem(t, r, 409, model.CodeOutsideStartWindow)
		ordContains(t, "early check-in", r.Str("detail"), "too early", "2026-03-01T03:30:00Z")
		wantProblem(t, w.as(ordOp1, "POST", "/v1/orders/"+id+"/start", map[string]any{"override_reason": "客户同意提前"}), 409, model.CodeOutsideStartWindow)
		wantProblem(t, w.as(ordW1, "POST", "/v1/orders/"+id+"/start", map[string]any{"code": "0000"}), 409, model.CodeOutsideStartWindow)

		// On the way 50 minutes before, expecting to arrive in 40: the customer is told once.
		w.clk.Set(appt.Add(-50 * time.Minute))
		wantProblem(t, w.as(ordCustomer, "POST", "/v1/orders/"+id+"/on-the-way", map[string]any{"minutes": 40}), 403, model.CodeForbidden)
		wantProblem(t, w.as(ordW2, "POST", "/v1/orders/"+id+"/on-the-way", map[string]any{"minutes": 40}), 404, model.CodeNotFound)
		wantProblem(t, w.as(ordW1, "POST", "/v1/orders/"+id+"/on-the-way", map[string]any{}), 400, model.CodeInvalid)
		r = w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/on-the-way", map[string]any{"minutes": 40}), 200)
		if v, _ := r.JSON["visit"].(map[string]any); v["state"] != "on_the_way" || v["eta"] != model.FormatTime(appt.Add(-10*time.Minute)) {
			t.Fatalf("visit after setting out: %v", r.JSON["visit"])
		}
		n := w.one(ordCustomer, notify.KindVisitOnTheWay, id)
		ordContains(t, "on the way", n.Title+n.Body, "王阿姨 已出发", "预计", "11:50")

		// Five minutes later (within the margin): not told again.
		w.clk.Add(6 * time.Minute)
		w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/on-the-way", map[string]any{"eta": appt.Add(-5 * time.Minute).Format(time.RFC3339)}), 200)
		w.one(ordCustomer, notify.KindVisitOnTheWay, id)
		// A slip of 25 minutes past the estimate last told: told, once.
		w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/on-the-way", map[string]any{"eta": appt.Add(15 * time.Minute).Format(time.RFC3339)}), 200)
		told := w.inbox(ordCustomer, notify.KindVisitOnTheWay)
		if len(told) != 2 {
			t.Fatalf("customer told %d times, want 2 (set out, a slip over the margin)", len(told))
		}
		ordContains(t, "slip", told[1].Title+told[1].Body, "推迟", "12:15", "11:50")
		// Another slip a minute later: within the gap, not told (but in the trail).
		w.clk.Add(time.Minute)
		w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/on-the-way", map[string]any{"minutes": 60}), 200)
		if got := len(w.inbox(ordCustomer, notify.KindVisitOnTheWay)); got != 2 {
			t.Fatalf("customer told %d times after a slip within the gap, want 2", got)
		}
		evs := w.visitEvents(id, "on_the_way", "eta_updated")
		if len(evs) != 4 || evs[0]["customer_told"] != true || evs[1]["customer_told"] != false || evs[2]["customer_told"] != true || evs[3]["customer_told"] != false {
			t.Fatalf("trail of estimates: %v", evs)
		}

		// Reminders and the nudge are pointless now: none goes out.
		w.clk.Set(appt.Add(-30 * time.Minute))
		w.s.RunJobs(t)
		w.none(ordCustomer, notify.KindServiceStartingSoon)
		w.none(ordW1, notify.KindServiceStartingSoon)
		w.none(ordW1, notify.KindVisitNudge)

		// The start code before check-in: refused, the code must come first.
		wantProblem(t, w.as(ordW1, "POST", "/v1/orders/"+id+"/start", map[string]any{"code": "1234"}), 409, model.CodeInvalidTransition)
		// Check-in: the customer sees "arrived" and the code; the worker never does.
		w.clk.Set(appt.Add(-5 * time.Minute))
		r = w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/check-in", nil), 200)
		if strings.Contains(string(r.Body), "start_code\":\"") {
			t.Fatalf("the worker's check-in answer shows the code: %s", r)
		}
		wantProblem(t, w.as(ordW1, "POST", "/v1/orders/"+id+"/check-in", nil), 409, model.CodeInvalidTransition)
		cv := w.visitOf(ordCustomer, id)
		code, _ := cv["start_code"].(string)
		if cv["state"] != "arrived" || !regexp.MustCompile(`^\d{4}$`).MatchString(code) {
			t.Fatalf("customer's visit at arrival: %v", cv)
		}
		if wv := w.visitOf(ordW1, id); wv["start_code"] != nil || wv["state"] != "arrived" {
			t.Fatalf("worker's visit shows %v", wv)
		}
		arrived := w.one(ordCustomer, notify.KindVisitArrived, id)
		ordContains(t, "arrived", arrived.Body, "开工码："+code)
		if strings.Contains(arrived.Title, code) {
			t.Errorf("the code is in the title, which the trail shows the worker: %q", arrived.Title)
		}
		if tl := w.want(w.as(ordW1, "GET", "/v1/orders/"+id+"/timeline", nil), 200); strings.Contains(string(tl.Body), "start_code") {
			t.Errorf("the worker's trail names the code: %s", tl)
		}

		// Wrong codes: counted and logged, locked at the fifth; then even the right one is refused.
		wrong := "0000"
		if code == wrong {
			wrong = "9999"
		}
		wantProblem(t, w.as(ordW1, "POST", "/v1/orders/"+id+"/start", map[string]any{}), 400, model.CodeInvalid)
		for i := 1; i <= 4; i++ {
			r := w.as(ordW1, "POST", "/v1/orders/"+id+"/start", map[string]any{"code": wrong})
			wantProblem(t, r, 422, model.CodeStartCodeWrong)
			ordContains(t, "wrong code", r.Str("detail"), []string{"", "4 attempts", "3 attempts", "2 attempts", "1 attempts"}[i])
		}
		wantProblem(t, w.as(ordW1, "POST", "/v1/orders/"+id+"/start", map[string]any{"code": wrong}), 409, model.CodeStartCodeLocked)
		wantProblem(t, w.as(ordW1, "POST", "/v1/orders/"+id+"/start", map[string]any{"code": code}), 409, model.CodeStartCodeLocked)
		if evs := w.visitEvents(id, "start_code_wrong"); len(evs) != 5 || evs[4]["failures"] != float64(5) {
			t.Fatalf("wrong codes in the trail: %v", evs)
		}
		for _, op := range []string{ordOp1, ordOp2} {
			ordContains(t, "operators", w.one(op, notify.KindVisitException, id).Title, "开工码错误次数过多")
		}
		ap := w.want(w.as(ordOp1, "GET", "/v1/approvals", nil), 200)
		if vs, _ := ap.JSON["visits"].([]any); len(vs) != 1 || vs[0].(map[string]any)["reason"] != "start_code_locked" {
			t.Fatalf("approvals: %s", ap)
		}
		if o := w.order(id); o.Status != model.OrderAccepted {
			t.Fatalf("status %s after refused starts", o.Status)
		}

		// Only an operator's override starts it now, with a reason, recorded.
		wantProblem(t, w.as(ordCustomer, "POST", "/v1/orders/"+id+"/start", map[string]any{"code": code}), 403, model.CodeForbidden)
		wantProblem(t, w.as(ordOp1, "POST", "/v1/orders/"+id+"/start", map[string]any{}), 400, model.CodeInvalid)
		r = w.want(w.as(ordOp1, "POST", "/v1/orders/"+id+"/start", map[string]any{"override_reason": "已电话核实客户在家"}), 200)
		if r.Str("status") != "in_service" {
			t.Fatalf("override: %s", r)
		}
		if evs := w.visitEvents(id, "started"); len(evs) != 1 || evs[0]["by"] != "override" || evs[0]["reason"] != "已电话核实客户在家" {
			t.Fatalf("override in the trail: %v", evs)
		}
		ordContains(t, "started by override", w.one(ordCustomer, notify.KindServiceStarted, id).Body, "平台核实")
		if ap := w.want(w.as(ordOp1, "GET", "/v1/approvals", nil), 200); len(ap.JSON["visits"].([]any)) != 0 {
			t.Fatalf("approvals after the override: %s", ap)
		}

		// Proof of service: the worker's own uploads only, at most 9, at least one "after".
		wtok, ctok := w.tok(ordW1), w.tok(ordCustomer)
		before := uploadPNG(t, w.s, wtok, 40)
		after := uploadPNG(t, w.s, wtok, 200)
		theirs := uploadPNG(t, w.s, ctok, 90)
		wantProblem(t, w.as(ordW1, "POST", "/v1/orders/"+id+"/complete", map[string]any{"photos": []map[string]any{{"file_id": theirs}}}), 400, model.CodeInvalid)
		wantProblem(t, w.as(ordW1, "POST", "/v1/orders/"+id+"/complete", map[string]any{"photos": []map[string]any{{"file_id": before, "phase": "before"}}}), 400, model.CodeInvalid)
		ten := []map[string]any{}
		for i := range 10 {
			ten = append(ten, map[string]any{"file_id": uploadPNG(t, w.s, wtok, uint8(100+i))})
		}
		wantProblem(t, w.as(ordW1, "POST", "/v1/orders/"+id+"/complete", map[string]any{"photos": ten}), 400, model.CodeInvalid)
		w.clk.Add(3 * time.Hour)
		r = w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/complete", map[string]any{"photos": []map[string]any{
			{"file_id": before, "phase": "before"}, {"file_id": after}}}), 200)
		if ps, _ := r.JSON["photos"].([]any); len(ps) != 2 || ps[0].(map[string]any)["phase"] != "before" || ps[1].(map[string]any)["phase"] != "after" {
			t.Fatalf("order's photos: %v", r.JSON["photos"])
		}
		done := w.one(ordCustomer, notify.KindServiceCompleted, id)
		ordContains(t, "completion", done.Body, "附服务照片 2 张")
		var data struct {
			Photos []model.OrderPhoto `json:"photos"`
		}
		if err := json.Unmarshal(done.Data, &data); err != nil || len(data.Photos) != 2 || data.Photos[1].URL != "/v1/files/"+after {
			t.Fatalf("completion notice's photos: %s", done.Data)
		}
		for who, want := range map[string]int{ordCustomer: 200, ordOp1: 200, ordW1: 200, ordW2: 404} {
			if got := w.as(who, "GET", "/v1/files/"+after+"/thumbnail", nil).Status; got != want {
				t.Errorf("%s reads a photo: %d, want %d", who, got, want)
			}
		}
		if got := w.s.Do("GET", "/v1/files/"+after, w.s.Token("c-chen", model.RoleCustomer), nil).Status; got != 404 {
			t.Errorf("another customer reads a photo: %d, want 404", got)
		}
		if evs := w.visitEvents(id, "completed"); len(evs) != 1 || evs[0]["photos"] != float64(2) {
			t.Errorf("completion in the trail: %v", evs)
		}
	})
}

// Y4: a worker not on the way a set time before the appointment is nudged once; still not on the
// way at the appointment, the operators are told and the approvals board lists the order until
// the worker sets out; a worker on the way in time is neither nudged nor reported; and past the
// start window nobody starts the service. The policy moves the nudge.
func TestY4NudgeThenOperatorNoticeAndStartWindow(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		appt := ordT0.Add(4 * time.Hour)
		late := w.bookAccepted(appt)
		early := w.bookAccepted(appt.Add(time.Minute))

		w.clk.Set(appt.Add(-46 * time.Minute))
		w.want(w.as(ordW1, "POST", "/v1/orders/"+early+"/on-the-way", map[string]any{"minutes": 40}), 200)
		w.clk.Set(appt.Add(-31 * time.Minute))
		w.s.RunJobs(t)
		w.none(ordW1, notify.KindVisitNudge)
		w.clk.Set(appt.Add(-30 * time.Minute))
		w.s.RunJobs(t)
		w.s.RunJobs(t)
		n := w.one(ordW1, notify.KindVisitNudge, late)
		ordContains(t, "nudge", n.Title+n.Body, "该出发了", "13:00")
		if len(w.inbox(ordW1, notify.KindVisitNudge)) != 1 {
			t.Fatalf("the worker on the way was nudged too")
		}
		if evs := w.visitEvents(late, "worker_nudged"); len(evs) != 1 {
			t.Fatalf("nudge in the trail: %v", evs)
		}

		w.clk.Set(appt.Add(time.Minute))
		w.s.RunJobs(t)
		for _, op := range []string{ordOp1, ordOp2} {
			n := w.one(op, notify.KindVisitException, late)
			ordContains(t, "operators", n.Title+n.Body, "服务人员未出发", "王阿姨")
		}
		if got := len(w.inbox(ordOp1, notify.KindVisitException)); got != 1 {
			t.Fatalf("operators told %d times, want once (not about the worker on the way)", got)
		}
		ap := w.want(w.as(ordOp1, "GET", "/v1/approvals", nil), 200)
		vs, _ := ap.JSON["visits"].([]any)
		if len(vs) != 1 || vs[0].(map[string]any)["order_id"] != late || vs[0].(map[string]any)["reason"] != "not_on_the_way" || vs[0].(map[string]any)["nudged_at"] == nil {
			t.Fatalf("approvals: %s", ap)
		}
		// The worker sets out after all: off the board, and the customer is told.
		w.want(w.as(ordW1, "POST", "/v1/orders/"+late+"/on-the-way", map[string]any{"minutes": 20}), 200)
		if ap := w.want(w.as(ordOp1, "GET", "/v1/approvals", nil), 200); len(ap.JSON["visits"].([]any)) != 0 {
			t.Fatalf("approvals after setting out: %s", ap)
		}
		w.one(ordCustomer, notify.KindVisitOnTheWay, late)

		// Past the start window (4 hours after by default) neither check-in nor override starts it.
		w.clk.Set(appt.Add(4*time.Hour + time.Minute))
		r := w.as(ordW1, "POST", "/v1/orders/"+late+"/check-in", nil)
		wantProblem(t, r, 409, model.CodeOutsideStartWindow)
		ordContains(t, "late", r.Str("detail"), "too late", "new time")
		wantProblem(t, w.as(ordOp1, "POST", "/v1/orders/"+late+"/start", map[string]any{"override_reason": "x"}), 409, model.CodeOutsideStartWindow)

		// The policy moves the nudge: 90 minutes before.
		pol := w.want(w.as(ordOp1, "GET", "/v1/admin/policies", nil), 200)
		var p map[string]any
		pol.Decode(t, &p)
		p["visit"] = map[string]any{"nudge_lead_minutes": 90, "start_early_minutes": 60}
		w.want(w.as(ordOp1, "PUT", "/v1/admin/policies", p), 200)
		p["visit"] = map[string]any{"nudge_lead_minutes": -1}
		wantProblem(t, w.as(ordOp1, "PUT", "/v1/admin/policies", p), 400, model.CodeInvalid)
		next := w.bookAccepted(w.clk.Now().Add(3 * time.Hour))
		w.clk.Add(3*time.Hour - 91*time.Minute)
		w.s.RunJobs(t)
		if len(w.inbox(ordW1, notify.KindVisitNudge)) != 1 {
			t.Fatalf("nudged before the policy's lead")
		}
		w.clk.Add(time.Minute)
		w.s.RunJobs(t)
		w.one(ordW1, notify.KindVisitNudge, next)
		// … and the window: 60 minutes before is fine now.
		w.clk.Add(30 * time.Minute)
		w.want(w.as(ordW1, "POST", "/v1/orders/"+next+"/check-in", nil), 200)
	})
}

// Y4: estimates given inside the slip gap are not sent one by one: the customer is told once,
// when the gap ends, the estimate as it is then — and nothing when it came back within the
// margin meanwhile.
func TestY4ETAUpdatesInsideTheGapCoalesce(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		appt := ordT0.Add(3 * time.Hour) // 12:00 in Shanghai
		id := w.bookAccepted(appt)
		eta := func(d time.Duration) map[string]any { return map[string]any{"eta": appt.Add(d).Format(time.RFC3339)} }
		told := func() []model.Notification { return w.inbox(ordCustomer, notify.KindVisitOnTheWay) }

		w.clk.Set(appt.Add(-60 * time.Minute))
		w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/on-the-way", eta(-30*time.Minute)), 200) // 11:30: told
		// Three updates inside the five-minute gap, each slipping past the margin: none told now.
		for i, d := range []time.Duration{-10 * time.Minute, 0, -5 * time.Minute} {
			w.clk.Add(time.Minute)
			w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/on-the-way", eta(d)), 200)
			if n := len(told()); n != 1 {
				t.Fatalf("update %d inside the gap: customer told %d times, want 1", i+1, n)
			}
		}
		evs := w.visitEvents(id, "eta_updated")
		if len(evs) != 3 || evs[0]["customer_told"] != false || evs[0]["customer_told_at"] != model.FormatTime(appt.Add(-55*time.Minute)) {
			t.Fatalf("trail of held estimates: %v", evs)
		}
		w.s.RunJobs(t) // 11:03: the gap has not ended
		if n := len(told()); n != 1 {
			t.Fatalf("told %d times before the gap ended", n)
		}
		// The gap ends: one notice, with the latest estimate (11:55, was 11:30).
		w.clk.Set(appt.Add(-55 * time.Minute))
		w.s.RunJobs(t)
		ns := told()
		if len(ns) != 2 {
			t.Fatalf("customer told %d times after the gap, want 2", len(ns))
		}
		ordContains(t, "coalesced slip", ns[1].Title+ns[1].Body, "推迟", "11:55", "原预计", "11:30")
		if strings.Contains(ns[1].Body, "12:00") || strings.Contains(ns[1].Body, "11:50") {
			t.Errorf("the notice tells an estimate that was replaced: %q", ns[1].Body)
		}
		if told := w.visitEvents(id, "eta_told"); len(told) != 1 {
			t.Fatalf("eta_told in the trail: %v", told)
		}
		// A slip inside the next gap that is taken back before it ends: nothing told.
		w.clk.Add(time.Minute)
		w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/on-the-way", eta(25*time.Minute)), 200)
		w.clk.Add(time.Minute)
		w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/on-the-way", eta(0)), 200) // 5 minutes past 11:55: within the margin
		w.clk.Add(5 * time.Minute)
		w.s.RunJobs(t)
		if n := len(told()); n != 2 {
			t.Fatalf("customer told %d times of a slip taken back inside the gap, want 2", n)
		}
	})
}

// Y4: a worker on the way is nudged relative to their own estimate, not the appointment: with an
// estimate after the appointment they get no "set out" nudge and operators no notice; once the
// estimate is past by the margin without a check-in they are nudged, once per estimate; a check-in
// ends it.
func TestY4NudgeRelativeToTheWorkersEstimate(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		appt := ordT0.Add(4 * time.Hour) // 13:00 in Shanghai
		id := w.bookAccepted(appt)
		onTheWay := func(d time.Duration) {
			w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/on-the-way", map[string]any{"eta": appt.Add(d).Format(time.RFC3339)}), 200)
		}
		nudges := func() []model.Notification { return w.inbox(ordW1, notify.KindVisitNudge) }

		w.clk.Set(appt.Add(-40 * time.Minute))
		onTheWay(15 * time.Minute) // 13:15, after the appointment: the customer knows
		for _, at := range []time.Duration{-30 * time.Minute, time.Minute, 24 * time.Minute} {
			w.clk.Set(appt.Add(at))
			w.s.RunJobs(t)
			if n := nudges(); len(n) != 0 {
				t.Fatalf("at %v the worker on the way was nudged: %+v", at, n)
			}
		}
		w.none(ordOp1, notify.KindVisitException)

		// 13:25: the estimate is past by the margin and no check-in: nudged, about the estimate.
		w.clk.Set(appt.Add(25 * time.Minute))
		w.s.RunJobs(t)
		w.s.RunJobs(t)
		ns := nudges()
		if len(ns) != 1 {
			t.Fatalf("worker nudged %d times past the estimate, want 1", len(ns))
		}
		ordContains(t, "nudge past the estimate", ns[0].Title+ns[0].Body, "到了吗", "13:15", "打卡")
		if strings.Contains(ns[0].Title+ns[0].Body, "该出发了") || strings.Contains(ns[0].Body, "还没有标记出发") {
			t.Errorf("nudged as if not set out: %q / %q", ns[0].Title, ns[0].Body)
		}
		if evs := w.visitEvents(id, "worker_nudged"); len(evs) != 1 || evs[0]["eta"] != model.FormatTime(appt.Add(15*time.Minute)) {
			t.Fatalf("nudge in the trail: %v", evs)
		}

		// A new estimate re-arms it: nudged again only once that one is past by the margin.
		w.clk.Add(time.Minute)
		onTheWay(40 * time.Minute) // 13:40
		w.clk.Set(appt.Add(49 * time.Minute))
		w.s.RunJobs(t)
		if n := len(nudges()); n != 1 {
			t.Fatalf("nudged %d times before the new estimate was past", n)
		}
		w.clk.Set(appt.Add(50 * time.Minute))
		w.s.RunJobs(t)
		ns = nudges()
		if len(ns) != 2 {
			t.Fatalf("nudged %d times past the new estimate, want 2", len(ns))
		}
		ordContains(t, "second nudge", ns[1].Body, "13:40")

		// A check-in before the next estimate passes: no more nudges.
		w.clk.Add(time.Minute)
		onTheWay(60 * time.Minute)
		w.clk.Add(4 * time.Minute)
		w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/check-in", nil), 200)
		w.clk.Set(appt.Add(80 * time.Minute))
		w.s.RunJobs(t)
		if n := len(nudges()); n != 2 {
			t.Fatalf("nudged %d times after the check-in, want 2", n)
		}
	})
}
