package notify

import (
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify/planner"
)

// The household's kinds (Y5), kept beside the catalogue they join.
const (
	// KindWatcherAdded tells a person that a customer added them as a watcher of one order (the
	// order's vars) or of all their orders (no item), with the rights they were given.
	KindWatcherAdded = "household.watcher_added"
	// KindInviteSent records, for the customer, an invite by phone; the platform's gateway
	// webhooks that take the kind receive it with the invite (data.invite) and reach the number
	// (an SMS, the app), then resolve it — instead of polling GET /v1/household/invites.
	KindInviteSent = "household.invite_sent"
)

var householdKinds = []Kind{
	{ID: KindWatcherAdded, Name: model.Text{ZH: "被添加为订单关注人", EN: "Added as a watcher"},
		Category: planner.CategoryService, Importance: planner.ImportanceNormal,
		Title: map[string]model.Text{audienceAny: t(
			"{{.customer_name}} 邀您关注{{if .item}}订单{{else}}全部订单{{end}}",
			"{{.customer_name}} added you to follow {{if .item}}an order{{else}}their orders{{end}}")},
		Body: map[string]model.Text{audienceAny: t(
			"{{.customer_name}} 将您添加为{{if .item}}「{{.item}}」（{{when .appointment}}，{{.address}}）的关注人{{else}}其全部订单的关注人{{end}}，订单的通知会同步发给您。{{if .can_chat}}您可以与服务人员聊天。{{end}}{{if .can_answer_changes}}您可以答复服务人员的改期申请。{{end}}在“我的订单”的“我关注的订单”中查看。",
			"{{.customer_name}} added you as a watcher of {{if .item}}{{.item}} ({{when .appointment}}, {{.address}}){{else}}all their orders{{end}}: you will be told what they are told.{{if .can_chat}} You may chat with the worker.{{end}}{{if .can_answer_changes}} You may answer the worker's time changes.{{end}} Find it under My orders, Orders I follow.")}},
	{ID: KindInviteSent, Name: model.Text{ZH: "家人邀请已发出", EN: "Family invitation sent"},
		Category: planner.CategoryService, Importance: planner.ImportanceLow,
		Title: map[string]model.Text{audienceAny: t("邀请已发出：{{.phone}}", "Invitation sent: {{.phone}}")},
		Body: map[string]model.Text{audienceAny: t(
			"平台会联系 {{.phone}}，请对方关注{{if .item}}「{{.item}}」（{{when .appointment}}）{{else}}您的全部订单{{end}}。对方接受后即会收到订单的通知。",
			"The platform will ask {{.phone}} to follow {{if .item}}{{.item}} ({{when .appointment}}){{else}}all your orders{{end}}. Once they accept, they are told what happens to it.")}},
}

func init() {
	catalogue = append(catalogue, householdKinds...)
	audiences[KindWatcherAdded] = []model.Role{model.RoleCustomer}
	audiences[KindInviteSent] = []model.Role{model.RoleCustomer}
}
