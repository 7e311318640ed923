package notify

import (
	"strings"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify/planner"
)

// Kind is one kind of notification in the catalogue: its category, default importance, and the
// templates of its title and body per audience ("" = any recipient) in both languages.
type Kind struct {
	ID string
	// Name names the kind on settings screens (see Label).
	Name       model.Text
	Category   planner.Category
	Importance planner.Importance
	// Templates by audience (customer, worker, operator, or "" for everyone). Each Text holds a
	// text/template in zh-CN and en; see render.go for the functions available.
	Title map[string]model.Text
	Body  map[string]model.Text
}

// Catalogue kind ids.
const (
	KindOrderAccepted         = "order.accepted"
	KindOrderAssigned         = "order.assigned"
	KindServiceStartingSoon   = "service.starting_soon"
	KindServiceStarted        = "service.started"
	KindServiceCompleted      = "service.completed"
	KindChangeRequested       = "schedule.change_requested"
	KindChangeDeclined        = "schedule.change_declined"
	KindChangeEscalated       = "schedule.change_escalated"
	KindScheduleChanged       = "schedule.changed"
	KindWorkerChanged         = "worker.changed"
	KindWorkerRemoved         = "worker.removed"
	KindWorkerChangeRequested = "worker.change_requested"
	KindCancellationRequested = "order.cancellation_requested"
	KindCancellationDeclined  = "order.cancellation_declined"
	KindOrderCancelled        = "order.cancelled"
	KindRefundSettled         = "refund.settled"
	KindWebhookEndpointPaused = "webhook.endpoint_paused"
	KindReviewReplied         = "review.replied"
	KindReviewReceived        = "review.received"
	KindReviewHidden          = "review.hidden"
	KindChatMessage           = "chat.message"
	KindSupportMessage        = "support.message"
	KindSupportRatedLow       = "support.rated_low"
	KindFeedbackAnswered      = "feedback.answered"
	KindNoticeUnread          = "notice.unread"
	KindSOS                   = "order.sos"
	KindSOSAcknowledged       = "order.sos_acknowledged"
	KindPromotion             = "platform.promotion"
	KindNewService            = "platform.new_service"
	audienceAny               = ""
	audienceCustomer          = "customer"
	audienceWorker            = "worker"
	audienceOperator          = "operator"
	// audienceWatcher is an order's watcher (Y5): their template, else the customer's, else any.
	audienceWatcher = "watcher"
)

func t(zh, en string) model.Text { return model.Text{ZH: zh, EN: en} }

