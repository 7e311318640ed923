package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/store/storetest"
	"github.com/homebell/homebell/internal/testkit"
)

// Message center and settings (S1-S5), over HTTP on both databases. Notifications are made the
// way every domain service makes them: App.Notify inside a store transaction.

// inbT0 is 10:00 in Shanghai.
var inbT0 = time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// inbNode is a world at inbT0 with nobody in it yet; the inbox tests add people as they go.
func inbNode(t *testing.T, dsn string) (*apptest.Server, *testkit.Clock) {
	t.Helper()
	w := newWorld(t, dsn, worldOptions{Start: inbT0})
	return w.s, w.clk
}

// inbNotify tells ev as a domain service would, and returns what was stored.
func inbNotify(t *testing.T, s *apptest.Server, ev notify.Event) []model.Notification {
	t.Helper()
	var out []model.Notification
	ctx := context.Background()
	err := s.Store.InTx(ctx, func(tx *store.Tx) (err error) {
		out, err = s.App.Notify.Notify(ctx, tx, ev)
		return err
	})
	if err != nil {
		t.Fatalf("notify %s: %v", ev.Kind, err)
	}
	return out
}

// inbTell tells one kind to people; vars fill every template the kinds used here need.
func inbTell(t *testing.T, s *apptest.Server, kind, key, orderID string, to ...string) []model.Notification {
	t.Helper()
	ev := notify.Event{Kind: kind, Key: key, OrderID: orderID, Vars: map[string]any{
		"worker_name": "王阿姨", "item": "日常保洁 " + key, "appointment": inbT0.Add(48 * time.Hour), "address": "浦东新区",
		"reason": "天气原因", "title": "春季特惠 " + key, "text": "消息 " + key, "sender_name": "林晓",
	}}
	for _, id := range to {
		ev.Recipients = append(ev.Recipients, notify.Recipient{PersonID: id})
	}
	return inbNotify(t, s, ev)
}

type inbItem struct {
	ID         string          `json:"id"`
	Kind       string          `json:"kind"`
	Category   string          `json:"category"`
	Importance string          `json:"importance"`
	Title      string          `json:"title"`
	Body       string          `json:"body"`
	Data       json.RawMessage `json:"data"`
	OrderID    *string         `json:"order_id"`
	Alert      string          `json:"alert"`
	CreatedAt  time.Time       `json:"created_at"`
	ReadAt     *time.Time      `json:"read_at"`
}

type inbPage struct {
	Items      []inbItem `json:"items"`
	NextCursor string    `json:"next_cursor"`
}

type inbUnread struct {
	Total      int            `json:"total"`
	ByCategory map[string]int `json:"by_category"`
}

// inbox reads one page; query is a URL query without "?".
func inbox(t *testing.T, s *apptest.Server, token, query string) inbPage {
	t.Helper()
	r := s.Do("GET", "/v1/me/inbox?"+query, token, nil)
	if r.Status != 200 {
		t.Fatalf("%s", r)
	}
	var p inbPage
	r.Decode(t, &p)
	return p
}

// inboxAll pages through everything with limit and fails on a repeated entry.
func inboxAll(t *testing.T, s *apptest.Server, token, query string, limit int) []inbItem {
	t.Helper()
	var all []inbItem
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 500 {
			t.Fatal("paging does not end")
		}
		q := fmt.Sprintf("%s&limit=%d&cursor=%s", query, limit, url.QueryEscape(cursor))
		p := inbox(t, s, token, q)
		if len(p.Items) > limit {
			t.Fatalf("page of %d, limit %d", len(p.Items), limit)
		}
		for _, it := range p.Items {
			if seen[it.ID] {
				t.Fatalf("%s appears twice while paging %q", it.ID, query)
			}
			seen[it.ID] = true
		}
		all = append(all, p.Items...)
		if p.NextCursor == "" {
			return all
		}
		if len(p.Items) != limit {
			t.Fatalf("a page of %d before the end, limit %d", len(p.Items), limit)
		}
		cursor = p.NextCursor
	}
}

func unread(t *testing.T, s *apptest.Server, token string) inbUnread {
	t.Helper()
	r := s.Do("GET", "/v1/me/inbox/unread", token, nil)
	if r.Status != 200 {
		t.Fatalf("%s", r)
	}
	var u inbUnread
	r.Decode(t, &u)
	return u
}

func inbWant(t *testing.T, r *apptest.Response, status int) *apptest.Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s\nwant %d", r, status)
	}
	return r
}

