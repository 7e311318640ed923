package model

import (
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"
)

// FeedbackTopic is what a piece of feedback is about (I4).
type FeedbackTopic string

// The feedback topics.
const (
	TopicFeatures         FeedbackTopic = "features"
	TopicServiceQuality   FeedbackTopic = "service_quality"
	TopicWorkerManagement FeedbackTopic = "worker_management"
	TopicPayments         FeedbackTopic = "payments"
	TopicOther            FeedbackTopic = "other"
)

// FeedbackTopics lists every topic in display order.
var FeedbackTopics = []FeedbackTopic{TopicFeatures, TopicServiceQuality, TopicWorkerManagement, TopicPayments, TopicOther}

// Valid reports whether t is a known topic.
func (t FeedbackTopic) Valid() bool {
	for _, x := range FeedbackTopics {
		if t == x {
			return true
		}
	}
	return false
}

// FeedbackStatus is where operators stand with a piece of feedback.
type FeedbackStatus string

// The feedback statuses. Operators may move between any two; new is where feedback starts.
const (
	FeedbackNew       FeedbackStatus = "new"
	FeedbackReviewing FeedbackStatus = "reviewing"
	FeedbackPlanned   FeedbackStatus = "planned"
	FeedbackDone      FeedbackStatus = "done"
	FeedbackDeclined  FeedbackStatus = "declined"
)

// FeedbackStatuses lists every status in workflow order.
var FeedbackStatuses = []FeedbackStatus{FeedbackNew, FeedbackReviewing, FeedbackPlanned, FeedbackDone, FeedbackDeclined}

// Valid reports whether s is a known status.
func (s FeedbackStatus) Valid() bool {
	for _, x := range FeedbackStatuses {
		if s == x {
			return true
		}
	}
	return false
}

// Limits of feedback.
const (
	FeedbackMaxText   = 2000 // characters of the text
	FeedbackMaxAnswer = 2000 // characters of an answer
	FeedbackMaxImages = 6
	FeedbackMaxTags   = 10
	FeedbackMaxTagLen = 32
)

// Feedback is one suggestion or complaint from a signed-in person, and where operators stand with it.
type Feedback struct {
	ID         string         `json:"id"`
	AuthorID   string         `json:"author_id"`
	AuthorRole Role           `json:"author_role"`
	Topic      FeedbackTopic  `json:"topic"`
	Text       string         `json:"text"`
	FileIDs    []string       `json:"file_ids"` // uploaded images (POST /v1/files)
	OrderID    string         `json:"order_id,omitempty"`
	Status     FeedbackStatus `json:"status"`
	Tags       []string       `json:"tags"` // operators' labels; never shown to the author
	Answer     string         `json:"answer"`
	AnsweredBy string         `json:"answered_by,omitempty"`
	AnsweredAt *time.Time     `json:"answered_at"`
	Version    int            `json:"version"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

// ForAuthor is the feedback as its author sees it: without the operators' tags and names.
func (f Feedback) ForAuthor() Feedback {
	f.Tags = []string{}
	f.AnsweredBy = ""
	return f
}

// Validate checks new feedback before it is stored.
func (f Feedback) Validate() error {
	var v Validator
	v.Check(f.Topic.Valid(), "topic", "must be features, service_quality, worker_management, payments or other")
	n := utf8.RuneCountInString(strings.TrimSpace(f.Text))
	v.Check(n > 0 && utf8.RuneCountInString(f.Text) <= FeedbackMaxText, "text", "is required, at most 2000 characters")
	v.Check(len(f.FileIDs) <= FeedbackMaxImages, "file_ids", "at most 6 images")
	for _, id := range f.FileIDs {
		if !ValidID(id) {
			v.Check(false, "file_ids", "must be file ids from POST /v1/files")
			break
		}
	}
	v.Check(f.OrderID == "" || ValidID(f.OrderID), "order_id", "must be an order id")
	return v.Err()
}

// NormalizeTags trims, drops empty and duplicate tags, and checks their number and length.
func NormalizeTags(tags []string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" || seen[t] {
			continue
		}
		if utf8.RuneCountInString(t) > FeedbackMaxTagLen {
			return nil, Invalid(FieldError{Field: "tags", Message: "each tag at most 32 characters"})
		}
		seen[t] = true
		out = append(out, t)
	}
	if len(out) > FeedbackMaxTags {
		return nil, Invalid(FieldError{Field: "tags", Message: "at most 10 tags"})
	}
	return out, nil
}

// FeedbackEvent is one line of a feedback's history: submitted, status changed, answered, tagged.
type FeedbackEvent struct {
	ID         string          `json:"id"`
	FeedbackID string          `json:"feedback_id"`
	Type       string          `json:"type"` // submitted, status, answered, tagged
	ActorID    string          `json:"actor_id,omitempty"`
	ActorRole  Role            `json:"actor_role"`
	Details    json.RawMessage `json:"details"`
	CreatedAt  time.Time       `json:"created_at"`
}

// Feedback event types; tagged lines are for operators only.
const (
	FeedbackEventSubmitted = "submitted"
	FeedbackEventStatus    = "status"
	FeedbackEventAnswered  = "answered"
	FeedbackEventTagged    = "tagged"
)

// FeedbackWeek counts one week's feedback by topic and status. Week is the Monday the week starts
// on, in the platform's time zone (YYYY-MM-DD).
type FeedbackWeek struct {
	Week     string                    `json:"week"`
	Total    int                       `json:"total"`
	ByTopic  map[FeedbackTopic]int     `json:"by_topic"`
	ByStatus map[FeedbackStatus]int    `json:"by_status"`
	Cells    map[string]map[string]int `json:"by_topic_status"` // topic -> status -> count
}
