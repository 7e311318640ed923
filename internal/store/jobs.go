package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/homebell/homebell/internal/model"
)

const jobCols = `id, kind, key, payload, state, run_at, attempts, max_attempts, last_error, created_at, updated_at`

func scanJob(row interface{ Scan(...any) error }) (model.Job, error) {
	var j model.Job
	var key sql.NullString
	var payload string
	err := row.Scan(&j.ID, &j.Kind, &key, &payload, &j.State, &j.RunAt, &j.Attempts, &j.MaxAttempts, &j.LastError, &j.CreatedAt, &j.UpdatedAt)
	j.Key, j.Payload = key.String, []byte(payload)
	j.RunAt, j.CreatedAt, j.UpdatedAt = j.RunAt.UTC(), j.CreatedAt.UTC(), j.UpdatedAt.UTC()
	return j, err
}

// ScheduleJob inserts j. A job with a key replaces the job of the same key (whatever its state):
// moving a reminder is scheduling it again under its key.
func (q *Queries) ScheduleJob(ctx context.Context, j model.Job, now time.Time) error {
	if j.ID == "" {
		j.ID = model.NewID()
	}
	if j.MaxAttempts <= 0 {
		j.MaxAttempts = 1
	}
	var key any
	if j.Key != "" {
		key = j.Key
	}
	_, err := q.q.ExecContext(ctx, `INSERT INTO jobs (`+jobCols+`) VALUES ($1,$2,$3,$4,'scheduled',$5,0,$6,'',$7,$7)
		ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, payload = excluded.payload, state = 'scheduled',
		run_at = excluded.run_at, attempts = 0, max_attempts = excluded.max_attempts, last_error = '',
		locked_until = NULL, locked_by = '', updated_at = excluded.updated_at`,
		j.ID, j.Kind, key, string(j.Payload), utc(j.RunAt), j.MaxAttempts, utc(now))
	if err != nil {
		return fmt.Errorf("store: schedule job %s: %w", j.Kind, err)
	}
	return nil
}