// fieldsOf lists the field names of a problem document's errors.
func fieldsOf(r *apptest.Response) []string {
	var p struct {
		Errors []model.FieldError `json:"errors"`
	}
	_ = json.Unmarshal(r.Body, &p)
	var out []string
	for _, f := range p.Errors {
		out = append(out, f.Field)
	}
	slices.Sort(out)
	return out
}

func deliverJob(t *testing.T, s *apptest.Server, n model.Notification) (model.Job, notify.DeliverPayload) {
	t.Helper()
	j, err := s.Store.JobByKey(context.Background(), "deliver:"+n.ID)
	if err != nil {
		t.Fatalf("deliver job of %s: %v", n.Kind, err)
	}
	var p notify.DeliverPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		t.Fatal(err)
	}
	return j, p
}

func TestS1SwitchesOverHTTP(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		s, _ := inbNode(t, dsn)
		c := s.AddPerson(model.Person{ID: "c-1", Role: model.RoleCustomer, Name: "林晓"})
		op := s.AddPerson(model.Person{ID: "op-1", Role: model.RoleOperator, Name: "运营"})
		inbSubscribe(t, s, "c-1")

		// Nothing chosen: everything on, sound, the profile's zone.
		r := inbWant(t, s.Do("GET", "/v1/me/preferences", c, nil), 200)
		if !strings.Contains(string(r.Body), `"categories":{"exception":true,"interaction":true,"platform":true,"service":true}`) ||
			r.Str("alert") != "sound" || r.Str("time_zone") != "Asia/Shanghai" {
			t.Fatalf("defaults: %s", r)
		}

		// Platform news off, service off.
		r = inbWant(t, s.Do("PUT", "/v1/me/preferences", c, map[string]any{
			"categories": map[string]bool{"platform": false, "service": false}}), 200)
		if !strings.Contains(string(r.Body), `"categories":{"exception":true,"interaction":true,"platform":false,"service":false}`) {
			t.Fatalf("after PUT: %s", r)
		}
		if got := inbTell(t, s, notify.KindPromotion, "spring", "", "c-1"); len(got) != 0 {
			t.Errorf("a promotion was stored for a person who switched platform off: %+v", got)
		}
		acc := inbTell(t, s, notify.KindOrderAccepted, "o-1", "o-1", "c-1")
		canc := inbTell(t, s, notify.KindOrderCancelled, "o-2", "o-2", "c-1")
		items := inbox(t, s, c, "").Items
		if len(items) != 2 || items[0].Kind != notify.KindOrderCancelled || items[1].Kind != notify.KindOrderAccepted {
			t.Fatalf("inbox %+v, want the cancellation and the acceptance, no promotion", items)
		}
		// Service off mutes: it is in the inbox with a badge, and nothing goes off-app.
		if items[1].Alert != "badge" || items[0].Alert != "sound" {
			t.Errorf("alerts: accepted %q (want badge), cancelled %q (want sound)", items[1].Alert, items[0].Alert)
		}
		if _, err := s.Store.JobByKey(context.Background(), "deliver:"+acc[0].ID); !model.IsCode(err, model.CodeNotFound) {
			t.Errorf("a muted service notification got an off-app delivery: %v", err)
		}
		deliverJob(t, s, canc[0])
		if p := inbox(t, s, c, "category=platform"); len(p.Items) != 0 {
			t.Errorf("platform entries: %+v", p.Items)
		}

		// Per-kind switch: platform back on, new-service announcements off.
		inbWant(t, s.Do("PUT", "/v1/me/preferences", c, map[string]any{"kinds": map[string]bool{notify.KindNewService: false}}), 200)
		if got := inbTell(t, s, notify.KindNewService, "elder-care", "", "c-1"); len(got) != 0 {
			t.Errorf("a switched-off kind was stored: %+v", got)
		}
		if got := inbTell(t, s, notify.KindPromotion, "summer", "", "c-1"); len(got) != 1 {
			t.Errorf("promotion with platform on: %+v", got)
		}

		// Validation names every bad field; a foreign time zone goes through PATCH /v1/me.
		r = s.Do("PUT", "/v1/me/preferences", c, map[string]any{
			"categories": map[string]bool{"spam": false}, "kinds": map[string]bool{"no.such": false},
			"alert": "loud", "category_alert": map[string]string{"service": "flash"},
			"window": map[string]string{"start": "25:00", "end": "7:00"}})
		wantProblem(t, r, 400, model.CodeInvalid)
		if got, want := fieldsOf(r), []string{"alert", "categories.spam", "category_alert.service", "kinds.no.such", "window.end", "window.start"}; !slices.Equal(got, want) {
			t.Errorf("fields %v, want %v", got, want)
		}
		r = s.Do("PUT", "/v1/me/preferences", c, map[string]any{"time_zone": "America/New_York"})
		wantProblem(t, r, 400, model.CodeInvalid)
		inbWant(t, s.Do("PUT", "/v1/me/preferences", c, map[string]any{"time_zone": "Asia/Shanghai"}), 200)
		wantProblem(t, s.Do("PUT", "/v1/me/preferences", c, map[string]any{"sms": true}), 400, model.CodeInvalid)

		// Operators' defaults apply to people who never chose.
		r = inbWant(t, s.Do("PUT", "/v1/admin/default-preferences", op, map[string]any{
			"categories": map[string]bool{"platform": false}, "alert": "vibration"}), 200)
		if r.Str("alert") != "vibration" {
			t.Fatalf("%s", r)
		}
		newcomer := s.AddPerson(model.Person{ID: "c-2", Role: model.RoleCustomer, Name: "新客"})
		r = inbWant(t, s.Do("GET", "/v1/me/preferences", newcomer, nil), 200)
		if !strings.Contains(string(r.Body), `"platform":false`) || r.Str("alert") != "vibration" {
			t.Fatalf("a newcomer's settings: %s", r)
		}
		if got := inbTell(t, s, notify.KindPromotion, "autumn", "", "c-2"); len(got) != 0 {
			t.Errorf("the default (platform off) was not applied: %+v", got)
		}
		if got := inbTell(t, s, notify.KindOrderAccepted, "o-3", "o-3", "c-2"); len(got) != 1 || got[0].Alert != "vibration" {
			t.Errorf("the default alert style was not applied: %+v", got)
		}
		wantProblem(t, s.Do("PUT", "/v1/admin/default-preferences", op, map[string]any{"time_zone": "Asia/Tokyo"}), 400, model.CodeInvalid)

		// Settings screens list every kind with its category and a label in the reader's language.
		r = inbWant(t, s.Do("GET", "/v1/kinds", c, nil), 200)
		var kinds struct {
			Items []struct{ ID, Category, Importance, Label string }
		}
		r.Decode(t, &kinds)
		if len(kinds.Items) != len(notify.Kinds()) {
			t.Fatalf("%d kinds, want %d", len(kinds.Items), len(notify.Kinds()))
		}
		for _, k := range kinds.Items {
			if k.ID == notify.KindPromotion && (k.Category != "platform" || k.Importance != "low" || k.Label != "优惠活动") {
				t.Errorf("promotion listed as %+v", k)
			}
		}
		if r := s.Do("GET", "/v1/kinds?locale=en", c, nil); !strings.Contains(string(r.Body), `"label":"Promotions"`) {
			t.Errorf("English labels: %s", r)
		}
	})
}

