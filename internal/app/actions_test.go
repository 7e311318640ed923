package app_test

// Act from the notice (Y2): the same rules as the app, from the message center, from a Web Push
// notification's button (the service worker's API call with the person's session) and from a
// gateway's callback with a signed, single-use, short-lived action token.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/deliver"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store/storetest"
)

// Y2: the worker accepts a time change from the notification's button, as sw.js calls it: the
// order moves, the notice is read and its chain stops. Pressing it again, acting on someone
// else's notice, or on an action the notice does not carry changes nothing.
func TestY2ActionFromWebPushButton(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		order := w.bookAccepted(ordT0.Add(48 * time.Hour))
		newTime := ordT0.Add(50 * time.Hour)
		w.want(w.as(ordCustomer, "POST", "/v1/orders/"+order+"/time-changes", map[string]any{
			"new_time": newTime.Format(time.RFC3339), "reason": "临时出差"}), 201)
		n := w.one(ordW1, notify.KindChangeRequested, order)
		path := "/v1/me/inbox/" + n.ID + "/actions/"
		if r := w.as(ordW2, "POST", path+"accept_time_change", nil); r.Status != 404 {
			t.Fatalf("someone else's notice: %s", r)
		}
		if r := w.as(ordW1, "POST", path+"approve_cancellation", nil); r.Status != 400 {
			t.Fatalf("an action the notice does not carry: %s", r)
		}
		// sw.js: POST with the session's bearer token and an empty JSON object.
		r := w.want(w.as(ordW1, "POST", path+"accept_time_change", map[string]any{}), 200)
		if r.Str("action") != "accept_time_change" || r.JSON["result"].(map[string]any)["state"] != model.ChangeAccepted {
			t.Fatalf("%s", r)
		}
		if got := w.order(order).AppointmentAt; !got.Equal(newTime) {
			t.Fatalf("the order is at %s, want %s", got, newTime)
		}
		if n := w.one(ordW1, notify.KindChangeRequested, order); n.ReadAt == nil {
			t.Fatal("the notice acted on is still unread")
		}
		wantTrail(t, w.trail(order, ordW1), "inapp sent", "inapp read")
		r = w.want(w.as(ordW1, "POST", path+"decline_time_change", map[string]any{"reason": "没空"}), 409)
		if r.Code() != "notice_stale" || !strings.Contains(r.Str("detail"), "accepted") {
			t.Fatalf("acting on an answered change: %s", r)
		}
		if got := w.order(order).AppointmentAt; !got.Equal(newTime) {
			t.Fatal("a stale action changed the order")
		}
	})
}

// Y2: an operator approves a cancellation from the message center; the other operator's same
// notice is stale then. A cancelled order makes a pending time change's notice stale.
func TestY2ActionFromMessageCenterAndStaleNotices(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		order := w.bookAccepted(ordT0.Add(time.Hour)) // close: the cancellation needs approval
		w.want(w.as(ordCustomer, "POST", "/v1/orders/"+order+"/cancel", map[string]any{"reason": "家里有事"}), 202)
		n1 := w.one(ordOp1, notify.KindCancellationRequested, order)
		n2 := w.one(ordOp2, notify.KindCancellationRequested, order)
		r := w.want(w.as(ordOp1, "POST", "/v1/me/inbox/"+n1.ID+"/actions/approve_cancellation", map[string]any{}), 200)
		if r.JSON["result"].(map[string]any)["status"] != model.CancellationApproved {
			t.Fatalf("%s", r)
		}
		if w.order(order).Status != model.OrderCancelled {
			t.Fatal("the order is not cancelled")
		}
		r = w.want(w.as(ordOp2, "POST", "/v1/me/inbox/"+n2.ID+"/actions/decline_cancellation", map[string]any{"reason": "不行"}), 409)
		if r.Code() != "notice_stale" {
			t.Fatalf("%s", r)
		}

		other := w.bookAccepted(ordT0.Add(72 * time.Hour))
		w.want(w.as(ordCustomer, "POST", "/v1/orders/"+other+"/time-changes", map[string]any{
			"new_time": ordT0.Add(73 * time.Hour).Format(time.RFC3339), "reason": "晚一点"}), 201)
		n := w.one(ordW1, notify.KindChangeRequested, other)
		w.want(w.as(ordCustomer, "POST", "/v1/orders/"+other+"/cancel", map[string]any{"reason": "不需要了"}), 200)
		r = w.want(w.as(ordW1, "POST", "/v1/me/inbox/"+n.ID+"/actions/accept_time_change", nil), 409)
		if r.Code() != "notice_stale" || !strings.Contains(r.Str("detail"), "cancelled") {
			t.Fatalf("acting on a cancelled order's change: %s", r)
		}
		if w.order(other).Status != model.OrderCancelled {
			t.Fatal("the stale action changed the order")
		}
	})
}

