package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/booking"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store/storetest"
)

// The household (Y5) over HTTP on both databases: c-lin's daughter (English, London), added by the
// platform to all of c-lin's orders with both rights, and her son (Chinese, New York), invited by
// phone to one order, resolved by the platform, with neither right.
const (
	hhDaughter = "c-lin-daughter"
	hhSon      = "c-lin-son"
)

type hhWorld struct {
	*world
	order, other     string // the son watches order; other is another of c-lin's orders
	daughterW, sonW  string // their watcher ids
	orderAt, otherAt time.Time
}

func newHHWorld(t *testing.T, dsn string) *hhWorld {
	t.Helper()
	w := newOrdWorld(t, dsn, nil)
	h := &hhWorld{world: w}
	w.people(model.Person{ID: hhDaughter, Role: model.RoleCustomer, Name: "Lin Mei", AvatarURL: "/avatars/mei.svg",
		Phone: "13800000002", Locale: model.LocaleEN, TimeZone: "Europe/London"},
		model.Person{ID: hhSon, Role: model.RoleCustomer, Name: "林小东", Phone: "13800000003", TimeZone: "America/New_York"})
	h.orderAt, h.otherAt = ordT0.Add(48*time.Hour), ordT0.Add(72*time.Hour)
	h.order = w.book(h.orderAt)
	h.other = w.book(h.otherAt)

	// The platform adds the daughter it synced to all of c-lin's orders.
	r := w.want(w.as("platform", "POST", "/v1/household/watchers", map[string]any{"customer_id": ordCustomer,
		"person_id": hhDaughter, "can_chat": true, "can_answer_changes": true}), 201)
	h.daughterW = r.Str("id")
	// c-lin invites her son by phone to one order; a stranger's id is refused.
	wantFields(t, w.as(ordCustomer, "POST", "/v1/household/watchers", map[string]any{"person_id": hhSon, "order_id": h.order}), "person_id")
	wantFields(t, w.as(ordCustomer, "POST", "/v1/household/watchers", map[string]any{"phone": "call me"}), "phone")
	r = w.want(w.as(ordCustomer, "POST", "/v1/household/watchers", map[string]any{"phone": "+8613800000003", "order_id": h.order}), 201)
	h.sonW = r.Str("id")
	if r.Str("status") != model.WatcherInvited || r.Str("person_id") != "" {
		t.Fatalf("invite: %s", r)
	}
	inv := w.want(w.as("platform", "GET", "/v1/household/invites", nil), 200)
	if len(inv.Items()) != 1 || inv.Items()[0]["phone"] != "+8613800000003" {
		t.Fatalf("invites: %s", inv)
	}
	r = w.want(w.as("platform", "POST", "/v1/household/invites/"+h.sonW+"/resolve", map[string]any{"person_id": hhSon}), 200)
	if r.Str("status") != model.WatcherActive || r.Str("name") != "林小东" {
		t.Fatalf("resolved: %s", r)
	}
	if len(w.want(w.as("platform", "GET", "/v1/household/invites", nil), 200).Items()) != 0 {
		t.Fatal("a resolved invite is still listed")
	}
	hh := w.want(w.as(ordCustomer, "GET", "/v1/household/watchers", nil), 200)
	if len(hh.Items()) != 2 {
		t.Fatalf("household: %s", hh)
	}
	// The son mutes alerts of service notices: his preferences, not c-lin's, decide.
	w.want(h.as(hhSon, "PUT", "/v1/me/preferences", map[string]any{"category_alert": map[string]string{"service": "badge"}}), 200)
	return h
}

