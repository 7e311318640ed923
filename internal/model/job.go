package model

import "time"

// Job is a durable unit of work that runs at RunAt, at least once (internal/jobs).
type Job struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	Key         string    `json:"key,omitempty"` // unique when set; "" = no key
	Payload     []byte    `json:"payload"`
	State       string    `json:"state"` // scheduled, running, done, failed, cancelled
	RunAt       time.Time `json:"run_at"`
	Attempts    int       `json:"attempts"`
	MaxAttempts int       `json:"max_attempts"`
	LastError   string    `json:"last_error,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Job states.
const (
	JobScheduled = "scheduled"
	JobRunning   = "running"
	JobDone      = "done"
	JobFailed    = "failed"
	JobCancelled = "cancelled"
)
