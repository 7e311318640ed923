package app_test

// Whole-flow tests of campaigns (P1, P2) over HTTP on SQLite and PostgreSQL, with an injected
// clock and a real webhook gateway as the off-app channel.

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/store/storetest"
)

// cmpT0 is 10:00 in Shanghai.
var cmpT0 = time.Date(2026, 5, 4, 2, 0, 0, 0, time.UTC)

// cmpWorld is a world at cmpT0 with customers in and out of 浦东新区 (one with platform news
// switched off, one who completed an order there) and a webhook gateway for promotions.
type cmpWorld struct {
	*world
	gw *gateway
}

func newCmpWorld(t *testing.T, dsn string) *cmpWorld {
	t.Helper()
	w := &cmpWorld{world: newWorld(t, dsn, worldOptions{Start: cmpT0})}
	// c-old completed a daily cleaning at an address in 浦东新区 (no area on the order).
	old := model.Order{ID: "o-old", CustomerID: "c-old", ServiceItemID: "daily-cleaning", Address: "浦东新区 世纪大道 1 号",
		AppointmentAt: cmpT0.Add(-72 * time.Hour), Status: model.OrderCompleted}
	w.people(
		model.Person{ID: "op", Role: model.RoleOperator, Name: "运营"},
		model.Person{ID: "w", Role: model.RoleWorker, Name: "王阿姨"},
		model.Person{ID: "c-new", Role: model.RoleCustomer, Name: "新客", Area: "浦东新区"},
		model.Person{ID: "c-old", Role: model.RoleCustomer, Name: "老客", Locale: model.LocaleEN},
		model.Person{ID: "c-off", Role: model.RoleCustomer, Name: "关闭资讯", Area: "浦东新区"},
		model.Person{ID: "c-xh", Role: model.RoleCustomer, Name: "徐汇客户", Area: "徐汇区"})
	w.seed().
		Items(
			model.ServiceItem{ID: "daily-cleaning", Name: model.Text{ZH: "日常保洁", EN: "Daily cleaning"}, DurationMinutes: 180, PriceCents: 15000, Active: true},
			model.ServiceItem{ID: "deep-cleaning", Name: model.Text{ZH: "深度保洁", EN: "Deep cleaning"}, DurationMinutes: 300, PriceCents: 40000, Active: true}).
		At(cmpT0.Add(-96 * time.Hour)).Orders(&old)
	w.want(w.as("c-off", "PUT", "/v1/me/preferences", map[string]any{"categories": map[string]bool{"platform": false}}), 200)
	w.gw = newGateway(t, w.clk, 200)
	w.gw.register(t, w.s, w.tok("op"), []string{notify.KindPromotion, notify.KindNewService})
	return w
}

// platformEntries lists the campaign entries of a person's message center (ids, newest first).
func (w *cmpWorld) platformEntries(id string) []map[string]any {
	w.t.Helper()
	var out []map[string]any
	for _, it := range w.want(w.as(id, "GET", "/v1/me/inbox?category=platform&limit=100", nil), 200).Items() {
		out = append(out, it)
	}
	return out
}

func (w *cmpWorld) sees(id, campaignID string) bool {
	w.t.Helper()
	for _, it := range w.platformEntries(id) {
		if it["id"] == campaignID {
			return true
		}
	}
	return false
}

// pushedTo lists the people the gateway received a campaign's push for.
func (w *cmpWorld) pushedTo(campaignID string) map[string]int {
	out := map[string]int{}
	for _, r := range w.gw.requests() {
		if r.body.Notification.ID == store.CampaignDeliveryPrefix(campaignID)+r.body.Recipient.ID {
			out[r.body.Recipient.ID]++
		}
	}
	return out
}

func (w *cmpWorld) stats(id string) map[string]any {
	w.t.Helper()
	r := w.want(w.as("op", "GET", "/v1/campaigns/"+id, nil), 200)
	st, _ := r.JSON["stats"].(map[string]any)
	return st
}