// Y5: each watcher is told of the order in their own language, time zone and preferences, only
// of the orders they watch, and never of money.
func TestY5WatchersToldInTheirLanguageZoneAndPreferences(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		h := newHHWorld(t, dsn)
		h.want(h.as(ordW1, "POST", "/v1/orders/"+h.order+"/accept", nil), 200)
		h.want(h.as(ordW1, "POST", "/v1/orders/"+h.other+"/accept", nil), 200)

		cust := h.one(ordCustomer, notify.KindOrderAccepted, h.order)
		mei := h.one(hhDaughter, notify.KindOrderAccepted, h.order)
		dong := h.one(hhSon, notify.KindOrderAccepted, h.order)
		if !strings.Contains(cust.Body, "03-03 09:00") && !strings.Contains(cust.Body, "09:00") {
			t.Errorf("customer (Shanghai): %q", cust.Body)
		}
		if mei.Title != "Your booking was accepted" || !strings.Contains(mei.Body, "Tue 3 Mar 01:00") {
			t.Errorf("daughter (English, London): %q / %q", mei.Title, mei.Body)
		}
		if dong.Title != "订单已被接单" || !strings.Contains(dong.Body, "20:00") || strings.Contains(dong.Body, "09:00") {
			t.Errorf("son (Chinese, New York): %q / %q", dong.Title, dong.Body)
		}
		if cust.Alert != "sound" || dong.Alert != "badge" || mei.Alert != "sound" {
			t.Errorf("alerts: customer %q, son %q (badge by his settings), daughter %q", cust.Alert, dong.Alert, mei.Alert)
		}
		// The other order: the daughter watches all of c-lin's orders, the son only one.
		h.one(hhDaughter, notify.KindOrderAccepted, h.other)
		if n := h.inboxAbout(hhSon, h.other); n != 0 {
			t.Errorf("son told %d times of an order he does not watch", n)
		}

		// A cancellation with a refund: the customer hears the amount, the daughter does not.
		h.want(h.as(ordCustomer, "POST", "/v1/orders/"+h.other+"/cancel", map[string]any{"reason": "出差"}), 200)
		cc := h.one(ordCustomer, notify.KindOrderCancelled, h.other)
		mc := h.one(hhDaughter, notify.KindOrderCancelled, h.other)
		if !strings.Contains(cc.Body, "150.00") && !strings.Contains(cc.Body, "¥") {
			t.Errorf("customer's cancellation lacks the refund: %q", cc.Body)
		}
		if strings.Contains(mc.Body, "¥") || strings.Contains(strings.ToLower(mc.Body), "refund") || strings.Contains(string(mc.Data), "refund") {
			t.Errorf("daughter's cancellation tells of money: %q %s", mc.Body, mc.Data)
		}
		// The settlement of the refund is the customer's alone.
		h.want(h.as(ordOp1, "POST", "/v1/orders/"+h.other+"/refund/settled", nil), 200)
		h.one(ordCustomer, notify.KindRefundSettled, h.other)
		if ns := h.inbox(hhDaughter, notify.KindRefundSettled); len(ns) != 0 {
			t.Errorf("daughter told of the refund: %+v", ns)
		}
		// The review invitation is the customer's too; the daughter hears the service is done.
		h.clk.Set(h.orderAt) // the start window (Y4)
		h.startAs(ordW1, h.order)
		h.want(h.as(ordW1, "POST", "/v1/orders/"+h.order+"/complete", nil), 200)
		done := h.one(hhDaughter, notify.KindServiceCompleted, h.order)
		if strings.Contains(string(done.Data), "review") || done.Title != "Service completed" || strings.Contains(done.Body, "Tell us") {
			t.Errorf("daughter invited to review: %q / %q %s", done.Title, done.Body, done.Data)
		}
		// A bulk cancellation (force majeure) tells the watchers of each order too, without money.
		third := h.book(ordT0.Add(96 * time.Hour))
		h.want(h.as(ordOp1, "POST", "/v1/orders/cancel-bulk", map[string]any{"area": ordArea, "reason": "台风",
			"from": ordT0.Add(90 * time.Hour).Format(time.RFC3339), "to": ordT0.Add(100 * time.Hour).Format(time.RFC3339)}), 200)
		bc := h.one(hhDaughter, notify.KindOrderCancelled, third)
		if !strings.Contains(bc.Body, "Reason: 台风") || strings.Contains(string(bc.Data), "refund") {
			t.Errorf("daughter's bulk cancellation: %q %s", bc.Body, bc.Data)
		}
		if n := h.inboxAbout(hhSon, third); n != 0 {
			t.Errorf("son told %d times of the third order", n)
		}
	})
}

// inboxAbout counts a person's notifications about an order.
func (w *world) inboxAbout(personID, orderID string) int {
	n := 0
	for _, x := range w.inbox(personID, "") {
		if x.OrderID == orderID {
			n++
		}
	}
	return n
}

