package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

func init() {
	Register(
		Case{"tx/rollback leaves nothing behind", txRollback},
		Case{"tx/after-commit hooks run once, after commit, only on commit", txAfterCommit},
		Case{"tx/a panic rolls back and the store keeps working", txPanic},
		Case{"tx/now is the store's clock read once, when the transaction begins", txNow},
		Case{"time/round-trips in UTC with sub-second precision", timeRoundTrip},
		Case{"store/ping answers and migrate again is a no-op", storePingMigrate},
	)
}

var errBoom = errors.New("boom")

func txRollback(t *testing.T, s *store.Store) {
	ctx := context.Background()
	err := s.InTx(ctx, func(tx *store.Tx) error {
		p := Person("c-1", model.RoleCustomer)
		if _, err := tx.UpsertPerson(ctx, &p, T0); err != nil {
			return err
		}
		if err := tx.PutSetting(ctx, "k", 1, T0); err != nil {
			return err
		}
		// The transaction sees its own writes…
		if _, err := tx.Person(ctx, "c-1"); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("InTx returned %v, want fn's error", err)
	}
	// …and nobody else ever does.
	if _, err := s.Person(ctx, "c-1"); !model.IsCode(err, model.CodeNotFound) {
		t.Errorf("person after rollback: %v, want not_found", err)
	}
	var v int
	if found, err := s.Setting(ctx, "k", &v); found || err != nil {
		t.Errorf("setting after rollback: found %v err %v", found, err)
	}
}

func txNow(t *testing.T, s *store.Store) {
	ctx := context.Background()
	reads := 0
	s.Now = func() time.Time { reads++; return T0.Add(time.Duration(reads) * time.Second) } // a second later on every read
	var first, second time.Time
	err := s.InTx(ctx, func(tx *store.Tx) error {
		first = tx.Now()
		p := Person("c-1", model.RoleCustomer)
		if _, err := tx.UpsertPerson(ctx, &p, tx.Now()); err != nil {
			return err
		}
		if !tx.Now().Equal(first) {
			t.Errorf("tx.Now moved from %v to %v inside one transaction", first, tx.Now())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !first.Equal(T0.Add(time.Second)) || reads != 1 {
		t.Errorf("tx.Now = %v after %d reads of the clock, want %v after one", first, reads, T0.Add(time.Second))
	}
	if err := s.InTx(ctx, func(tx *store.Tx) error { second = tx.Now(); return nil }); err != nil {
		t.Fatal(err)
	}
	if !second.After(first) {
		t.Errorf("the next transaction's Now %v is not after %v", second, first)
	}
	got, err := s.Person(ctx, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	wantUTC(t, "person created", got.CreatedAt, first)
}

func txAfterCommit(t *testing.T, s *store.Store) {
	ctx := context.Background()
	var order []string
	err := s.InTx(ctx, func(tx *store.Tx) error {
		p := Person("c-1", model.RoleCustomer)
		if _, err := tx.UpsertPerson(ctx, &p, T0); err != nil {
			return err
		}
		tx.AfterCommit(func() {
			// Running after commit means other readers already see the change.
			if _, err := s.Person(ctx, "c-1"); err != nil {
				t.Errorf("hook ran before the commit was visible: %v", err)
			}
			order = append(order, "first")
		})
		tx.AfterCommit(func() { order = append(order, "second") })
		if len(order) != 0 {
			t.Error("a hook ran inside the transaction")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(order) != 2 || order[0] != "first" || order[1] != "second" {
		t.Errorf("hooks ran %v, want [first second]", order)
	}

	ran := false
	err = s.InTx(ctx, func(tx *store.Tx) error {
		tx.AfterCommit(func() { ran = true })
		return errBoom
	})
	if !errors.Is(err, errBoom) || ran {
		t.Errorf("rolled-back transaction: err %v, hook ran %v; want errBoom and no hook", err, ran)
	}
}

func txPanic(t *testing.T, s *store.Store) {
	func() {
		defer func() {
			if v := recover(); v != errBoom {
				t.Errorf("recovered %v, want the panic to pass through InTx", v)
			}
		}()
		_ = s.InTx(context.Background(), func(tx *store.Tx) error {
			p := Person("c-panic", model.RoleCustomer)
			if _, err := tx.UpsertPerson(context.Background(), &p, T0); err != nil {
				return err
			}
			panic(errBoom)
		})
	}()
	// The writer must be free again (SQLite has exactly one writer connection).
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.InTx(ctx, func(tx *store.Tx) error { return tx.PutSetting(ctx, "after-panic", true, T0) })
	if err != nil {
		t.Fatalf("write after a panicking transaction: %v", err)
	}
	if _, err := s.Person(ctx, "c-panic"); !model.IsCode(err, model.CodeNotFound) {
		t.Errorf("the panicking transaction's write is visible: %v", err)
	}
}

func timeRoundTrip(t *testing.T, s *store.Store) {
	ctx := context.Background()
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	// Given in Shanghai local time with nanoseconds; stored and returned as the same instant in UTC,
	// at microsecond precision (PostgreSQL's) on both databases.
	local := time.Date(2026, 7, 1, 23, 59, 59, 987654321, shanghai)
	stored := local.Truncate(time.Microsecond)
	p := Person("c-1", model.RoleCustomer)
	it := item("nanny", true)
	k := model.ServiceKey{ID: "k1", Name: "k", SecretHash: "h", CreatedAt: local}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		if _, err := tx.UpsertPerson(ctx, &p, local); err != nil {
			return err
		}
		if _, err := tx.UpsertServiceItem(ctx, &it, local); err != nil {
			return err
		}
		if err := tx.CreateServiceKey(ctx, k); err != nil {
			return err
		}
		return tx.RevokeServiceKey(ctx, "k1", local.Add(time.Microsecond))
	})
	gp, err := s.Person(ctx, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	wantUTC(t, "person created_at", gp.CreatedAt, stored)
	wantUTC(t, "person updated_at", gp.UpdatedAt, stored)
	gi, err := s.ServiceItem(ctx, "nanny")
	if err != nil {
		t.Fatal(err)
	}
	wantUTC(t, "item created_at", gi.CreatedAt, stored)
	gk, err := s.ServiceKey(ctx, "k1")
	if err != nil {
		t.Fatal(err)
	}
	wantUTC(t, "key created_at", gk.CreatedAt, stored)
	if gk.RevokedAt == nil {
		t.Fatal("key revoked_at is empty")
	}
	wantUTC(t, "key revoked_at", *gk.RevokedAt, local.Add(time.Microsecond).Truncate(time.Microsecond))
	// What a write hands back is what later reads return (the API answers a PUT with it).
	wantUTC(t, "CreatedAt handed back by UpsertPerson", p.CreatedAt, gp.CreatedAt)
	wantUTC(t, "CreatedAt handed back by UpsertServiceItem", it.CreatedAt, gi.CreatedAt)
}

func storePingMigrate(t *testing.T, s *store.Store) {
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	// Every node migrates on start; a second run must change nothing and keep the data.
	AddPeople(t, s, Person("c-1", model.RoleCustomer))
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if _, err := s.Person(ctx, "c-1"); err != nil {
		t.Errorf("after the second migrate: %v", err)
	}
}
