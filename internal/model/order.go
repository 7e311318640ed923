package model

import (
	"encoding/json"
	"time"
	"unicode/utf8"
)

// OrderStatus is where an order stands in its lifecycle.
type OrderStatus string

// The order statuses: pending → accepted → in_service → completed; cancelled from any active one.
const (
	OrderPending   OrderStatus = "pending"
	OrderAccepted  OrderStatus = "accepted"
	OrderInService OrderStatus = "in_service"
	OrderCompleted OrderStatus = "completed"
	OrderCancelled OrderStatus = "cancelled"
)

// Active reports whether the order still lies ahead (not completed, not cancelled).
func (s OrderStatus) Active() bool {
	return s == OrderPending || s == OrderAccepted || s == OrderInService
}

// Order is homebell's compact record of a booking: enough for reminders, changes and refunds.
type Order struct {
	ID              string      `json:"id"`
	CustomerID      string      `json:"customer_id"`
	WorkerID        string      `json:"worker_id"` // "" while nobody has accepted
	ServiceItemID   string      `json:"service_item_id"`
	Address         string      `json:"address"` // a summary, e.g. "浦东新区 XX 路 12 号"
	Area            string      `json:"area"`
	AppointmentAt   time.Time   `json:"appointment_at"`
	Requirements    string      `json:"requirements"`
	AmountPaidCents int64       `json:"amount_paid_cents"`
	Status          OrderStatus `json:"status"`
	Version         int         `json:"version"`
	CreatedAt       time.Time   `json:"created_at"`
	UpdatedAt       time.Time   `json:"updated_at"`
}

// Validate checks an order before it is stored.
func (o Order) Validate() error {
	var v Validator
	v.Check(ValidID(o.CustomerID), "customer_id", "is required")
	v.Check(ValidID(o.ServiceItemID), "service_item_id", "is required")
	v.Check(o.Address != "" && utf8.RuneCountInString(o.Address) <= 200, "address", "is required, at most 200 characters")
	v.Check(utf8.RuneCountInString(o.Area) <= 64, "area", "at most 64 characters")
	v.Check(!o.AppointmentAt.IsZero(), "appointment_at", "is required (RFC 3339)")
	v.Check(utf8.RuneCountInString(o.Requirements) <= 2000, "requirements", "at most 2000 characters")
	v.Check(o.AmountPaidCents >= 0 && o.AmountPaidCents <= 100_000_000, "amount_paid_cents", "must be 0..100000000")
	return v.Err()
}

// OrderEvent is one line of an order's timeline: a transition, who made it, when (X4).
type OrderEvent struct {
	ID        string          `json:"id"`
	OrderID   string          `json:"order_id"`
	Type      string          `json:"type"` // created, accepted, assigned, started, completed, …
	ActorID   string          `json:"actor_id"`
	ActorRole Role            `json:"actor_role"`
	Details   json.RawMessage `json:"details"`
	CreatedAt time.Time       `json:"created_at"`
}

// Change request states.
const (
	ChangePending   = "pending"
	ChangeEscalated = "escalated"
	ChangeAccepted  = "accepted"
	ChangeDeclined  = "declined"
	ChangeWithdrawn = "withdrawn" // closed because the order ended
)

// ChangeRequest asks to move an order's appointment (E1).
type ChangeRequest struct {
	ID             string     `json:"id"`
	OrderID        string     `json:"order_id"`
	RequesterID    string     `json:"requester_id"`
	RequesterRole  Role       `json:"requester_role"`
	OldTime        time.Time  `json:"old_time"`
	NewTime        time.Time  `json:"new_time"`
	Reason         string     `json:"reason"`
	State          string     `json:"state"`
	NeedsOperator  bool       `json:"needs_operator"`
	Deadline       time.Time  `json:"deadline"`
	DecidedBy      string     `json:"decided_by,omitempty"`
	DecisionReason string     `json:"decision_reason,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	DecidedAt      *time.Time `json:"decided_at"`
}

// Open reports whether the request still waits for an answer.
func (c ChangeRequest) Open() bool { return c.State == ChangePending || c.State == ChangeEscalated }

// Cancellation statuses.
const (
	CancellationPendingApproval = "pending_approval"
	CancellationApproved        = "approved"
	CancellationDeclined        = "declined"
	CancellationSettled         = "settled" // approved, and the platform reported the refund paid
)

// Cancellation is a request to cancel an order and the refund it carries (E3).
type Cancellation struct {
	ID             string     `json:"id"`
	OrderID        string     `json:"order_id"`
	RequesterID    string     `json:"requester_id"`
	RequesterRole  Role       `json:"requester_role"`
	Reason         string     `json:"reason"`
	ForceMajeure   bool       `json:"force_majeure"`
	Policy         string     `json:"policy"` // which rule set the refund
	RefundCents    int64      `json:"refund_cents"`
	FeeCents       int64      `json:"fee_cents"`
	RefundETA      *time.Time `json:"refund_eta"`
	Status         string     `json:"status"`
	DecidedBy      string     `json:"decided_by,omitempty"`
	DecisionReason string     `json:"decision_reason,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	DecidedAt      *time.Time `json:"decided_at"`
	SettledAt      *time.Time `json:"settled_at"`
}
