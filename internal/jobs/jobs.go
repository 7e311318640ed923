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
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/observe"
	"github.com/homebell/homebell/internal/store"
)

// Handler runs one job. Returning nil finishes it; Retry asks for another attempt at a time;
// any other error retries with backoff until the job's attempts run out.
type Handler func(ctx context.Context, j model.Job) error

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

// running is the job a handler runs, in its context, so that the handler can complete it in its
// own transaction (Complete).
type running struct {
	job       model.Job
	completed atomic.Bool
}

type runningKey struct{}

// Complete finishes the job that ctx's handler runs as done inside tx, the transaction that does
// the job's work: the work and the job's completion commit together, one commit instead of two,
// and a job whose work committed is never run again (without it, a crash between the two would
// run it once more, which the notification's event key absorbs). Outside a handler it does
// nothing. Call it before anything else in the transaction; when the lease was lost (another
// node runs the job now) it fails with store.ErrLeaseLost and the transaction should roll back.
func Complete(ctx context.Context, tx *store.Tx) error {
	r, _ := ctx.Value(runningKey{}).(*running)
	if r == nil {
		return nil
	}
	if err := tx.CompleteJob(ctx, r.job.ID, r.job.Attempts, tx.Now()); err != nil {
		return err
	}
	tx.AfterCommit(func() { r.completed.Store(true) })
	return nil
}

// Runner claims and runs due jobs.
type Runner struct {
	store    *store.Store
	now      func() time.Time
	log      *slog.Logger
	handlers map[string]Handler
	wake     chan struct{}
	running  atomic.Int32
	// Node names this node (default: the host name); Life is this process start of it
	// (Node + "/" + a fresh id). Claims carry Life: a restarted node recovers the claims of its
	// previous lives at once (Recover), and the heartbeat extends only its own.
	Node, Life string
	// Lease is how long a claimed job stays claimed without a heartbeat; a node that dies mid-run
	// frees its jobs then (to the other nodes; to itself at once when it restarts). The heartbeat
	// extends the lease of running jobs every Lease/3, so a long job is never run twice.
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
	node, _ := os.Hostname()
	if node == "" {
		node = "node"
	}
	r := &Runner{store: st, now: now, log: log, handlers: map[string]Handler{}, wake: make(chan struct{}, 1),
		Lease: 15 * time.Second, Batch: 64, Poll: time.Second, Concurrency: 16}
	r.SetNode(node)
	return r
}

// SetNode names this node and starts a new life of it.
func (r *Runner) SetNode(node string) {
	r.Node, r.Life = node, node+"/"+model.NewID()
}

// Recover makes the claims of this node's previous lives due at once (on SQLite, where there is
// one node, every claim left running). Run calls it first.
func (r *Runner) Recover(ctx context.Context) (int64, error) {
	var n int64
	err := r.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.RecoverJobs(ctx, r.Node, r.Life, tx.Now())
		return err
	})
	if n > 0 {
		r.log.Info("jobs: recovered claims of a previous life", "jobs", n, "node", r.Node)
	}
	return n, err
}

// releaseOwn makes due again the jobs this life still holds once every handler it started has
// finished. There should be none; but a claim whose commit succeeded while the shutdown canceled
// its context (PostgreSQL: the answer to COMMIT lost to the cancellation) comes back as an error,
// so nothing runs the jobs it claimed, and they would wait for their lease to run out.
func (r *Runner) releaseOwn() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n int64
	err := r.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.ReleaseJobs(ctx, r.Life, tx.Now())
		return err
	})
	switch {
	case err != nil:
		r.log.Error("jobs: release claims at stop", "err", err)
	case n > 0:
		r.log.Warn("jobs: released claims that no handler ran", "jobs", n, "life", r.Life)
	}
}

// Heartbeat extends the lease of every job this life is running. Run calls it every Lease/3.
func (r *Runner) Heartbeat(ctx context.Context) error {
	return r.store.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExtendJobLeases(ctx, r.Life, tx.Now().Add(r.Lease))
		return err
	})
}

// Handle registers the handler of a job kind.
func (r *Runner) Handle(kind string, h Handler) { r.handlers[kind] = h }

// Schedule adds (or, with a key, replaces) a job inside tx, and wakes the runner after commit.
func (r *Runner) Schedule(ctx context.Context, tx *store.Tx, kind, key string, runAt time.Time, payload any, maxAttempts int) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("jobs: payload of %s: %w", kind, err)
	}
	if err := tx.ScheduleJob(ctx, model.Job{Kind: kind, Key: key, Payload: raw, RunAt: runAt, MaxAttempts: maxAttempts}, tx.Now()); err != nil {
		return err
	}
	if !runAt.After(tx.Now()) {
		tx.AfterCommit(r.Wake)
	}
	return nil
}

// Planned is one job for ScheduleMany.
type Planned struct {
	Kind, Key   string
	RunAt       time.Time
	Payload     any
	MaxAttempts int
}