func TestS2ReceivingWindowDefersOffApp(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		s, clk := inbNode(t, dsn)
		s.App.Notify.OffApp = true // set before any request: off-app delivery jobs are what S2 defers
		c := s.AddPerson(model.Person{ID: "c-1", Role: model.RoleCustomer, Name: "林晓"})
		night := s.AddPerson(model.Person{ID: "w-1", Role: model.RoleWorker, Name: "王阿姨"})
		inbSubscribe(t, s, "c-1", "w-1") // off-app jobs are scheduled only for people with somewhere to deliver

		inbWant(t, s.Do("PUT", "/v1/me/preferences", c, map[string]any{"window": map[string]string{"start": "08:00", "end": "22:00"}}), 200)
		// A night-shift worker's window crosses midnight.
		inbWant(t, s.Do("PUT", "/v1/me/preferences", night, map[string]any{"window": map[string]string{"start": "22:00", "end": "06:00"}}), 200)
		if r := s.Do("GET", "/v1/me/preferences", c, nil); !strings.Contains(string(r.Body), `"window":{"start":"08:00","end":"22:00"}`) {
			t.Fatalf("window not kept: %s", r)
		}

		// 23:30 in Shanghai: outside the customer's window, inside the worker's.
		late := time.Date(2026, 3, 2, 23, 30, 0, 0, shanghai)
		clk.Set(late)
		c = s.Token("c-1", model.RoleCustomer) // tokens last an hour of the node's clock
		n := inbTell(t, s, notify.KindOrderAccepted, "o-1", "o-1", "c-1")[0]
		j, p := deliverJob(t, s, n)
		opens := time.Date(2026, 3, 3, 8, 0, 0, 0, shanghai)
		if !j.RunAt.Equal(opens) || p.Alert != "sound" {
			t.Errorf("off-app delivery at %s with %q, want at the window's opening %s with sound", j.RunAt.In(shanghai), p.Alert, opens)
		}
		// In the inbox at once, quietly.
		if it := inbox(t, s, c, "").Items; len(it) != 1 || it[0].ID != n.ID || it[0].Alert != "badge" {
			t.Errorf("inbox outside the window: %+v", it)
		}
		if got := s.RunJobs(t); got != 0 {
			t.Errorf("%d jobs ran before the window opened", got)
		}

		// A reminder of a service that starts before the window opens goes now, badge only.
		urgent := inbNotify(t, s, notify.Event{Kind: notify.KindServiceStartingSoon, Key: "o-9", OrderID: "o-9",
			Recipients:      []notify.Recipient{{PersonID: "c-1"}},
			Vars:            map[string]any{"worker_name": "王阿姨", "item": "早班保洁", "appointment": late.Add(7 * time.Hour)},
			ServiceStartsAt: late.Add(7 * time.Hour)})[0]
		j, p = deliverJob(t, s, urgent)
		if !j.RunAt.Equal(late) || p.Alert != "badge" {
			t.Errorf("urgent notice: at %s with %q, want now with badge", j.RunAt.In(shanghai), p.Alert)
		}

		// Inside the worker's window across midnight: now, with sound.
		w := inbTell(t, s, notify.KindOrderAssigned, "o-1", "o-1", "w-1")[0]
		if j, p := deliverJob(t, s, w); !j.RunAt.Equal(late) || p.Alert != "sound" {
			t.Errorf("inside a window across midnight: at %s with %q, want now with sound", j.RunAt.In(shanghai), p.Alert)
		}

		// The window is read in the profile's zone; the zone changes through PATCH /v1/me.
		inbWant(t, s.Do("PATCH", "/v1/me", c, map[string]any{"time_zone": "America/New_York"}), 200)
		if r := s.Do("GET", "/v1/me/preferences", c, nil); r.Str("time_zone") != "America/New_York" {
			t.Fatalf("time zone after PATCH /v1/me: %s", r)
		}
		// 23:30 Shanghai is 10:30 in New York: inside the window now.
		n2 := inbTell(t, s, notify.KindOrderAccepted, "o-2", "o-2", "c-1")[0]
		if j, _ := deliverJob(t, s, n2); !j.RunAt.Equal(late) {
			t.Errorf("10:30 in New York: delivery at %s, want now", j.RunAt)
		}
		wantProblem(t, s.Do("PUT", "/v1/me/preferences", c, map[string]any{"window": map[string]string{"start": "8:00", "end": "22:00"}}), 400, model.CodeInvalid)
	})
}

