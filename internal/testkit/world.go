package testkit

import (
	"context"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

// World builds what a test starts from — people, service items, orders, preferences and
// settings — straight in the store: no rules run and nobody is notified. Each call writes in a
// transaction of its own, stamped with the clock's now (or the time given to At), and fails the
// test on error. Calls chain:
//
//	testkit.On(t, s.Store, clk.Now).
//		People(model.Person{ID: "c-lin", Role: model.RoleCustomer, Name: "林晓"}).
//		Items(model.ServiceItem{ID: "daily-cleaning", Name: model.Text{ZH: "日常保洁"}, DurationMinutes: 180, Active: true}).
//		Preferences("c-lin", prefs)
type World struct {
	t   testing.TB
	st  *store.Store
	now func() time.Time
}

// On is a world on st whose rows are stamped with now (time.Now when nil).
func On(t testing.TB, st *store.Store, now func() time.Time) *World {
	if now == nil {
		now = time.Now
	}
	return &World{t: t, st: st, now: now}
}

// At is the same world with rows stamped at tm (e.g. an order booked days before the test's now).
func (w *World) At(tm time.Time) *World {
	return &World{t: w.t, st: w.st, now: func() time.Time { return tm }}
}

// Store is the world's store.
func (w *World) Store() *store.Store { return w.st }

// write runs fn in a transaction and fails the test if it returns an error.
func (w *World) write(what string, fn func(ctx context.Context, tx *store.Tx, now time.Time) error) {
	w.t.Helper()
	ctx := context.Background()
	if err := w.st.InTx(ctx, func(tx *store.Tx) error { return fn(ctx, tx, w.now()) }); err != nil {
		w.t.Fatalf("testkit: %s: %v", what, err)
	}
}

// People stores people (defaults filled in, then validated), creating or replacing each.
func (w *World) People(people ...model.Person) *World {
	w.t.Helper()
	for i := range people {
		people[i].Normalize()
		if err := people[i].Validate(); err != nil {
			w.t.Fatalf("testkit: person %s: %v", people[i].ID, err)
		}
	}
	w.write("add people", func(ctx context.Context, tx *store.Tx, now time.Time) error {
		for i := range people {
			if _, err := tx.UpsertPerson(ctx, &people[i], now); err != nil {
				return err
			}
		}
		return nil
	})
	return w
}

// Person stores one person with just an id, a role and a name.
func (w *World) Person(id string, role model.Role, name string) *World {
	w.t.Helper()
	return w.People(model.Person{ID: id, Role: role, Name: name})
}

// Items stores service items, creating or replacing each.
func (w *World) Items(items ...model.ServiceItem) *World {
	w.t.Helper()
	w.write("add service items", func(ctx context.Context, tx *store.Tx, now time.Time) error {
		for i := range items {
			if _, err := tx.UpsertServiceItem(ctx, &items[i], now); err != nil {
				return err
			}
		}
		return nil
	})
	return w
}

// Orders inserts orders as they are (status, worker and all); each gets its id when it has none.
func (w *World) Orders(orders ...*model.Order) *World {
	w.t.Helper()
	w.write("add orders", func(ctx context.Context, tx *store.Tx, now time.Time) error {
		for _, o := range orders {
			if err := tx.InsertOrder(ctx, o, now); err != nil {
				return err
			}
		}
		return nil
	})
	return w
}

// Preferences replaces a person's notification preferences.
func (w *World) Preferences(personID string, prefs any) *World {
	w.t.Helper()
	w.write("preferences of "+personID, func(ctx context.Context, tx *store.Tx, now time.Time) error {
		return tx.PutPreferences(ctx, personID, prefs, now)
	})
	return w
}

// Setting stores one platform setting.
func (w *World) Setting(key string, v any) *World {
	w.t.Helper()
	w.write("setting "+key, func(ctx context.Context, tx *store.Tx, now time.Time) error {
		return tx.PutSetting(ctx, key, v, now)
	})
	return w
}
