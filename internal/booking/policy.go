package booking

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sync/atomic"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

// SettingPolicy is the settings key of the operators' booking policy.
const SettingPolicy = "booking_policy"

// RefundPolicy is how much of the amount paid a cancellation gives back (E3).
type RefundPolicy struct {
	// FreeBeforeHours: a customer cancelling at least this long before the appointment gets everything back.
	FreeBeforeHours float64 `json:"free_before_hours"`
	// FeePercent of the amount paid is kept when a customer cancels closer in.
	FeePercent int `json:"fee_percent"`
	// ApprovalWithinHours: a customer cancellation this close to the appointment (or later) needs an operator.
	ApprovalWithinHours float64 `json:"approval_within_hours"`
	// RefundDays is how long the platform takes to pay a refund back (the ETA told to the customer).
	RefundDays int `json:"refund_days"`
}

// Policy is the operators' booking policy, stored in settings.
type Policy struct {
	ReminderLeadMinutes int            `json:"reminder_lead_minutes"`
	ReminderLeadByItem  map[string]int `json:"reminder_lead_by_item"`
	// ChangeOperatorWindowMinutes: a time change requested this close to the appointment is decided by an operator.
	ChangeOperatorWindowMinutes int `json:"change_operator_window_minutes"`
	// ChangeAnswerMinutes: the other party has this long to answer before the request escalates to operators.
	ChangeAnswerMinutes int          `json:"change_answer_minutes"`
	Refund              RefundPolicy `json:"refund"`
	// BookAheadDays bounds how far ahead an appointment (or a new time) may be booked.
	BookAheadDays int `json:"book_ahead_days"`
	// BulkRangeDays bounds the time range of one bulk cancellation.
	BulkRangeDays int `json:"bulk_range_days"`
	// Chat: an order's conversation stays writable this long after the order is completed or
	// cancelled (I1); it stays readable within the message center's retention.
	Chat ChatPolicy `json:"chat"`
	// Visit: when a worker may start, when one not on the way is nudged, how often an arrival
	// estimate is told again, how many start codes may be wrong (Y4). Zero fields: the defaults.
	Visit VisitPolicy `json:"visit"`
}

// The bounds of dates (issue 10, defect 9).
const (
	defaultBookAheadDays = 180
	defaultBulkRangeDays = 31
)

// bookAhead is how far ahead an appointment may be.
func (p Policy) bookAhead() time.Duration {
	d := p.BookAheadDays
	if d <= 0 {
		d = defaultBookAheadDays
	}
	return time.Duration(d) * 24 * time.Hour
}

// bulkRange is the longest range of one bulk cancellation.
func (p Policy) bulkRange() time.Duration {
	d := p.BulkRangeDays
	if d <= 0 {
		d = defaultBulkRangeDays
	}
	return time.Duration(d) * 24 * time.Hour
}

// ChatPolicy is how long order chat stays open once the order has ended (I1).
type ChatPolicy struct {
	AfterCompletionHours   float64 `json:"after_completion_hours"`
	AfterCancellationHours float64 `json:"after_cancellation_hours"`
}

// WritableFor is how long after an order ended in status its conversation takes messages.
func (c ChatPolicy) WritableFor(status model.OrderStatus) time.Duration {
	if status == model.OrderCancelled {
		return hours(c.AfterCancellationHours)
	}
	return hours(c.AfterCompletionHours)
}

// DefaultPolicy is the policy until operators set one.
func DefaultPolicy() Policy {
	return Policy{ReminderLeadMinutes: 30, ReminderLeadByItem: map[string]int{}, ChangeOperatorWindowMinutes: 120,
		ChangeAnswerMinutes: 60, Refund: RefundPolicy{FreeBeforeHours: 24, FeePercent: 20, ApprovalWithinHours: 2, RefundDays: 3},
		BookAheadDays: defaultBookAheadDays, BulkRangeDays: defaultBulkRangeDays,
		Chat: ChatPolicy{AfterCompletionHours: 7 * 24, AfterCancellationHours: 24}}
}