// Y2: the gateway's webhook carries a signed, single-use, short-lived token per action; the
// platform redeems one ("回复1确认") with its service key. A reused, forged or expired token is
// refused, and a token of a stale notice changes nothing.
func TestY2ActionFromGatewayToken(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		g := newGateway(t, w.clk, 200)
		g.register(t, w.s, w.key, []string{notify.KindChangeRequested})
		order := w.bookAccepted(ordT0.Add(48 * time.Hour))
		ask := func(at time.Time) deliver.WebhookBody {
			t.Helper()
			w.want(w.as(ordCustomer, "POST", "/v1/orders/"+order+"/time-changes", map[string]any{
				"new_time": at.Format(time.RFC3339), "reason": "改时间"}), 201)
			w.runAll()
			reqs := g.requests()
			return reqs[len(reqs)-1].body
		}
		token := func(b deliver.WebhookBody, typ string) string {
			for _, a := range b.Actions {
				if a.Type == typ {
					if !a.ExpiresAt.Equal(w.clk.Now().Add(30 * time.Minute)) {
						t.Fatalf("token expiry %s", a.ExpiresAt)
					}
					return a.Token
				}
			}
			t.Fatalf("no %s token in %+v", typ, b.Actions)
			return ""
		}
		redeem := func(tok string, body map[string]any) *apptest.Response {
			if body == nil {
				body = map[string]any{}
			}
			body["token"] = tok
			return w.as("platform", "POST", "/v1/actions/redeem", body)
		}
		b := ask(ordT0.Add(49 * time.Hour))
		decline := token(b, "decline_time_change")
		if r := w.as(ordCustomer, "POST", "/v1/actions/redeem", map[string]any{"token": decline}); r.Status != 403 {
			t.Fatalf("a person redeeming a gateway token: %s", r)
		}
		forged := decline[:len(decline)-2] + map[bool]string{true: "AA", false: "AB"}[!strings.HasSuffix(decline, "AA")]
		if r := redeem(forged, nil); r.Status != 403 || r.Code() != "action_token_refused" {
			t.Fatalf("a forged token: %s", r)
		}
		r := w.want(redeem(decline, map[string]any{"reason": "那天没空"}), 200)
		if r.JSON["result"].(map[string]any)["state"] != model.ChangeDeclined {
			t.Fatalf("%s", r)
		}
		if r := redeem(decline, nil); r.Status != 403 || !strings.Contains(r.Str("detail"), "used") {
			t.Fatalf("a reused token: %s", r)
		}
		if r := redeem(token(b, "accept_time_change"), nil); r.Status != 409 || r.Code() != "notice_stale" {
			t.Fatalf("the other token of an answered change: %s", r)
		}

		b = ask(ordT0.Add(51 * time.Hour))
		late := token(b, "accept_time_change")
		w.clk.Add(31 * time.Minute)
		if r := redeem(late, nil); r.Status != 403 || !strings.Contains(r.Str("detail"), "expired") {
			t.Fatalf("an expired token: %s", r)
		}
		if w.order(order).AppointmentAt.Equal(ordT0.Add(51 * time.Hour)) {
			t.Fatal("an expired token moved the order")
		}
	})
}