// Y5, X5: a watcher reads the order without its payment details and its timeline; never the
// customer's other orders; the worker sees a watcher's display name only; watchers change nothing.
func TestY5WatcherSeesTheOrderWithoutPaymentOnly(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		h := newHHWorld(t, dsn)
		h.want(h.as(ordW1, "POST", "/v1/orders/"+h.order+"/accept", nil), 200)

		r := h.want(h.as(hhSon, "GET", "/v1/orders/"+h.order, nil), 200)
		if _, ok := r.JSON["amount_paid_cents"]; ok {
			t.Errorf("watcher reads the amount paid: %s", r)
		}
		if v, _ := r.JSON["viewer"].(map[string]any); v["relation"] != "watcher" || v["can_chat"] != false || v["can_answer_changes"] != false {
			t.Errorf("viewer: %s", r)
		}
		if r := h.want(h.as(ordCustomer, "GET", "/v1/orders/"+h.order, nil), 200); r.JSON["amount_paid_cents"] != float64(15000) || r.JSON["viewer"] != nil {
			t.Errorf("customer's view: %s", r)
		}
		// The worker sees the watchers by display name only.
		wv := h.want(h.as(ordW1, "GET", "/v1/orders/"+h.order, nil), 200)
		ws, _ := wv.JSON["watchers"].([]any)
		if len(ws) != 2 {
			t.Fatalf("worker's view of the watchers: %s", wv)
		}
		for _, x := range ws {
			m := x.(map[string]any)
			if len(m) != 1 || (m["name"] != "Lin Mei" && m["name"] != "林小东") {
				t.Errorf("worker sees %v of a watcher", m)
			}
		}
		if strings.Contains(wv.String(), "13800000003") || strings.Contains(wv.String(), hhSon) {
			t.Errorf("worker sees a watcher's phone or id: %s", wv)
		}
		tl := h.want(h.as(hhSon, "GET", "/v1/orders/"+h.order+"/timeline", nil), 200)
		if len(tl.Items()) == 0 {
			t.Fatalf("timeline: %s", tl)
		}
		// Never the customer's other orders, by any route.
		for _, p := range []string{"/v1/orders/" + h.other, "/v1/orders/" + h.other + "/timeline", "/v1/orders/" + h.other + "/conversation"} {
			if r := h.as(hhSon, "GET", p, nil); r.Status != 404 {
				t.Errorf("son GET %s: %s", p, r)
			}
		}
		if l := h.want(h.as(hhSon, "GET", "/v1/orders", nil), 200); len(l.Items()) != 0 {
			t.Errorf("son's own orders list c-lin's: %s", l)
		}
		wl := h.want(h.as(hhSon, "GET", "/v1/household/watching", nil), 200)
		if len(wl.Items()) != 1 || wl.Items()[0]["id"] != h.order || wl.Items()[0]["amount_paid_cents"] != nil {
			t.Errorf("son watches: %s", wl)
		}
		if dl := h.want(h.as(hhDaughter, "GET", "/v1/household/watching", nil), 200); len(dl.Items()) != 2 {
			t.Errorf("daughter watches: %s", dl)
		}
		// Watchers follow; only the customer changes the order or its household.
		for _, c := range []struct{ method, path string }{
			{"POST", "/v1/orders/" + h.order + "/cancel"},
			{"POST", "/v1/orders/" + h.order + "/worker-changes"},
			{"GET", "/v1/orders/" + h.order + "/cancellation-quote"},
		} {
			if r := h.as(hhDaughter, c.method, c.path, map[string]any{"reason": "不要了"}); r.Status != 403 {
				t.Errorf("daughter %s %s: %s", c.method, c.path, r)
			}
		}
		if r := h.as(hhDaughter, "PATCH", "/v1/household/watchers/"+h.sonW, map[string]any{"can_chat": true}); r.Status != 404 {
			t.Errorf("daughter changes her brother's rights: %s", r)
		}
		// A cancelled order: its watchers read the cancellation without its money.
		h.want(h.as(ordCustomer, "POST", "/v1/orders/"+h.other+"/cancel", map[string]any{"reason": "出差"}), 200)
		cv := h.want(h.as(hhDaughter, "GET", "/v1/orders/"+h.other, nil), 200)
		cn, _ := cv.JSON["cancellation"].(map[string]any)
		if cn == nil || cn["reason"] != "出差" || cn["refund_cents"] != nil || cv.JSON["amount_paid_cents"] != nil {
			t.Errorf("daughter's cancelled order: %s", cv)
		}
		if tl := h.want(h.as(hhDaughter, "GET", "/v1/orders/"+h.other+"/timeline", nil), 200); strings.Contains(tl.String(), "refund_cents") {
			t.Errorf("daughter's timeline shows the refund: %s", tl)
		}
	})
}

