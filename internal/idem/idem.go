// Package idem keeps the records of Idempotency-Keys (docs/architecture.md, "Idempotency, at
// three levels"): the API's middleware asks it whether a key has a record, claims a key for the
// request it runs, and records the answer; the claim itself is written by the store inside the
// action's own transaction. The API writes nothing itself: this is the service that does.
package idem

import (
	"context"
	"fmt"
	"time"

	"github.com/homebell/homebell/internal/store"
)

// ErrDuplicate is what a request's action returns when another request with the same key
// committed first: its transaction was rolled back, and the caller answers with the first
// request's answer.
var ErrDuplicate = store.ErrIdempotencyDuplicate

// Keys is the Idempotency-Key service.
type Keys struct {
	Store *store.Store
	Now   func() time.Time
}

// Find returns principal's record of key; found is false when there is none.
func (k *Keys) Find(ctx context.Context, principal, key string) (rec store.IdempotencyRecord, found bool, err error) {
	rec, found, err = k.Store.IdempotencyKey(ctx, principal, key)
	if err != nil {
		return rec, false, fmt.Errorf("idem: find %s: %w", key, err)
	}
	return rec, found, nil
}

// Claim returns ctx carrying principal's claim of key for request (method, path and a hash of
// the body): the first transaction of the request that commits inserts the key's record with
// the action (store.InTx), or fails with ErrDuplicate.
func (k *Keys) Claim(ctx context.Context, principal, key, request string) (context.Context, *store.IdempotencyClaim) {
	c := &store.IdempotencyClaim{Principal: principal, Key: key, Request: request, Now: k.Now()}
	return store.WithIdempotencyClaim(ctx, c), c
}

// Finish records the answer to replay for c's key (status and JSON body) and returns the record
// as it now stands: a refusal that lost the race against a concurrent success gets that success.
func (k *Keys) Finish(ctx context.Context, c *store.IdempotencyClaim, status int, body []byte) (store.IdempotencyRecord, error) {
	rec, err := k.Store.RecordIdempotencyAnswer(ctx, c, status, body)
	if err != nil {
		return rec, fmt.Errorf("idem: finish %s (status %d): %w", c.Key, status, err)
	}
	return rec, nil
}
