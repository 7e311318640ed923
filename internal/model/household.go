package model

import (
	"regexp"
	"time"
)

// RoleWatcher is the role of a watcher in an order's conversation (Y5). It is never a person's
// role: a watcher signs in as a customer and watches someone else's order.
const RoleWatcher Role = "watcher"

// Watcher statuses.
const (
	WatcherInvited = "invited" // added by phone; the platform has not resolved it to a person yet
	WatcherActive  = "active"
)

// Watcher is a person a customer lets follow one of their orders, or all of them (Y5): they are
// told of the order in their own language, time zone and preferences, see it without its payment
// details, and — if the customer allows — chat with the worker and answer time changes.
type Watcher struct {
	ID         string `json:"id"`
	CustomerID string `json:"customer_id"`
	// PersonID is the watcher ("" while an invite waits for the platform).
	PersonID string `json:"person_id"`
	// OrderID is the one order watched; "" means every order of the customer.
	OrderID string `json:"order_id"`
	// Phone is the number an invite was sent to (only the customer and the platform see it).
	Phone            string    `json:"phone,omitempty"`
	CanChat          bool      `json:"can_chat"`
	CanAnswerChanges bool      `json:"can_answer_changes"`
	Status           string    `json:"status"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// Covers reports whether the watcher follows order o (active, of o's customer, and of o or of all).
func (w Watcher) Covers(o Order) bool {
	return w.Status == WatcherActive && w.CustomerID == o.CustomerID && (w.OrderID == "" || w.OrderID == o.ID)
}

var phonePattern = regexp.MustCompile(`^\+?[0-9]{6,15}$`)

// ValidPhone reports whether s looks like a phone number an invite can go to (digits, an
// optional leading +).
func ValidPhone(s string) bool { return phonePattern.MatchString(s) }
