package model

import "time"

// Notices that must land (Y1) and actions inside notices (Y2).

// Chain steps after the in-app notice: each sends the notice again on the next channel while it
// stays unread. The list a kind uses is data (ChainRule.Steps), so a channel (WeChat) is added by
// registering a step of its name.
const (
	StepInApp     = "inapp"     // the notice itself: message center and open apps
	StepWebPush   = "webpush"   // the person's browsers
	StepGateway   = "gateway"   // the platform's gateway webhook, marked with the escalation channel
	StepWeChat    = "wechat"    // a WeChat subscribe message (Y3), when WeChat is configured
	StepOperators = "operators" // the operators are told who has not read what
)

// Escalation channels a gateway step asks the platform's gateway to use.
const (
	EscalationSMS     = "sms"
	EscalationAppPush = "app_push"
)

// Chain states.
const (
	ChainActive       = "active"
	ChainRead         = "read"
	ChainAcknowledged = "acknowledged"
	ChainMoot         = "moot" // the notice stopped mattering (change withdrawn, order cancelled)
	ChainDone         = "done" // every step ran
)

// ChainRule is how one kind's notices must land: a read-by deadline, the steps that follow it,
// and whether the notice needs an acknowledgement (one tap) rather than a read.
type ChainRule struct {
	Kind string `json:"kind"`
	// ReadByMinutes is the deadline after the notice (and between later steps); 0 turns the
	// chain off for the kind.
	ReadByMinutes int      `json:"read_by_minutes"`
	Steps         []string `json:"steps"`
	// Escalation tells the gateway which channel to use: sms or app_push.
	Escalation string `json:"escalation"`
	// Acknowledge: reading does not stop the chain, only an acknowledgement does.
	Acknowledge bool `json:"acknowledge"`
	// Urgent kinds ignore receiving windows.
	Urgent bool `json:"urgent"`
}

// NoticeChain is the running chain of one notice to one person.
type NoticeChain struct {
	NotificationID string     `json:"notification_id"`
	RecipientID    string     `json:"recipient_id"`
	OrderID        string     `json:"order_id,omitempty"`
	Kind           string     `json:"kind"`
	Steps          []string   `json:"steps"`
	NextStep       int        `json:"next_step"`
	State          string     `json:"state"`
	AckRequired    bool       `json:"ack_required"`
	Urgent         bool       `json:"urgent"`
	Escalation     string     `json:"escalation"`
	Interval       int        `json:"interval_seconds"`
	DeadlineAt     time.Time  `json:"deadline_at"`
	UntilAt        *time.Time `json:"until_at,omitempty"`
	NextAt         *time.Time `json:"next_at,omitempty"`
	AckedAt        *time.Time `json:"acknowledged_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// LastStep is the step that ran last ("inapp" before the deadline).
func (c NoticeChain) LastStep() string {
	if c.NextStep <= 0 || len(c.Steps) == 0 {
		return StepInApp
	}
	return c.Steps[min(c.NextStep, len(c.Steps))-1]
}

// NoticeStep is one line of a notice's trail in the order's audit trail (X4).
type NoticeStep struct {
	ID             string    `json:"id"`
	NotificationID string    `json:"notification_id"`
	RecipientID    string    `json:"recipient_id"`
	OrderID        string    `json:"order_id,omitempty"`
	Kind           string    `json:"kind"`
	Step           string    `json:"step"`
	Event          string    `json:"event"` // sent, skipped, receipt, read, acknowledged, escalated, moot, done
	Detail         string    `json:"detail,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// SOSAlert is an SOS raised from an order (Y1): operators are paged until one acknowledges.
type SOSAlert struct {
	ID         string     `json:"id"`
	OrderID    string     `json:"order_id"`
	RaisedBy   string     `json:"raised_by"`
	RaiserRole Role       `json:"raiser_role"`
	Text       string     `json:"text"`
	Pages      int        `json:"pages"`
	AckedBy    string     `json:"acknowledged_by,omitempty"`
	AckedAt    *time.Time `json:"acknowledged_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// ActionToken is a single-use, short-lived credential a gateway redeems to run one action of
// one notice for its recipient (Y2). Only its hash (ID) is stored.
type ActionToken struct {
	ID             string     `json:"-"`
	NotificationID string     `json:"notification_id"`
	RecipientID    string     `json:"recipient_id"`
	Action         string     `json:"action"`
	ExpiresAt      time.Time  `json:"expires_at"`
	UsedAt         *time.Time `json:"used_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
}
