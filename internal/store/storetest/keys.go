package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

func init() {
	Register(
		Case{"service-keys/create, get and revoke", keysLifecycle},
		Case{"service-keys/ids are unique", keysUnique},
	)
}

func keysLifecycle(t *testing.T, s *store.Store) {
	ctx := context.Background()
	k := model.ServiceKey{ID: "0123456789abcdef", Name: "crm backend", SecretHash: "5e88489…hash", CreatedAt: T0}
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.CreateServiceKey(ctx, k) })

	got, err := s.ServiceKey(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != k.ID || got.Name != k.Name || got.SecretHash != k.SecretHash || got.RevokedAt != nil {
		t.Errorf("stored key = %+v, want %+v", got, k)
	}
	wantUTC(t, "created_at", got.CreatedAt, T0)

	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.RevokeServiceKey(ctx, k.ID, at(time.Hour)) })
	got, err = s.ServiceKey(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.RevokedAt == nil {
		t.Fatal("revoked key has no revoked_at")
	}
	wantUTC(t, "revoked_at", *got.RevokedAt, at(time.Hour))

	// Revoking twice, or a key that never existed, says so.
	err = s.InTx(ctx, func(tx *store.Tx) error { return tx.RevokeServiceKey(ctx, k.ID, at(2*time.Hour)) })
	wantCode(t, err, model.CodeNotFound)
	err = s.InTx(ctx, func(tx *store.Tx) error { return tx.RevokeServiceKey(ctx, "ffffffffffffffff", T0) })
	wantCode(t, err, model.CodeNotFound)
	_, err = s.ServiceKey(ctx, "ffffffffffffffff")
	wantCode(t, err, model.CodeNotFound)

	// The first revocation time stands.
	got, _ = s.ServiceKey(ctx, k.ID)
	if got.RevokedAt == nil || !got.RevokedAt.Equal(at(time.Hour)) {
		t.Errorf("revoked_at after a second revoke = %v, want %v", got.RevokedAt, at(time.Hour))
	}
}

func keysUnique(t *testing.T, s *store.Store) {
	ctx := context.Background()
	k := model.ServiceKey{ID: "aaaaaaaaaaaaaaaa", Name: "one", SecretHash: "h1", CreatedAt: T0}
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.CreateServiceKey(ctx, k) })
	k2 := model.ServiceKey{ID: k.ID, Name: "two", SecretHash: "h2", CreatedAt: T0}
	if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.CreateServiceKey(ctx, k2) }); err == nil {
		t.Fatal("a second key with the same id was stored")
	}
	got, err := s.ServiceKey(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.SecretHash != "h1" {
		t.Errorf("secret hash = %q: the duplicate replaced the first key", got.SecretHash)
	}
}
