package model

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// SupportStatus is where a support conversation stands (I3).
type SupportStatus string

// The support statuses: open (the platform owes an answer), pending (waiting for the customer),
// resolved. A resolved conversation reopens when the customer writes into it.
const (
	SupportOpen     SupportStatus = "open"
	SupportPending  SupportStatus = "pending"
	SupportResolved SupportStatus = "resolved"
)

// Valid reports whether s is a known status.
func (s SupportStatus) Valid() bool {
	return s == SupportOpen || s == SupportPending || s == SupportResolved
}

// SupportThread is what support knows of one support conversation: who asked, about which order,
// who holds it (nobody while it waits in the queue) and where it stands.
type SupportThread struct {
	ConversationID string        `json:"conversation_id"`
	RequesterID    string        `json:"requester_id"`
	RequesterRole  Role          `json:"requester_role"`
	OrderID        string        `json:"order_id,omitempty"`
	Subject        string        `json:"subject"`
	Status         SupportStatus `json:"status"`
	AgentID        string        `json:"agent_id"` // "" while queued (or resolved and released)
	QueuedAt       *time.Time    `json:"queued_at"`
	AssignedAt     *time.Time    `json:"assigned_at"`
	ResolvedAt     *time.Time    `json:"resolved_at"`
	Resolutions    int           `json:"resolutions"`
	AutoRepliedAt  *time.Time    `json:"auto_replied_at"`
	LastCustomerAt *time.Time    `json:"last_customer_at"`
	LastAgentAt    *time.Time    `json:"last_agent_at"`
	Version        int           `json:"version"`
	CreatedAt      time.Time     `json:"created_at"`
	UpdatedAt      time.Time     `json:"updated_at"`
}

// Queued reports whether the conversation waits for an agent.
func (t SupportThread) Queued() bool { return t.AgentID == "" && t.Status != SupportResolved }

// SupportAgent is an agent's support settings and presence.
type SupportAgent struct {
	AgentID   string     `json:"agent_id"`
	Capacity  int        `json:"capacity"` // conversations held at once (open or pending)
	Away      bool       `json:"away"`
	SeenAt    *time.Time `json:"seen_at"` // last time a node saw an open stream of theirs
	UpdatedAt time.Time  `json:"updated_at"`
	// Online: one of their streams is open. OfflineSince: when the last one closed.
	Online       bool       `json:"online"`
	OfflineSince *time.Time `json:"offline_since"`
}

// DefaultAgentCapacity is an agent's capacity until operators set another.
const DefaultAgentCapacity = 5

// SupportEvent is one line of a support conversation's history.
type SupportEvent struct {
	ID             string         `json:"id"`
	ConversationID string         `json:"conversation_id"`
	Type           string         `json:"type"` // queued, assigned, claimed, transferred, released, returned, resolved, reopened, rated, status
	ActorID        string         `json:"actor_id"`
	ActorRole      Role           `json:"actor_role"`
	AgentID        string         `json:"agent_id,omitempty"`
	Details        map[string]any `json:"details"`
	CreatedAt      time.Time      `json:"created_at"`
}

// SupportNote is an internal note on a support conversation: agents and operators only.
type SupportNote struct {
	ID             string    `json:"id"`
	ConversationID string    `json:"conversation_id"`
	AuthorID       string    `json:"author_id"`
	Text           string    `json:"text"`
	CreatedAt      time.Time `json:"created_at"`
}

