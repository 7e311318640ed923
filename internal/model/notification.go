package model

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// NewID makes a time-ordered identifier (UUIDv7): ids sort by creation.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// Notification is one message-center entry for one person (S4).
type Notification struct {
	ID          string          `json:"id"`
	RecipientID string          `json:"recipient_id"`
	Kind        string          `json:"kind"`
	Category    string          `json:"category"`
	Importance  string          `json:"importance"`
	Title       string          `json:"title"`
	Body        string          `json:"body"`
	Data        json.RawMessage `json:"data"`
	OrderID     string          `json:"order_id,omitempty"`
	EventKey    string          `json:"-"`
	Alert       string          `json:"alert"`
	CreatedAt   time.Time       `json:"created_at"`
	ReadAt      *time.Time      `json:"read_at"`
	// Alt is the title and body in the other language, rendered at the same time (issue 15
	// item 11): the message center shows an entry in its reader's current language.
	Alt AltText `json:"-"`
}

// AltText is a notification's title and body in one more language.
type AltText struct {
	Locale string
	Title  string
	Body   string
}

// InLocale returns n with its title and body in locale when it has them in that language.
func (n Notification) InLocale(locale string) Notification {
	if locale != "" && n.Alt.Locale == locale {
		n.Title, n.Body, n.Alt = n.Alt.Title, n.Alt.Body, AltText{}
	}
	return n
}

// Event is one entry of a person's ordered event log: what an open app must see (X1).
type Event struct {
	Seq       int64           `json:"seq"`
	Type      string          `json:"type"`
	Data      json.RawMessage `json:"data"`
	CreatedAt time.Time       `json:"created_at"`
	// SameCounts marks an entry, as its writer hands it to the realtime hub, that leaves its
	// person's unread counts as they were (a renewed unread thread entry), so the hub need not read
	// and send them again. Not stored: read back from the log, an entry is assumed to change them.
	SameCounts bool `json:"-"`
}

// Event types of the log.
const (
	EventNotification = "notification.created"
	EventRead         = "notification.read"
	EventUnread       = "unread.changed"
)
