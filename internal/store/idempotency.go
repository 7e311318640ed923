package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// IdempotencyRecord is the remembered answer to a creating POST.
type IdempotencyRecord struct {
	Request  string // method, path and a hash of the body
	Status   int    // 0 while the first request is still running
	Response []byte // the JSON answer, replayed verbatim
}

// ClaimIdempotencyKey records that principal is running a request under key. If the key was seen
// before it returns that record and claimed=false.
func (q *Queries) ClaimIdempotencyKey(ctx context.Context, principal, key, request string, now time.Time) (rec IdempotencyRecord, claimed bool, err error) {
	res, err := q.q.ExecContext(ctx, `INSERT INTO idempotency_keys (principal, key, request, status, created_at)
		VALUES ($1,$2,$3,0,$4) ON CONFLICT (principal, key) DO NOTHING`, principal, key, request, utc(now))
	if err != nil {
		return rec, false, fmt.Errorf("store: claim idempotency key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return IdempotencyRecord{Request: request}, true, nil
	}
	var resp []byte
	err = q.q.QueryRowContext(ctx, `SELECT request, status, response FROM idempotency_keys WHERE principal=$1 AND key=$2`,
		principal, key).Scan(&rec.Request, &rec.Status, &resp)
	if errors.Is(err, sql.ErrNoRows) { // released between our insert and select: try once more
		return q.ClaimIdempotencyKey(ctx, principal, key, request, now)
	}
	if err != nil {
		return rec, false, fmt.Errorf("store: idempotency key: %w", err)
	}
	rec.Response = resp
	return rec, false, nil
}

// CompleteIdempotencyKey stores the answer to replay.
func (q *Queries) CompleteIdempotencyKey(ctx context.Context, principal, key string, status int, response []byte) error {
	_, err := q.q.ExecContext(ctx, `UPDATE idempotency_keys SET status=$3, response=$4 WHERE principal=$1 AND key=$2`,
		principal, key, status, response)
	if err != nil {
		return fmt.Errorf("store: complete idempotency key: %w", err)
	}
	return nil
}

// ReleaseIdempotencyKey forgets a claim whose request failed without effect, so a retry may run.
func (q *Queries) ReleaseIdempotencyKey(ctx context.Context, principal, key string) error {
	_, err := q.q.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE principal=$1 AND key=$2 AND status=0`, principal, key)
	if err != nil {
		return fmt.Errorf("store: release idempotency key: %w", err)
	}
	return nil
}

// PurgeIdempotencyKeys deletes records older than before.
func (q *Queries) PurgeIdempotencyKeys(ctx context.Context, before time.Time) (int64, error) {
	res, err := q.q.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, utc(before))
	if err != nil {
		return 0, fmt.Errorf("store: purge idempotency keys: %w", err)
	}
	return res.RowsAffected()
}