func TestS3AlertStyleCarried(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		s, _ := inbNode(t, dsn)
		s.App.Notify.OffApp = true
		c := s.AddPerson(model.Person{ID: "c-1", Role: model.RoleCustomer, Name: "林晓"})
		inbSubscribe(t, s, "c-1")
		r := inbWant(t, s.Do("PUT", "/v1/me/preferences", c, map[string]any{
			"alert": "vibration", "category_alert": map[string]string{"exception": "sound", "platform": "badge"}}), 200)
		if r.Str("alert") != "vibration" || !strings.Contains(string(r.Body), `"category_alert":{"exception":"sound","platform":"badge"}`) {
			t.Fatalf("%s", r)
		}
		want := map[string]string{notify.KindOrderAccepted: "vibration", notify.KindOrderCancelled: "sound", notify.KindPromotion: "badge"}
		for kind, style := range want {
			n := inbTell(t, s, kind, "k", "", "c-1")[0]
			// Off-app delivery carries the style…
			if _, p := deliverJob(t, s, n); p.Alert != style {
				t.Errorf("%s: off-app alert %q, want %q", kind, p.Alert, style)
			}
			// …and so does the inbox entry.
			if it := inbox(t, s, c, "kind="+kind).Items; len(it) != 1 || it[0].Alert != style {
				t.Errorf("%s: inbox %+v, want alert %q", kind, it, style)
			}
		}
		// …and the realtime event open apps receive.
		evs, err := s.Store.EventsAfter(context.Background(), "c-1", 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, e := range evs {
			var ne notify.NotificationEvent
			if e.Type == model.EventNotification && json.Unmarshal(e.Data, &ne) == nil {
				got[ne.Notification.Kind] = ne.Alert
			}
		}
		for kind, style := range want {
			if got[kind] != style {
				t.Errorf("%s: realtime alert %q, want %q", kind, got[kind], style)
			}
		}
	})
}