// catalogue is the one list of notification kinds.
var catalogue = []Kind{
	{ID: KindOrderAccepted, Name: model.Text{ZH: "接单通知", EN: "Booking accepted"},
		Category: planner.CategoryService, Importance: planner.ImportanceHigh,
		Title: map[string]model.Text{audienceAny: t("订单已被接单", "Your booking was accepted")},
		Body: map[string]model.Text{audienceAny: t(
			"{{.worker_name}} 接了您的「{{.item}}」订单，预约时间 {{when .appointment}}，地址：{{.address}}。{{if .worker_bio}}简介：{{.worker_bio}}{{end}}",
			"{{.worker_name}} accepted your {{.item}} booking for {{when .appointment}} at {{.address}}.{{if .worker_bio}} About: {{.worker_bio}}{{end}}")}},
	{ID: KindOrderAssigned, Name: model.Text{ZH: "新服务安排", EN: "New assignment"},
		Category: planner.CategoryService, Importance: planner.ImportanceHigh,
		Title: map[string]model.Text{audienceAny: t("您有新的服务安排", "You have a new assignment")},
		Body: map[string]model.Text{audienceAny: t(
			"「{{.item}}」，{{when .appointment}}，地址：{{.address}}。{{if .requirements}}客户要求：{{.requirements}}{{end}}",
			"{{.item}} on {{when .appointment}} at {{.address}}.{{if .requirements}} Requirements: {{.requirements}}{{end}}")}},
	{ID: KindServiceStartingSoon, Name: model.Text{ZH: "服务即将开始提醒", EN: "Service starting soon"},
		Category: planner.CategoryService, Importance: planner.ImportanceCritical,
		Title: map[string]model.Text{
			audienceAny:    t("服务即将开始", "Your service starts soon"),
			audienceWorker: t("即将上门服务", "Your next visit starts soon")},
		Body: map[string]model.Text{
			audienceAny: t("{{.worker_name}} 将于 {{when .appointment}} 上门提供「{{.item}}」，请提前整理房间、准备好相关物品。",
				"{{.worker_name}} arrives at {{when .appointment}} for {{.item}}. Please tidy up and have things ready."),
			audienceWorker: t("「{{.item}}」将于 {{when .appointment}} 开始，地址：{{.address}}。",
				"{{.item}} starts at {{when .appointment}} at {{.address}}.")}},
	{ID: KindServiceStarted, Name: model.Text{ZH: "服务开始", EN: "Service started"},
		Category: planner.CategoryService, Importance: planner.ImportanceNormal,
		Title: map[string]model.Text{audienceAny: t("服务已开始", "Service started")},
		Body: map[string]model.Text{audienceAny: t("{{.worker_name}} 已开始「{{.item}}」服务。{{if .override}}（开工码未使用，由平台核实后开始。）{{end}}",
			"{{.worker_name}} has started your {{.item}}.{{if .override}} (Started by the platform after a check, without the start code.){{end}}")}},
	{ID: KindServiceCompleted, Name: model.Text{ZH: "服务完成", EN: "Service completed"},
		Category: planner.CategoryService, Importance: planner.ImportanceHigh,
		// Watchers (Y5) are told it is done; the review is the customer's.
		Title: map[string]model.Text{audienceAny: t("服务已完成，邀您评价", "Service completed — please review it"),
			audienceWatcher: t("服务已完成", "Service completed")},
		Body: map[string]model.Text{audienceAny: t("{{.worker_name}} 已完成「{{.item}}」的全部约定服务。{{if .photos}}附服务照片 {{.photos}} 张。{{end}}欢迎对本次服务进行评价。",
			"{{.worker_name}} has finished all the agreed work for {{.item}}.{{if .photos}} Photos of the work: {{.photos}}.{{end}} Tell us how it went."),
			audienceWatcher: t("{{.worker_name}} 已完成「{{.item}}」的全部约定服务。{{if .photos}}附服务照片 {{.photos}} 张。{{end}}",
				"{{.worker_name}} has finished all the agreed work for {{.item}}.{{if .photos}} Photos of the work: {{.photos}}.{{end}}")}},
	{ID: KindChangeRequested, Name: model.Text{ZH: "改期申请", EN: "Time change requested"},
		Category: planner.CategoryException, Importance: planner.ImportanceHigh,
		// with_platform: the request is close to the appointment, so operators decide; the
		// requester (you_asked) and the other party are told it is with the platform.
		Title: map[string]model.Text{
			audienceAny: t("{{if .with_platform}}{{if .you_asked}}改期申请已提交平台审批{{else}}改期申请待平台审批{{end}}{{else}}对方申请变更服务时间{{end}}",
				"{{if .with_platform}}{{if .you_asked}}Your time change is with the platform{{else}}A time change awaits the platform{{end}}{{else}}A new time was requested{{end}}"),
			audienceOperator: t("时间变更待审批", "Time change awaits approval")},
		Body: map[string]model.Text{audienceAny: t(
			"{{if .with_platform}}{{if .you_asked}}您将「{{.item}}」从 {{when .old_time}} 改到 {{when .new_time}} 的申请离服务时间较近，已提交平台审批，结果会通知您。{{else}}{{.requester_name}} 申请将「{{.item}}」从 {{when .old_time}} 改到 {{when .new_time}}（原因：{{.reason}}）。离服务时间较近，由平台审批，无需您操作，结果会通知您。{{end}}{{else}}{{.requester_name}} 申请将「{{.item}}」从 {{when .old_time}} 改到 {{when .new_time}}。原因：{{.reason}}{{end}}",
			"{{if .with_platform}}{{if .you_asked}}Your request to move {{.item}} from {{when .old_time}} to {{when .new_time}} is close to the appointment, so the platform decides; you will be told.{{else}}{{.requester_name}} asks to move {{.item}} from {{when .old_time}} to {{when .new_time}} (reason: {{.reason}}). It is close to the appointment, so the platform decides; nothing for you to do, you will be told.{{end}}{{else}}{{.requester_name}} asks to move {{.item}} from {{when .old_time}} to {{when .new_time}}. Reason: {{.reason}}{{end}}")}},
	{ID: KindChangeDeclined, Name: model.Text{ZH: "改期未通过", EN: "Time change declined"},
		Category: planner.CategoryException, Importance: planner.ImportanceHigh,
		Title: map[string]model.Text{audienceAny: t("时间变更未通过", "Time change declined")},
		Body: map[string]model.Text{audienceAny: t(
			"将「{{.item}}」改到 {{when .new_time}} 的申请未通过{{if .reason}}（{{.reason}}）{{end}}，服务仍按 {{when .old_time}} 进行。",
			"The request to move {{.item}} to {{when .new_time}} was declined{{if .reason}} ({{.reason}}){{end}}; it stays at {{when .old_time}}.")}},
	{ID: KindChangeEscalated, Name: model.Text{ZH: "改期待运营处理", EN: "Time change escalated"},
		Category: planner.CategoryException, Importance: planner.ImportanceHigh,
		Title: map[string]model.Text{audienceAny: t("时间变更申请无人处理", "Time change request unanswered")},
		Body: map[string]model.Text{audienceAny: t(
			"订单「{{.item}}」的改期申请（{{when .old_time}} → {{when .new_time}}）已超时未答复，请运营处理。",
			"The request to move {{.item}} ({{when .old_time}} → {{when .new_time}}) got no answer in time; please decide.")}},
	{ID: KindScheduleChanged, Name: model.Text{ZH: "服务时间变更", EN: "Service time changed"},
		Category: planner.CategoryException, Importance: planner.ImportanceHigh,
		Title: map[string]model.Text{audienceAny: t("服务时间已变更", "Service time changed")},
		Body: map[string]model.Text{audienceAny: t(
			"「{{.item}}」的服务时间已由 {{when .old_time}} 改为 {{when .new_time}}。{{if .reason}}原因：{{.reason}}{{end}}",
			"{{.item}} moved from {{when .old_time}} to {{when .new_time}}.{{if .reason}} Reason: {{.reason}}{{end}}")}},
	{ID: KindWorkerChanged, Name: model.Text{ZH: "服务人员更换", EN: "Worker changed"},
		Category: planner.CategoryException, Importance: planner.ImportanceHigh,
		Title: map[string]model.Text{audienceAny: t("服务人员已更换", "Your worker has changed")},
		Body: map[string]model.Text{audienceAny: t(
			"您的「{{.item}}」订单改由 {{.worker_name}} 服务，时间 {{when .appointment}} 不变。{{if .worker_bio}}简介：{{.worker_bio}}{{end}}",
			"{{.worker_name}} now takes your {{.item}} booking at {{when .appointment}}.{{if .worker_bio}} About: {{.worker_bio}}{{end}}")}},
	{ID: KindWorkerRemoved, Name: model.Text{ZH: "不再负责订单", EN: "Removed from an order"},
		Category: planner.CategoryException, Importance: planner.ImportanceHigh,
		Title: map[string]model.Text{audienceAny: t("您已不再负责该订单", "You are off this order")},
		Body: map[string]model.Text{audienceAny: t(
			"「{{.item}}」（{{when .appointment}}）已改由其他服务人员负责。{{if .reason}}原因：{{.reason}}{{end}}",
			"{{.item}} on {{when .appointment}} was reassigned.{{if .reason}} Reason: {{.reason}}{{end}}")}},
	{ID: KindWorkerChangeRequested, Name: model.Text{ZH: "需更换服务人员", EN: "Worker change needed"},
		Category: planner.CategoryException, Importance: planner.ImportanceHigh,
		Title: map[string]model.Text{
			audienceAny:      t("需要更换服务人员", "A worker change is needed"),
			audienceCustomer: t("正在为您更换服务人员", "We are finding you another worker")},
		Body: map[string]model.Text{
			audienceAny: t(
				"订单「{{.item}}」（{{when .appointment}}）需要更换服务人员。原因：{{.reason}}",
				"Order {{.item}} on {{when .appointment}} needs another worker. Reason: {{.reason}}"),
			audienceCustomer: t(
				"原服务人员无法继续「{{.item}}」（{{when .appointment}}），平台正在为您安排新的服务人员，安排好后会通知您。",
				"Your worker can no longer do {{.item}} on {{when .appointment}}. We are arranging another one and will tell you who.")}},
	{ID: KindCancellationRequested, Name: model.Text{ZH: "取消申请", EN: "Cancellation requested"},
		Category: planner.CategoryException, Importance: planner.ImportanceHigh,
		Title: map[string]model.Text{audienceAny: t("取消申请待审批", "Cancellation awaits approval")},
		Body: map[string]model.Text{audienceAny: t(
			"{{.requester_name}} 申请取消「{{.item}}」（{{when .appointment}}）。原因：{{.reason}}",
			"{{.requester_name}} asks to cancel {{.item}} on {{when .appointment}}. Reason: {{.reason}}")}},
	{ID: KindCancellationDeclined, Name: model.Text{ZH: "取消未通过", EN: "Cancellation declined"},
		Category: planner.CategoryException, Importance: planner.ImportanceHigh,
		Title: map[string]model.Text{audienceAny: t("取消申请未通过", "Cancellation declined")},
		Body: map[string]model.Text{audienceAny: t(
			"取消「{{.item}}」的申请未通过{{if .reason}}（{{.reason}}）{{end}}，服务仍按 {{when .appointment}} 进行。",
			"The request to cancel {{.item}} was declined{{if .reason}} ({{.reason}}){{end}}; it goes ahead at {{when .appointment}}.")}},
	{ID: KindOrderCancelled, Name: model.Text{ZH: "订单取消", EN: "Order cancelled"},
		Category: planner.CategoryException, Importance: planner.ImportanceCritical,
		Title: map[string]model.Text{audienceAny: t("订单已取消", "Order cancelled")},
		Body: map[string]model.Text{
			audienceCustomer: t(
				"「{{.item}}」（{{when .appointment}}）已取消。原因：{{.reason}}。{{if .refund}}将退款 {{money .refund_cents}}，预计 {{when .refund_eta}} 前到账。{{else}}本单无退款。{{end}}",
				"{{.item}} on {{when .appointment}} was cancelled. Reason: {{.reason}}. {{if .refund}}A refund of {{money .refund_cents}} will arrive by {{when .refund_eta}}.{{else}}There is no refund for this order.{{end}}"),
			// Watchers are not told about money (Y5).
			audienceWatcher: t(
				"「{{.item}}」（{{when .appointment}}）已取消。原因：{{.reason}}。",
				"{{.item}} on {{when .appointment}} was cancelled. Reason: {{.reason}}."),
			audienceAny: t(
				"「{{.item}}」（{{when .appointment}}）已取消。原因：{{.reason}}。{{if .refund}}客户退款 {{money .refund_cents}}{{if .refund_eta}}，预计 {{when .refund_eta}} 前到账{{end}}。{{else}}无退款。{{end}}",
				"{{.item}} on {{when .appointment}} was cancelled. Reason: {{.reason}}. {{if .refund}}Customer refund: {{money .refund_cents}}{{if .refund_eta}}, arriving by {{when .refund_eta}}{{end}}.{{else}}No refund.{{end}}")}},
	{ID: KindRefundSettled, Name: model.Text{ZH: "退款到账", EN: "Refund settled"},
		Category: planner.CategoryException, Importance: planner.ImportanceHigh,
		Title: map[string]model.Text{audienceAny: t("退款已到账", "Refund settled")},
		Body: map[string]model.Text{audienceAny: t("「{{.item}}」的退款 {{money .refund_cents}} 已原路退回。",
			"Your refund of {{money .refund_cents}} for {{.item}} has been paid back.")}},
	{ID: KindWebhookEndpointPaused, Name: model.Text{ZH: "Webhook 端点暂停", EN: "Webhook endpoint paused"},
		Category: planner.CategoryException, Importance: planner.ImportanceHigh,
		Title: map[string]model.Text{audienceAny: t("Webhook 端点已暂停", "Webhook endpoint paused")},
		Body: map[string]model.Text{audienceAny: t("端点 {{.endpoint}} 连续投递失败，已暂停。最后错误：{{.error}}",
			"Endpoint {{.endpoint}} kept failing and was paused. Last error: {{.error}}")}},
	{ID: KindReviewReplied, Name: model.Text{ZH: "评价回复", EN: "Review replies"},
		Category: planner.CategoryInteraction, Importance: planner.ImportanceNormal,
		Title: map[string]model.Text{audienceAny: t("服务人员回复了您的评价", "Your review got a reply")},
		Body:  map[string]model.Text{audienceAny: t("{{.worker_name}}：{{.text}}", "{{.worker_name}}: {{.text}}")}},
	// I2: the worker is told of a new review of their service.
	{ID: KindReviewReceived, Name: model.Text{ZH: "收到新评价", EN: "New reviews"},
		Category: planner.CategoryInteraction, Importance: planner.ImportanceNormal,
		Title: map[string]model.Text{audienceAny: t("您收到一条新评价", "You have a new review")},
		Body: map[string]model.Text{audienceAny: t(
			"{{.customer_name}} 给「{{.item}}」打了 {{.rating}} 星。{{if .text}}“{{.text}}”{{end}}",
			"{{.customer_name}} gave {{.item}} {{.rating}} stars.{{if .text}} “{{.text}}”{{end}}")}},
	// I2: an operator hid what the recipient wrote (their review, or their reply), and says why.
	{ID: KindReviewHidden, Name: model.Text{ZH: "评价或回复被隐藏", EN: "Review or reply hidden"},
		Category: planner.CategoryInteraction, Importance: planner.ImportanceNormal,
		Title: map[string]model.Text{
			audienceAny:    t("您的评价已被隐藏", "Your review was hidden"),
			audienceWorker: t("您的评价回复已被隐藏", "Your reply to a review was hidden")},
		Body: map[string]model.Text{
			audienceAny: t("您对「{{.item}}」的评价因违反平台规范已被隐藏。原因：{{.reason}}",
				"Your review of {{.item}} was hidden for breaking the platform's rules. Reason: {{.reason}}"),
			audienceWorker: t("您对「{{.item}}」评价的回复因违反平台规范已被隐藏。原因：{{.reason}}",
				"Your reply to the review of {{.item}} was hidden for breaking the platform's rules. Reason: {{.reason}}")}},
	{ID: KindChatMessage, Name: model.Text{ZH: "私信消息", EN: "Private messages"},
		Category: planner.CategoryInteraction, Importance: planner.ImportanceNormal,
		// One running entry per conversation (notify.Thread): count is how many messages wait.
		Title: map[string]model.Text{audienceAny: t(
			"{{if .many}}{{.sender_name}} 发来 {{.count}} 条新消息{{else}}{{.sender_name}} 发来消息{{end}}",
			"{{if .many}}{{.count}} new messages from {{.sender_name}}{{else}}Message from {{.sender_name}}{{end}}")},
		Body: map[string]model.Text{audienceAny: t("{{if .text}}{{.text}}{{else}}[图片]{{end}}", "{{if .text}}{{.text}}{{else}}[Image]{{end}}")}},
	// I3: a message in a support conversation, one running entry per conversation (notify.Thread).
	{ID: KindSupportMessage, Name: model.Text{ZH: "客服消息", EN: "Customer service"},
		Category: planner.CategoryInteraction, Importance: planner.ImportanceNormal,
		Title: map[string]model.Text{audienceAny: t(
			"{{if .many}}客服 {{.sender_name}} 发来 {{.count}} 条新消息{{else if .sender_name}}客服 {{.sender_name}} 回复了您{{else}}客服消息{{end}}",
			"{{if .many}}{{.count}} new messages from support ({{.sender_name}}){{else if .sender_name}}Support ({{.sender_name}}) replied{{else}}Customer service{{end}}"),
			string(model.RoleAgent): t(
				"{{if .many}}{{.sender_name}} 发来 {{.count}} 条新消息{{else}}{{.sender_name}} 发来咨询{{end}}",
				"{{if .many}}{{.count}} new messages from {{.sender_name}}{{else}}{{.sender_name}} wrote to support{{end}}")},
		Body: map[string]model.Text{audienceAny: t("{{if .text}}{{.text}}{{else}}[图片]{{end}}", "{{if .text}}{{.text}}{{else}}[Image]{{end}}")}},
	// I3: a customer rated a support conversation 2 or less; operators look at it.
	{ID: KindSupportRatedLow, Name: model.Text{ZH: "客服低分评价", EN: "Low support ratings"},
		Category: planner.CategoryInteraction, Importance: planner.ImportanceHigh,
		Title: map[string]model.Text{audienceAny: t("客服会话收到 {{.score}} 分评价", "A support conversation was rated {{.score}}")},
		Body: map[string]model.Text{audienceAny: t(
			"{{.customer_name}} 给 {{if .agent_name}}{{.agent_name}}{{else}}客服{{end}} 的服务打了 {{.score}} 分。{{if .comment}}“{{.comment}}”{{end}}",
			"{{.customer_name}} rated {{if .agent_name}}{{.agent_name}}{{else}}support{{end}} {{.score}} of 5.{{if .comment}} “{{.comment}}”{{end}}")}},
	{ID: KindFeedbackAnswered, Name: model.Text{ZH: "反馈回复", EN: "Feedback answers"},
		Category: planner.CategoryInteraction, Importance: planner.ImportanceNormal,
		Title: map[string]model.Text{audienceAny: t("您的反馈有了回复", "Your feedback was answered")},
		Body:  map[string]model.Text{audienceAny: t("{{.text}}", "{{.text}}")}},
	// Y1: the last step of a chain tells the operators who has not read (or acknowledged) what.
	{ID: KindNoticeUnread, Name: model.Text{ZH: "通知未读升级", EN: "Unread notices escalated"},
		Category: planner.CategoryException, Importance: planner.ImportanceHigh,
		Title: map[string]model.Text{audienceAny: t("{{.person_name}} 未读重要通知", "{{.person_name}} has not read a notice")},
		Body: map[string]model.Text{audienceAny: t(
			"{{.person_name}}（{{.role}}）在期限内未{{if .ack}}确认{{else}}阅读{{end}}「{{.title}}」，已依次通过 {{.channels}} 提醒。请联系处理。",
			"{{.person_name}} ({{.role}}) has not {{if .ack}}acknowledged{{else}}read{{end}} “{{.title}}” in time; reminded by {{.channels}}. Please follow up.")}},
	// Y1: an SOS raised from an order pages every operator until one acknowledges.
	{ID: KindSOS, Name: model.Text{ZH: "紧急求助", EN: "SOS"},
		Category: planner.CategoryException, Importance: planner.ImportanceCritical,
		Title: map[string]model.Text{audienceAny: t("紧急求助：{{.raiser_name}}{{if .repeat}}（第 {{.page}} 次呼叫）{{end}}",
			"SOS from {{.raiser_name}}{{if .repeat}} (page {{.page}}){{end}}")},
		Body: map[string]model.Text{audienceAny: t(
			"订单「{{.item}}」（{{when .appointment}}，{{.address}}）的{{.raiser_role}}发起紧急求助。{{if .text}}“{{.text}}”{{end}}请立即确认处理。",
			"The {{.raiser_role}} of {{.item}} ({{when .appointment}}, {{.address}}) raised an SOS.{{if .text}} “{{.text}}”{{end}} Acknowledge now.")}},
	{ID: KindSOSAcknowledged, Name: model.Text{ZH: "求助已受理", EN: "SOS acknowledged"},
		Category: planner.CategoryException, Importance: planner.ImportanceCritical,
		Title: map[string]model.Text{audienceAny: t("平台已收到您的求助", "The platform has your SOS")},
		Body: map[string]model.Text{audienceAny: t("运营 {{.operator_name}} 已确认处理您在「{{.item}}」订单的求助，会尽快联系您。",
			"{{.operator_name}} is handling your SOS about {{.item}} and will contact you shortly.")}},
	{ID: KindPromotion, Name: model.Text{ZH: "优惠活动", EN: "Promotions"},
		Category: planner.CategoryPlatform, Importance: planner.ImportanceLow,
		Title: map[string]model.Text{audienceAny: t("{{.title}}", "{{.title}}")},
		Body:  map[string]model.Text{audienceAny: t("{{.text}}", "{{.text}}")}},
	{ID: KindNewService, Name: model.Text{ZH: "新服务上线", EN: "New services"},
		Category: planner.CategoryPlatform, Importance: planner.ImportanceLow,
		Title: map[string]model.Text{audienceAny: t("新服务上线：{{.item}}", "New service: {{.item}}")},
		Body:  map[string]model.Text{audienceAny: t("{{.text}}", "{{.text}}")}},
}