// Y5, I1, E1: the chat right decides whether a watcher is in the order's conversation (their role
// shown); the answer right whether they answer the worker's time change for the customer.
func TestY5ChatAndAnswerRights(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		h := newHHWorld(t, dsn)
		h.want(h.as(ordW1, "POST", "/v1/orders/"+h.order+"/accept", nil), 200)
		conv := h.conversationOf(ordCustomer, h.order)

		// The daughter may chat: she is a member in the role watcher, with her name only.
		cv := h.want(h.as(hhDaughter, "GET", "/v1/orders/"+h.order+"/conversation", nil), 200)
		if cv.Str("id") != conv {
			t.Fatalf("daughter's conversation: %s", cv)
		}
		h.want(h.as(hhDaughter, "POST", "/v1/conversations/"+conv+"/messages", map[string]any{"client_id": "m-1", "text": "阿姨您好，我是林晓的女儿"}), 201)
		wv := h.want(h.as(ordW1, "GET", "/v1/conversations/"+conv, nil), 200)
		found := false
		for _, x := range wv.JSON["members"].([]any) {
			m := x.(map[string]any)
			if m["person_id"] == hhDaughter {
				found = m["role"] == "watcher" && m["name"] == "Lin Mei" && m["avatar_url"] == ""
			}
		}
		if !found {
			t.Errorf("worker's view of the members: %s", wv)
		}
		if got := h.texts(ordW1, conv); len(got) != 1 || got[0] != "阿姨您好，我是林晓的女儿" {
			t.Errorf("worker reads %q", got)
		}
		// The son may not: the chat is closed to him on every route.
		if r := h.as(hhSon, "GET", "/v1/orders/"+h.order+"/conversation", nil); r.Status != 403 {
			t.Errorf("son opens the chat: %s", r)
		}
		for _, r := range []*apptest.Response{
			h.as(hhSon, "GET", "/v1/conversations/"+conv, nil),
			h.as(hhSon, "GET", "/v1/conversations/"+conv+"/messages", nil),
			h.as(hhSon, "POST", "/v1/conversations/"+conv+"/messages", map[string]any{"client_id": "s-1", "text": "我也在"}),
		} {
			if r.Status != 404 && r.Status != 403 {
				t.Errorf("son in the chat: %s", r)
			}
		}

		// The worker asks to move the visit: everyone is told; only the daughter gets the answers.
		newTime := h.orderAt.Add(2 * time.Hour)
		ch := h.want(h.as(ordW1, "POST", "/v1/orders/"+h.order+"/time-changes", map[string]any{"new_time": newTime.Format(time.RFC3339), "reason": "堵车"}), 201).Str("id")
		hasActions := func(n model.Notification) bool { return strings.Contains(string(n.Data), "accept_time_change") }
		if !hasActions(h.one(ordCustomer, notify.KindChangeRequested, h.order)) || !hasActions(h.one(hhDaughter, notify.KindChangeRequested, h.order)) {
			t.Error("customer and daughter lack the answers")
		}
		if hasActions(h.one(hhSon, notify.KindChangeRequested, h.order)) {
			t.Error("son got answers he may not give")
		}
		if r := h.as(hhSon, "POST", "/v1/orders/"+h.order+"/time-changes/"+ch+"/accept", nil); r.Status != 403 {
			t.Errorf("son answers: %s", r)
		}
		r := h.want(h.as(hhDaughter, "POST", "/v1/orders/"+h.order+"/time-changes/"+ch+"/accept", nil), 200)
		if r.Str("state") != model.ChangeAccepted || r.Str("decided_by") != hhDaughter {
			t.Fatalf("daughter's answer: %s", r)
		}
		if got := h.want(h.as(ordCustomer, "GET", "/v1/orders/"+h.order, nil), 200).Str("appointment_at"); got != model.FormatTime(newTime.UTC()) {
			t.Errorf("appointment after the answer: %s", got)
		}
		// A watcher does not ask for time changes.
		if r := h.as(hhDaughter, "POST", "/v1/orders/"+h.order+"/time-changes", map[string]any{"new_time": h.orderAt.Add(5 * time.Hour).Format(time.RFC3339), "reason": "x"}); r.Status != 403 {
			t.Errorf("daughter asks a time change: %s", r)
		}

		// c-lin takes the chat right away: at once she is out of the conversation; the son gets it.
		h.want(h.as(ordCustomer, "PATCH", "/v1/household/watchers/"+h.daughterW, map[string]any{"can_chat": false}), 200)
		h.want(h.as(ordCustomer, "PATCH", "/v1/household/watchers/"+h.sonW, map[string]any{"can_chat": true}), 200)
		if r := h.as(hhDaughter, "GET", "/v1/conversations/"+conv+"/messages", nil); r.Status != 404 {
			t.Errorf("daughter without the right reads: %s", r)
		}
		if r := h.as(hhDaughter, "GET", "/v1/orders/"+h.order+"/conversation", nil); r.Status != 403 {
			t.Errorf("daughter without the right opens: %s", r)
		}
		if got := h.want(h.as(hhSon, "GET", "/v1/conversations/"+conv+"/messages", nil), 200); len(got.Items()) != 1 {
			t.Errorf("son with the right reads the history: %s", got)
		}
	})
}

