package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/api"
	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/deliver/webpush/webpushtest"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store/storetest"
)

// The callers of the permission matrix. The world: c-lin booked order O; w-wang accepted it and
// was then replaced by w-new (so w-wang is the removed worker); w-new also did order D, which
// c-lin reviewed with a photo; c-other and w-zhao are strangers of the same roles; a-desk is an agent; o-zhou an operator; pf the platform's
// service key; anon sends no credentials.
const (
	pmAnon    = "anon"
	pmOwner   = ordCustomer // c-lin
	pmCust2   = "c-other"
	pmRemoved = ordW1 // w-wang
	pmWorker2 = ordW2 // w-zhao
	pmWorker  = "w-new"
	pmAgent   = "a-desk"
	pmOp      = ordOp1
	pmPf      = "platform"
)

var pmCallers = []string{pmAnon, pmOwner, pmCust2, pmRemoved, pmWorker2, pmWorker, pmAgent, pmOp, pmPf}

var pmRole = map[string]model.Role{pmOwner: model.RoleCustomer, pmCust2: model.RoleCustomer, pmRemoved: model.RoleWorker,
	pmWorker2: model.RoleWorker, pmWorker: model.RoleWorker, pmAgent: model.RoleAgent, pmOp: model.RoleOperator, pmPf: model.RolePlatform}

// pmEntry is one route's line of the matrix. path names the resources of the world in braces
// ({order}, {conv} …). allow lists the callers that get through; empty means "everyone the
// route's roles admit" (a route about the caller's own things, or public data). Every other
// caller must be refused (401 without credentials, else 403 or 404), even with a valid body.
type pmEntry struct {
	path  string
	body  any
	allow string
	want  int // the status a caller let through gets, when a read is not simply 2xx
}

// Caller groups for allow.
const (
	orderSide = pmOwner + " " + pmWorker + " " + pmOp + " " + pmPf // the order's parties now
	chatSide  = pmOwner + " " + pmWorker                           // who writes in the order's chat
	nobody    = "-"                                                // no caller (demo routes off)
	deskSide  = pmOwner + " " + pmAgent + " " + pmOp + " " + pmPf  // a support conversation's asker and the desk
)

