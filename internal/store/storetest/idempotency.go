package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/store"
)

func init() {
	Register(
		Case{"idempotency/claim, complete and replay", idemClaimReplay},
		Case{"idempotency/release lets a retry run, but not after completion", idemRelease},
		Case{"idempotency/purge forgets old records only", idemPurge},
	)
}

// claim claims key for principal in its own transaction.
func claim(t *testing.T, s *store.Store, principal, key, request string, now time.Time) (store.IdempotencyRecord, bool) {
	t.Helper()
	var rec store.IdempotencyRecord
	var claimed bool
	write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
		rec, claimed, err = tx.ClaimIdempotencyKey(ctx, principal, key, request, now)
		return err
	})
	return rec, claimed
}

func idemClaimReplay(t *testing.T, s *store.Store) {
	const req = "POST /v1/orders 9f86d081"
	rec, claimed := claim(t, s, "c-lin", "k1", req, T0)
	if !claimed || rec.Request != req {
		t.Fatalf("first claim: claimed %v rec %+v", claimed, rec)
	}
	// A retry while the first request still runs sees it pending.
	rec, claimed = claim(t, s, "c-lin", "k1", req, T0)
	if claimed || rec.Status != 0 || rec.Request != req {
		t.Fatalf("claim while running: claimed %v rec %+v, want pending record", claimed, rec)
	}
	answer := []byte(`{"id":"o-1","status":"pending"}` + "\n")
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		return tx.CompleteIdempotencyKey(ctx, "c-lin", "k1", 201, answer)
	})
	rec, claimed = claim(t, s, "c-lin", "k1", req, at(time.Minute))
	if claimed || rec.Status != 201 || string(rec.Response) != string(answer) || rec.Request != req {
		t.Fatalf("claim after completion: claimed %v rec %+v %q, want the stored answer", claimed, rec, rec.Response)
	}
	// A different request under the same key is reported with the original request, so the
	// caller can refuse it.
	rec, claimed = claim(t, s, "c-lin", "k1", "POST /v1/orders 00000000", at(time.Minute))
	if claimed || rec.Request != req {
		t.Errorf("claim with another body: claimed %v rec.Request %q", claimed, rec.Request)
	}
	// Keys belong to their principal: another caller's k1 is a new request.
	if _, claimed := claim(t, s, "c-emma", "k1", req, T0); !claimed {
		t.Error("another principal could not claim the same key")
	}
}

func idemRelease(t *testing.T, s *store.Store) {
	const req = "POST /v1/orders abc"
	claim(t, s, "p", "k", req, T0)
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.ReleaseIdempotencyKey(ctx, "p", "k") })
	if _, claimed := claim(t, s, "p", "k", req, T0); !claimed {
		t.Fatal("after release the key could not be claimed again")
	}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		return tx.CompleteIdempotencyKey(ctx, "p", "k", 200, []byte(`{}`))
	})
	// Release only forgets unfinished claims: a completed answer is never dropped.
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.ReleaseIdempotencyKey(ctx, "p", "k") })
	rec, claimed := claim(t, s, "p", "k", req, T0)
	if claimed || rec.Status != 200 {
		t.Errorf("after releasing a completed key: claimed %v status %d, want the completed answer", claimed, rec.Status)
	}
}

func idemPurge(t *testing.T, s *store.Store) {
	claim(t, s, "p", "old", "r", T0)
	claim(t, s, "p", "new", "r", at(2*time.Hour))
	var n int64
	write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
		n, err = tx.PurgeIdempotencyKeys(ctx, at(time.Hour))
		return err
	})
	if n != 1 {
		t.Errorf("purged %d records, want 1", n)
	}
	if _, claimed := claim(t, s, "p", "old", "r", at(3*time.Hour)); !claimed {
		t.Error("the old record survived the purge")
	}
	if _, claimed := claim(t, s, "p", "new", "r", at(3*time.Hour)); claimed {
		t.Error("the recent record was purged")
	}
}