// Y5, X1: removing a watcher takes every access away at its commit — the order, its timeline,
// the chat and its images, the watched list — and their open stream is told and then gets
// nothing more of the order.
func TestY5RemovalCutsAccessOnEveryEndpoint(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		h := newHHWorld(t, dsn)
		h.want(h.as(ordW1, "POST", "/v1/orders/"+h.order+"/accept", nil), 200)
		conv := h.conversationOf(ordCustomer, h.order)
		img := uploadPNG(t, h.s, h.tok(ordCustomer), 120)
		h.want(h.as(ordCustomer, "POST", "/v1/conversations/"+conv+"/messages", map[string]any{"client_id": "c-1", "text": "门口有台阶", "file_ids": []string{img}}), 201)
		h.want(h.as(ordCustomer, "PATCH", "/v1/household/watchers/"+h.sonW, map[string]any{"can_chat": true}), 200)

		type call struct {
			name, method, path string
			body               any
		}
		calls := []call{
			{"order", "GET", "/v1/orders/" + h.order, nil},
			{"timeline", "GET", "/v1/orders/" + h.order + "/timeline", nil},
			{"order chat", "GET", "/v1/orders/" + h.order + "/conversation", nil},
			{"conversation", "GET", "/v1/conversations/" + conv, nil},
			{"messages", "GET", "/v1/conversations/" + conv + "/messages", nil},
			{"file", "GET", "/v1/files/" + img, nil},
			{"thumbnail", "GET", "/v1/files/" + img + "/thumbnail", nil},
			{"read", "POST", "/v1/conversations/" + conv + "/read", map[string]any{}},
			{"typing", "POST", "/v1/conversations/" + conv + "/typing", nil},
			{"send", "POST", "/v1/conversations/" + conv + "/messages", map[string]any{"client_id": "s-x", "text": "我来看看"}},
		}
		for _, c := range calls {
			if r := h.as(hhSon, c.method, c.path, c.body); r.Status/100 != 2 {
				t.Errorf("before removal, son %s: %s", c.name, r)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		st := h.stream(ctx, hhSon, -1)

		h.want(h.as(ordCustomer, "DELETE", "/v1/household/watchers/"+h.sonW, nil), 204)
		for _, c := range calls {
			if c.name == "send" {
				c.body = map[string]any{"client_id": "s-y", "text": "还在吗"}
			}
			if r := h.as(hhSon, c.method, c.path, c.body); r.Status != 404 && r.Status != 403 {
				t.Errorf("after removal, son %s: %s", c.name, r)
			}
		}
		if l := h.want(h.as(hhSon, "GET", "/v1/household/watching", nil), 200); len(l.Items()) != 0 {
			t.Errorf("son still watches: %s", l)
		}
		if r := h.as(hhSon, "POST", "/v1/orders/"+h.order+"/time-changes/x/accept", nil); r.Status != 404 {
			t.Errorf("son answers after removal: %s", r)
		}
		// His stream: told he left the conversation and the order, then nothing of it.
		seen := map[string]bool{}
		for !seen["conversation.closed"] || !seen[booking.EventWatchEnded] {
			ev, err := st.next(ctx)
			if err != nil {
				t.Fatalf("son's stream: %v (seen %v)", err, seen)
			}
			seen[ev.Type] = true
			if ev.Type == booking.EventWatchEnded {
				var d map[string]string
				_ = json.Unmarshal(ev.Data, &d)
				if d["order_id"] != h.order {
					t.Errorf("watch ended: %s", ev.Data)
				}
			}
		}
		h.want(h.as(ordCustomer, "POST", "/v1/conversations/"+conv+"/messages", map[string]any{"client_id": "c-2", "text": "好的"}), 201)
		h.clk.Set(h.orderAt) // the start window (Y4)
		h.startAs(ordW1, h.order)
		h.one(hhDaughter, notify.KindServiceStarted, h.order) // the daughter still watches
		tellPerson(t, h.s, hhSon, "probe", "probe")
		for {
			ev, err := st.next(ctx)
			if err != nil {
				t.Fatalf("son's stream: %v", err)
			}
			if ev.Type == model.EventNotification && ev.body() == "probe" {
				break
			}
			{
				t.Fatalf("son's stream after removal got %s: %s", ev.Type, ev.Data)
			}
		}
		// The daughter leaves by herself.
		h.want(h.as(hhDaughter, "DELETE", "/v1/household/watchers/"+h.daughterW, nil), 204)
		if r := h.as(hhDaughter, "GET", "/v1/orders/"+h.order, nil); r.Status != 404 {
			t.Errorf("daughter after leaving: %s", r)
		}
	})
}