func permissionMatrix(w map[string]string) map[string]pmEntry {
	future := ordT0.Add(50 * time.Hour).Format(time.RFC3339)
	return map[string]pmEntry{
		"GET /healthz":      {path: "/healthz"},
		"GET /readyz":       {path: "/readyz"},
		"GET /openapi.yaml": {path: "/openapi.yaml"},

		"GET /v1/me":                             {path: "/v1/me"},
		"PATCH /v1/me":                           {path: "/v1/me", body: map[string]any{"locale": "zh-CN"}},
		"PUT /v1/people/{id}":                    {path: "/v1/people/{owner}", body: map[string]any{"role": "customer", "name": "林晓"}},
		"GET /v1/people/{id}":                    {path: "/v1/people/{owner}"},
		"GET /v1/people":                         {path: "/v1/people"},
		"GET /v1/service-items":                  {path: "/v1/service-items"},
		"GET /v1/service-items/{id}":             {path: "/v1/service-items/{item}"},
		"PUT /v1/service-items/{id}":             {path: "/v1/service-items/{item}", body: map[string]any{"name": map[string]string{"zh-CN": "日常保洁", "en": "Daily cleaning"}, "duration_minutes": 180, "price_cents": 15000, "active": true}},
		"GET /v1/demo/people":                    {path: "/v1/demo/people", allow: nobody},
		"POST /v1/demo/sign-in":                  {path: "/v1/demo/sign-in", body: map[string]any{"person_id": pmOp}, allow: nobody},
		"GET /v1/stream":                         {path: "/v1/stream", want: 400}, // let through, then told it is a WebSocket
		"GET /v1/events":                         {path: "/v1/events"},
		"GET /v1/push/vapid-public-key":          {path: "/v1/push/vapid-public-key"},
		"GET /v1/me/push-subscriptions":          {path: "/v1/me/push-subscriptions"},
		"POST /v1/me/push-subscriptions":         {path: "/v1/me/push-subscriptions", body: map[string]any{}},
		"DELETE /v1/me/push-subscriptions/{id}":  {path: "/v1/me/push-subscriptions/{push}", allow: pmOwner},
		"GET /v1/admin/webhooks":                 {path: "/v1/admin/webhooks"},
		"POST /v1/admin/webhooks":                {path: "/v1/admin/webhooks", body: map[string]any{}},
		"PATCH /v1/admin/webhooks/{id}":          {path: "/v1/admin/webhooks/{hook}", body: map[string]any{"description": "SMS"}},
		"DELETE /v1/admin/webhooks/{id}":         {path: "/v1/admin/webhooks/{hook}"},
		"GET /v1/admin/deliveries":               {path: "/v1/admin/deliveries"},
		"PUT /v1/wechat/bindings/{id}":           {path: "/v1/wechat/bindings/{owner}", body: map[string]any{"openid": "oLin-0123456789"}},
		"DELETE /v1/wechat/bindings/{id}":        {path: "/v1/wechat/bindings/{owner}"},
		"POST /v1/wechat/authorizations":         {path: "/v1/wechat/authorizations", body: map[string]any{"person_id": pmOwner, "report_id": "r-1", "results": map[string]string{"TPL_ACCEPT": "accept"}}},
		"GET /v1/wechat/people/{id}/ledger":      {path: "/v1/wechat/people/{owner}/ledger"},
		"GET /v1/admin/wechat/templates":         {path: "/v1/admin/wechat/templates"},
		"POST /v1/admin/wechat/templates":        {path: "/v1/admin/wechat/templates", body: map[string]any{}},
		"PUT /v1/admin/wechat/templates/{id}":    {path: "/v1/admin/wechat/templates/{wxtpl}", body: map[string]any{"kind": "order.accepted", "template_id": "TPL_ACCEPT", "fields": []map[string]string{{"key": "thing1", "source": "order.item"}}}},
		"DELETE /v1/admin/wechat/templates/{id}": {path: "/v1/admin/wechat/templates/{wxtpl}"},

		"POST /v1/orders":                                       {path: "/v1/orders", body: map[string]any{}},
		"GET /v1/orders":                                        {path: "/v1/orders"},
		"GET /v1/orders/open":                                   {path: "/v1/orders/open"},
		"GET /v1/orders/{id}":                                   {path: "/v1/orders/{order}", allow: orderSide},
		"POST /v1/orders/{id}/accept":                           {path: "/v1/orders/{order}/accept"}, // any worker may try: the order is taken (409)
		"POST /v1/orders/{id}/assign":                           {path: "/v1/orders/{order}/assign", body: map[string]any{"worker_id": pmWorker, "reason": "同一位"}},
		"POST /v1/orders/{id}/on-the-way":                       {path: "/v1/orders/{order}/on-the-way", body: map[string]any{"minutes": 30}, allow: pmWorker},
		"POST /v1/orders/{id}/check-in":                         {path: "/v1/orders/{order}/check-in", allow: pmWorker},
		"POST /v1/orders/{id}/start":                            {path: "/v1/orders/{order}/start", body: map[string]any{"override_reason": "已电话核实"}, allow: pmWorker + " " + pmOp + " " + pmPf},
		"POST /v1/orders/{id}/complete":                         {path: "/v1/orders/{order}/complete", allow: pmWorker + " " + pmPf},
		"POST /v1/orders/{id}/time-changes":                     {path: "/v1/orders/{order}/time-changes", body: map[string]any{"new_time": future, "reason": "改时间"}, allow: pmOwner + " " + pmWorker + " " + pmPf},
		"POST /v1/orders/{id}/time-changes/{change_id}/accept":  {path: "/v1/orders/{order}/time-changes/{change}/accept", allow: pmWorker + " " + pmOp + " " + pmPf},
		"POST /v1/orders/{id}/time-changes/{change_id}/decline": {path: "/v1/orders/{order}/time-changes/{change}/decline", allow: pmWorker + " " + pmOp + " " + pmPf},
		"POST /v1/orders/{id}/worker-changes":                   {path: "/v1/orders/{order}/worker-changes", body: map[string]any{"reason": "想换人"}, allow: orderSide},
		"GET /v1/orders/{id}/cancellation-quote":                {path: "/v1/orders/{order}/cancellation-quote", allow: orderSide},
		"POST /v1/orders/{id}/cancel":                           {path: "/v1/orders/{order}/cancel", body: map[string]any{"reason": "不需要了"}, allow: orderSide},
		"POST /v1/orders/{id}/cancellation/approve":             {path: "/v1/orders/{order}/cancellation/approve"},
		"POST /v1/orders/{id}/cancellation/decline":             {path: "/v1/orders/{order}/cancellation/decline", body: map[string]any{"reason": "不行"}},
		"GET /v1/orders/cancel-bulk/preview":                    {path: "/v1/orders/cancel-bulk/preview?area=" + url.QueryEscape(ordArea) + "&from=" + ordT0.Format(time.RFC3339) + "&to=" + ordT0.Add(96*time.Hour).Format(time.RFC3339)},
		"POST /v1/orders/cancel-bulk":                           {path: "/v1/orders/cancel-bulk", body: map[string]any{}},
		"POST /v1/orders/{id}/refund/settled":                   {path: "/v1/orders/{order}/refund/settled"},
		"GET /v1/orders/{id}/timeline":                          {path: "/v1/orders/{order}/timeline", allow: orderSide},
		"GET /v1/approvals":                                     {path: "/v1/approvals"},
		"GET /v1/admin/policies":                                {path: "/v1/admin/policies"},
		"PUT /v1/admin/policies":                                {path: "/v1/admin/policies", body: map[string]any{}},

		"GET /v1/household/watchers":              {path: "/v1/household/watchers?customer_id={owner}"},
		"POST /v1/household/watchers":             {path: "/v1/household/watchers", body: map[string]any{"phone": "13800000077"}},
		"PATCH /v1/household/watchers/{id}":       {path: "/v1/household/watchers/{watcher}", body: map[string]any{"can_chat": true}, allow: pmOwner + " " + pmPf},
		"DELETE /v1/household/watchers/{id}":      {path: "/v1/household/watchers/{watcher}", allow: pmOwner + " " + pmPf},
		"GET /v1/household/invites":               {path: "/v1/household/invites"},
		"POST /v1/household/invites/{id}/resolve": {path: "/v1/household/invites/{watcher}/resolve", body: map[string]any{"person_id": "c-nobody"}},
		"GET /v1/household/watching":              {path: "/v1/household/watching"},

		"GET /v1/review-tags":                                           {path: "/v1/review-tags"},
		"POST /v1/orders/{id}/review":                                   {path: "/v1/orders/{done}/review", body: map[string]any{"rating": 1, "text": "不好"}, allow: pmOwner},
		"GET /v1/orders/{id}/review":                                    {path: "/v1/orders/{done}/review", allow: orderSide},
		"PUT /v1/orders/{id}/review/reply":                              {path: "/v1/orders/{done}/review/reply", body: map[string]any{"text": "谢谢您"}, allow: pmWorker},
		"POST /v1/orders/{id}/review/hide":                              {path: "/v1/orders/{done}/review/hide", body: map[string]any{"reason": "辱骂"}},
		"POST /v1/orders/{id}/review/reply/hide":                        {path: "/v1/orders/{done}/review/reply/hide", body: map[string]any{"reason": "辱骂"}},
		"GET /v1/me/reviews":                                            {path: "/v1/me/reviews"},
		"GET /v1/me/inbox":                                              {path: "/v1/me/inbox"},
		"GET /v1/me/inbox/unread":                                       {path: "/v1/me/inbox/unread"},
		"POST /v1/me/inbox/read":                                        {path: "/v1/me/inbox/read", body: map[string]any{"all": true}},
		"GET /v1/me/preferences":                                        {path: "/v1/me/preferences"},
		"PUT /v1/me/preferences":                                        {path: "/v1/me/preferences", body: map[string]any{}},
		"GET /v1/kinds":                                                 {path: "/v1/kinds"},
		"GET /v1/admin/importance":                                      {path: "/v1/admin/importance"},
		"PUT /v1/admin/importance":                                      {path: "/v1/admin/importance", body: map[string]any{}},
		"GET /v1/admin/retention":                                       {path: "/v1/admin/retention"},
		"PUT /v1/admin/retention":                                       {path: "/v1/admin/retention", body: map[string]any{}},
		"GET /v1/admin/default-preferences":                             {path: "/v1/admin/default-preferences"},
		"PUT /v1/admin/default-preferences":                             {path: "/v1/admin/default-preferences", body: map[string]any{}},
		"POST /v1/files":                                                {path: "/v1/files", body: map[string]any{}},
		"GET /v1/files/{id}":                                            {path: "/v1/files/{file}", allow: chatSide + " " + pmOp},
		"GET /v1/files/{id}/thumbnail":                                  {path: "/v1/files/{file}/thumbnail", allow: chatSide + " " + pmOp},
		"GET /v1/campaigns":                                             {path: "/v1/campaigns"},
		"POST /v1/campaigns":                                            {path: "/v1/campaigns", body: map[string]any{}},
		"POST /v1/campaigns/estimate":                                   {path: "/v1/campaigns/estimate", body: map[string]any{}},
		"GET /v1/campaigns/{id}":                                        {path: "/v1/campaigns/{campaign}", allow: pmOwner + " " + pmCust2 + " " + pmOp + " " + pmPf}, // to customers
		"PUT /v1/campaigns/{id}":                                        {path: "/v1/campaigns/{campaign}", body: map[string]any{}},
		"POST /v1/campaigns/{id}/cancel":                                {path: "/v1/campaigns/{campaign}/cancel"},
		"POST /v1/service-items/{id}/announce":                          {path: "/v1/service-items/{item}/announce", body: map[string]any{}},
		"GET /v1/admin/frequency-cap":                                   {path: "/v1/admin/frequency-cap"},
		"PUT /v1/admin/frequency-cap":                                   {path: "/v1/admin/frequency-cap", body: map[string]any{}},
		"POST /v1/feedback":                                             {path: "/v1/feedback", body: map[string]any{}},
		"GET /v1/me/feedback":                                           {path: "/v1/me/feedback"},
		"GET /v1/feedback/{id}":                                         {path: "/v1/feedback/{feedback}", allow: pmOwner + " " + pmOp + " " + pmPf},
		"GET /v1/admin/feedback":                                        {path: "/v1/admin/feedback"},
		"PATCH /v1/admin/feedback/{id}":                                 {path: "/v1/admin/feedback/{feedback}", body: map[string]any{"status": "reviewing"}},
		"GET /v1/admin/feedback/export":                                 {path: "/v1/admin/feedback/export"},
		"GET /v1/admin/feedback/weekly":                                 {path: "/v1/admin/feedback/weekly"},
		"GET /v1/orders/{id}/conversation":                              {path: "/v1/orders/{order}/conversation", allow: orderSide},
		"GET /v1/me/conversations":                                      {path: "/v1/me/conversations"},
		"GET /v1/conversations/{id}":                                    {path: "/v1/conversations/{conv}", allow: orderSide},
		"GET /v1/conversations/{id}/messages":                           {path: "/v1/conversations/{conv}/messages", allow: orderSide},
		"POST /v1/conversations/{id}/messages":                          {path: "/v1/conversations/{conv}/messages", body: map[string]any{"client_id": "pm-1", "text": "在吗"}, allow: chatSide},
		"POST /v1/conversations/{id}/read":                              {path: "/v1/conversations/{conv}/read", body: map[string]any{}, allow: chatSide},
		"POST /v1/conversations/{id}/typing":                            {path: "/v1/conversations/{conv}/typing", allow: chatSide},
		"PUT /v1/conversations/{id}/mute":                               {path: "/v1/conversations/{conv}/mute", body: map[string]any{"muted": true}, allow: chatSide},
		"GET /v1/support/me":                                            {path: "/v1/support/me"},
		"PUT /v1/support/me":                                            {path: "/v1/support/me", body: map[string]any{"away": false}},
		"GET /v1/support/canned-replies":                                {path: "/v1/support/canned-replies"},
		"POST /v1/admin/support/canned-replies":                         {path: "/v1/admin/support/canned-replies", body: map[string]any{}},
		"PUT /v1/admin/support/canned-replies/{id}":                     {path: "/v1/admin/support/canned-replies/{canned}", body: map[string]any{"title": "问候", "text": "您好"}},
		"DELETE /v1/admin/support/canned-replies/{id}":                  {path: "/v1/admin/support/canned-replies/{canned}"},
		"GET /v1/admin/support/agents":                                  {path: "/v1/admin/support/agents"},
		"PUT /v1/admin/support/agents/{id}":                             {path: "/v1/admin/support/agents/{agent}", body: map[string]any{"capacity": 4}},
		"GET /v1/admin/support/satisfaction":                            {path: "/v1/admin/support/satisfaction"},
		"GET /v1/support/availability":                                  {path: "/v1/support/availability"},
		"POST /v1/support/conversations":                                {path: "/v1/support/conversations", body: map[string]any{}},
		"GET /v1/support/conversations":                                 {path: "/v1/support/conversations"},
		"GET /v1/support/queue":                                         {path: "/v1/support/queue"},
		"GET /v1/support/agents":                                        {path: "/v1/support/agents"},
		"GET /v1/support/conversations/{id}":                            {path: "/v1/support/conversations/{support}", allow: deskSide},
		"POST /v1/support/conversations/{id}/claim":                     {path: "/v1/support/conversations/{support}/claim"},
		"POST /v1/support/conversations/{id}/release":                   {path: "/v1/support/conversations/{support}/release"},
		"POST /v1/support/conversations/{id}/transfer":                  {path: "/v1/support/conversations/{support}/transfer", body: map[string]any{"agent_id": pmAgent, "note": "请跟进"}, allow: pmOp + " " + pmPf}, // a-desk does not hold it
		"PUT /v1/support/conversations/{id}/status":                     {path: "/v1/support/conversations/{support}/status", body: map[string]any{"status": "pending"}, allow: pmOp + " " + pmPf},
		"POST /v1/support/conversations/{id}/notes":                     {path: "/v1/support/conversations/{support}/notes", body: map[string]any{"text": "内部备注"}, allow: pmAgent + " " + pmOp},
		"POST /v1/support/conversations/{id}/rating":                    {path: "/v1/support/conversations/{support}/rating", body: map[string]any{"score": 5}, allow: pmOwner},
		"GET /v1/support/conversations/{id}/orders":                     {path: "/v1/support/conversations/{support}/orders"},
		"GET /v1/support/conversations/{id}/orders/{order_id}/timeline": {path: "/v1/support/conversations/{support}/orders/{order}/timeline"},
		"GET /v1/support/conversations/{id}/canned-replies":             {path: "/v1/support/conversations/{support}/canned-replies"},
		"GET /v1/admin/support/hours":                                   {path: "/v1/admin/support/hours"},
		"PUT /v1/admin/support/hours":                                   {path: "/v1/admin/support/hours", body: map[string]any{}},
		// Y1: a receipt is public but must verify against its delivery's endpoint (400 here: empty).
		"POST /v1/deliveries/receipts":       {path: "/v1/deliveries/receipts", body: map[string]any{}, want: 400},
		"POST /v1/me/inbox/{id}/acknowledge": {path: "/v1/me/inbox/{order}/acknowledge"},
		"POST /v1/orders/{id}/acknowledge":   {path: "/v1/orders/{order}/acknowledge"},
		"POST /v1/orders/{id}/sos":           {path: "/v1/orders/{order}/sos", body: map[string]any{"text": "需要帮助"}, allow: pmOwner + " " + pmWorker},
		"POST /v1/sos/{id}/acknowledge":      {path: "/v1/sos/{order}/acknowledge"},
		"GET /v1/admin/escalations":          {path: "/v1/admin/escalations"},
		"GET /v1/admin/notice-chains":        {path: "/v1/admin/notice-chains"},
		"PUT /v1/admin/notice-chains":        {path: "/v1/admin/notice-chains", body: map[string]any{"rules": []any{}}},
		// Y2: one's own notice (404 for this id); a gateway's token, with the platform's key.
		"POST /v1/me/inbox/{id}/actions/{action}": {path: "/v1/me/inbox/{order}/actions/acknowledge", body: map[string]any{}},
		"POST /v1/actions/redeem":                 {path: "/v1/actions/redeem", body: map[string]any{"token": "forged.token"}, want: 403},
	}
}

