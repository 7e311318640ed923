package model

import "time"

// WeChatBinding ties a person to their openid in the platform's mini-program (Y3).
type WeChatBinding struct {
	PersonID  string    `json:"person_id"`
	OpenID    string    `json:"openid"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// WeChatTemplate is the operators' mapping of one notification kind to a WeChat subscribe-message
// template: the template, the page a tap opens, and the notice variable behind each field.
type WeChatTemplate struct {
	ID         string        `json:"id"`
	Kind       string        `json:"kind"`
	TemplateID string        `json:"template_id"`
	Title      string        `json:"title"` // the template's title in WeChat's library, for people
	Page       string        `json:"page"`  // may hold {order_id} and {notification_id}
	Fields     []WeChatField `json:"fields"`
	Active     bool          `json:"active"`
	CreatedAt  time.Time     `json:"created_at"`
	UpdatedAt  time.Time     `json:"updated_at"`
}

// WeChatField fills one template field (its key names its type: "thing1" is a thing) from a
// notice variable (see the sources listed by the templates API).
type WeChatField struct {
	Key    string `json:"key"`
	Source string `json:"source"`
}

// WeChatBalance is how many one-time authorisations a person holds for a template.
type WeChatBalance struct {
	TemplateID string    `json:"template_id"`
	Balance    int       `json:"balance"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Reasons of ledger entries.
const (
	LedgerGranted  = "granted"  // the person accepted in wx.requestSubscribeMessage (+1)
	LedgerSpent    = "spent"    // a send used one (-1)
	LedgerReturned = "returned" // WeChat did not take the send, so it was not used (+1)
	LedgerRevoked  = "revoked"  // WeChat answered 43101: the person has none; the balance is zeroed
)

// WeChatLedgerEntry is one credit or spend of a person's authorisations for a template.
type WeChatLedgerEntry struct {
	ID           string    `json:"id"`
	PersonID     string    `json:"person_id"`
	TemplateID   string    `json:"template_id"`
	Delta        int       `json:"delta"`
	BalanceAfter int       `json:"balance_after"`
	Reason       string    `json:"reason"`
	Ref          string    `json:"ref"` // the platform's report id, or "delivery id#attempt"
	CreatedAt    time.Time `json:"created_at"`
}
