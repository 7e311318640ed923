package app_test

// WeChat subscribe messages (Y3) over the whole program: WeChat is the stand-in of
// internal/deliver/wechat/wechattest, which checks every request as the real service does and
// keeps its own count of the person's authorisations; the platform's SMS gateway is a webhook
// receiver that records which notices reached it (the channel WeChat falls back to).

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/config"
	"github.com/homebell/homebell/internal/deliver"
	"github.com/homebell/homebell/internal/deliver/wechat"
	"github.com/homebell/homebell/internal/deliver/wechat/wechattest"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/store/storetest"
	"github.com/homebell/homebell/internal/testkit"
)

const (
	y3App    = "wx1234567890abcdef"
	y3Secret = "y3-app-secret"
	y3OpenID = "oLin-0123456789"
	y3Tpl    = "TPL_ACCEPTED_9xQ"
)

// y3WeChat starts the stand-in with the platform's mini-program: one template of five fields,
// the order page and c-lin's openid.
func y3WeChat(t *testing.T) *wechattest.Server {
	wx := wechattest.New(t, y3App, y3Secret)
	wx.AddTemplate(y3Tpl, "thing1", "time2", "name3", "amount4", "thing5")
	wx.AddUser(y3OpenID)
	wx.AddPage("pages/order/detail")
	return wx
}

// y3Node starts a node (clock at ordT0, jobs by hand) that sends through the stand-in.
func y3Node(t *testing.T, dsn string, wx *wechattest.Server, clk *testkit.Clock) *world {
	t.Helper()
	return newWorld(t, dsn, worldOptions{Clock: clk, Config: func(c *config.Config) {
		c.WeChatAppID, c.WeChatSecret, c.WeChatAPI, c.WeChatState = y3App, y3Secret, wx.URL, "trial"
	}})
}

// y3Gateway is the platform's SMS gateway: it records the kind and notification id of each
// webhook it receives.
type y3Gateway struct {
	mu   sync.Mutex
	got  []string // notification ids
	srv  *httptest.Server
	kind map[string]string
}

func newY3Gateway(t *testing.T) *y3Gateway {
	g := &y3Gateway{kind: map[string]string{}}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body deliver.WebhookBody
		_ = json.Unmarshal(b, &body)
		g.mu.Lock()
		g.got = append(g.got, body.Notification.ID)
		g.kind[body.Notification.ID] = body.Type
		g.mu.Unlock()
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *y3Gateway) received(id string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Contains(g.got, id)
}

// y3Ledger reads c-lin's ledger as operators see it.
func y3Ledger(w *world) deliver.WeChatLedger {
	w.t.Helper()
	var l deliver.WeChatLedger
	w.want(w.as(ordOp1, "GET", "/v1/wechat/people/"+ordCustomer+"/ledger", nil), 200).Decode(w.t, &l)
	return l
}

func y3Balance(l deliver.WeChatLedger, tpl string) int {
	for _, b := range l.Balances {
		if b.TemplateID == tpl {
			return b.Balance
		}
	}
	return 0
}

// y3Delivery returns the delivery of notification n on channel, as the operators' log shows it.
func y3Delivery(w *world, n, channel string) (model.Delivery, deliver.WeChatDetail, bool) {
	w.t.Helper()
	for _, d := range deliveries(w.t, w.s, w.tok(ordOp1), "notification_id="+n) {
		if d.Channel == channel {
			var det deliver.WeChatDetail
			if len(d.Detail) > 0 {
				if err := json.Unmarshal(d.Detail, &det); err != nil {
					w.t.Fatal(err)
				}
			}
			return d, det, true
		}
	}
	return model.Delivery{}, deliver.WeChatDetail{}, false
}