// Y2: every attempt of a gateway webhook carries tokens of its own (a retry does not resend one
// that may have leaked with a lost answer); the daily retention purge deletes tokens a day after
// they expired and keeps live ones; a purged token is refused as expired, a live one still runs.
func TestY2ExpiredActionTokensPurged(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		g := newGateway(t, w.clk, 503, 200)
		g.register(t, w.s, w.key, []string{notify.KindChangeRequested})
		ctx := context.Background()
		if err := w.s.App.ScheduleRetention(ctx); err != nil {
			t.Fatal(err)
		}
		// tokens counts the stored tokens that expire after after.
		tokens := func(after time.Time) int {
			var n int
			if err := w.s.Store.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM action_tokens WHERE expires_at > $1`,
				after.UTC()).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		tokenOf := func(b deliver.WebhookBody) string {
			for _, a := range b.Actions {
				if a.Type == "accept_time_change" {
					return a.Token
				}
			}
			t.Fatalf("no accept_time_change token in %+v", b.Actions)
			return ""
		}
		order := w.bookAccepted(ordT0.Add(48 * time.Hour))
		w.want(w.as(ordCustomer, "POST", "/v1/orders/"+order+"/time-changes", map[string]any{
			"new_time": ordT0.Add(49 * time.Hour).Format(time.RFC3339), "reason": "改时间"}), 201)
		w.runAll()
		for i := 0; i < 20 && len(g.requests()) < 2; i++ {
			w.clk.Add(time.Minute) // the gateway's 503 is retried
			w.runAll()
		}
		reqs := g.requests()
		if len(reqs) != 2 || reqs[0].id != reqs[1].id {
			t.Fatalf("want one delivery in two attempts, got %d requests", len(reqs))
		}
		first, second := tokenOf(reqs[0].body), tokenOf(reqs[1].body)
		if first == second {
			t.Fatal("the retry carried the first attempt's token")
		}
		minted := tokens(time.Time{})
		if minted != 2*len(reqs[0].body.Actions) {
			t.Fatalf("%d tokens stored for two attempts of %d actions", minted, len(reqs[0].body.Actions))
		}

		// A day and a half after they expired, a new change brings live tokens; the purge runs.
		w.clk.Add(42 * time.Hour)
		order2 := w.bookAccepted(ordT0.Add(96 * time.Hour))
		w.want(w.as(ordCustomer, "POST", "/v1/orders/"+order2+"/time-changes", map[string]any{
			"new_time": ordT0.Add(97 * time.Hour).Format(time.RFC3339), "reason": "改时间"}), 201)
		w.runAll()
		var fresh deliver.WebhookBody
		for _, r := range g.requests() {
			if r.body.Notification.OrderID == order2 {
				fresh = r.body
			}
		}
		live := tokenOf(fresh)
		if j := w.job("retention"); j.State != model.JobScheduled || !j.RunAt.After(w.clk.Now()) {
			t.Fatalf("the retention purge did not run: %+v", j)
		}
		if all, alive := tokens(time.Time{}), tokens(w.clk.Now()); all != alive || alive < len(fresh.Actions) {
			t.Fatalf("after the purge %d tokens are stored, %d of them live; want only live ones, at least %d",
				all, alive, len(fresh.Actions))
		}
		for _, tok := range []string{first, second} {
			r := w.as("platform", "POST", "/v1/actions/redeem", map[string]any{"token": tok})
			if r.Status != 403 || r.Code() != "action_token_refused" || !strings.Contains(r.Str("detail"), "expired") {
				t.Fatalf("a purged token: %s", r)
			}
		}
		w.want(w.as("platform", "POST", "/v1/actions/redeem", map[string]any{"token": live}), 200)
		if !w.order(order2).AppointmentAt.Equal(ordT0.Add(97 * time.Hour)) {
			t.Fatal("the live token did not move the order")
		}
	})
}

// Y2: a chat message on a completed order can be answered from its notice while the app lets the
// order's chat be written (7 days after completion), with the app's own rule: once the chat
// closed for writing, the reply from the notice is refused as out of date and nothing is sent.
func TestY2ChatReplyFromNoticeAfterCompletion(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		order := w.completedBy(ordW1, ordT0.Add(10*time.Minute))
		conv := w.conversationOf(ordCustomer, order)
		w.want(w.send(ordW1, conv, "w-1", "钥匙放在鞋柜上了"), 201)
		n := w.one(ordCustomer, notify.KindChatMessage, order)
		reply := func(n model.Notification, clientID string) *apptest.Response {
			return w.as(ordCustomer, "POST", "/v1/me/inbox/"+n.ID+"/actions/reply", map[string]any{"text": "收到，谢谢", "client_id": clientID})
		}
		w.want(reply(n, "c-1"), 200)
		if got := w.texts(ordW1, conv); len(got) != 2 || got[1] != "收到，谢谢" {
			t.Fatalf("the chat after the reply from the notice: %q", got)
		}
		w.want(w.send(ordW1, conv, "w-2", "下次见"), 201)
		n = w.one(ordCustomer, notify.KindChatMessage, order) // the conversation's one entry, told again
		w.clk.Add(8 * 24 * time.Hour)
		if r := reply(n, "c-2"); r.Status != 409 || r.Code() != string(model.CodeNoticeStale) {
			t.Fatalf("a reply after the chat closed: %s", r)
		}
		if got := w.texts(ordW1, conv); len(got) != 3 {
			t.Fatalf("the closed chat: %q", got)
		}
	})
}
