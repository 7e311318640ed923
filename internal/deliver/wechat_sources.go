package deliver

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/homebell/homebell/internal/deliver/wechat"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
)

// WeChatSource is a notice variable a template field can be filled from.
type WeChatSource struct {
	ID   string     `json:"id"`
	Name model.Text `json:"name"`
}

// WeChatSources lists the variables operators map template fields to. A source "text:…" is a
// fixed text.
var WeChatSources = []WeChatSource{
	{"title", model.Text{ZH: "通知标题", EN: "Notice title"}},
	{"body", model.Text{ZH: "通知内容", EN: "Notice text"}},
	{"kind", model.Text{ZH: "通知类型", EN: "Kind of notice"}},
	{"created_at", model.Text{ZH: "通知时间", EN: "Time of the notice"}},
	{"order.id", model.Text{ZH: "订单号", EN: "Order number"}},
	{"order.item", model.Text{ZH: "服务项目", EN: "Service item"}},
	{"order.appointment", model.Text{ZH: "预约时间", EN: "Appointment"}},
	{"order.address", model.Text{ZH: "服务地址", EN: "Address"}},
	{"order.amount", model.Text{ZH: "订单金额", EN: "Amount paid"}},
	{"order.worker", model.Text{ZH: "服务人员", EN: "Worker"}},
	{"order.customer", model.Text{ZH: "客户", EN: "Customer"}},
	{"order.status", model.Text{ZH: "订单状态", EN: "Order status"}},
	{"change.old_time", model.Text{ZH: "原服务时间", EN: "Old time"}},
	{"change.new_time", model.Text{ZH: "新服务时间", EN: "New time"}},
	{"reason", model.Text{ZH: "原因", EN: "Reason"}},
	{"refund.amount", model.Text{ZH: "退款金额", EN: "Refund"}},
}

// ValidWeChatSource reports whether src names a source (or is a fixed "text:…").
func ValidWeChatSource(src string) bool {
	if strings.HasPrefix(src, "text:") {
		return len(src) > len("text:")
	}
	for _, s := range WeChatSources {
		if s.ID == src {
			return true
		}
	}
	return false
}

// noticeVars resolves sources for one notification to one person.
type noticeVars struct {
	n                      model.Notification
	locale                 string
	loc                    *time.Location
	order                  *model.Order
	item, worker, customer string
	data                   map[string]any
}

var orderStatusText = map[model.OrderStatus]model.Text{
	model.OrderPending:   {ZH: "待接单", EN: "Pending"},
	model.OrderAccepted:  {ZH: "已接单", EN: "Accepted"},
	model.OrderInService: {ZH: "服务中", EN: "In service"},
	model.OrderCompleted: {ZH: "已完成", EN: "Completed"},
	model.OrderCancelled: {ZH: "已取消", EN: "Cancelled"},
}

// value is the source's value fitted to a field of type t: instants and amounts are written the
// way the type wants them, text is cut to its limit.
func (v *noticeVars) value(src string, t wechat.FieldType) string {
	if fixed, ok := strings.CutPrefix(src, "text:"); ok {
		return wechat.Fit(t, fixed)
	}
	if v.data == nil {
		v.data = map[string]any{}
		_ = json.Unmarshal(v.n.Data, &v.data)
	}
	var at time.Time
	cents, isAmount := int64(0), false
	text := ""
	switch src {
	case "title":
		text = v.n.Title
	case "body":
		text = v.n.Body
	case "kind":
		if k, ok := notify.KindByID(v.n.Kind); ok {
			text = k.Label(v.locale)
		}
	case "created_at":
		at = v.n.CreatedAt
	case "order.id":
		text = v.n.OrderID
	case "order.item":
		text = v.item
	case "order.worker":
		text = v.worker
	case "order.customer":
		text = v.customer
	case "order.appointment":
		if v.order != nil {
			at = v.order.AppointmentAt
		}
	case "order.address":
		if v.order != nil {
			text = v.order.Address
		}
	case "order.amount":
		if v.order != nil {
			cents, isAmount = v.order.AmountPaidCents, true
		}
	case "order.status":
		if v.order != nil {
			text = orderStatusText[v.order.Status].In(v.locale)
		}
	case "change.old_time", "change.new_time":
		key := strings.TrimPrefix(src, "change.")
		s, _ := dig(v.data, "change", key).(string)
		if s == "" {
			s, _ = dig(v.data, key).(string)
		}
		at, _ = time.Parse(time.RFC3339Nano, s)
	case "reason":
		for _, path := range [][]string{{"reason"}, {"change", "reason"}, {"cancellation", "reason"}} {
			if s, ok := dig(v.data, path...).(string); ok && s != "" {
				text = s
				break
			}
		}
	case "refund.amount":
		if f, ok := dig(v.data, "refund", "amount_cents").(float64); ok {
			cents, isAmount = int64(f), true
		}
	}
	switch {
	case !at.IsZero():
		if t == wechat.CharacterString {
			return at.In(v.loc).Format("2006-01-02 15:04")
		}
		return wechat.Fit(t, wechat.FormatTime(t, at, v.loc))
	case isAmount:
		switch t {
		case wechat.Amount:
			return wechat.FormatAmount(cents)
		case wechat.Number:
			return strconv.FormatFloat(float64(cents)/100, 'f', 2, 64)
		}
		return wechat.Fit(t, strconv.FormatFloat(float64(cents)/100, 'f', 2, 64)+"元")
	}
	return wechat.Fit(t, text)
}

// dig reads a value at path in decoded JSON.
func dig(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}