func (w *cmpWorld) promotion(title string, audience map[string]any, sendAt time.Time, extra map[string]any) map[string]any {
	p := map[string]any{"kind": "promotion",
		"title":            map[string]string{"zh-CN": title, "en": title + " (en)"},
		"body":             map[string]string{"zh-CN": "本周保洁优惠", "en": "Cleaning offer this week"},
		"service_item_ids": []string{"daily-cleaning"},
		"rules": []map[string]any{{"type": "spend_save", "threshold_cents": 20000, "save_cents": 3000},
			{"type": "percent_off", "percent": 20, "cap_cents": 5000}},
		"audience":  audience,
		"starts_at": sendAt.Format(time.RFC3339), "ends_at": sendAt.Add(7 * 24 * time.Hour).Format(time.RFC3339),
		"send_at": sendAt.Format(time.RFC3339)}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

// P1: validation, targeting by area (profile area or order address), schedule, edit and cancel
// before it goes, switches, a customer joining later, read state, stats, and the end of a promotion.
func TestP1PromotionTargetingScheduleAndStats(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newCmpWorld(t, dsn)
		// Only operators and the platform write; every bad field is named.
		w.want(w.as("c-new", "POST", "/v1/campaigns", w.promotion("x", map[string]any{"kind": "all"}, cmpT0, nil)), 403)
		r := w.want(w.as("op", "POST", "/v1/campaigns", map[string]any{"kind": "promotion", "title": map[string]string{"zh-CN": "x"},
			"rules": []map[string]any{{"type": "percent_off", "percent": 120}}, "audience": map[string]any{"kind": "areas"}}), 400)
		fields := map[string]bool{}
		for _, e := range r.JSON["errors"].([]any) {
			fields[e.(map[string]any)["field"].(string)] = true
		}
		for _, f := range []string{"title.en", "body.zh-CN", "service_item_ids", "starts_at", "ends_at", "rules[0].percent", "audience.areas"} {
			if !fields[f] {
				t.Errorf("problem does not name %s: %s", f, r)
			}
		}
		w.want(w.as("op", "POST", "/v1/campaigns", w.promotion("x", map[string]any{"kind": "all"}, cmpT0,
			map[string]any{"service_item_ids": []string{"nope"}})), 400)

		// The estimate: 浦东新区 covers c-new (profile), c-off (profile) and c-old (order address).
		est := w.want(w.as("op", "POST", "/v1/campaigns/estimate", map[string]any{"audience": map[string]any{"kind": "areas", "areas": []string{"浦东新区"}}}), 200)
		// c-off switched platform news off: named by the audience, but not reachable.
		if est.JSON["audience"] != float64(3) || est.JSON["reachable"] != float64(2) {
			t.Fatalf("estimate %s, want 3 named and 2 reachable", est)
		}
		all := w.want(w.as("op", "POST", "/v1/campaigns/estimate", map[string]any{"audience": map[string]any{"kind": "all"}}), 200)
		if all.JSON["audience"] != float64(4) || all.JSON["reachable"] != float64(3) {
			t.Fatalf("estimate all %s, want 4 named and 3 reachable", all)
		}
		// Switching off one kind counts for that kind only.
		w.want(w.as("c-new", "PUT", "/v1/me/preferences", map[string]any{"kinds": map[string]bool{"platform.new_service": false}}), 200)
		ns := w.want(w.as("op", "POST", "/v1/campaigns/estimate", map[string]any{"kind": "new_service", "audience": map[string]any{"kind": "all"}}), 200)
		if ns.JSON["audience"] != float64(4) || ns.JSON["reachable"] != float64(2) {
			t.Fatalf("estimate of a new service %s, want 4 named and 2 reachable", ns)
		}
		if again := w.want(w.as("op", "POST", "/v1/campaigns/estimate", map[string]any{"audience": map[string]any{"kind": "all"}}), 200); again.JSON["reachable"] != float64(3) {
			t.Fatalf("estimate of a promotion after c-new's new-service switch %s, want 3 reachable", again)
		}

		// Scheduled for 11:00; edited and shown to nobody before.
		at := cmpT0.Add(time.Hour)
		r = w.want(w.as("op", "POST", "/v1/campaigns", w.promotion("浦东保洁节", map[string]any{"kind": "areas", "areas": []string{"浦东新区"}}, at, nil)), 201)
		id := r.Str("id")
		if r.Str("status") != "scheduled" {
			t.Fatalf("%s", r)
		}
		w.want(w.as("op", "PUT", "/v1/campaigns/"+id, w.promotion("浦东保洁周", map[string]any{"kind": "areas", "areas": []string{"浦东新区"}}, at, nil)), 200)
		other := w.want(w.as("op", "POST", "/v1/campaigns", w.promotion("取消的活动", map[string]any{"kind": "all"}, at, nil)), 201).Str("id")
		w.want(w.as("op", "POST", "/v1/campaigns/"+other+"/cancel", nil), 200)
		w.want(w.as("op", "POST", "/v1/campaigns/"+other+"/cancel", nil), 409)
		w.drain()
		if w.sees("c-new", id) {
			t.Fatal("c-new sees the promotion before its send time")
		}

		// 11:00: it goes.
		w.clk.Add(time.Hour)
		w.drain()
		w.want(w.as("op", "PUT", "/v1/campaigns/"+id, w.promotion("太晚了", map[string]any{"kind": "all"}, at, nil)), 409)
		for id2, want := range map[string]bool{"c-new": true, "c-old": true, "c-off": false, "c-xh": false} {
			if got := w.sees(id2, id); got != want {
				t.Errorf("%s sees the promotion: %v, want %v", id2, got, want)
			}
			if w.sees(id2, other) {
				t.Errorf("%s sees the cancelled campaign", id2)
			}
		}
		e := w.platformEntries("c-new")[0]
		data := e["data"].(map[string]any)
		if e["title"] != "浦东保洁周" || e["kind"] != notify.KindPromotion || e["read_at"] != nil ||
			data["rules"] != "满¥200减¥30；8折，最多减¥50" || data["status"] != "live" {
			t.Fatalf("entry %v", e)
		}
		if en := w.platformEntries("c-old")[0]; en["title"] != "浦东保洁周 (en)" || en["data"].(map[string]any)["rules"] != "Spend ¥200, save ¥30; 20% off, up to ¥50 off" {
			t.Fatalf("English entry %v", en)
		}
		if u := w.want(w.as("c-new", "GET", "/v1/me/inbox/unread", nil), 200); u.JSON["by_category"].(map[string]any)["platform"] != float64(1) {
			t.Fatalf("unread %s", u)
		}
		// Outside the audience, or switched off: the campaign does not exist for them.
		w.want(w.as("c-xh", "GET", "/v1/campaigns/"+id, nil), 404)
		w.want(w.as("c-off", "GET", "/v1/campaigns/"+id, nil), 404)

		// Off-app: pushed to c-new and c-old through the gateway; never to c-off or c-xh.
		w.drain()
		if got := w.pushedTo(id); got["c-new"] != 1 || got["c-old"] != 1 || len(got) != 2 {
			t.Fatalf("pushed to %v", got)
		}

		// A new customer in the area joins during the period and sees it.
		w.people(model.Person{ID: "c-late", Role: model.RoleCustomer, Name: "后来者", Area: "浦东新区"})
		if !w.sees("c-late", id) {
			t.Fatal("a customer who joined later does not see the running promotion")
		}
		w.want(w.as("c-late", "POST", "/v1/me/inbox/read", map[string]any{"category": "platform"}), 200)
		if u := w.want(w.as("c-late", "GET", "/v1/me/inbox/unread", nil), 200); u.JSON["total"] != float64(0) {
			t.Fatalf("unread after mark all platform read %s", u)
		}

		// c-new opens the detail: items, period and rules.
		d := w.want(w.as("c-new", "GET", "/v1/campaigns/"+id, nil), 200)
		if items := d.JSON["items"].([]any); len(items) != 1 || d.JSON["rules_text"].(map[string]any)["zh-CN"] == "" || d.Str("ends_at") == "" {
			t.Fatalf("detail %s", d)
		}
		st := w.stats(id)
		for k, v := range map[string]float64{"audience": 3, "pushed": 2, "delivered": 2, "read": 2, "opened": 1} {
			if st[k] != v {
				t.Errorf("stats %s = %v, want %v (%v)", k, st[k], v, st)
			}
		}
		list := w.want(w.as("op", "GET", "/v1/campaigns", nil), 200).Items()
		if len(list) != 2 || list[0]["stats"] == nil {
			t.Fatalf("list %v", list)
		}

		// After its end it shows as ended.
		w.clk.Add(8 * 24 * time.Hour)
		if e := w.platformEntries("c-new"); len(e) != 1 || e[0]["data"].(map[string]any)["status"] != "ended" {
			t.Fatalf("after the end: %v", e)
		}
	})
}

