package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/store"
)

func init() {
	Register(
		Case{"idempotency/the key is recorded by the action's own transaction", idemInTx},
		Case{"idempotency/a transaction that rolls back leaves no key", idemRollback},
		Case{"idempotency/the answer is recorded once and refusals get a record", idemAnswer},
		Case{"idempotency/purge forgets old records only", idemPurge},
	)
}

// commitKey commits a transaction of a request running under key (it notes ref as created) and
// returns InTx's error.
func commitKey(t *testing.T, s *store.Store, principal, key, request string, now time.Time, ref string) error {
	t.Helper()
	c := &store.IdempotencyClaim{Principal: principal, Key: key, Request: request, Now: now}
	ctx := store.WithIdempotencyClaim(context.Background(), c)
	return s.InTx(ctx, func(tx *store.Tx) error {
		if ref != "" {
			store.NoteCreated(ctx, ref)
		}
		return tx.PutSetting(ctx, "action:"+principal+":"+key+":"+ref, true, now)
	})
}

func record(t *testing.T, s *store.Store, principal, key string) (store.IdempotencyRecord, bool) {
	t.Helper()
	rec, found, err := s.IdempotencyKey(context.Background(), principal, key)
	if err != nil {
		t.Fatal(err)
	}
	return rec, found
}

func idemInTx(t *testing.T, s *store.Store) {
	const req = "POST /v1/orders 9f86d081"
	if _, found := record(t, s, "c-lin", "k1"); found {
		t.Fatal("a record before any request")
	}
	if err := commitKey(t, s, "c-lin", "k1", req, T0, "o-1"); err != nil {
		t.Fatal(err)
	}
	rec, found := record(t, s, "c-lin", "k1")
	if !found || rec.Status != 0 || rec.Request != req || rec.Ref != "o-1" || !rec.CreatedAt.Equal(T0) {
		t.Fatalf("after commit: found %v rec %+v, want status 0 (committed, no answer yet) and ref o-1", found, rec)
	}
	// A second request with the same key is a duplicate: its transaction rolls back whole.
	err := commitKey(t, s, "c-lin", "k1", req, at(time.Second), "o-2")
	if !errors.Is(err, store.ErrIdempotencyDuplicate) {
		t.Fatalf("duplicate: %v, want ErrIdempotencyDuplicate", err)
	}
	var v bool
	if found, _ := s.Setting(context.Background(), "action:c-lin:k1:o-2", &v); found {
		t.Error("the duplicate's write committed")
	}
	// Keys belong to their principal.
	if err := commitKey(t, s, "c-emma", "k1", req, T0, ""); err != nil {
		t.Errorf("another principal's k1: %v", err)
	}
	// One request's later transactions do not claim again.
	c := &store.IdempotencyClaim{Principal: "p", Key: "two-tx", Request: req, Now: T0}
	ctx := store.WithIdempotencyClaim(context.Background(), c)
	for i := range 2 {
		if err := s.InTx(ctx, func(tx *store.Tx) error { return nil }); err != nil {
			t.Fatalf("transaction %d of one request: %v", i+1, err)
		}
	}
	if !c.Committed() {
		t.Error("claim not marked committed")
	}
}

func idemRollback(t *testing.T, s *store.Store) {
	const req = "POST /v1/orders abc"
	c := &store.IdempotencyClaim{Principal: "p", Key: "k", Request: req, Now: T0}
	ctx := store.WithIdempotencyClaim(context.Background(), c)
	boom := errors.New("refused")
	if err := s.InTx(ctx, func(tx *store.Tx) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("InTx: %v", err)
	}
	if _, found := record(t, s, "p", "k"); found || c.Committed() {
		t.Fatal("a rolled-back request left its key behind")
	}
	if err := commitKey(t, s, "p", "k", req, T0, ""); err != nil {
		t.Errorf("the retry could not run: %v", err)
	}
}

func idemAnswer(t *testing.T, s *store.Store) {
	ctx := context.Background()
	const req = "POST /v1/orders abc"
	// A committed action: the answer goes onto its record.
	c := &store.IdempotencyClaim{Principal: "p", Key: "ok", Request: req, Now: T0}
	if err := s.InTx(store.WithIdempotencyClaim(ctx, c), func(tx *store.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	rec, err := s.RecordIdempotencyAnswer(ctx, c, 201, []byte(`{"id":"o-1"}`))
	if err != nil || rec.Status != 201 || string(rec.Response) != `{"id":"o-1"}` {
		t.Fatalf("record answer: %+v %v", rec, err)
	}
	// It is recorded once: a second answer does not replace it.
	if rec, _ := s.RecordIdempotencyAnswer(ctx, c, 200, []byte(`{}`)); rec.Status != 201 {
		t.Errorf("a second answer replaced the first: %+v", rec)
	}
	// A refusal committed nothing: it gets a record of its own, replayed by later retries.
	r := &store.IdempotencyClaim{Principal: "p", Key: "bad", Request: req, Now: T0}
	if rec, err := s.RecordIdempotencyAnswer(ctx, r, 400, []byte(`{"code":"invalid"}`)); err != nil || rec.Status != 400 {
		t.Fatalf("record refusal: %+v %v", rec, err)
	}
	// A refusal that lost the race to a committed request with the same key sees that request.
	won := &store.IdempotencyClaim{Principal: "p", Key: "race", Request: req, Now: T0}
	if err := s.InTx(store.WithIdempotencyClaim(ctx, won), func(tx *store.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	lost := &store.IdempotencyClaim{Principal: "p", Key: "race", Request: req, Now: T0}
	rec, err = s.RecordIdempotencyAnswer(ctx, lost, 409, []byte(`{"code":"conflict"}`))
	if err != nil || rec.Status != 0 {
		t.Errorf("a late refusal: %+v %v, want the committed record (status 0)", rec, err)
	}
}

func idemPurge(t *testing.T, s *store.Store) {
	_ = commitKey(t, s, "p", "old", "r", T0, "")
	_ = commitKey(t, s, "p", "new", "r", at(2*time.Hour), "")
	var n int64
	write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
		n, err = tx.PurgeIdempotencyKeys(ctx, at(time.Hour), 1000)
		return err
	})
	if n != 1 {
		t.Errorf("purged %d records, want 1", n)
	}
	if _, found := record(t, s, "p", "old"); found {
		t.Error("the old record survived the purge")
	}
	if _, found := record(t, s, "p", "new"); !found {
		t.Error("the recent record was purged")
	}
}
