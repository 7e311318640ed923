package notify

import (
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify/planner"
)

// The visit's kinds (Y4), kept beside the catalogue they join.
const (
	KindVisitOnTheWay  = "visit.on_the_way"
	KindVisitArrived   = "visit.arrived"
	KindVisitNudge     = "visit.nudge"
	KindVisitException = "visit.exception"
)

var visitKinds = []Kind{
	// The customer is told once when the worker sets out, and again only when the estimate slipped.
	{ID: KindVisitOnTheWay, Name: model.Text{ZH: "服务人员出发", EN: "Worker on the way"},
		Category: planner.CategoryService, Importance: planner.ImportanceHigh,
		Title: map[string]model.Text{audienceAny: t(
			"{{if .slipped}}{{.worker_name}} 预计到达时间推迟{{else}}{{.worker_name}} 已出发{{end}}",
			"{{if .slipped}}{{.worker_name}} will be later{{else}}{{.worker_name}} is on the way{{end}}")},
		Body: map[string]model.Text{audienceAny: t(
			"{{if .slipped}}「{{.item}}」的服务人员预计 {{when .eta}} 到达（原预计 {{when .previous_eta}}）。{{else}}{{.worker_name}} 已出发前往 {{.address}}，预计 {{when .eta}} 到达，为您提供「{{.item}}」。{{end}}",
			"{{if .slipped}}Your worker for {{.item}} now expects to arrive at {{when .eta}} (was {{when .previous_eta}}).{{else}}{{.worker_name}} is on the way to {{.address}} for {{.item}} and expects to arrive at {{when .eta}}.{{end}}")}},
	// At the door: the customer gets the start code to read out to the worker.
	{ID: KindVisitArrived, Name: model.Text{ZH: "服务人员已到达", EN: "Worker arrived"},
		Category: planner.CategoryService, Importance: planner.ImportanceCritical,
		Title: map[string]model.Text{audienceAny: t("{{.worker_name}} 已到达", "{{.worker_name}} has arrived")},
		Body: map[string]model.Text{audienceAny: t(
			"{{.worker_name}} 已到达，准备开始「{{.item}}」。开工码：{{.start_code}}。请核实身份后将开工码告诉服务人员。",
			"{{.worker_name}} is at your door for {{.item}}. Start code: {{.start_code}}. Check who it is, then read the code out to them.")}},
	{ID: KindVisitNudge, Name: model.Text{ZH: "出发提醒", EN: "Time to set out"},
		Category: planner.CategoryService, Importance: planner.ImportanceCritical,
		// With eta: the worker is on the way and their own estimate passed without a check-in.
		Title: map[string]model.Text{audienceAny: t("{{if .eta}}到了吗？{{else}}该出发了{{end}}", "{{if .eta}}Are you there yet?{{else}}Time to set out{{end}}")},
		Body: map[string]model.Text{audienceAny: t(
			"{{if .eta}}您预计 {{when .eta}} 到达 {{.address}}（「{{.item}}」），还没有到达打卡。到达后请打卡；会晚到的话请更新预计到达时间。{{else}}「{{.item}}」将于 {{when .appointment}} 开始，地址：{{.address}}。您还没有标记出发，请出发后点击“出发”并填写预计到达时间。{{end}}",
			"{{if .eta}}You expected to reach {{.address}} for {{.item}} at {{when .eta}} and have not checked in. Check in at the door, or give a new estimate if you will be later.{{else}}{{.item}} starts at {{when .appointment}} at {{.address}} and you have not set out. Once you leave, mark “On the way” with your arrival estimate.{{end}}")}},
	// Operators: the worker had not set out at the appointment, or used up the start codes.
	{ID: KindVisitException, Name: model.Text{ZH: "上门异常", EN: "Visit exceptions"},
		Category: planner.CategoryException, Importance: planner.ImportanceHigh,
		Title: map[string]model.Text{audienceAny: t(
			"{{if eq .reason \"start_code_locked\"}}开工码错误次数过多{{else}}服务人员未出发{{end}}",
			"{{if eq .reason \"start_code_locked\"}}Too many wrong start codes{{else}}Worker has not set out{{end}}")},
		Body: map[string]model.Text{audienceAny: t(
			"{{if eq .reason \"start_code_locked\"}}{{.worker_name}} 在「{{.item}}」（{{when .appointment}}，{{.address}}）输错开工码次数过多，需运营核实后代为开始。{{else}}「{{.item}}」已到预约时间 {{when .appointment}}（{{.address}}），{{.worker_name}} 仍未出发，请联系服务人员或改派。{{end}}",
			"{{if eq .reason \"start_code_locked\"}}{{.worker_name}} typed too many wrong start codes for {{.item}} ({{when .appointment}}, {{.address}}); an operator must check and start it.{{else}}{{.item}} was due at {{when .appointment}} ({{.address}}) and {{.worker_name}} has not set out; contact them or reassign the order.{{end}}")}},
}

func init() {
	catalogue = append(catalogue, visitKinds...)
	audiences[KindVisitOnTheWay] = []model.Role{model.RoleCustomer}
	audiences[KindVisitArrived] = []model.Role{model.RoleCustomer}
	audiences[KindVisitNudge] = []model.Role{model.RoleWorker}
	audiences[KindVisitException] = []model.Role{model.RoleOperator}
}
