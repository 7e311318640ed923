package model

import "time"

// Visit is the worker's way to an order's door (Y4): on the way with an arrival estimate, the
// check-in with its start code, and the start (by the code, or an operator's override).
type Visit struct {
	OrderID        string     `json:"order_id"`
	WorkerID       string     `json:"worker_id"`
	OnTheWayAt     *time.Time `json:"on_the_way_at"`
	ETA            *time.Time `json:"eta"`
	ToldETA        *time.Time `json:"-"` // the estimate the customer was last told
	ToldAt         *time.Time `json:"-"`
	NudgedAt       *time.Time `json:"nudged_at"`
	LateFor        *time.Time `json:"late_for"` // the appointment operators were told the worker had not set out for
	ArrivedAt      *time.Time `json:"arrived_at"`
	StartCode      string     `json:"-"` // shown to the order's customer only
	CodeFailures   int        `json:"code_failures"`
	StartedAt      *time.Time `json:"started_at"`
	OverrideBy     string     `json:"override_by,omitempty"`
	OverrideReason string     `json:"override_reason,omitempty"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// Photo phases: proof of service is taken after the work, optionally also before it.
const (
	PhotoBefore = "before"
	PhotoAfter  = "after"
)

// OrderPhoto is one proof-of-service photo of an order (Y4), an upload of its worker.
type OrderPhoto struct {
	FileID       string    `json:"file_id"`
	Phase        string    `json:"phase"`
	URL          string    `json:"url"`
	ThumbnailURL string    `json:"thumbnail_url"`
	CreatedAt    time.Time `json:"created_at"`
}