// ScheduleMany schedules js inside tx as Schedule does each, in one multi-row statement per few
// hundred jobs, and wakes the runner after commit when one of them is due.
func (r *Runner) ScheduleMany(ctx context.Context, tx *store.Tx, js []Planned) error {
	if len(js) == 0 {
		return nil
	}
	now := tx.Now()
	list := make([]model.Job, 0, len(js))
	due := false
	for _, j := range js {
		raw, err := json.Marshal(j.Payload)
		if err != nil {
			return fmt.Errorf("jobs: payload of %s: %w", j.Kind, err)
		}
		list = append(list, model.Job{Kind: j.Kind, Key: j.Key, Payload: raw, RunAt: j.RunAt, MaxAttempts: j.MaxAttempts})
		due = due || !j.RunAt.After(now)
	}
	if err := tx.ScheduleJobs(ctx, list, now); err != nil {
		return err
	}
	if due {
		tx.AfterCommit(r.Wake)
	}
	return nil
}

// Cancel cancels the pending job with key inside tx.
func (r *Runner) Cancel(ctx context.Context, tx *store.Tx, key string) error {
	_, err := tx.CancelJob(ctx, key, tx.Now())
	return err
}

// Wake makes the runner look for due jobs now.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run claims and runs due jobs until ctx ends, then waits for running handlers and releases
// whatever this life still holds.
func (r *Runner) Run(ctx context.Context) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, r.Concurrency)
	defer func() {
		wg.Wait()
		r.releaseOwn()
	}()
	if _, err := r.Recover(ctx); err != nil && ctx.Err() == nil {
		r.log.Error("jobs: recover", "err", err)
	}
	wg.Go(func() { r.heartbeats(ctx) })
	for {
		n, err := r.runDue(ctx, sem, &wg)
		if err != nil && ctx.Err() == nil {
			r.log.Error("jobs: claim", "err", err)
		}
		if ctx.Err() != nil {
			return
		}
		if n > 0 && n == r.free() {
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
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// heartbeats extends the leases of running jobs every Lease/3 until ctx ends.
func (r *Runner) heartbeats(ctx context.Context) {
	t := time.NewTicker(max(r.Lease/3, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if r.running.Load() == 0 {
			continue
		}
		if err := r.Heartbeat(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("jobs: heartbeat", "err", err)
		}
	}
}

// free is how many more jobs this node may claim: it claims no more than it runs at once, so no
// claimed job waits for a handler slot while its lease runs.
func (r *Runner) free() int { return min(r.Batch, r.Concurrency-int(r.running.Load())) }

func (r *Runner) runDue(ctx context.Context, sem chan struct{}, wg *sync.WaitGroup) (int, error) {
	limit := r.free()
	if limit <= 0 {
		return 0, nil // a finishing job wakes the runner
	}
	var claimed []model.Job
	err := r.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		claimed, err = tx.ClaimDueJobsAs(ctx, r.Life, tx.Now(), r.Lease, limit)
		return err
	})
	if err != nil {
		return 0, err
	}
	r.running.Add(int32(len(claimed)))
	for _, j := range claimed {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; r.running.Add(-1); r.Wake(); wg.Done() }()
			r.run(ctx, j)
		}()
	}
	return len(claimed), nil
}

func (r *Runner) run(ctx context.Context, j model.Job) {
	h, ok := r.handlers[j.Kind]
	// What the handler logs with its context names the job.
	ctx = observe.WithAttrs(ctx, slog.String("job_id", j.ID), slog.String("job_kind", j.Kind))
	rj := &running{job: j}
	ctx = context.WithValue(ctx, runningKey{}, rj)
	var err error
	if !ok {
		err = fmt.Errorf("no handler for job kind %q", j.Kind)
	} else {
		err = safeRun(ctx, h, j)
	}
	if rj.completed.Load() {
		// The handler completed the job in its own transaction (Complete).
		if err != nil {
			r.log.WarnContext(ctx, "jobs: error after the job was completed", "err", err)
		}
		return
	}
	if errors.Is(err, store.ErrLeaseLost) {
		return // another claim runs it now; its outcome is not this attempt's to record
	}
	state, retryAt, msg := model.JobDone, time.Time{}, ""
	if err != nil {
		msg = err.Error()
		var re *RetryError
		switch {
		case errors.As(err, &re):
			state, retryAt = model.JobScheduled, re.At
		case j.Attempts < j.MaxAttempts:
			state, retryAt = model.JobScheduled, r.now().Add(backoff(j.Attempts))
		default:
			state = model.JobFailed
			r.log.WarnContext(ctx, "jobs: gave up", "attempts", j.Attempts, "err", err)
		}
	}
	fctx := context.WithoutCancel(ctx)
	if err := r.store.InTx(fctx, func(tx *store.Tx) error {
		return tx.FinishJob(fctx, j.ID, j.Attempts, state, retryAt, msg, tx.Now())
	}); err != nil {
		r.log.ErrorContext(fctx, "jobs: finish", "err", err)
	}
}

func safeRun(ctx context.Context, h Handler, j model.Job) (err error) {
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