// P1: keyset paging over notifications and campaigns merged, in both sorts.
func TestP1MessageCenterPagesMergeCampaigns(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newCmpWorld(t, dsn)
		var ids []string
		for i := range 5 {
			ids = append(ids, w.want(w.as("op", "POST", "/v1/campaigns", w.promotion(fmt.Sprintf("活动 %d", i), map[string]any{"kind": "all"}, w.clk.Now(), nil)), 201).Str("id"))
			w.clk.Add(time.Minute)
		}
		for _, sort := range []string{"time", "importance"} {
			var got []string
			cursor := ""
			for range 10 {
				r := w.want(w.as("c-new", "GET", "/v1/me/inbox?limit=2&sort="+sort+cursor, nil), 200)
				for _, it := range r.Items() {
					got = append(got, it["id"].(string))
				}
				if r.Str("next_cursor") == "" {
					break
				}
				cursor = "&cursor=" + r.Str("next_cursor")
			}
			if len(got) != 5 {
				t.Fatalf("sort %s: %d entries %v, want 5", sort, len(got), got)
			}
			for i := range got {
				if got[i] != ids[4-i] {
					t.Fatalf("sort %s: order %v, want newest first %v", sort, got, ids)
				}
			}
		}
		w.want(w.as("c-new", "POST", "/v1/me/inbox/read", map[string]any{"ids": []string{ids[0], "unknown"}}), 200)
		if r := w.want(w.as("c-new", "GET", "/v1/me/inbox?unread=true&limit=100", nil), 200); len(r.Items()) != 4 {
			t.Fatalf("unread after reading one: %s", r)
		}
		w.want(w.as("c-new", "POST", "/v1/me/inbox/read", map[string]any{"all": true}), 200)
		if u := w.want(w.as("c-new", "GET", "/v1/me/inbox/unread", nil), 200); u.JSON["total"] != float64(0) {
			t.Fatalf("unread after all %s", u)
		}
	})
}