// Validate checks a policy before it is stored.
func (p Policy) Validate() error {
	var v model.Validator
	v.Check(p.ReminderLeadMinutes >= 1 && p.ReminderLeadMinutes <= 7*24*60, "reminder_lead_minutes", "must be 1..10080")
	for id, m := range p.ReminderLeadByItem {
		v.Check(m >= 1 && m <= 7*24*60, "reminder_lead_by_item."+id, "must be 1..10080")
	}
	v.Check(p.ChangeOperatorWindowMinutes >= 0 && p.ChangeOperatorWindowMinutes <= 7*24*60, "change_operator_window_minutes", "must be 0..10080")
	v.Check(p.ChangeAnswerMinutes >= 1 && p.ChangeAnswerMinutes <= 7*24*60, "change_answer_minutes", "must be 1..10080")
	v.Check(p.Refund.FreeBeforeHours >= 0 && p.Refund.FreeBeforeHours <= 24*30, "refund.free_before_hours", "must be 0..720")
	v.Check(p.Refund.FeePercent >= 0 && p.Refund.FeePercent <= 100, "refund.fee_percent", "must be 0..100")
	v.Check(p.Refund.ApprovalWithinHours >= 0 && p.Refund.ApprovalWithinHours <= 24*30, "refund.approval_within_hours", "must be 0..720")
	v.Check(p.Refund.RefundDays >= 0 && p.Refund.RefundDays <= 60, "refund.refund_days", "must be 0..60")
	v.Check(p.BookAheadDays >= 0 && p.BookAheadDays <= 3*365, "book_ahead_days", "must be 1..1095 (0: the default, 180)")
	v.Check(p.BulkRangeDays >= 0 && p.BulkRangeDays <= 366, "bulk_range_days", "must be 1..366 (0: the default, 31)")
	v.Check(p.Chat.AfterCompletionHours >= 0 && p.Chat.AfterCompletionHours <= 24*90, "chat.after_completion_hours", "must be 0..2160")
	p.Visit.check(&v)
	v.Check(p.Chat.AfterCancellationHours >= 0 && p.Chat.AfterCancellationHours <= 24*90, "chat.after_cancellation_hours", "must be 0..2160")
	return v.Err()
}

// LeadFor is the reminder lead time of a service item: its own, else the platform's.
func (p Policy) LeadFor(itemID string) time.Duration {
	if m, ok := p.ReminderLeadByItem[itemID]; ok && m > 0 {
		return time.Duration(m) * time.Minute
	}
	return time.Duration(p.ReminderLeadMinutes) * time.Minute
}

// LoadPolicy reads the policy: the stored one over the defaults.
// Every action reads it: the policy decoded from the stored text is kept while the text stays
// the same (each caller gets its own copy of the map).
func LoadPolicy(ctx context.Context, q *store.Queries) (Policy, error) {
	raw, found, err := q.SettingJSON(ctx, SettingPolicy)
	if err != nil || !found {
		return DefaultPolicy(), err
	}
	if d := decodedPolicy.Load(); d != nil && d.raw == raw {
		p := d.p
		p.ReminderLeadByItem = maps.Clone(d.p.ReminderLeadByItem)
		return p, nil
	}
	p := DefaultPolicy()
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return DefaultPolicy(), fmt.Errorf("store: setting %s: %w", SettingPolicy, err)
	}
	if p.ReminderLeadByItem == nil {
		p.ReminderLeadByItem = map[string]int{}
	}
	decodedPolicy.Store(&policyText{raw: raw, p: p})
	p.ReminderLeadByItem = maps.Clone(p.ReminderLeadByItem)
	return p, nil
}

type policyText struct {
	raw string
	p   Policy
}

var decodedPolicy atomic.Pointer[policyText]

