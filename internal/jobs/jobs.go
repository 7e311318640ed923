// Package jobs runs homebell's durable jobs: reminders, off-app deliveries, escalations and
// purges. Jobs are rows written in the same transaction as the change that needs them, so a job
// exists exactly when its cause committed; the runner claims due rows, runs their handler and
// records the outcome. A job runs at least once; handlers make their effect idempotent (the
// notification event key), so the person sees it once.
//
// Why not River (as DESIGN.md first planned): its job scheduler promotes due jobs on a fixed,
// unexported 5-second interval, which makes reminders up to 5 s late and injected-clock tests
// sleep; on SQLite its background services share the single writer connection with every user
// write. A due-rows table is ~200 lines, moves and cancels reminders by key in the caller's
// transaction, and is driven directly by tests (RunDue) with the injected clock.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/homebell/homebell/internal/store"
)

// Handler runs one job. Returning nil finishes it; Retry asks for another attempt at a time;
// any other error retries with backoff until the job's attempts run out.
type Handler func(ctx context.Context, j store.Job) error

// RetryError asks the runner to run the job again at At.
type RetryError struct {
	At  time.Time
	Err error
}

func (e *RetryError) Error() string {
	return fmt.Sprintf("retry at %s: %v", e.At.Format(time.RFC3339), e.Err)
}
func (e *RetryError) Unwrap() error { return e.Err }

// Retry makes a RetryError.
func Retry(at time.Time, err error) error { return &RetryError{At: at, Err: err} }

// Runner claims and runs due jobs.
type Runner struct {
	store    *store.Store
	now      func() time.Time
	log      *slog.Logger
	handlers map[string]Handler
	wake     chan struct{}
	// Lease is how long a claimed job stays claimed; a node that dies mid-run frees it then.
	Lease time.Duration
	// Batch is how many jobs one claim takes.
	Batch int
	// Poll is the longest sleep between claims when nothing is known to be due.
	Poll time.Duration
	// Concurrency bounds handlers running at once.
	Concurrency int
}

// New makes a runner; register handlers before Run.
func New(st *store.Store, now func() time.Time, log *slog.Logger) *Runner {
	return &Runner{store: st, now: now, log: log, handlers: map[string]Handler{}, wake: make(chan struct{}, 1),
		Lease: 2 * time.Minute, Batch: 64, Poll: time.Second, Concurrency: 16}
}

// Handle registers the handler of a job kind.
func (r *Runner) Handle(kind string, h Handler) { r.handlers[kind] = h }

// Schedule adds (or, with a key, replaces) a job inside tx, and wakes the runner after commit.
func (r *Runner) Schedule(ctx context.Context, tx *store.Tx, kind, key string, runAt time.Time, payload any, maxAttempts int) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("jobs: payload of %s: %w", kind, err)
	}
	if err := tx.ScheduleJob(ctx, store.Job{Kind: kind, Key: key, Payload: raw, RunAt: runAt, MaxAttempts: maxAttempts}, r.now()); err != nil {
		return err
	}
	if !runAt.After(r.now()) {
		tx.AfterCommit(r.Wake)
	}
	return nil
}

// Cancel cancels the pending job with key inside tx.
func (r *Runner) Cancel(ctx context.Context, tx *store.Tx, key string) error {
	_, err := tx.CancelJob(ctx, key, r.now())
	return err
}

// Wake makes the runner look for due jobs now.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run claims and runs due jobs until ctx ends, then waits for running handlers.
func (r *Runner) Run(ctx context.Context) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, r.Concurrency)
	defer wg.Wait()
	for {
		n, err := r.runDue(ctx, sem, &wg)
		if err != nil && ctx.Err() == nil {
			r.log.Error("jobs: claim", "err", err)
		}
		if ctx.Err() != nil {
			return
		}
		if n == r.Batch {
			continue // more may be due
		}
		wait := r.Poll
		if next, err := r.store.NextJobAt(ctx); err == nil && !next.IsZero() {
			if d := next.Sub(r.now()); d < wait {
				wait = max(d, 10*time.Millisecond)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-r.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// RunDue claims the jobs due now and runs them to completion; it returns how many ran. Tests
// call it directly after moving the injected clock.
func (r *Runner) RunDue(ctx context.Context) (int, error) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, r.Concurrency)
	total := 0
	for {
		n, err := r.runDue(ctx, sem, &wg)
		wg.Wait()
		total += n
		if err != nil || n < r.Batch {
			return total, err
		}
	}
}

func (r *Runner) runDue(ctx context.Context, sem chan struct{}, wg *sync.WaitGroup) (int, error) {
	var claimed []store.Job
	err := r.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		claimed, err = tx.ClaimDueJobs(ctx, r.now(), r.Lease, r.Batch)
		return err
	})
	if err != nil {
		return 0, err
	}
	for _, j := range claimed {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			r.run(ctx, j)
		}()
	}
	return len(claimed), nil
}

func (r *Runner) run(ctx context.Context, j store.Job) {
	h, ok := r.handlers[j.Kind]
	var err error
	if !ok {
		err = fmt.Errorf("no handler for job kind %q", j.Kind)
	} else {
		err = safeRun(ctx, h, j)
	}
	state, retryAt, msg := store.JobDone, time.Time{}, ""
	if err != nil {
		msg = err.Error()
		var re *RetryError
		switch {
		case errors.As(err, &re):
			state, retryAt = store.JobScheduled, re.At
		case j.Attempts < j.MaxAttempts:
			state, retryAt = store.JobScheduled, r.now().Add(backoff(j.Attempts))
		default:
			state = store.JobFailed
			r.log.Warn("jobs: gave up", "kind", j.Kind, "id", j.ID, "attempts", j.Attempts, "err", err)
		}
	}
	fctx := context.WithoutCancel(ctx)
	if err := r.store.InTx(fctx, func(tx *store.Tx) error {
		return tx.FinishJob(fctx, j.ID, j.Attempts, state, retryAt, msg, r.now())
	}); err != nil {
		r.log.Error("jobs: finish", "kind", j.Kind, "id", j.ID, "err", err)
	}
}

func safeRun(ctx context.Context, h Handler, j store.Job) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return h(ctx, j)
}

// backoff is the default retry delay after attempt n (1-based): 2 s doubling, capped at 1 h.
func backoff(n int) time.Duration {
	d := 2 * time.Second
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}
