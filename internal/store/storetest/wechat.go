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
		Case{"wechat/ledger: credits once per report, never below zero, zeroed on revoke, spends once per ref", wechatLedger},
		Case{"wechat/token lease: one refresher at a time, a stale token expired only while current", wechatTokenLease},
		Case{"wechat/bindings: an openid moves to the person it is bound to last", wechatBindings},
	)
}

func wechatLedger(t *testing.T, s *store.Store) {
	AddPeople(t, s, Person("a", model.RoleCustomer))
	change := func(reason, ref string, delta int) store.LedgerChange {
		t.Helper()
		var c store.LedgerChange
		write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
			c, err = tx.ChangeWeChatBalance(ctx, "a", "TPL", reason, ref, delta, T0)
			return err
		})
		return c
	}
	if c := change(model.LedgerSpent, "d1#0", -1); c.Applied || c.After != 0 {
		t.Errorf("a spend with nothing granted: %+v", c)
	}
	change(model.LedgerGranted, "r1", 1)
	if c := change(model.LedgerGranted, "r1", 1); !c.Duplicate || c.After != 1 {
		t.Errorf("the same report twice: %+v", c)
	}
	change(model.LedgerGranted, "r2", 1)
	if c := change(model.LedgerSpent, "d2#0", -1); !c.Applied || c.Before != 2 || c.After != 1 {
		t.Errorf("a spend: %+v", c)
	}
	if c := change(model.LedgerSpent, "d2#0", -1); !c.Duplicate || c.Before != 2 || c.After != 1 {
		t.Errorf("the same spend again (a re-run job): %+v", c)
	}
	if c := change(model.LedgerRevoked, "d3#0", 0); !c.Applied || c.Before != 1 || c.After != 0 {
		t.Errorf("a revoke: %+v", c)
	}
	ctx := context.Background()
	if n, err := s.WeChatBalance(ctx, "a", "TPL"); err != nil || n != 0 {
		t.Errorf("balance %d %v", n, err)
	}
	es, err := s.WeChatLedgerEntries(ctx, "a", 10)
	if err != nil || len(es) != 4 {
		t.Fatalf("entries: %+v %v", es, err)
	}
	sum := 0
	for _, e := range es {
		sum += e.Delta
	}
	if sum != 0 {
		t.Errorf("entries add up to %d, the balance is 0", sum)
	}
}

func wechatTokenLease(t *testing.T, s *store.Store) {
	ctx := context.Background()
	refreshes := 0
	take := func(owner string, now time.Time) (taken bool) {
		t.Helper()
		write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
			taken, err = tx.TakeWeChatTokenLease(ctx, owner, refreshes, now, now.Add(10*time.Second))
			return err
		})
		return taken
	}
	if !take("n1", T0) || take("n2", T0) {
		t.Fatal("two nodes hold the lease")
	}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		return tx.PutWeChatToken(ctx, "n1", "app", "T1", T0.Add(2*time.Hour), T0)
	})
	tok, err := s.WeChatToken(ctx)
	if err != nil || tok.AccessToken != "T1" || tok.LeaseOwner != "" || tok.Refreshes != 1 || !tok.ExpiresAt.Equal(T0.Add(2*time.Hour)) {
		t.Fatalf("stored token: %+v %v", tok, err)
	}
	if take("n2", T0) {
		t.Fatal("a node that read the token before it was refreshed took the lease")
	}
	refreshes = 1
	if !take("n2", T0) {
		t.Fatal("the lease was not free after the token was stored")
	}
	if take("n1", at(5*time.Second)) || !take("n1", at(11*time.Second)) {
		t.Error("a lease is not taken over only once it ran out")
	}
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.ExpireWeChatToken(ctx, "T0", T0) })
	if tok, _ := s.WeChatToken(ctx); !tok.ExpiresAt.Equal(T0.Add(2 * time.Hour)) {
		t.Error("a stale token's refusal expired the current one")
	}
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.ExpireWeChatToken(ctx, "T1", T0) })
	if tok, _ := s.WeChatToken(ctx); !tok.ExpiresAt.Equal(T0) {
		t.Error("the current token was not expired")
	}
}

func wechatBindings(t *testing.T, s *store.Store) {
	AddPeople(t, s, Person("a", model.RoleCustomer), Person("b", model.RoleCustomer))
	put := func(person, openid string) bool {
		t.Helper()
		var created bool
		write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
			created, err = tx.PutWeChatBinding(ctx, &model.WeChatBinding{PersonID: person, OpenID: openid}, T0)
			return err
		})
		return created
	}
	if !put("a", "o-1") || put("a", "o-2") || !put("b", "o-2") {
		t.Error("created flags")
	}
	ctx := context.Background()
	if _, err := s.WeChatBinding(ctx, "a"); !model.IsCode(err, model.CodeNotFound) {
		t.Errorf("a still bound after its openid moved to b: %v", err)
	}
	if b, err := s.WeChatBinding(ctx, "b"); err != nil || b.OpenID != "o-2" {
		t.Errorf("b: %+v %v", b, err)
	}
}