// Y5: a person added as a watcher is told so, in their own language and zone, with what they may
// do: the daughter (added by the platform to all of c-lin's orders, both rights) at once, the son
// (invited by phone) only once the platform resolved his invite, and again when c-lin adds him to
// another order. The kind is in the catalogue with its settings label; the customer is not told.
func TestY5WatcherToldWhenAdded(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		h := newHHWorld(t, dsn)

		mei := h.one(hhDaughter, notify.KindWatcherAdded, "")
		if mei.OrderID != "" || mei.Title != "林晓 added you to follow their orders" ||
			!strings.Contains(mei.Body, "all their orders") || !strings.Contains(mei.Body, "You may chat with the worker") ||
			!strings.Contains(mei.Body, "You may answer the worker's time changes") {
			t.Errorf("daughter (English, all orders, both rights): %q / %q (order %q)", mei.Title, mei.Body, mei.OrderID)
		}
		if mei.Category != "service" || !strings.Contains(string(mei.Data), `"all_orders":true`) {
			t.Errorf("daughter's notice: category %q data %s", mei.Category, mei.Data)
		}
		// The son was invited to one order: told once, when the platform resolved the invite, in
		// Chinese and New York time (09:00 in Shanghai is 20:00 the evening before), without rights.
		dong := h.one(hhSon, notify.KindWatcherAdded, "")
		if dong.OrderID != h.order || dong.Title != "林晓 邀您关注订单" || !strings.Contains(dong.Body, "「日常保洁」") ||
			!strings.Contains(dong.Body, "20:00") || strings.Contains(dong.Body, "聊天") || strings.Contains(dong.Body, "改期") {
			t.Errorf("son (Chinese, New York, one order, no rights): %q / %q (order %q)", dong.Title, dong.Body, dong.OrderID)
		}
		// The notice leads to the order, which he may read.
		h.want(h.as(hhSon, "GET", "/v1/orders/"+dong.OrderID, nil), 200)

		// Now in the household, c-lin adds him to her other order, with the chat right.
		h.want(h.as(ordCustomer, "POST", "/v1/household/watchers", map[string]any{"person_id": hhSon, "order_id": h.other, "can_chat": true}), 201)
		if ns := h.inbox(hhSon, notify.KindWatcherAdded); len(ns) != 2 {
			t.Fatalf("son has %d watcher notices, want 2", len(ns))
		}
		again := h.one(hhSon, notify.KindWatcherAdded, h.other)
		if !strings.Contains(again.Body, "您可以与服务人员聊天") || strings.Contains(again.Body, "改期") {
			t.Errorf("son's second notice (chat only): %q", again.Body)
		}
		// Others are not told of it.
		h.none(ordCustomer, notify.KindWatcherAdded)
		h.none(ordW1, notify.KindWatcherAdded)

		// Settings list the kind to customers, with its label in each language.
		zh := h.want(h.as(ordCustomer, "GET", "/v1/kinds", nil), 200)
		en := h.want(h.as(ordCustomer, "GET", "/v1/kinds?locale=en", nil), 200)
		if !strings.Contains(string(zh.Body), `"label":"被添加为订单关注人"`) || !strings.Contains(string(en.Body), `"label":"Added as a watcher"`) {
			t.Errorf("kinds lack the watcher notice's label:\n%s", en.Body)
		}
	})
}