// Y3: the platform binds c-lin and reports her authorisations; the operator maps "booking
// accepted" to a template. Her acceptance goes to WeChat (checked field by field by the stand-in)
// and spends one; a promotion and a notice she already read spend nothing; when WeChat says she
// has none left (43101) the ledger is zeroed and the gateway carries the notice; with none left
// the next notice goes to the gateway at once; a refused field (47003) is logged with its name
// and gives the authorisation back; an expired token (40001) is refreshed once.
func TestY3WeChatSubscribeMessages(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		wx := y3WeChat(t)
		clk := testkit.NewClock(ordT0)
		w := y3Node(t, dsn, wx, clk)
		w.seedOrders()
		gw := newY3Gateway(t)
		w.want(w.as(ordOp1, "POST", "/v1/admin/webhooks", map[string]any{"url": gw.srv.URL, "description": "SMS gateway"}), 201)

		// The operator's mapping; a promotion cannot be mapped at all.
		fields := []map[string]string{{"key": "thing1", "source": "order.item"}, {"key": "time2", "source": "order.appointment"},
			{"key": "name3", "source": "order.worker"}, {"key": "amount4", "source": "order.amount"}, {"key": "thing5", "source": "order.address"}}
		tplID := w.want(w.as(ordOp1, "POST", "/v1/admin/wechat/templates", map[string]any{"kind": notify.KindOrderAccepted,
			"template_id": y3Tpl, "title": "接单成功通知", "page": "pages/order/detail?id={order_id}", "fields": fields}), 201).Str("id")
		r := w.as(ordOp1, "POST", "/v1/admin/wechat/templates", map[string]any{"kind": notify.KindPromotion,
			"template_id": y3Tpl, "fields": fields})
		if r.Status != 400 || r.Code() != string(model.CodeInvalid) {
			t.Fatalf("a template for promotions: %s", r)
		}
		w.want(w.as(ordOp1, "POST", "/v1/admin/wechat/templates", map[string]any{"kind": notify.KindOrderAccepted,
			"template_id": "OTHER", "fields": fields}), 409)

		// The platform binds her and reports two calls of wx.requestSubscribeMessage; the first is
		// reported twice and counts once. WeChat itself holds only one of them (she used the other
		// elsewhere), which homebell will learn from WeChat's 43101.
		w.want(w.as("platform", "PUT", "/v1/wechat/bindings/"+ordCustomer, map[string]any{"openid": y3OpenID}), 201)
		for _, rep := range []string{"r-1", "r-1", "r-2"} {
			w.want(w.as("platform", "POST", "/v1/wechat/authorizations", map[string]any{"person_id": ordCustomer,
				"report_id": rep, "results": map[string]string{y3Tpl: "accept", "TPL_OTHER": "reject"}}), 200)
		}
		wx.Grant(y3OpenID, y3Tpl, 1)
		if l := y3Ledger(w); y3Balance(l, y3Tpl) != 2 || y3Balance(l, "TPL_OTHER") != 0 || len(l.Entries) != 2 ||
			l.Binding == nil || l.Binding.OpenID != y3OpenID {
			t.Fatalf("after the reports: %+v", l)
		}

		// 1. Accepted: WeChat carries it, the gateway does not, one authorisation is spent.
		order := w.bookAccepted(ordT0.Add(48 * time.Hour))
		runDue(t, w.s)
		n1 := w.one(ordCustomer, notify.KindOrderAccepted, order)
		sent := wx.Sent()
		if len(sent) != 1 {
			t.Fatalf("WeChat got %d messages, answers %v", len(sent), wx.Answers())
		}
		m := sent[0]
		want := map[string]string{"thing1": "日常保洁", "time2": "2026年3月3日 09:00", "name3": "王阿姨", "amount4": "¥150.00",
			"thing5": "浦东新区 XX 路 12 号"}
		if m.ToUser != y3OpenID || m.TemplateID != y3Tpl || m.Page != "pages/order/detail?id="+order ||
			m.MiniprogramState != "trial" || m.Lang != "zh_CN" || !maps.Equal(m.Data, want) {
			t.Errorf("WeChat got %+v, want data %v", m, want)
		}
		if gw.received(n1.ID) {
			t.Error("the gateway got a notice WeChat carried")
		}
		d, det, ok := y3Delivery(w, n1.ID, model.ChannelWeChat)
		if !ok || d.State != model.DeliverySent || det.TemplateID != y3Tpl || det.LedgerBefore != 2 || det.LedgerAfter != 1 ||
			det.ErrCode == nil || *det.ErrCode != 0 || det.MsgID == 0 {
			t.Errorf("the delivery log of the WeChat send: %+v %+v", d, det)
		}
		if b := y3Balance(y3Ledger(w), y3Tpl); b != 1 {
			t.Errorf("balance after one send: %d, want 1", b)
		}

		// 2. A promotion spends nothing, even when a template is mapped to it behind the API's back.
		ctx := context.Background()
		if err := w.s.Store.InTx(ctx, func(tx *store.Tx) error {
			return tx.InsertWeChatTemplate(ctx, &model.WeChatTemplate{Kind: notify.KindPromotion, TemplateID: y3Tpl,
				Fields: []model.WeChatField{{Key: "thing1", Source: "title"}}, Active: true}, clk.Now())
		}); err != nil {
			t.Fatal(err)
		}
		var promo []model.Notification
		if err := w.s.Store.InTx(ctx, func(tx *store.Tx) error {
			var err error
			promo, err = w.s.App.Notify.Notify(ctx, tx, notify.Event{Kind: notify.KindPromotion, Key: "spring",
				Recipients: []notify.Recipient{{PersonID: ordCustomer}}, Vars: map[string]any{"title": "保洁八折", "text": "本周"}})
			return err
		}); err != nil || len(promo) != 1 {
			t.Fatalf("promotion: %v %v", promo, err)
		}
		runDue(t, w.s)
		if _, _, ok := y3Delivery(w, promo[0].ID, model.ChannelWeChat); ok || len(wx.Sent()) != 1 || !gw.received(promo[0].ID) {
			t.Errorf("a promotion went to WeChat (%d sent) or missed the gateway", len(wx.Sent()))
		}

		// 3. Read in the app before it went out: not sent, nothing spent.
		order2 := w.bookAccepted(ordT0.Add(50 * time.Hour))
		n2 := w.one(ordCustomer, notify.KindOrderAccepted, order2)
		w.want(w.as(ordCustomer, "POST", "/v1/me/inbox/read", map[string]any{"ids": []string{n2.ID}}), 200)
		runDue(t, w.s)
		if _, _, ok := y3Delivery(w, n2.ID, model.ChannelWeChat); ok || len(wx.Sent()) != 1 {
			t.Errorf("a read notice went to WeChat")
		}
		if b := y3Balance(y3Ledger(w), y3Tpl); b != 1 {
			t.Errorf("balance after a read notice: %d, want 1", b)
		}

		// 4. homebell counts one more, WeChat has none: 43101 zeroes the ledger, the gateway gets it.
		order3 := w.bookAccepted(ordT0.Add(52 * time.Hour))
		runDue(t, w.s)
		n3 := w.one(ordCustomer, notify.KindOrderAccepted, order3)
		d, det, _ = y3Delivery(w, n3.ID, model.ChannelWeChat)
		if d.State != model.DeliveryFailed || det.ErrCode == nil || *det.ErrCode != wechat.ErrNoAuthorisation ||
			det.LedgerBefore != 1 || det.LedgerAfter != 0 || !det.FellBack {
			t.Errorf("43101: %+v %+v", d, det)
		}
		if !gw.received(n3.ID) {
			t.Error("after 43101 the gateway did not get the notice")
		}
		l := y3Ledger(w)
		if y3Balance(l, y3Tpl) != 0 || l.Entries[0].Reason != model.LedgerRevoked {
			t.Errorf("after 43101: %+v", l)
		}

		// 5. None left: the next notice goes to the gateway at once, the log says why.
		order4 := w.bookAccepted(ordT0.Add(54 * time.Hour))
		runDue(t, w.s)
		n4 := w.one(ordCustomer, notify.KindOrderAccepted, order4)
		d, det, _ = y3Delivery(w, n4.ID, model.ChannelWeChat)
		if d.State != model.DeliverySkipped || !det.FellBack || !gw.received(n4.ID) {
			t.Errorf("no authorisation left: %+v %+v, gateway %v", d, det, gw.received(n4.ID))
		}
		if answers := wx.Answers(); len(answers) != 2 {
			t.Errorf("WeChat was asked %d times (%v), want 2", len(answers), answers)
		}

		// 6. A field WeChat refuses (47003): logged with the field, the authorisation given back,
		// the gateway gets it.
		w.want(w.as("platform", "POST", "/v1/wechat/authorizations", map[string]any{"person_id": ordCustomer,
			"report_id": "r-3", "results": map[string]string{y3Tpl: "accept"}}), 200)
		wx.Grant(y3OpenID, y3Tpl, 1)
		w.want(w.as(ordOp1, "PUT", "/v1/admin/wechat/templates/"+tplID, map[string]any{"kind": notify.KindOrderAccepted,
			"template_id": y3Tpl, "page": "pages/order/detail?id={order_id}",
			"fields": append(fields, map[string]string{"key": "thing9", "source": "title"})}), 200)
		order5 := w.bookAccepted(ordT0.Add(56 * time.Hour))
		runDue(t, w.s)
		n5 := w.one(ordCustomer, notify.KindOrderAccepted, order5)
		d, det, _ = y3Delivery(w, n5.ID, model.ChannelWeChat)
		if d.State != model.DeliveryFailed || det.ErrCode == nil || *det.ErrCode != wechat.ErrBadField || det.Field != "thing9" ||
			det.LedgerBefore != 1 || det.LedgerAfter != 1 || !gw.received(n5.ID) {
			t.Errorf("47003: %+v %+v", d, det)
		}

		// 7. The token expired at WeChat: refreshed once, sent on the second try.
		w.want(w.as(ordOp1, "PUT", "/v1/admin/wechat/templates/"+tplID, map[string]any{"kind": notify.KindOrderAccepted,
			"template_id": y3Tpl, "page": "pages/order/detail?id={order_id}", "fields": fields}), 200)
		fetches := wx.TokenFetches()
		wx.ExpireTokens()
		order6 := w.bookAccepted(ordT0.Add(58 * time.Hour))
		runDue(t, w.s)
		n6 := w.one(ordCustomer, notify.KindOrderAccepted, order6)
		d, _, _ = y3Delivery(w, n6.ID, model.ChannelWeChat)
		if d.State != model.DeliverySent || wx.TokenFetches() != fetches+1 || len(wx.Sent()) != 2 || gw.received(n6.ID) {
			t.Errorf("after 40001: %+v, %d token fetches (was %d)", d, wx.TokenFetches(), fetches)
		}
		if b := y3Balance(y3Ledger(w), y3Tpl); b != 0 || wx.Grants(y3OpenID, y3Tpl) != 0 {
			t.Errorf("ledger %d and WeChat %d disagree", b, wx.Grants(y3OpenID, y3Tpl))
		}
	})
}

