package model

import (
	"time"
	"unicode/utf8"
)

// Review limits (I2).
const (
	ReviewTextMax   = 500 // characters of a review's text
	ReviewReplyMax  = 500 // characters of a worker's reply
	ReviewImagesMax = 6   // images attached to one review
	ReviewReasonMax = 500 // characters of an operator's reason for hiding
	// ReplyEditWindow is how long a worker may edit their reply after first sending it.
	ReplyEditWindow = 24 * time.Hour
)

// ReviewTag is one of the fixed tags a customer may pick for a review.
type ReviewTag struct {
	ID    string `json:"id"`
	Label Text   `json:"label"`
}

// ReviewTags is the fixed list of tags, in the order forms show them.
var ReviewTags = []ReviewTag{
	{ID: "punctual", Label: Text{ZH: "准时", EN: "On time"}},
	{ID: "thorough", Label: Text{ZH: "细致", EN: "Thorough"}},
	{ID: "friendly", Label: Text{ZH: "态度好", EN: "Friendly"}},
	{ID: "professional", Label: Text{ZH: "专业", EN: "Professional"}},
	{ID: "communicative", Label: Text{ZH: "沟通顺畅", EN: "Easy to talk to"}},
	{ID: "tidy", Label: Text{ZH: "干净整洁", EN: "Clean and tidy"}},
	{ID: "efficient", Label: Text{ZH: "效率高", EN: "Efficient"}},
	{ID: "careful", Label: Text{ZH: "爱护物品", EN: "Careful with things"}},
}

// IsReviewTag reports whether id names a tag of the fixed list.
func IsReviewTag(id string) bool {
	for _, t := range ReviewTags {
		if t.ID == id {
			return true
		}
	}
	return false
}

// Moderation records that an operator hid something, and why. The author is told the reason.
type Moderation struct {
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Reason string    `json:"reason"`
}

// ReviewReply is the worker's one answer to a review, editable for ReplyEditWindow.
type ReviewReply struct {
	Text          string      `json:"text"`
	CreatedAt     time.Time   `json:"created_at"`
	EditedAt      *time.Time  `json:"edited_at"`
	EditableUntil time.Time   `json:"editable_until"`
	Hidden        *Moderation `json:"hidden"` // shown only to operators and the worker who wrote it
}

// Review is a customer's review of a completed order (I2): stars, text, tags, images, and the
// worker's reply. Hidden reviews are shown only to operators and their author.
type Review struct {
	ID         string       `json:"id"`
	OrderID    string       `json:"order_id"`
	CustomerID string       `json:"customer_id"`
	WorkerID   string       `json:"worker_id"` // the worker who did the service
	Rating     int          `json:"rating"`    // 1..5 stars
	Text       string       `json:"text"`
	Tags       []string     `json:"tags"`
	Images     []string     `json:"images"` // file ids (POST /v1/files)
	Hidden     *Moderation  `json:"hidden"`
	Reply      *ReviewReply `json:"reply"`
	Version    int          `json:"-"`
	CreatedAt  time.Time    `json:"created_at"`
	UpdatedAt  time.Time    `json:"updated_at"`
}

// Validate checks what the customer wrote, naming every bad field.
func (r Review) Validate() error {
	var v Validator
	v.Check(r.Rating >= 1 && r.Rating <= 5, "rating", "must be 1 to 5 stars")
	v.Check(utf8.RuneCountInString(r.Text) <= ReviewTextMax, "text", "at most 500 characters")
	seen := map[string]bool{}
	okTags := true
	for _, t := range r.Tags {
		okTags = okTags && IsReviewTag(t) && !seen[t]
		seen[t] = true
	}
	v.Check(okTags, "tags", "must be distinct tags from GET /v1/review-tags")
	v.Check(len(r.Images) <= ReviewImagesMax, "images", "at most 6 images")
	okImages := true
	seen = map[string]bool{}
	for _, id := range r.Images {
		okImages = okImages && ValidID(id) && !seen[id]
		seen[id] = true
	}
	v.Check(okImages, "images", "must be distinct file ids from POST /v1/files")
	return v.Err()
}

// Rating is a worker's average stars over their visible reviews.
type Rating struct {
	Average float64 `json:"average"` // 0 when Count is 0; rounded to one decimal
	Count   int     `json:"count"`
}
