package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// IdempotencyRecord is what is remembered of a creating POST sent with an Idempotency-Key.
type IdempotencyRecord struct {
	Request string // method, path and a hash of the body
	// Status is the recorded answer's status; 0 means the action committed but its answer was
	// not recorded (yet, or ever: the node died in between). Ref then names what it created.
	Status    int
	Response  []byte // the JSON answer, replayed verbatim
	Ref       string // the id of what the request created ("" when it created nothing by id)
	CreatedAt time.Time
}

// IdempotencyClaim is a request running under an Idempotency-Key. The API puts it in the
// request's context (WithIdempotencyClaim); the first transaction of that request that commits
// (InTx) inserts the key's record as part of the action, so the record exists exactly when the
// action committed. One request runs its transactions one after another, so a claim is never
// used by two goroutines at once.
type IdempotencyClaim struct {
	Principal, Key, Request string
	Now                     time.Time
	ref                     string
	committed               bool
}

// Committed reports whether a transaction of the request committed with the key's record.
func (c *IdempotencyClaim) Committed() bool { return c.committed }

// ErrIdempotencyDuplicate is returned by InTx when the key's record already exists: another
// request with the same key committed first. The transaction was rolled back; the caller
// answers with that request's answer.
var ErrIdempotencyDuplicate = errors.New("store: idempotency key already used by a committed request")

type claimKey struct{}

// WithIdempotencyClaim returns ctx carrying c.
func WithIdempotencyClaim(ctx context.Context, c *IdempotencyClaim) context.Context {
	return context.WithValue(ctx, claimKey{}, c)
}

func claimFrom(ctx context.Context) *IdempotencyClaim {
	c, _ := ctx.Value(claimKey{}).(*IdempotencyClaim)
	return c
}

// NoteCreated tells the request running under ctx (if it has an Idempotency-Key) the id of what
// it created, so a retry can be answered from that even when the answer itself was lost. The
// first id noted wins. Services call it in the transaction that creates the thing.
func NoteCreated(ctx context.Context, id string) {
	if c := claimFrom(ctx); c != nil && !c.committed && c.ref == "" {
		c.ref = id
	}
}

// claimInTx inserts c's record in tx (status 0); a record already there means a concurrent or
// earlier request with the same key committed first. On PostgreSQL the insert waits for a
// concurrent transaction holding the same key, so the duplicate never runs its action.
func (q *Queries) claimInTx(ctx context.Context, c *IdempotencyClaim) error {
	res, err := q.q.ExecContext(ctx, `INSERT INTO idempotency_keys (principal, key, request, status, created_at)
		VALUES ($1,$2,$3,0,$4) ON CONFLICT (principal, key) DO NOTHING`, c.Principal, c.Key, c.Request, utc(c.Now))
	if err != nil {
		return fmt.Errorf("store: claim idempotency key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrIdempotencyDuplicate
	}
	return nil
}

// noteRefInTx stores the created thing's id on c's record before the transaction commits.
func (q *Queries) noteRefInTx(ctx context.Context, c *IdempotencyClaim) error {
	if c.ref == "" {
		return nil
	}
	if _, err := q.q.ExecContext(ctx, `UPDATE idempotency_keys SET ref = $3 WHERE principal = $1 AND key = $2`,
		c.Principal, c.Key, c.ref); err != nil {
		return fmt.Errorf("store: idempotency key ref: %w", err)
	}
	return nil
}

// IdempotencyKey returns the record of principal's key; found is false when there is none.
func (q *Queries) IdempotencyKey(ctx context.Context, principal, key string) (rec IdempotencyRecord, found bool, err error) {
	var resp []byte
	err = q.q.QueryRowContext(ctx, `SELECT request, status, response, ref, created_at FROM idempotency_keys
		WHERE principal = $1 AND key = $2`, principal, key).Scan(&rec.Request, &rec.Status, &resp, &rec.Ref, &rec.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, fmt.Errorf("store: idempotency key: %w", err)
	}
	rec.Response, rec.CreatedAt = resp, rec.CreatedAt.UTC()
	return rec, true, nil
}

// RecordIdempotencyAnswer stores the answer to replay for c's key: on the record its action
// committed, or — for a refusal, or a request that wrote nothing — as a new record. A record that
// already holds an answer is left alone. It returns the record as it now stands, so a refusal that
// lost the race against a concurrent success answers with that success.
func (s *Store) RecordIdempotencyAnswer(ctx context.Context, c *IdempotencyClaim, status int, response []byte) (IdempotencyRecord, error) {
	var rec IdempotencyRecord
	ctx = context.WithValue(ctx, claimKey{}, (*IdempotencyClaim)(nil)) // this write is not the action
	err := s.InTx(ctx, func(tx *Tx) error {
		var err error
		if c.committed {
			_, err = tx.q.ExecContext(ctx, `UPDATE idempotency_keys SET status = $3, response = $4
				WHERE principal = $1 AND key = $2 AND status = 0`, c.Principal, c.Key, status, response)
		} else {
			_, err = tx.q.ExecContext(ctx, `INSERT INTO idempotency_keys (principal, key, request, status, response, created_at)
				VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (principal, key) DO NOTHING`,
				c.Principal, c.Key, c.Request, status, response, utc(c.Now))
		}
		if err != nil {
			return fmt.Errorf("store: record idempotency answer: %w", err)
		}
		var found bool
		rec, found, err = tx.IdempotencyKey(ctx, c.Principal, c.Key)
		if err == nil && !found {
			err = errors.New("store: idempotency record vanished")
		}
		return err
	})
	return rec, err
}

// PurgeIdempotencyKeys deletes up to limit Idempotency-Key records created before before.
func (q *Queries) PurgeIdempotencyKeys(ctx context.Context, before time.Time, limit int) (int64, error) {
	res, err := q.q.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE (principal, key) IN (SELECT principal, key
		FROM idempotency_keys WHERE created_at < $1 LIMIT $2)`, utc(before), limit)
	if err != nil {
		return 0, fmt.Errorf("store: purge idempotency keys: %w", err)
	}
	return res.RowsAffected()
}