// Y5: an invite by phone reaches the platform by its gateway webhook (household.invite_sent, signed,
// with the invite: id, phone, order, rights, where to resolve it), so the platform need not poll;
// the customer has it in the message center; once the platform resolves it the invitee is told
// they were added. Adding a person already in the household sends no invite.
func TestY5InviteReachesThePlatformByWebhook(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		w.people(model.Person{ID: hhSon, Role: model.RoleCustomer, Name: "林小东", Phone: "13800000003"})
		gw := newGateway(t, w.clk, 200)
		gw.register(t, w.s, w.key, []string{notify.KindInviteSent})
		id := w.book(ordT0.Add(48 * time.Hour))

		inv := w.want(w.as(ordCustomer, "POST", "/v1/household/watchers", map[string]any{"phone": "+8613800000003", "order_id": id, "can_chat": true}), 201)
		w.s.RunJobs(t) // fan-out to the gateway
		w.s.RunJobs(t) // the webhook sends
		got := gw.requests()
		if len(got) != 1 {
			t.Fatalf("gateway got %d webhooks, want 1", len(got))
		}
		if got[0].verify != nil || got[0].body.Type != notify.KindInviteSent || got[0].body.Recipient.ID != ordCustomer {
			t.Fatalf("invite webhook: verify %v, %+v", got[0].verify, got[0].body)
		}
		var data struct {
			Invite struct {
				ID       string         `json:"id"`
				Phone    string         `json:"phone"`
				OrderID  string         `json:"order_id"`
				CanChat  bool           `json:"can_chat"`
				Resolve  string         `json:"resolve"`
				Customer map[string]any `json:"customer"`
			} `json:"invite"`
		}
		if err := json.Unmarshal(got[0].body.Data, &data); err != nil {
			t.Fatal(err)
		}
		iv := data.Invite
		if iv.ID != inv.Str("id") || iv.Phone != "+8613800000003" || iv.OrderID != id || !iv.CanChat || iv.Customer["name"] != "林晓" ||
			iv.Resolve != "/v1/household/invites/"+iv.ID+"/resolve" {
			t.Fatalf("the invite in the webhook: %+v", iv)
		}
		n := w.one(ordCustomer, notify.KindInviteSent, id)
		if n.Title != "邀请已发出：+8613800000003" || !strings.Contains(n.Body, "「日常保洁」") {
			t.Errorf("customer's record of the invite: %q / %q", n.Title, n.Body)
		}
		w.none(hhSon, notify.KindWatcherAdded)

		// The gateway reached him; the platform resolves the invite where the webhook said.
		w.want(w.as("platform", "POST", iv.Resolve, map[string]any{"person_id": hhSon}), 200)
		w.one(hhSon, notify.KindWatcherAdded, id)

		// Now in the household: adding him to another order is no invite.
		other := w.book(ordT0.Add(72 * time.Hour))
		w.want(w.as(ordCustomer, "POST", "/v1/household/watchers", map[string]any{"person_id": hhSon, "order_id": other}), 201)
		w.s.RunJobs(t)
		w.s.RunJobs(t)
		if got := gw.requests(); len(got) != 1 {
			t.Fatalf("gateway got %d webhooks after a household add, want still 1", len(got))
		}
		if ns := w.inbox(ordCustomer, notify.KindInviteSent); len(ns) != 1 {
			t.Fatalf("customer has %d invite records, want 1", len(ns))
		}
	})
}