// CancelJob cancels the pending job with key; cancelled is false when none was pending.
func (q *Queries) CancelJob(ctx context.Context, key string, now time.Time) (cancelled bool, err error) {
	res, err := q.q.ExecContext(ctx, `UPDATE jobs SET state = 'cancelled', updated_at = $2
		WHERE key = $1 AND state IN ('scheduled','running')`, key, utc(now))
	if err != nil {
		return false, fmt.Errorf("store: cancel job %s: %w", key, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// JobByKey returns the job with key.
func (q *Queries) JobByKey(ctx context.Context, key string) (model.Job, error) {
	j, err := scanJob(q.q.QueryRowContext(ctx, `SELECT `+jobCols+` FROM jobs WHERE key = $1`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return j, notFound("job", key)
	}
	if err != nil {
		return j, fmt.Errorf("store: job %s: %w", key, err)
	}
	return j, nil
}

// ClaimDueJobs marks up to limit due jobs as running until now+lease and returns them. Jobs whose
// lease ran out (their node died mid-run) are due again. On PostgreSQL, SKIP LOCKED lets several
// nodes claim side by side without taking the same job.
func (q *Queries) ClaimDueJobs(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]model.Job, error) {
	return q.ClaimDueJobsAs(ctx, "", now, lease, limit)
}

// ClaimDueJobsAs is ClaimDueJobs for the node life owner, which it records on the claims (see
// ExtendJobLeases and RecoverJobs).
func (q *Queries) ClaimDueJobsAs(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]model.Job, error) {
	lock := ""
	if q.dialect == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	return queryAll(ctx, q.q, "claim jobs", func(r rowScanner) (model.Job, error) { return scanJob(r) },
		`UPDATE jobs SET state = 'running', attempts = attempts + 1,
		locked_until = $2, locked_by = $4, updated_at = $1
		WHERE id IN (SELECT id FROM jobs WHERE (state = 'scheduled' AND run_at <= $1)
			OR (state = 'running' AND locked_until < $1) ORDER BY run_at LIMIT $3`+lock+`)
		RETURNING `+jobCols, utc(now), utc(now.Add(lease)), limit, owner)
}

// ExtendJobLeases moves the lease of every job owner is running to until (the runner's
// heartbeat), so a long job is not taken over by another node while it still runs.
func (q *Queries) ExtendJobLeases(ctx context.Context, owner string, until time.Time) (int64, error) {
	res, err := q.q.ExecContext(ctx, `UPDATE jobs SET locked_until = $2 WHERE locked_by = $1 AND state = 'running'
		AND locked_until < $2`, owner, utc(until))
	if err != nil {
		return 0, fmt.Errorf("store: extend job leases: %w", err)
	}
	return res.RowsAffected()
}

// RecoverJobs makes claims of a previous life of this node due again at once: on SQLite (one
// node) every running job; on PostgreSQL those whose owner starts with node+"/" other than life.
// A node calls it when it starts, so a job claimed at the moment of a crash runs right after the
// restart instead of when its lease runs out.
func (q *Queries) RecoverJobs(ctx context.Context, node, life string, now time.Time) (int64, error) {
	var res sql.Result
	var err error
	if q.dialect == SQLite {
		res, err = q.q.ExecContext(ctx, `UPDATE jobs SET state = 'scheduled', locked_until = NULL, locked_by = '',
			updated_at = $1 WHERE state = 'running'`, utc(now))
	} else {
		res, err = q.q.ExecContext(ctx, `UPDATE jobs SET state = 'scheduled', locked_until = NULL, locked_by = '',
			updated_at = $1 WHERE state = 'running' AND locked_by LIKE $2 AND locked_by <> $3`, utc(now), node+"/%", life)
	}
	if err != nil {
		return 0, fmt.Errorf("store: recover jobs: %w", err)
	}
	return res.RowsAffected()
}

// ReleaseJobs makes the jobs still claimed by life due again at once (a runner that stopped with
// every handler of its own finished: what it still holds was claimed and never run) and returns
// how many there were.
func (q *Queries) ReleaseJobs(ctx context.Context, life string, now time.Time) (int64, error) {
	res, err := q.q.ExecContext(ctx, `UPDATE jobs SET state = 'scheduled', locked_until = NULL, locked_by = '',
		updated_at = $1 WHERE state = 'running' AND locked_by = $2`, utc(now), life)
	if err != nil {
		return 0, fmt.Errorf("store: release jobs: %w", err)
	}
	return res.RowsAffected()
}

// FinishJob records the outcome of a run of the job claimed as attempt: done, failed for good, or
// scheduled again at retryAt. A job rescheduled or cancelled meanwhile (its key was reused) is
// left as it is: the newer schedule wins.
func (q *Queries) FinishJob(ctx context.Context, id string, attempt int, state string, retryAt time.Time, lastErr string, now time.Time) error {
	if len(lastErr) > 500 {
		lastErr = lastErr[:500]
	}
	runAt := any(nil)
	if state == model.JobScheduled {
		runAt = utc(retryAt)
	}
	_, err := q.q.ExecContext(ctx, `UPDATE jobs SET state = $3, run_at = COALESCE($4, run_at), last_error = $5,
		locked_until = NULL, locked_by = '', updated_at = $6 WHERE id = $1 AND attempts = $2 AND state = 'running'`,
		id, attempt, state, runAt, lastErr, utc(now))
	if err != nil {
		return fmt.Errorf("store: finish job %s: %w", id, err)
	}
	return nil
}

// ErrLeaseLost is CompleteJob's answer when the job is no longer this attempt's to finish: its
// lease ran out and another node (or this one, later) claimed it again.
var ErrLeaseLost = errors.New("store: the job's lease was lost")

// CompleteJob finishes a running job as done inside the transaction that did its work, so the
// work and its completion commit together. It fails with ErrLeaseLost when attempt no longer
// holds the job, and the caller's transaction should roll back: the job runs elsewhere.
func (q *Queries) CompleteJob(ctx context.Context, id string, attempt int, now time.Time) error {
	res, err := q.q.ExecContext(ctx, `UPDATE jobs SET state = 'done', last_error = '', locked_until = NULL, locked_by = '',
		updated_at = $3 WHERE id = $1 AND attempts = $2 AND state = 'running'`, id, attempt, utc(now))
	if err != nil {
		return fmt.Errorf("store: complete job %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return ErrLeaseLost
	}
	return nil
}

// NextJobAt is when the earliest scheduled job is due (zero if none), so the runner can sleep.
func (q *Queries) NextJobAt(ctx context.Context) (time.Time, error) {
	var t time.Time
	err := q.q.QueryRowContext(ctx, `SELECT run_at FROM jobs WHERE state = 'scheduled' ORDER BY run_at LIMIT 1`).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("store: next job: %w", err)
	}
	return t.UTC(), nil
}

// JobBacklog is the backlog of one job kind: how many scheduled jobs are due, and since when
// the oldest of them is.
type JobBacklog struct {
	Kind        string
	Due         int
	OldestDueAt time.Time // zero when none is due
}

// JobBacklog reports, for every kind with scheduled jobs, how many are due at now and the due
// time of the oldest (the metrics' job backlog).
func (q *Queries) JobBacklog(ctx context.Context, now time.Time) ([]JobBacklog, error) {
	out, err := queryAll(ctx, q.q, "job backlog", func(r rowScanner) (JobBacklog, error) {
		var b JobBacklog
		err := r.Scan(&b.Kind, &b.Due)
		return b, err
	}, `SELECT kind, SUM(CASE WHEN run_at <= $1 THEN 1 ELSE 0 END) FROM jobs
		WHERE state = 'scheduled' GROUP BY kind ORDER BY kind`, utc(now))
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Due == 0 {
			continue
		}
		err := q.q.QueryRowContext(ctx, `SELECT run_at FROM jobs WHERE state = 'scheduled' AND kind = $1 AND run_at <= $2
			ORDER BY run_at LIMIT 1`, out[i].Kind, utc(now)).Scan(&out[i].OldestDueAt)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("store: oldest due job: %w", err)
		}
		out[i].OldestDueAt = out[i].OldestDueAt.UTC()
	}
	return out, nil
}

// PurgeFinishedJobs deletes up to limit done, failed or cancelled jobs last changed before before.
func (q *Queries) PurgeFinishedJobs(ctx context.Context, before time.Time, limit int) (int64, error) {
	res, err := q.q.ExecContext(ctx, `DELETE FROM jobs WHERE id IN (SELECT id FROM jobs
		WHERE state IN ('done','failed','cancelled') AND updated_at < $1 LIMIT $2)`, utc(before), limit)
	if err != nil {
		return 0, fmt.Errorf("store: purge jobs: %w", err)
	}
	return res.RowsAffected()
}
