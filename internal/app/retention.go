package app

import (
	"context"
	"fmt"
	"time"

	"github.com/homebell/homebell/internal/jobs"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

// JobRetention is the job kind of the daily retention purge (S5). One job exists, under the key
// retentionKey: every node schedules it on start if it is not pending, and each run schedules
// the next, so it runs once a day on exactly one node.
const JobRetention = "retention.purge"

const retentionKey = "retention"

// Housekeeping ages: finished jobs and Idempotency-Key records are kept this long.
const (
	finishedJobsKept    = 7 * 24 * time.Hour
	idempotencyKeysKept = 24 * time.Hour
	// An action token (Y2) is useless once expired; it is kept a day longer for the record of
	// who redeemed what when.
	actionTokensKept = 24 * time.Hour
	purgeBatch       = 1000
)

// purgeZone is where the purge's quiet hour is read: the product's people are in China.
func purgeZone() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
}

// nextPurgeAt is the next 03:30 in China after now, when hardly anyone reads their inbox.
func nextPurgeAt(now time.Time) time.Time {
	l := now.In(purgeZone())
	t := time.Date(l.Year(), l.Month(), l.Day(), 3, 30, 0, 0, l.Location())
	if !t.After(now) {
		t = t.AddDate(0, 0, 1)
	}
	return t.UTC()
}

// initRetention registers the purge and, on a node that runs its own jobs, schedules it. With
// ManualJobs (tests drive the clock and count what RunJobs ran) a daily purge would show up in
// every test that moves the clock past 03:30; such tests call ScheduleRetention themselves.
func (a *App) initRetention(ctx context.Context) error {
	a.Jobs.Handle(JobRetention, a.runRetention)
	if a.manualJobs {
		return nil
	}
	return a.ScheduleRetention(ctx)
}

// ScheduleRetention schedules the daily purge at the next 03:30 China time unless it is pending
// already. Nodes starting together agree: the job's key makes it one row.
func (a *App) ScheduleRetention(ctx context.Context) error {
	return a.Store.InTx(ctx, func(tx *store.Tx) error {
		j, err := tx.JobByKey(ctx, retentionKey)
		switch {
		case err == nil && (j.State == model.JobScheduled || j.State == model.JobRunning):
			return nil
		case err != nil && !model.IsCode(err, model.CodeNotFound):
			return err
		}
		return a.Jobs.Schedule(ctx, tx, JobRetention, retentionKey, nextPurgeAt(tx.Now()), struct{}{}, 1)
	})
}

// runRetention purges, then schedules tomorrow's run. A failure tries again in an hour rather
// than giving up: the job must never end.
func (a *App) runRetention(ctx context.Context, _ model.Job) error {
	now := a.Now()
	report, err := a.PurgeExpired(ctx, now)
	if err != nil {
		return jobs.Retry(now.Add(time.Hour), err)
	}
	a.Log.Info("retention purge", "notifications", report.Notifications, "events", report.Events, "messages", report.Messages,
		"jobs", report.Jobs, "idempotency_keys", report.IdempotencyKeys, "action_tokens", report.ActionTokens)
	if err := a.Store.InTx(ctx, func(tx *store.Tx) error {
		return a.Jobs.Schedule(ctx, tx, JobRetention, retentionKey, nextPurgeAt(now), struct{}{}, 1)
	}); err != nil {
		return jobs.Retry(now.Add(time.Hour), err)
	}
	return nil
}

// PurgeReport counts what a purge deleted.
type PurgeReport struct {
	Notifications   int64
	Events          int64
	Messages        int64
	Jobs            int64
	IdempotencyKeys int64
	ActionTokens    int64
}

// PurgeExpired deletes what retention no longer keeps (S5) — the message center's part (old
// notifications and event-log entries) through notify, and conversations' messages older than the
// interaction retention (the one setting for chats, their notices and support conversations) —
// and the housekeeping: jobs finished over
// a week ago, Idempotency-Key records over a day old and action tokens (Y2) expired over a day
// ago. Every part works in batches, each its own transaction.
func (a *App) PurgeExpired(ctx context.Context, now time.Time) (PurgeReport, error) {
	var rep PurgeReport
	p, err := a.Notify.PurgeExpired(ctx, now, purgeBatch)
	rep.Notifications, rep.Events = p.Notifications, p.Events
	if err != nil {
		return rep, fmt.Errorf("app: purge: %w", err)
	}
	rt, err := a.Store.RetentionDays(ctx)
	if err != nil {
		return rep, fmt.Errorf("app: purge: %w", err)
	}
	chatsKept := time.Duration(rt.InteractionDays) * 24 * time.Hour
	steps := []struct {
		what  string
		total *int64
		fn    func(tx *store.Tx) (int64, error)
	}{
		{"messages", &rep.Messages, func(tx *store.Tx) (int64, error) {
			return tx.PurgeMessages(ctx, now.Add(-chatsKept), purgeBatch)
		}},
		{"jobs", &rep.Jobs, func(tx *store.Tx) (int64, error) {
			return tx.PurgeFinishedJobs(ctx, now.Add(-finishedJobsKept), purgeBatch)
		}},
		{"idempotency keys", &rep.IdempotencyKeys, func(tx *store.Tx) (int64, error) {
			return tx.PurgeIdempotencyKeys(ctx, now.Add(-idempotencyKeysKept), purgeBatch)
		}},
		{"action tokens", &rep.ActionTokens, func(tx *store.Tx) (int64, error) {
			return tx.PurgeActionTokens(ctx, now.Add(-actionTokensKept), purgeBatch)
		}},
	}
	for _, s := range steps {
		n, err := a.Store.PurgeInBatches(ctx, purgeBatch, s.fn)
		*s.total = n
		if err != nil {
			return rep, fmt.Errorf("app: purge %s: %w", s.what, err)
		}
	}
	return rep, nil
}
