package app_test

import (
	"testing"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store/storetest"
	"github.com/homebell/homebell/internal/support"
)

const deskAgent = "a-chen"

// TestI3DeskSettings: operators set an agent's capacity, the business hours and canned replies;
// the agent sets themself away; nobody else may.
func TestI3DeskSettings(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		w.people(model.Person{ID: deskAgent, Role: model.RoleAgent, Name: "客服小陈"})

		me := w.want(w.as(deskAgent, "GET", "/v1/support/me", nil), 200)
		if me.JSON["capacity"] != float64(5) || me.JSON["away"] != false {
			t.Fatalf("agent defaults: %s", me)
		}
		if r := w.want(w.as(deskAgent, "PUT", "/v1/support/me", map[string]any{"away": true}), 200); r.JSON["away"] != true {
			t.Errorf("away: %s", r)
		}
		w.want(w.as(ordCustomer, "GET", "/v1/support/me", nil), 403)

		// Capacity: operators only, 1-50, agents only.
		w.want(w.as(ordOp1, "PUT", "/v1/admin/support/agents/"+deskAgent, map[string]any{"capacity": 0}), 400)
		w.want(w.as(ordOp1, "PUT", "/v1/admin/support/agents/"+ordW1, map[string]any{"capacity": 3}), 404)
		w.want(w.as(deskAgent, "PUT", "/v1/admin/support/agents/"+deskAgent, map[string]any{"capacity": 50}), 403)
		w.want(w.as(ordOp1, "PUT", "/v1/admin/support/agents/"+deskAgent, map[string]any{"capacity": 8}), 200)
		list := w.want(w.as(ordOp1, "GET", "/v1/admin/support/agents", nil), 200).Items()
		if len(list) != 1 || list[0]["capacity"] != float64(8) || list[0]["away"] != true || list[0]["name"] != "客服小陈" {
			t.Errorf("agents: %v", list)
		}

		// Business hours.
		h := w.want(w.as(ordOp1, "GET", "/v1/admin/support/hours", nil), 200)
		if h.Str("time_zone") != "Asia/Shanghai" || h.JSON["offline_after_minutes"] != float64(5) {
			t.Errorf("default hours: %s", h)
		}
		w.want(w.as(ordOp1, "PUT", "/v1/admin/support/hours", map[string]any{"days": map[string]any{"mon": map[string]string{"start": "18:00", "end": "09:00"}},
			"offline_after_minutes": 5}), 400)
		w.want(w.as(ordOp1, "PUT", "/v1/admin/support/hours", map[string]any{"days": map[string]any{"mon": map[string]string{"start": "09:00", "end": "18:00"}},
			"offline_after_minutes": 10, "closed_dates": []string{"2026-10-01"}}), 200)
		if h := w.want(w.as(ordOp1, "GET", "/v1/admin/support/hours", nil), 200); h.JSON["offline_after_minutes"] != float64(10) {
			t.Errorf("hours stored: %s", h)
		}
		w.want(w.as(deskAgent, "PUT", "/v1/admin/support/hours", map[string]any{"offline_after_minutes": 10}), 403)

		// Canned replies: operators manage them, agents read them.
		c := w.want(w.as(ordOp1, "POST", "/v1/admin/support/canned-replies", map[string]any{"title": "退款进度",
			"text": "{customer}您好，订单 {order_no} 的退款已提交，{worker} 也已知悉。"}), 201)
		w.want(w.as(ordOp1, "POST", "/v1/admin/support/canned-replies", map[string]any{"title": "", "text": "x"}), 400)
		w.want(w.as(deskAgent, "POST", "/v1/admin/support/canned-replies", map[string]any{"title": "t", "text": "x"}), 403)
		w.want(w.as(ordOp2, "PUT", "/v1/admin/support/canned-replies/"+c.Str("id"), map[string]any{"title": "退款进度（新）", "text": c.Str("text")}), 200)
		items := w.want(w.as(deskAgent, "GET", "/v1/support/canned-replies", nil), 200).Items()
		if len(items) != 1 || items[0]["title"] != "退款进度（新）" || items[0]["created_by"] != ordOp1 {
			t.Fatalf("canned: %v", items)
		}
		w.want(w.as(ordCustomer, "GET", "/v1/support/canned-replies", nil), 403)
		got := support.FillCanned(items[0]["text"].(string), map[string]string{"customer": "林晓", "order_no": "A123", "worker": "王阿姨"})
		if got != "林晓您好，订单 A123 的退款已提交，王阿姨 也已知悉。" {
			t.Errorf("filled: %q", got)
		}
		w.want(w.as(ordOp1, "DELETE", "/v1/admin/support/canned-replies/"+c.Str("id"), nil), 204)
		w.want(w.as(ordOp1, "DELETE", "/v1/admin/support/canned-replies/"+c.Str("id"), nil), 404)
	})
}