func TestS4MessageCenterSortsAndFilters(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		s, clk := inbNode(t, dsn)
		c := s.AddPerson(model.Person{ID: "c-1", Role: model.RoleCustomer, Name: "林晓"})
		other := s.AddPerson(model.Person{ID: "c-2", Role: model.RoleCustomer, Name: "张伟"})
		agent := s.AddPerson(model.Person{ID: "a-1", Role: model.RoleAgent, Name: "客服小李"})
		op := s.AddPerson(model.Person{ID: "op-1", Role: model.RoleOperator, Name: "运营"})

		// 25 notifications a minute apart, of every category; orders o-0 and o-1 alternate.
		kinds := []string{notify.KindOrderAccepted, notify.KindServiceStartingSoon, notify.KindOrderCancelled,
			notify.KindPromotion, notify.KindChatMessage}
		for i := range 25 {
			clk.Add(time.Minute)
			order := ""
			if i%5 < 3 {
				order = fmt.Sprintf("o-%d", i%2)
			}
			inbTell(t, s, kinds[i%5], fmt.Sprint(i), order, "c-1")
		}
		// Two at the very same instant: ties break by id, still no duplicates or gaps.
		inbTell(t, s, notify.KindOrderAccepted, "same-a", "", "c-1")
		inbTell(t, s, notify.KindOrderAccepted, "same-b", "", "c-1")
		inbTell(t, s, notify.KindOrderAccepted, "theirs", "o-0", "c-2")
		const total = 27

		byTime := inboxAll(t, s, c, "sort=time", 100)
		if len(byTime) != total {
			t.Fatalf("%d entries, want %d", len(byTime), total)
		}
		for i := 1; i < len(byTime); i++ {
			a, b := byTime[i-1], byTime[i]
			if a.CreatedAt.Before(b.CreatedAt) || (a.CreatedAt.Equal(b.CreatedAt) && a.ID < b.ID) {
				t.Fatalf("sort=time: %s (%s) before %s (%s)", a.ID, a.CreatedAt, b.ID, b.CreatedAt)
			}
		}
		if first := byTime[0]; first.Kind != notify.KindOrderAccepted || first.Title == "" || first.Body == "" ||
			first.Category != "service" || first.Importance != "high" || first.ReadAt != nil || first.Alert != "sound" {
			t.Errorf("newest entry %+v", first)
		}
		rank := map[string]int{"critical": 3, "high": 2, "normal": 1, "low": 0}
		byImp := inboxAll(t, s, c, "sort=importance", 100)
		for i := 1; i < len(byImp); i++ {
			a, b := byImp[i-1], byImp[i]
			if rank[a.Importance] < rank[b.Importance] || (a.Importance == b.Importance && a.CreatedAt.Before(b.CreatedAt)) {
				t.Fatalf("sort=importance: %s %s before %s %s", a.Importance, a.CreatedAt, b.Importance, b.CreatedAt)
			}
		}
		if byImp[0].Importance != "critical" || byImp[len(byImp)-1].Importance != "low" {
			t.Errorf("importance runs from %s to %s", byImp[0].Importance, byImp[len(byImp)-1].Importance)
		}
		// Paging in small pages gives the same list, for both orders.
		ids := func(items []inbItem) []string {
			var out []string
			for _, it := range items {
				out = append(out, it.ID)
			}
			return out
		}
		for _, limit := range []int{1, 4, 10} {
			if got := ids(inboxAll(t, s, c, "sort=time", limit)); !slices.Equal(got, ids(byTime)) {
				t.Errorf("sort=time in pages of %d differs", limit)
			}
			if got := ids(inboxAll(t, s, c, "sort=importance", limit)); !slices.Equal(got, ids(byImp)) {
				t.Errorf("sort=importance in pages of %d differs", limit)
			}
		}
		if p := inbox(t, s, c, ""); len(p.Items) != 20 || p.NextCursor == "" {
			t.Errorf("default page: %d entries, cursor %q; want 20 and a cursor", len(p.Items), p.NextCursor)
		}

		// Filters.
		filters := map[string]func(inbItem) bool{
			"category=exception":  func(it inbItem) bool { return it.Category == "exception" },
			"kind=order.accepted": func(it inbItem) bool { return it.Kind == notify.KindOrderAccepted },
			"order_id=o-1":        func(it inbItem) bool { return it.OrderID != nil && *it.OrderID == "o-1" },
			"category=service&order_id=o-0": func(it inbItem) bool {
				return it.Category == "service" && it.OrderID != nil && *it.OrderID == "o-0"
			},
			"q=" + url.QueryEscape("春季特惠 8"): func(it inbItem) bool { return it.Title == "春季特惠 8" },
		}
		for q, keep := range filters {
			for _, sort := range []string{"time", "importance"} {
				var want []string
				src := byTime
				if sort == "importance" {
					src = byImp
				}
				for _, it := range src {
					if keep(it) {
						want = append(want, it.ID)
					}
				}
				if len(want) == 0 {
					t.Fatalf("%s selects nothing", q)
				}
				if got := ids(inboxAll(t, s, c, "sort="+sort+"&"+q, 3)); !slices.Equal(got, want) {
					t.Errorf("%s sort=%s: got %v, want %v", q, sort, got, want)
				}
			}
		}
		for _, bad := range []string{"sort=oldest", "category=news", "kind=no.such", "category=platform&kind=order.accepted",
			"unread=yes", "limit=0", "limit=101", "cursor=garbage",
			"sort=importance&cursor=" + url.QueryEscape(inbox(t, s, c, "sort=time&limit=1").NextCursor)} {
			wantProblem(t, s.Do("GET", "/v1/me/inbox?"+bad, c, nil), 400, model.CodeInvalid)
		}

		// Unread counts, then mark one, several, a category, all.
		u := unread(t, s, c)
		want := inbUnread{Total: 27, ByCategory: map[string]int{"service": 12, "exception": 5, "platform": 5, "interaction": 5}}
		if u.Total != want.Total || !mapsEqual(u.ByCategory, want.ByCategory) {
			t.Fatalf("unread %+v, want %+v", u, want)
		}
		lastSeq, _ := s.Store.LastSeq(context.Background(), "c-1")
		mark := func(token string, body any) (int, inbUnread) {
			t.Helper()
			r := inbWant(t, s.Do("POST", "/v1/me/inbox/read", token, body), 200)
			var out struct {
				Marked int       `json:"marked"`
				Unread inbUnread `json:"unread"`
			}
			r.Decode(t, &out)
			return out.Marked, out.Unread
		}
		// Someone else's id changes nothing.
		if n, _ := mark(other, map[string]any{"ids": []string{byTime[0].ID}}); n != 0 {
			t.Errorf("c-2 marked %d of c-1's notifications", n)
		}
		if n, u := mark(c, map[string]any{"ids": []string{byTime[0].ID}}); n != 1 || u.Total != 26 || u.ByCategory["service"] != 11 {
			t.Errorf("mark one: %d, %+v", n, u)
		}
		if it := inbox(t, s, c, "limit=1").Items[0]; it.ReadAt == nil || !it.ReadAt.Equal(clk.Now()) {
			t.Errorf("read_at of the marked entry: %v, want %s", it.ReadAt, clk.Now())
		}
		if p := inboxAll(t, s, c, "unread=true", 5); len(p) != 26 {
			t.Errorf("unread=true lists %d, want 26", len(p))
		}
		if n, u := mark(c, map[string]any{"ids": []string{byTime[0].ID, byTime[1].ID, byTime[2].ID}}); n != 2 || u.Total != 24 {
			t.Errorf("mark several: %d, %+v", n, u)
		}
		if n, u := mark(c, map[string]any{"category": "platform"}); n != 5 || u.ByCategory["platform"] != 0 || u.Total != 19 {
			t.Errorf("mark a category: %d, %+v", n, u)
		}
		// Other devices learn it from the event log (X1).
		evs, _ := s.Store.EventsAfter(context.Background(), "c-1", lastSeq, 10)
		if len(evs) != 3 || evs[2].Type != model.EventRead || !strings.Contains(string(evs[2].Data), `"category":"platform"`) ||
			!strings.Contains(string(evs[2].Data), `"total":19`) {
			t.Errorf("read events: %+v", evs)
		}
		if n, u := mark(c, map[string]any{"all": true}); n != 19 || u.Total != 0 || len(u.ByCategory) != 4 {
			t.Errorf("mark all: %d, %+v", n, u)
		}
		if u := unread(t, s, other); u.Total != 1 {
			t.Errorf("c-2's unread changed: %+v", u)
		}
		for _, bad := range []any{map[string]any{}, map[string]any{"ids": []string{"x"}, "all": true},
			map[string]any{"ids": []string{}}, map[string]any{"category": "news"}, map[string]any{"all": false}} {
			wantProblem(t, s.Do("POST", "/v1/me/inbox/read", c, bad), 400, model.CodeInvalid)
		}

		// Operators re-rank a kind: new promotions come first by importance.
		r := inbWant(t, s.Do("PUT", "/v1/admin/importance", op, map[string]string{notify.KindPromotion: "Critical"}), 200)
		if r.Str(notify.KindPromotion) != "critical" {
			t.Fatalf("%s", r)
		}
		if r := inbWant(t, s.Do("GET", "/v1/admin/importance", op, nil), 200); r.Str(notify.KindPromotion) != "critical" {
			t.Errorf("%s", r)
		}
		clk.Add(time.Minute)
		promo := inbTell(t, s, notify.KindPromotion, "flash-sale", "", "c-1")[0]
		if first := inbox(t, s, c, "sort=importance&limit=1").Items[0]; first.ID != promo.ID || first.Importance != "critical" {
			t.Errorf("first by importance: %+v, want the re-ranked promotion", first)
		}
		if r := s.Do("GET", "/v1/kinds", c, nil); !strings.Contains(string(r.Body), `"id":"platform.promotion","category":"platform","importance":"critical","default_importance":"low"`) {
			t.Errorf("kinds after the override: %s", r)
		}
		r = s.Do("PUT", "/v1/admin/importance", op, map[string]string{"no.such": "high", notify.KindChatMessage: "urgent"})
		wantProblem(t, r, 400, model.CodeInvalid)
		if got := fieldsOf(r); !slices.Equal(got, []string{notify.KindChatMessage, "no.such"}) {
			t.Errorf("fields %v", got)
		}

		// Roles: an agent reads their own inbox; nobody reads another's; people cannot change
		// operator settings; a service key has no inbox.
		inbTell(t, s, notify.KindSupportMessage, "ticket-1", "", "a-1")
		if it := inbox(t, s, agent, "").Items; len(it) != 1 || it[0].Kind != notify.KindSupportMessage {
			t.Errorf("agent's inbox: %+v", it)
		}
		for _, it := range inboxAll(t, s, other, "", 50) {
			if it.Kind == notify.KindSupportMessage || it.ID == promo.ID {
				t.Errorf("c-2 sees someone else's entry %+v", it)
			}
		}
		if it := inbox(t, s, c, "q="+url.QueryEscape("theirs")).Items; len(it) != 0 {
			t.Errorf("search reaches another person's entries: %+v", it)
		}
		key := s.ServiceKey("crm")
		wantProblem(t, s.Do("GET", "/v1/me/inbox", key, nil), 403, model.CodeForbidden)
		wantProblem(t, s.Do("GET", "/v1/me/inbox", "", nil), 401, model.CodeUnauthenticated)
		for _, path := range []string{"/v1/admin/importance", "/v1/admin/retention", "/v1/admin/default-preferences"} {
			wantProblem(t, s.Do("PUT", path, c, map[string]any{}), 403, model.CodeForbidden)
			wantProblem(t, s.Do("PUT", path, agent, map[string]any{}), 403, model.CodeForbidden)
			wantProblem(t, s.Do("GET", path, c, nil), 403, model.CodeForbidden)
			inbWant(t, s.Do("GET", path, key, nil), 200)
		}
		inbWant(t, s.Do("GET", "/v1/kinds", key, nil), 200)
	})
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestS5RetentionPurgeAndHistorySearch(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		s, clk := inbNode(t, dsn)
		c := s.AddPerson(model.Person{ID: "c-1", Role: model.RoleCustomer, Name: "林晓"})
		op := s.AddPerson(model.Person{ID: "op-1", Role: model.RoleOperator, Name: "运营"})
		ctx := context.Background()

		r := inbWant(t, s.Do("GET", "/v1/admin/retention", op, nil), 200)
		if string(r.Body) != `{"service_days":180,"exception_days":180,"platform_days":30,"interaction_days":180}`+"\n" {
			t.Fatalf("default retention: %s", r)
		}

		// The purge runs daily at 03:30 in China, as one job under one key.
		if err := s.App.ScheduleRetention(ctx); err != nil {
			t.Fatal(err)
		}
		j, err := s.Store.JobByKey(ctx, "retention")
		if want := time.Date(2026, 3, 3, 3, 30, 0, 0, shanghai); err != nil || !j.RunAt.Equal(want) || j.Kind != "retention.purge" {
			t.Fatalf("retention job %+v (%v), want retention.purge at %s", j, err, want)
		}

		// Forty days of history: a service notice and a promotion each day.
		for day := range 40 {
			inbTell(t, s, notify.KindOrderAccepted, fmt.Sprintf("day-%02d", day), fmt.Sprintf("o-%d", day), "c-1")
			inbTell(t, s, notify.KindPromotion, fmt.Sprintf("day-%02d", day), "", "c-1")
			clk.Add(24 * time.Hour)
		}
		c, op = s.Token("c-1", model.RoleCustomer), s.Token("op-1", model.RoleOperator) // tokens last an hour
		// Within retention the whole history is reachable: by paging and by search.
		if all := inboxAll(t, s, c, "", 7); len(all) != 80 {
			t.Fatalf("history has %d entries, want 80", len(all))
		}
		if it := inbox(t, s, c, "q="+url.QueryEscape("日常保洁 day-00")).Items; len(it) != 1 || it[0].Kind != notify.KindOrderAccepted {
			t.Fatalf("search for the first day's booking: %+v", it)
		}
		if it := inbox(t, s, c, "q="+url.QueryEscape("春季特惠 day-01")).Items; len(it) != 1 {
			t.Fatalf("search for an old promotion: %+v", it)
		}

		// Day 40 at 03:30 in China: the purge runs and removes promotions over 30 days old.
		clk.Set(time.Date(2026, 4, 11, 3, 30, 0, 0, shanghai))
		s.RunJobs(t)
		now := clk.Now()
		c, op = s.Token("c-1", model.RoleCustomer), s.Token("op-1", model.RoleOperator)
		promos := inboxAll(t, s, c, "category=platform", 50)
		for _, it := range promos {
			if now.Sub(it.CreatedAt) > 30*24*time.Hour {
				t.Errorf("a promotion of %s survived the 30-day retention", it.CreatedAt)
			}
		}
		if len(promos) != 30 {
			t.Errorf("%d promotions left, want the 30 of the last 30 days", len(promos))
		}
		if it := inbox(t, s, c, "q="+url.QueryEscape("春季特惠 day-01")).Items; len(it) != 0 {
			t.Errorf("a purged promotion is still found: %+v", it)
		}
		if it := inbox(t, s, c, "q="+url.QueryEscape("日常保洁 day-00")).Items; len(it) != 1 {
			t.Errorf("the 40-day-old booking (180-day retention) is gone: %+v", it)
		}
		// The job scheduled its next run.
		if j, _ := s.Store.JobByKey(ctx, "retention"); j.State != model.JobScheduled || !j.RunAt.Equal(time.Date(2026, 4, 12, 3, 30, 0, 0, shanghai)) {
			t.Errorf("after the run: %+v, want scheduled for the next day 03:30", j)
		}

		// Operators shorten the retention; the next run applies it to notifications and the event log.
		wantProblem(t, s.Do("PUT", "/v1/admin/retention", op, map[string]any{"service_days": 0}), 400, model.CodeInvalid)
		r = inbWant(t, s.Do("PUT", "/v1/admin/retention", op, map[string]any{"service_days": 10, "exception_days": 10, "interaction_days": 10}), 200)
		if string(r.Body) != `{"service_days":10,"exception_days":10,"platform_days":30,"interaction_days":10}`+"\n" {
			t.Fatalf("%s", r)
		}
		clk.Add(24 * time.Hour)
		s.RunJobs(t)
		now = clk.Now()
		c = s.Token("c-1", model.RoleCustomer)
		service := inboxAll(t, s, c, "category=service", 50)
		if len(service) != 9 {
			t.Errorf("%d service entries left, want the 9 of the last 10 days", len(service))
		}
		for _, it := range service {
			if now.Sub(it.CreatedAt) > 10*24*time.Hour {
				t.Errorf("a service entry of %s survived the 10-day retention", it.CreatedAt)
			}
		}
		evs, err := s.Store.EventsAfter(ctx, "c-1", 0, 1000)
		if err != nil || len(evs) == 0 {
			t.Fatalf("events: %v %v", evs, err)
		}
		if old := evs[0]; now.Sub(old.CreatedAt) > 30*24*time.Hour {
			t.Errorf("an event of %s outlived the longest retention (30 days)", old.CreatedAt)
		}
	})
}