// TestIssue10PermissionMatrix calls every route of the route table as an anonymous caller,
// each role, the owner, a stranger of the same role, a removed worker and a service key. A route
// that is not in the matrix fails the test, so a new route must say who may call it.
func TestIssue10PermissionMatrix(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w, ids, tok := pmWorld(t, dsn)
		matrix := permissionMatrix(ids)
		table := api.RouteTable()
		type call struct {
			route  api.RouteInfo
			entry  pmEntry
			caller string
			allow  bool
		}
		var denied, allowed []call
		seen := map[string]bool{}
		for _, rt := range table {
			if rt.Pattern == "/v1/" {
				continue
			}
			seen[rt.Pattern] = true
			e, ok := matrix[rt.Pattern]
			if !ok {
				t.Errorf("route %q has no line in the permission matrix (internal/app/permissions_test.go): say who may call it", rt.Pattern)
				continue
			}
			byRole := map[string]bool{}
			for _, c := range pmCallers {
				byRole[c] = rt.Roles == nil || (c != pmAnon && slices.Contains(rt.Roles, pmRole[c]))
			}
			for _, c := range pmCallers {
				ok := byRole[c]
				switch e.allow {
				case "":
				case nobody:
					ok = false
				default:
					ok = slices.Contains(strings.Fields(e.allow), c)
					if ok && !byRole[c] {
						t.Errorf("%s: matrix allows %s, whose role the route table refuses", rt.Pattern, c)
					}
				}
				cl := call{route: rt, entry: e, caller: c, allow: ok}
				if ok {
					allowed = append(allowed, cl)
				} else {
					denied = append(denied, cl)
				}
			}
		}
		for p := range matrix {
			if !seen[p] {
				t.Errorf("the permission matrix has a line for %q, which is not a route", p)
			}
		}

		do := func(c call) (int, string) {
			method, _, _ := strings.Cut(c.route.Pattern, " ")
			path := c.entry.path
			for k, v := range ids {
				path = strings.ReplaceAll(path, "{"+k+"}", v)
			}
			token := ""
			switch c.caller {
			case pmAnon:
			case pmPf:
				token = w.key
			default:
				token = tok(c.caller)
			}
			return pmSend(t, w.s, method, path, token, c.entry.body)
		}
		// Refusals first, with bodies valid for the owner: nothing may happen.
		for _, c := range denied {
			status, body := do(c)
			want := []int{403, 404}
			if c.caller == pmAnon && c.route.Roles != nil {
				want = []int{401}
			}
			if !slices.Contains(want, status) {
				t.Errorf("%s as %s: %d, want one of %v: %s", c.route.Pattern, c.caller, status, want, body)
			}
		}
		// Then those who may: reads succeed; writes are not refused for who is calling (they
		// may still be refused for what they ask, e.g. 409 on an order already taken).
		sort.SliceStable(allowed, func(i, j int) bool {
			return strings.HasPrefix(allowed[i].route.Pattern, "GET ") && !strings.HasPrefix(allowed[j].route.Pattern, "GET ")
		})
		for _, c := range allowed {
			status, body := do(c)
			get := strings.HasPrefix(c.route.Pattern, "GET ")
			bad := status == 401 || status == 403 || status >= 500 || (get && status/100 != 2)
			if c.entry.want != 0 {
				bad = status != c.entry.want
			}
			if bad {
				t.Errorf("%s as %s: %d, want it let through: %s", c.route.Pattern, c.caller, status, body)
			}
		}
		t.Logf("%d routes × %d callers: %d refusals, %d let through", len(table)-1, len(pmCallers), len(denied), len(allowed))
	})
}