// Refund policies: which rule a refund followed.
const (
	PolicyFree         = "free"          // cancelled early enough: full refund
	PolicyNotAccepted  = "not_accepted"  // nobody had accepted yet: full refund
	PolicyLateFee      = "late_fee"      // customer cancelled closer in: a fee is kept
	PolicyWorkerSide   = "worker_side"   // the worker cancelled: full refund
	PolicyOperator     = "operator"      // operators or the platform cancelled: full refund
	PolicyForceMajeure = "force_majeure" // weather, disaster: full refund
)

// Quote is what cancelling an order now would do about the money.
type Quote struct {
	Policy        string     `json:"policy"`
	AmountCents   int64      `json:"amount_paid_cents"`
	RefundCents   int64      `json:"refund_cents"`
	FeeCents      int64      `json:"fee_cents"`
	Refund        bool       `json:"refund"`
	NeedsApproval bool       `json:"needs_approval"`
	RefundETA     *time.Time `json:"refund_eta"`
}

// QuoteRefund applies the refund policy to cancelling o now, by a party of role by. It is a pure
// function: the table test in policy_test.go is its specification.
func QuoteRefund(p RefundPolicy, o model.Order, by model.Role, forceMajeure bool, now time.Time) (Quote, error) {
	if !o.Status.Active() {
		return Quote{}, model.Errorf(model.CodeInvalidTransition, "a %s order cannot be cancelled", o.Status)
	}
	q := Quote{AmountCents: o.AmountPaidCents, RefundCents: o.AmountPaidCents}
	switch {
	case forceMajeure:
		q.Policy = PolicyForceMajeure
	case by == model.RoleWorker:
		q.Policy = PolicyWorkerSide
	case by == model.RoleOperator || by == model.RolePlatform:
		q.Policy = PolicyOperator
	case o.Status == model.OrderPending && o.WorkerID == "":
		q.Policy = PolicyNotAccepted
	default:
		until := o.AppointmentAt.Sub(now)
		if o.Status == model.OrderAccepted && until >= hours(p.FreeBeforeHours) {
			q.Policy = PolicyFree
			break
		}
		q.Policy = PolicyLateFee
		q.FeeCents = o.AmountPaidCents * int64(p.FeePercent) / 100
		q.RefundCents = o.AmountPaidCents - q.FeeCents
		q.NeedsApproval = until < hours(p.ApprovalWithinHours) || o.Status == model.OrderInService
	}
	q.Refund = q.RefundCents > 0
	if q.Refund {
		eta := now.Add(time.Duration(p.RefundDays) * 24 * time.Hour).UTC()
		q.RefundETA = &eta
	}
	return q, nil
}

func hours(h float64) time.Duration { return time.Duration(h * float64(time.Hour)) }

// Action is a step of an order's lifecycle.
type Action string

// The actions.
const (
	ActAccept     Action = "accept"
	ActAssign     Action = "assign"
	ActStart      Action = "start"
	ActComplete   Action = "complete"
	ActCancel     Action = "cancel"
	ActChangeTime Action = "change_time"
	ActWithdraw   Action = "withdraw" // the worker leaves the order
)

// transitions lists what each status allows; what is not listed is refused.
var transitions = map[model.OrderStatus][]Action{
	model.OrderPending:   {ActAccept, ActAssign, ActCancel, ActChangeTime},
	model.OrderAccepted:  {ActAssign, ActStart, ActCancel, ActChangeTime, ActWithdraw},
	model.OrderInService: {ActComplete, ActCancel},
}

// Allowed reports whether an order in status s allows a.
func Allowed(s model.OrderStatus, a Action) bool {
	for _, x := range transitions[s] {
		if x == a {
			return true
		}
	}
	return false
}

func checkTransition(o model.Order, a Action) error {
	if !Allowed(o.Status, a) {
		return model.Errorf(model.CodeInvalidTransition, "cannot %s an order that is %s", a, o.Status)
	}
	return nil
}