// Y3: two nodes on one database share one access token: fetched once when there is none, and
// refreshed once when WeChat refuses it — however many sends on both nodes find it stale at once.
func TestY3TokenRefreshedOnceAcrossNodes(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		wx := y3WeChat(t)
		clk := testkit.NewClock(ordT0)
		a := y3Node(t, dsn, wx, clk)
		a.seedOrders()
		b := y3Node(t, dsn, wx, clk)
		wx.Grant(y3OpenID, y3Tpl, 100)
		msg := wechat.Message{ToUser: y3OpenID, TemplateID: y3Tpl, Data: map[string]wechat.Value{"thing1": {Value: "日常保洁"},
			"time2": {Value: "2026年3月3日 09:00"}, "name3": {Value: "王阿姨"}, "amount4": {Value: "¥150.00"}, "thing5": {Value: "浦东"}}}
		burst := func() {
			var wg sync.WaitGroup
			for i := range 8 {
				node := []*world{a, b}[i%2]
				wg.Add(1)
				go func() {
					defer wg.Done()
					ans, err := node.s.App.Deliver.WeChatSend(context.Background(), msg)
					if err != nil || ans.ErrCode != 0 {
						t.Errorf("send: %+v %v", ans, err)
					}
				}()
			}
			wg.Wait()
		}
		burst()
		if n := wx.TokenFetches(); n != 1 {
			t.Errorf("8 sends on 2 nodes fetched %d tokens, want 1", n)
		}
		wx.ExpireTokens()
		burst()
		if n := wx.TokenFetches(); n != 2 {
			t.Errorf("after WeChat refused the token, %d fetches in all, want 2", n)
		}
		if n := len(wx.Sent()); n != 16 {
			t.Errorf("%d messages reached WeChat, want 16", n)
		}
	})
}