// A node that runs its own jobs schedules the purge on start, once, whatever the number of starts.
func TestS5PurgeScheduledAtStart(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		clk := testkit.NewClock(inbT0)
		want := time.Date(2026, 3, 3, 3, 30, 0, 0, shanghai)
		for start := range 2 {
			s := apptest.Start(t, dsn, apptest.Options{Now: clk.Now})
			j, err := s.Store.JobByKey(context.Background(), "retention")
			if err != nil || j.Kind != "retention.purge" || j.State != model.JobScheduled || !j.RunAt.Equal(want) {
				t.Fatalf("start %d: retention job %+v (%v), want retention.purge scheduled at %s", start, j, err, want)
			}
			if err := s.Stop(); err != nil {
				t.Fatal(err)
			}
			clk.Add(time.Hour) // a restart an hour later keeps the pending run
		}
	})
}

// inbSubscribe gives people a Web Push subscription, so their off-app deliveries are scheduled.
func inbSubscribe(t *testing.T, s *apptest.Server, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := s.Store.InTx(context.Background(), func(tx *store.Tx) error {
			_, err := tx.PutPushSubscription(context.Background(), &model.PushSubscription{PersonID: id,
				Endpoint: "https://push.example/" + id, P256dh: "k", Auth: "a"}, s.App.Now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
}