// P1: the frequency cap (operator-set) and the receiving window: what the cap drops still shows in
// the message center; a push outside the window waits for it to open.
func TestP1FrequencyCapAndReceivingWindow(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newCmpWorld(t, dsn)
		if r := w.want(w.as("op", "GET", "/v1/admin/frequency-cap", nil), 200); r.JSON["pushes"] != float64(2) || r.JSON["days"] != float64(7) {
			t.Fatalf("default cap %s", r)
		}
		w.want(w.as("op", "PUT", "/v1/admin/frequency-cap", map[string]any{"pushes": -1, "days": 0}), 400)
		w.want(w.as("op", "PUT", "/v1/admin/frequency-cap", map[string]any{"pushes": 1, "days": 7}), 200)
		// c-xh only wants alerts 09:00-12:00.
		w.want(w.as("c-xh", "PUT", "/v1/me/preferences", map[string]any{"window": map[string]string{"start": "09:00", "end": "12:00"}}), 200)
		first := w.want(w.as("op", "POST", "/v1/campaigns", w.promotion("第一次", map[string]any{"kind": "all"}, w.clk.Now(), nil)), 201).Str("id")
		w.drain()
		if got := w.pushedTo(first); got["c-new"] != 1 || got["c-xh"] != 1 {
			t.Fatalf("first pushed to %v", got)
		}
		// 13:00 Shanghai: a second promotion; the cap (1 a week) keeps everyone from a second push.
		w.clk.Add(3 * time.Hour)
		second := w.want(w.as("op", "POST", "/v1/campaigns", w.promotion("第二次", map[string]any{"kind": "all"}, w.clk.Now(), nil)), 201).Str("id")
		w.drain()
		if got := w.pushedTo(second); len(got) != 0 {
			t.Fatalf("second pushed to %v despite the cap", got)
		}
		if !w.sees("c-new", second) {
			t.Fatal("a capped customer does not see the campaign in the message center")
		}
		st := w.stats(second)
		if st["pushed"] != float64(0) || st["capped"] != float64(2) || st["deferred"] != float64(1) {
			t.Fatalf("second stats %v (c-new and c-old capped, c-xh outside the window)", st)
		}

		// Raise the cap; a third promotion at 13:00: c-xh waits for 09:00 tomorrow.
		w.want(w.as("op", "PUT", "/v1/admin/frequency-cap", map[string]any{"pushes": 5, "days": 7}), 200)
		third := w.want(w.as("op", "POST", "/v1/campaigns", w.promotion("第三次", map[string]any{"kind": "all"}, w.clk.Now(), nil)), 201).Str("id")
		w.drain()
		if got := w.pushedTo(third); got["c-new"] != 1 || got["c-xh"] != 0 {
			t.Fatalf("third pushed to %v at 13:00", got)
		}
		w.clk.Add(19*time.Hour + 30*time.Minute) // 08:30
		w.drain()
		if got := w.pushedTo(third); got["c-xh"] != 0 {
			t.Fatal("pushed before the window opened")
		}
		w.clk.Add(45 * time.Minute) // 09:15
		w.drain()
		if got := w.pushedTo(third); got["c-xh"] != 1 {
			t.Fatalf("third pushed to %v after the window opened", got)
		}
	})
}