// Y1, Y3: an operator puts WeChat in the time-change chain, between the browsers and the SMS
// gateway. The first telling keeps the worker's authorisations; a notice she reads before its
// deadline never reaches WeChat and spends nothing; one still unread at its deadline goes out as a
// subscribe message (checked by the stand-in), and reading it then cancels the gateway step; when
// WeChat says she has none left (43101) the chain moves to the gateway at once.
func TestY3WeChatIsAStepOfTheChain(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		wx := y3WeChat(t)
		clk := testkit.NewClock(ordT0)
		w := y3Node(t, dsn, wx, clk)
		w.seedOrders()
		g := newGateway(t, w.clk, 200)
		g.register(t, w.s, w.key, []string{notify.KindChangeRequested})

		var doc struct {
			Steps []string `json:"steps"`
		}
		w.want(w.as(ordOp1, "GET", "/v1/admin/notice-chains", nil), 200).Decode(t, &doc)
		if got := strings.Join(doc.Steps, ","); got != "webpush,wechat,gateway,operators" {
			t.Fatalf("chain steps offered: %s", got)
		}
		w.want(w.as(ordOp1, "PUT", "/v1/admin/notice-chains", map[string]any{"rules": []map[string]any{
			{"kind": notify.KindChangeRequested, "read_by_minutes": 30, "steps": []string{"wechat", "gateway", "operators"},
				"escalation": "sms"}}}), 200)
		w.want(w.as(ordOp1, "POST", "/v1/admin/wechat/templates", map[string]any{"kind": notify.KindChangeRequested,
			"template_id": y3Tpl, "title": "改约申请", "page": "pages/order/detail?id={order_id}", "fields": []map[string]string{
				{"key": "thing1", "source": "order.item"}, {"key": "time2", "source": "change.new_time"},
				{"key": "name3", "source": "order.customer"}, {"key": "amount4", "source": "order.amount"},
				{"key": "thing5", "source": "reason"}}}), 201)
		// The worker is bound and granted two; WeChat itself holds one (she used the other elsewhere).
		w.want(w.as("platform", "PUT", "/v1/wechat/bindings/"+ordW1, map[string]any{"openid": y3OpenID}), 201)
		for _, rep := range []string{"r-1", "r-2"} {
			w.want(w.as("platform", "POST", "/v1/wechat/authorizations", map[string]any{"person_id": ordW1,
				"report_id": rep, "results": map[string]string{y3Tpl: "accept"}}), 200)
		}
		wx.Grant(y3OpenID, y3Tpl, 1)
		balance := func() int {
			var l deliver.WeChatLedger
			w.want(w.as(ordOp1, "GET", "/v1/wechat/people/"+ordW1+"/ledger", nil), 200).Decode(t, &l)
			return y3Balance(l, y3Tpl)
		}
		escalated := func(id string) []int {
			var steps []int
			for _, r := range g.requests() {
				if r.body.Notification.ID == id && r.body.Escalation != "" {
					steps = append(steps, r.body.Step)
				}
			}
			return steps
		}
		change := func(at time.Time) (string, model.Notification) {
			order := w.bookAccepted(at)
			w.want(w.as(ordCustomer, "POST", "/v1/orders/"+order+"/time-changes", map[string]any{
				"new_time": at.Add(2 * time.Hour).Format(time.RFC3339), "reason": "临时出差"}), 201)
			w.runAll()
			return order, w.one(ordW1, notify.KindChangeRequested, order)
		}

		// 1. Read before the deadline: the WeChat step is cancelled, nothing spent.
		order1, n1 := change(ordT0.Add(48 * time.Hour))
		if len(wx.Sent()) != 0 || balance() != 2 {
			t.Fatalf("the first telling went to WeChat (%d sent) or spent (balance %d)", len(wx.Sent()), balance())
		}
		w.want(w.as(ordW1, "POST", "/v1/me/inbox/read", map[string]any{"ids": []string{n1.ID}}), 200)
		w.clk.Add(30 * time.Minute)
		w.runAll()
		if len(wx.Sent()) != 0 || balance() != 2 || len(escalated(n1.ID)) != 0 {
			t.Fatalf("a notice read before its deadline: %d WeChat sends, balance %d, gateway steps %v",
				len(wx.Sent()), balance(), escalated(n1.ID))
		}
		wantTrail(t, w.trail(order1, ordW1), "inapp sent", "inapp read")

		// 2. Unread at the deadline: WeChat carries it, one authorisation spent; reading it then
		// cancels the gateway step.
		order2, n2 := change(ordT0.Add(52 * time.Hour))
		w.clk.Add(29 * time.Minute)
		w.runAll()
		if len(wx.Sent()) != 0 {
			t.Fatal("the WeChat step ran before the deadline")
		}
		w.clk.Add(time.Minute)
		w.runAll()
		sent := wx.Sent()
		if len(sent) != 1 || sent[0].ToUser != y3OpenID || sent[0].TemplateID != y3Tpl ||
			sent[0].Page != "pages/order/detail?id="+order2 || sent[0].Data["thing5"] != "临时出差" {
			t.Fatalf("WeChat got %+v (answers %v)", sent, wx.Answers())
		}
		if b := balance(); b != 1 {
			t.Errorf("balance after the WeChat step: %d, want 1", b)
		}
		d, det, ok := y3Delivery(w, n2.ID, model.ChannelWeChat)
		if !ok || d.Step != 1 || d.State != model.DeliverySent || det.LedgerBefore != 2 || det.LedgerAfter != 1 {
			t.Errorf("the delivery log of the WeChat step: %+v %+v", d, det)
		}
		if len(escalated(n2.ID)) != 0 {
			t.Errorf("the gateway step ran with the WeChat one: %v", escalated(n2.ID))
		}
		wantTrail(t, w.trail(order2, ordW1), "inapp sent", "wechat sent")
		w.want(w.as(ordW1, "POST", "/v1/me/inbox/read", map[string]any{"ids": []string{n2.ID}}), 200)
		w.clk.Add(2 * time.Hour)
		w.runAll()
		if len(escalated(n2.ID)) != 0 || len(wx.Sent()) != 1 {
			t.Errorf("the chain went on after the notice was read: gateway steps %v", escalated(n2.ID))
		}
		wantTrail(t, w.trail(order2, ordW1), "inapp sent", "wechat sent", "wechat read")

		// 3. WeChat has none left (43101): the ledger is zeroed and the gateway step runs at once.
		order3, n3 := change(ordT0.Add(56 * time.Hour))
		w.clk.Add(30 * time.Minute)
		w.runAll()
		if got := escalated(n3.ID); len(got) != 1 || got[0] != 2 {
			t.Fatalf("after 43101 the gateway step: %v, want [2]", got)
		}
		d, det, _ = y3Delivery(w, n3.ID, model.ChannelWeChat)
		if d.State != model.DeliveryFailed || det.ErrCode == nil || *det.ErrCode != wechat.ErrNoAuthorisation || balance() != 0 {
			t.Errorf("43101: %+v %+v, balance %d", d, det, balance())
		}
		wantTrail(t, w.trail(order3, ordW1), "inapp sent", "wechat sent", "wechat failed", "gateway sent")
	})
}