// pmWorld builds the world of the permission matrix (see the callers above) and returns the ids
// of its resources by the names the matrix's paths use, and a token maker.
func pmWorld(t *testing.T, dsn string) (*world, map[string]string, func(id string) string) {
	w := newOrdWorld(t, dsn, nil)
	w.people(model.Person{ID: pmCust2, Role: model.RoleCustomer, Name: "陈先生", Area: ordArea},
		model.Person{ID: pmWorker, Role: model.RoleWorker, Name: "孙阿姨"},
		model.Person{ID: pmAgent, Role: model.RoleAgent, Name: "客服小美"})
	tok := func(id string) string { return w.s.Token(id, pmRole[id]) }

	// The world.
	ids := map[string]string{"owner": pmOwner, "item": ordItem, "agent": pmAgent}
	order := w.bookAccepted(ordT0.Add(48 * time.Hour))
	ids["order"] = order
	ids["conv"] = w.conversationOf(pmOwner, order)
	ids["file"] = uploadPNG(t, w.s, w.tok(pmOwner), 90)
	w.want(w.as(pmOwner, "POST", "/v1/conversations/"+ids["conv"]+"/messages", map[string]any{"client_id": "hi", "text": "您好"}), 201)
	w.want(w.as(pmOp, "POST", "/v1/orders/"+order+"/assign", map[string]any{"worker_id": pmWorker, "reason": "王阿姨生病"}), 200)
	ids["change"] = w.want(w.as(pmOwner, "POST", "/v1/orders/"+order+"/time-changes",
		map[string]any{"new_time": ordT0.Add(49 * time.Hour).Format(time.RFC3339), "reason": "晚一小时"}), 201).Str("id")
	done := w.book(ordSoon)
	w.want(w.as(pmWorker, "POST", "/v1/orders/"+done+"/accept", nil), 200)
	w.startAs(pmWorker, done)
	w.want(w.as(pmWorker, "POST", "/v1/orders/"+done+"/complete", nil), 200)
	ids["done"] = done
	w.want(w.as(pmOwner, "POST", "/v1/orders/"+done+"/review", map[string]any{"rating": 5, "text": "很细致", "images": []string{ids["file"]}}), 201)
	w.want(w.as(pmWorker, "PUT", "/v1/orders/"+done+"/review/reply", map[string]any{"text": "谢谢"}), 201)
	ids["feedback"] = w.want(w.as(pmOwner, "POST", "/v1/feedback", map[string]any{"topic": "features", "text": "希望有夜间服务"}), 201).Str("id")
	ids["campaign"] = w.want(w.as(pmOp, "POST", "/v1/campaigns", map[string]any{"kind": "promotion",
		"title": map[string]string{"zh-CN": "保洁八折", "en": "20% off"}, "body": map[string]string{"zh-CN": "本周", "en": "This week"},
		"service_item_ids": []string{ordItem}, "rules": []map[string]any{{"type": "percent_off", "percent": 20, "cap_cents": 5000}},
		"audience": map[string]any{"kind": "all"}, "starts_at": ordT0.Format(time.RFC3339),
		"ends_at": ordT0.Add(7 * 24 * time.Hour).Format(time.RFC3339), "send_at": ordT0.Format(time.RFC3339)}), 201).Str("id")
	ids["hook"] = w.want(w.as(pmOp, "POST", "/v1/admin/webhooks", map[string]any{"url": "http://127.0.0.1:9/hook", "description": "SMS gateway"}), 201).Str("id")
	b := webpushtest.NewBrowser(t)
	ids["push"] = w.want(subscribe(t, w.s, w.tok(pmOwner), "https://push.example.com/send/abc", b), 201).Str("id")
	ids["support"] = w.want(w.as(pmOwner, "POST", "/v1/support/conversations", map[string]any{"subject": "退款", "order_id": order,
		"client_id": "s-1", "text": "退款什么时候到账？"}), 201).Str("conversation_id")
	ids["watcher"] = w.want(w.as(pmOwner, "POST", "/v1/household/watchers", map[string]any{"phone": "13800000099", "order_id": done}), 201).Str("id")
	ids["canned"] = w.want(w.as(pmOp, "POST", "/v1/admin/support/canned-replies", map[string]any{"title": "问候", "text": "{customer}您好"}), 201).Str("id")
	ids["wxtpl"] = w.want(w.as(pmOp, "POST", "/v1/admin/wechat/templates", map[string]any{"kind": "order.accepted",
		"template_id": "TPL_ACCEPT", "fields": []map[string]string{{"key": "thing1", "source": "order.item"}}}), 201).Str("id")
	w.want(w.s.Do("PUT", "/v1/wechat/bindings/"+pmOwner, w.key, map[string]any{"openid": "oLin-0123456789"}), 201)
	w.s.RunJobs(t)

	return w, ids, tok
}