// Label names the kind in locale: its label, else its title when that has no placeholders, else its id.
func (k Kind) Label(locale string) string {
	if k.Name.ZH != "" {
		return k.Name.In(locale)
	}
	if t, ok := k.Title[audienceAny]; ok && !strings.Contains(t.In(locale), "{{") {
		return t.In(locale)
	}
	return k.ID
}

// Kinds returns the catalogue.
func Kinds() []Kind { return catalogue }

// KindByID finds a kind.
func KindByID(id string) (Kind, bool) {
	for _, k := range catalogue {
		if k.ID == id {
			return k, true
		}
	}
	return Kind{}, false
}

// audiences says which roles can receive each kind (who the services send it to): settings
// screens list a person only the kinds of their role (GET /v1/kinds answers it as audience).
var audiences = map[string][]model.Role{
	KindOrderAccepted:         {model.RoleCustomer},
	KindOrderAssigned:         {model.RoleWorker},
	KindServiceStartingSoon:   {model.RoleCustomer, model.RoleWorker},
	KindServiceStarted:        {model.RoleCustomer},
	KindServiceCompleted:      {model.RoleCustomer},
	KindChangeRequested:       {model.RoleCustomer, model.RoleWorker, model.RoleOperator},
	KindChangeDeclined:        {model.RoleCustomer, model.RoleWorker},
	KindChangeEscalated:       {model.RoleOperator},
	KindScheduleChanged:       {model.RoleCustomer, model.RoleWorker},
	KindWorkerChanged:         {model.RoleCustomer},
	KindWorkerRemoved:         {model.RoleWorker},
	KindWorkerChangeRequested: {model.RoleCustomer, model.RoleOperator},
	KindCancellationRequested: {model.RoleOperator},
	KindCancellationDeclined:  {model.RoleCustomer, model.RoleWorker},
	KindOrderCancelled:        {model.RoleCustomer, model.RoleWorker, model.RoleOperator},
	KindRefundSettled:         {model.RoleCustomer},
	KindWebhookEndpointPaused: {model.RoleOperator},
	KindReviewReplied:         {model.RoleCustomer},
	KindReviewReceived:        {model.RoleWorker},
	KindReviewHidden:          {model.RoleCustomer, model.RoleWorker},
	KindChatMessage:           {model.RoleCustomer, model.RoleWorker},
	KindSupportMessage:        {model.RoleCustomer, model.RoleWorker, model.RoleAgent},
	KindSupportRatedLow:       {model.RoleOperator},
	KindFeedbackAnswered:      {model.RoleCustomer, model.RoleWorker},
	KindNoticeUnread:          {model.RoleOperator},
	KindSOS:                   {model.RoleOperator},
	KindSOSAcknowledged:       {model.RoleCustomer, model.RoleWorker},
	KindPromotion:             {model.RoleCustomer},
	KindNewService:            {model.RoleCustomer},
}

// Audience is the roles that can receive the kind (every role for a kind not in audiences).
func (k Kind) Audience() []model.Role {
	if a, ok := audiences[k.ID]; ok {
		return a
	}
	return model.PersonRoles
}