// CannedReply is a reply agents insert with one click; {customer}, {order_no} and {worker} are
// filled in from the conversation.
type CannedReply struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Text      string    `json:"text"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Validate checks a canned reply.
func (c CannedReply) Validate() error {
	var v Validator
	n := utf8.RuneCountInString(strings.TrimSpace(c.Title))
	v.Check(n > 0 && n <= 60, "title", "is required, at most 60 characters")
	n = utf8.RuneCountInString(strings.TrimSpace(c.Text))
	v.Check(n > 0 && n <= 2000, "text", "is required, at most 2000 characters")
	return v.Err()
}

// SupportRating is the customer's satisfaction with one resolve of a conversation.
type SupportRating struct {
	ID             string    `json:"id"`
	ConversationID string    `json:"conversation_id"`
	Resolution     int       `json:"resolution"`
	RequesterID    string    `json:"requester_id"`
	AgentID        string    `json:"agent_id"`
	Score          int       `json:"score"`
	Comment        string    `json:"comment"`
	CreatedAt      time.Time `json:"created_at"`
}

// BusinessHours are when agents answer, per weekday, in the platform's time zone. A day without
// hours is closed. OfflineAfterMinutes is how long an agent may be gone before their
// conversations return to the queue.
type BusinessHours struct {
	TimeZone            string              `json:"time_zone"`
	Days                map[string]DayHours `json:"days"` // mon … sun
	OfflineAfterMinutes int                 `json:"offline_after_minutes"`
	Closed              []string            `json:"closed_dates,omitempty"` // YYYY-MM-DD holidays
}

// DayHours is one day's opening, "09:00" to "21:00" (end after start).
type DayHours struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Weekdays are the keys of BusinessHours.Days, Monday first.
var Weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// DefaultBusinessHours: every day 09:00–21:00 in Shanghai; agents gone 5 minutes lose their chats.
func DefaultBusinessHours() BusinessHours {
	d := map[string]DayHours{}
	for _, w := range Weekdays {
		d[w] = DayHours{Start: "09:00", End: "21:00"}
	}
	return BusinessHours{TimeZone: DefaultTimeZone, Days: d, OfflineAfterMinutes: 5}
}

func clockMinutes(s string) (int, bool) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

// Validate checks business hours.
func (b BusinessHours) Validate() error {
	var v Validator
	v.Check(ValidZone(b.TimeZone), "time_zone", "must be an IANA time zone such as Asia/Shanghai")
	for k, d := range b.Days {
		known := false
		for _, w := range Weekdays {
			known = known || w == k
		}
		s, ok1 := clockMinutes(d.Start)
		e, ok2 := clockMinutes(d.End)
		v.Check(known, "days."+k, "must be one of mon, tue, wed, thu, fri, sat, sun")
		v.Check(ok1 && ok2 && e > s, "days."+k, "start and end are HH:MM with end after start")
	}
	for _, c := range b.Closed {
		_, err := time.Parse("2006-01-02", c)
		v.Check(err == nil, "closed_dates", "dates are YYYY-MM-DD")
	}
	v.Check(b.OfflineAfterMinutes >= 1 && b.OfflineAfterMinutes <= 240, "offline_after_minutes", "must be 1-240")
	return v.Err()
}

func (b BusinessHours) location() *time.Location {
	if loc, err := time.LoadLocation(b.TimeZone); err == nil && b.TimeZone != "" {
		return loc
	}
	loc, _ := time.LoadLocation(DefaultTimeZone)
	return loc
}

// openOn returns the opening [start, end) of the day of t (in the hours' zone), ok false if closed.
func (b BusinessHours) openOn(t time.Time) (time.Time, time.Time, bool) {
	loc := b.location()
	t = t.In(loc)
	for _, c := range b.Closed {
		if c == t.Format("2006-01-02") {
			return time.Time{}, time.Time{}, false
		}
	}
	d, ok := b.Days[Weekdays[(int(t.Weekday())+6)%7]]
	if !ok {
		return time.Time{}, time.Time{}, false
	}
	s, ok1 := clockMinutes(d.Start)
	e, ok2 := clockMinutes(d.End)
	if !ok1 || !ok2 || e <= s {
		return time.Time{}, time.Time{}, false
	}
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	return day.Add(time.Duration(s) * time.Minute), day.Add(time.Duration(e) * time.Minute), true
}

// Today returns the opening of t's day (in the hours' zone); ok false when that day is closed.
func (b BusinessHours) Today(t time.Time) (start, end time.Time, ok bool) { return b.openOn(t) }

// IsOpen reports whether t falls within business hours.
func (b BusinessHours) IsOpen(t time.Time) bool {
	s, e, ok := b.openOn(t)
	return ok && !t.Before(s) && t.Before(e)
}

// NextOpen returns the next moment at or after t when business hours begin (t itself when open);
// zero when no day in the next two weeks is open.
func (b BusinessHours) NextOpen(t time.Time) time.Time {
	if b.IsOpen(t) {
		return t
	}
	loc := b.location()
	lt := t.In(loc)
	for i := 0; i <= 14; i++ {
		d := time.Date(lt.Year(), lt.Month(), lt.Day()+i, 12, 0, 0, 0, loc)
		s, _, ok := b.openOn(d)
		if ok && s.After(t) {
			return s
		}
	}
	return time.Time{}
}