// pmSend sends one request and returns the status and the start of the body. Streams answer
// their status and headers at once; the body is not waited for.
func pmSend(t *testing.T, s *apptest.Server, method, path, token string, body any) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var rd io.Reader
	var ct string
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd, ct = strings.NewReader(string(b)), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := s.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		return res.StatusCode, "(event stream)"
	}
	b, _ := io.ReadAll(io.LimitReader(res.Body, 300))
	return res.StatusCode, string(b)
}

// TestIssue10BadInputNeverFails sends every writing route of the route table, as a caller it lets
// through, bodies no client should send — too large, too deep, not UTF-8, NUL characters, wrong
// types, numbers beyond any range, not JSON — and every reading route absurd queries: each is
// answered with a problem document, never a 5xx. Then the fields that take zones and times
// refuse unknown zones, "Local", and past or far-future times.
func TestIssue10BadInputNeverFails(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w, ids, tok := pmWorld(t, dsn)
		matrix := permissionMatrix(ids)
		as := func(caller string) string {
			if caller == pmPf {
				return w.key
			}
			return tok(caller)
		}
		bodies := map[string]string{
			"oversized":     `{"text":"` + strings.Repeat("长", 1<<20) + `"}`,
			"deep":          strings.Repeat("[", 100000) + strings.Repeat("]", 100000),
			"invalid utf-8": "{\"text\":\"\xff\xfe\xfd\",\"reason\":\"\xc3\x28\"}",
			"nul":           `{"text":"a\u0000b","reason":"x\u0000","name":"\u0000"}`,
			"array":         `[1,2,3]`,
			"string":        `"hello"`,
			"wrong types":   `{"text":5,"reason":true,"rating":"five","new_time":12,"appointment_at":[],"limit":{}}`,
			"huge numbers":  `{"rating":1e400,"capacity":99999999999999999999999,"price_cents":-1e300,"percent":1e20}`,
			"not json":      `<html><body>hi</body></html>`,
			"truncated":     `{"text":"abc`,
		}
		queries := []string{"limit=99999999999999999999", "limit=-1", "limit=abc", "cursor=%00", "cursor=not-a-cursor",
			"q=%00", "q=" + strings.Repeat("x", 5000), "status=nonsense", "sort=sideways", "after=-5", "from=yesterday"}
		checked := 0
		for _, rt := range api.RouteTable() {
			e, ok := matrix[rt.Pattern]
			if !ok || e.allow == nobody || rt.Pattern == "/v1/" {
				continue
			}
			caller := pmPf
			switch {
			case e.allow != "":
				caller = strings.Fields(e.allow)[0]
			case rt.Roles == nil:
			case slices.Contains(rt.Roles, model.RoleOperator):
				caller = pmOp
			case !slices.Contains(rt.Roles, model.RolePlatform):
				for _, c := range pmCallers[1:] {
					if slices.Contains(rt.Roles, pmRole[c]) {
						caller = c
						break
					}
				}
			}
			method, _, _ := strings.Cut(rt.Pattern, " ")
			path := e.path
			for k, v := range ids {
				path = strings.ReplaceAll(path, "{"+k+"}", v)
			}
			if method == "GET" {
				if rt.Pattern == "GET /v1/stream" || rt.Pattern == "GET /v1/events" {
					continue
				}
				for _, q := range queries {
					status, body, ct := pmRaw(t, w.s, method, path+"?"+q, as(caller), "")
					if status >= 500 || (status >= 400 && !strings.HasPrefix(ct, "application/problem+json")) {
						t.Errorf("%s?%s as %s: %d %s: %s", rt.Pattern, q, caller, status, ct, body)
					}
					checked++
				}
				continue
			}
			for name, b := range bodies {
				status, body, ct := pmRaw(t, w.s, method, path, as(caller), b)
				if status >= 500 || (status >= 400 && !strings.HasPrefix(ct, "application/problem+json")) {
					t.Errorf("%s with %s body as %s: %d %s: %s", rt.Pattern, name, caller, status, ct, body)
				}
				checked++
			}
		}

		// Zones and times: a clear 400 naming the field (on an order the bodies above left alone).
		order := w.bookAccepted(ordT0.Add(72 * time.Hour))
		for _, c := range []struct {
			who, method, path string
			body              map[string]any
		}{
			{pmOwner, "PATCH", "/v1/me", map[string]any{"time_zone": "Local"}},
			{pmOwner, "PATCH", "/v1/me", map[string]any{"time_zone": "Mars/Olympus_Mons"}},
			{pmOwner, "PUT", "/v1/me/preferences", map[string]any{"time_zone": "Local"}},
			{pmOwner, "PUT", "/v1/me/preferences", map[string]any{"time_zone": "../../etc/passwd"}},
			{pmOwner, "PUT", "/v1/me/preferences", map[string]any{"window": map[string]string{"start": "25:00", "end": "07:00"}}},
			{pmOwner, "POST", "/v1/orders", map[string]any{"service_item_id": ordItem, "address": "浦东新区", "appointment_at": ordT0.Add(-time.Hour).Format(time.RFC3339)}},
			{pmOwner, "POST", "/v1/orders", map[string]any{"service_item_id": ordItem, "address": "浦东新区", "appointment_at": "9999-12-31T00:00:00Z"}},
			{pmOwner, "POST", "/v1/orders", map[string]any{"service_item_id": ordItem, "address": "浦东新区", "appointment_at": "tomorrow morning"}},
			{pmOwner, "POST", "/v1/orders/" + order + "/time-changes", map[string]any{"new_time": "9999-12-31T00:00:00Z", "reason": "x"}},
			{pmOwner, "POST", "/v1/orders/" + order + "/time-changes", map[string]any{"new_time": ordT0.Add(-time.Hour).Format(time.RFC3339), "reason": "x"}},
			{pmRemoved, "POST", "/v1/orders/" + order + "/on-the-way", map[string]any{"eta": "9999-12-31T00:00:00Z"}},
			{pmRemoved, "POST", "/v1/orders/" + order + "/on-the-way", map[string]any{"eta": ordT0.Add(-time.Hour).Format(time.RFC3339)}},
			{pmRemoved, "POST", "/v1/orders/" + order + "/on-the-way", map[string]any{"minutes": 100000}},
			{pmOp, "POST", "/v1/orders/cancel-bulk", map[string]any{"area": ordArea, "from": ordT0.Format(time.RFC3339),
				"to": ordT0.AddDate(100, 0, 0).Format(time.RFC3339), "reason": "台风"}},
		} {
			b, _ := json.Marshal(c.body)
			status, body, ct := pmRaw(t, w.s, c.method, c.path, tok(c.who), string(b))
			if status != 400 || !strings.HasPrefix(ct, "application/problem+json") {
				t.Errorf("%s %s %s: %d %s, want a 400 problem", c.method, c.path, b, status, body)
			}
		}
		t.Logf("%d bad requests answered without a server error", checked)
	})
}

// pmRaw sends a raw body (JSON content type) and returns status, the start of the body and the
// content type.
func pmRaw(t *testing.T, s *apptest.Server, method, path, token, body string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := s.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 300))
	return res.StatusCode, string(b), res.Header.Get("Content-Type")
}
