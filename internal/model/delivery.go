package model

import (
	"encoding/json"
	"time"
)

// PushSubscription is a browser's Web Push subscription, owned by one person (X2).
type PushSubscription struct {
	ID        string    `json:"id"`
	PersonID  string    `json:"person_id"`
	Endpoint  string    `json:"endpoint"`
	P256dh    string    `json:"p256dh"`
	Auth      string    `json:"auth"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// WebhookEndpoint is a gateway of the platform that receives signed notifications (X2).
type WebhookEndpoint struct {
	ID          string   `json:"id"`
	URL         string   `json:"url"`
	Secret      string   `json:"-"` // whsec_…; shown once, when the endpoint is made
	Kinds       []string `json:"kinds"`
	Description string   `json:"description"`
	Active      bool     `json:"active"`
	// FailedDeliveries counts deliveries that ended failed since the last success.
	FailedDeliveries int        `json:"failed_deliveries"`
	LastSuccessAt    *time.Time `json:"last_success_at"`
	PausedAt         *time.Time `json:"paused_at"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

// Wants reports whether the endpoint takes notifications of kind (no kinds = all).
func (e WebhookEndpoint) Wants(kind string) bool {
	if len(e.Kinds) == 0 {
		return true
	}
	for _, k := range e.Kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// Delivery channels and states of the delivery log.
const (
	ChannelWebPush = "webpush"
	ChannelWebhook = "webhook"
	ChannelWeChat  = "wechat"

	DeliveryQueued   = "queued"
	DeliverySent     = "sent"
	DeliveryFailed   = "failed"
	DeliveryRetrying = "retrying"
	DeliverySkipped  = "skipped"
)

// Delivery is one off-app delivery of a notification to one target (a push subscription or a
// webhook endpoint), and how it went.
type Delivery struct {
	ID             string     `json:"id"`
	NotificationID string     `json:"notification_id"`
	RecipientID    string     `json:"recipient_id"`
	OrderID        string     `json:"order_id,omitempty"`
	Kind           string     `json:"kind"`
	Channel        string     `json:"channel"`
	Target         string     `json:"target"`
	State          string     `json:"state"`
	Attempts       int        `json:"attempts"`
	LastStatus     int        `json:"last_status"`
	LastError      string     `json:"last_error"`
	NextAttemptAt  *time.Time `json:"next_attempt_at"`
	// Detail is what the channel wants shown beside the outcome, as a JSON object (WeChat: the
	// template, the ledger before and after, WeChat's answer); absent for the other channels.
	Detail json.RawMessage `json:"detail,omitempty"`
	// Step is the notice's chain step that made this delivery (0: the first telling; Y1).
	Step int `json:"step"`
	// Receipt is what the gateway reported back: delivered, failed or read ("" none yet).
	Receipt   string     `json:"receipt"`
	ReceiptAt *time.Time `json:"receipt_at"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	// Planned marks a delivery held for the recipient's receiving window (S2): queued, with the
	// planned time as NextAttemptAt and no send job until the window opens and the delivery job
	// claims it.
	Planned bool `json:"-"`
}