// P2: a new service item published active is announced to customers with its features, advantages
// and when it fits; an operator can announce an item again; a customer with new-service news off
// does not see it.
func TestP2NewServiceAnnounced(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newCmpWorld(t, dsn)
		w.want(w.as("c-old", "PUT", "/v1/me/preferences", map[string]any{"kinds": map[string]bool{notify.KindNewService: false}}), 200)
		item := map[string]any{"name": map[string]string{"zh-CN": "居家养老套餐", "en": "Home elder care package"},
			"description":      map[string]string{"zh-CN": "专业护理上门", "en": "Professional care at home"},
			"features":         map[string]string{"zh-CN": "持证护理员", "en": "Certified carers"},
			"advantages":       map[string]string{"zh-CN": "按周灵活预约", "en": "Flexible weekly booking"},
			"suits":            map[string]string{"zh-CN": "行动不便的老人", "en": "Elders with limited mobility"},
			"duration_minutes": 240, "price_cents": 30000}
		w.want(w.as("c-new", "PUT", "/v1/service-items/elder-care", item), 403)
		w.want(w.as("op", "PUT", "/v1/service-items/elder-care", item), 201)
		w.drain()
		es := w.platformEntries("c-new")
		if len(es) != 1 || es[0]["kind"] != notify.KindNewService || es[0]["title"] != "新服务上线：居家养老套餐" {
			t.Fatalf("c-new entries %v", es)
		}
		if len(w.platformEntries("c-old")) != 0 || len(w.platformEntries("c-off")) != 0 {
			t.Fatal("the announcement reached someone who switched it off")
		}
		id := es[0]["data"].(map[string]any)["campaign_id"].(string)
		d := w.want(w.as("c-new", "GET", "/v1/campaigns/"+id, nil), 200)
		it := d.JSON["items"].([]any)[0].(map[string]any)
		if it["features"].(map[string]any)["zh-CN"] != "持证护理员" || it["suits"].(map[string]any)["en"] != "Elders with limited mobility" {
			t.Fatalf("detail %s", d)
		}
		// Updating the item does not announce it again; the announce action does.
		w.want(w.as("op", "PUT", "/v1/service-items/elder-care", item), 200)
		if n := len(w.platformEntries("c-new")); n != 1 {
			t.Fatalf("%d entries after an update", n)
		}
		w.want(w.as("op", "POST", "/v1/service-items/nope/announce", nil), 404)
		w.clk.Add(time.Minute)
		w.want(w.as("op", "POST", "/v1/service-items/elder-care/announce", map[string]any{"audience": map[string]any{"kind": "list", "person_ids": []string{"c-xh"}}}), 201)
		if len(w.platformEntries("c-xh")) != 2 || len(w.platformEntries("c-new")) != 1 {
			t.Fatal("the announcement to a list reached the wrong people")
		}
		w.drain()
		if got := w.pushedTo(id); got["c-new"] != 1 || got["c-old"] != 0 || got["c-off"] != 0 {
			t.Fatalf("pushed to %v", got)
		}
	})
}

// P1: a promotion's image is an operator's upload (POST /v1/files); its audience may read it,
// nobody else.
func TestP1PromotionImage(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newCmpWorld(t, dsn)
		img := image.NewRGBA(image.Rect(0, 0, 64, 48))
		for i := range img.Pix {
			img.Pix[i] = byte(i)
		}
		var raw bytes.Buffer
		if err := png.Encode(&raw, img); err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", "banner.png")
		fw.Write(raw.Bytes())
		mw.Close()
		up := w.want(w.s.DoWith("POST", "/v1/files", w.tok("op"), body.Bytes(), http.Header{"Content-Type": {mw.FormDataContentType()}}), 201)
		fileID := up.Str("id")

		bad := w.want(w.as("op", "POST", "/v1/campaigns", w.promotion("图", map[string]any{"kind": "areas", "areas": []string{"浦东新区"}}, w.clk.Now(),
			map[string]any{"image_file_id": "no-such-file"})), 400)
		if !strings.Contains(string(bad.Body), "image_file_id") {
			t.Fatalf("%s", bad)
		}
		id := w.want(w.as("op", "POST", "/v1/campaigns", w.promotion("有图的活动", map[string]any{"kind": "areas", "areas": []string{"浦东新区"}}, w.clk.Now(),
			map[string]any{"image_file_id": fileID})), 201).Str("id")
		if e := w.platformEntries("c-new"); len(e) != 1 || e[0]["data"].(map[string]any)["image_file_id"] != fileID {
			t.Fatalf("entry %v", e)
		}
		w.want(w.as("c-new", "GET", "/v1/files/"+fileID, nil), 200)
		w.want(w.as("c-xh", "GET", "/v1/files/"+fileID, nil), 404)
		w.want(w.as("c-off", "GET", "/v1/files/"+fileID, nil), 404)
		if d := w.want(w.as("c-new", "GET", "/v1/campaigns/"+id, nil), 200); d.Str("image_file_id") != fileID {
			t.Fatalf("%s", d)
		}
	})
}
