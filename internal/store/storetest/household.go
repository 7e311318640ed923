package storetest

import (
	"context"
	"testing"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

func init() {
	Register(
		Case{"household/watchers of an order are its own and the all-orders ones; invites are not", householdWatchersOfOrder},
		Case{"household/one row per customer, person and scope; invites resolve; delete removes", householdUniqueAndResolve},
	)
}

func insertWatcher(t *testing.T, s *store.Store, w *model.Watcher) {
	t.Helper()
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.InsertWatcher(ctx, w, T0) })
}

func householdWatchersOfOrder(t *testing.T, s *store.Store) {
	ctx := context.Background()
	o := orderFixture(t, s)
	insertOrder(t, s, &o)
	other := orderFixture(t, s)
	insertOrder(t, s, &other)
	AddPeople(t, s, Person("c-all", model.RoleCustomer), Person("c-one", model.RoleCustomer), Person("c-else", model.RoleCustomer))
	insertWatcher(t, s, &model.Watcher{CustomerID: "c1", PersonID: "c-all", CanChat: true, Status: model.WatcherActive})
	insertWatcher(t, s, &model.Watcher{CustomerID: "c1", PersonID: "c-one", OrderID: o.ID, CanAnswerChanges: true, Status: model.WatcherActive})
	insertWatcher(t, s, &model.Watcher{CustomerID: "c1", Phone: "13800000009", OrderID: o.ID, Status: model.WatcherInvited})
	insertWatcher(t, s, &model.Watcher{CustomerID: "c-else", PersonID: "c-all", Status: model.WatcherActive})

	ws, err := s.WatchersOfOrder(ctx, o)
	if err != nil || len(ws) != 2 || ws[0].PersonID != "c-all" || !ws[0].CanChat || ws[1].PersonID != "c-one" || !ws[1].CanAnswerChanges {
		t.Fatalf("watchers of the order: %+v, %v", ws, err)
	}
	if ws, err := s.WatchersOfOrder(ctx, other); err != nil || len(ws) != 1 || ws[0].PersonID != "c-all" {
		t.Fatalf("watchers of the other order: %+v, %v", ws, err)
	}
	got, err := s.WatchedOrders(ctx, "c-one", "", 10)
	if err != nil || len(got) != 1 || got[0].ID != o.ID {
		t.Fatalf("c-one watches %+v, %v", got, err)
	}
	if got, err := s.WatchedOrders(ctx, "c-all", "", 10); err != nil || len(got) != 2 {
		t.Fatalf("c-all watches %+v, %v", got, err)
	}
	if inv, err := s.PendingInvites(ctx, 10); err != nil || len(inv) != 1 || inv[0].Phone != "13800000009" {
		t.Fatalf("invites: %+v, %v", inv, err)
	}
	if all, err := s.WatchersOfCustomer(ctx, "c1"); err != nil || len(all) != 3 {
		t.Fatalf("c1's household: %+v, %v", all, err)
	}
}

func householdUniqueAndResolve(t *testing.T, s *store.Store) {
	ctx := context.Background()
	o := orderFixture(t, s)
	insertOrder(t, s, &o)
	AddPeople(t, s, Person("c-kid", model.RoleCustomer))
	insertWatcher(t, s, &model.Watcher{CustomerID: "c1", PersonID: "c-kid", Status: model.WatcherActive})
	err := s.InTx(ctx, func(tx *store.Tx) error {
		return tx.InsertWatcher(ctx, &model.Watcher{CustomerID: "c1", PersonID: "c-kid", Status: model.WatcherActive}, T0)
	})
	wantCode(t, err, model.CodeConflict)
	// Two invites to numbers of the same scope are fine; resolving one to c-kid for one order too.
	inv := model.Watcher{CustomerID: "c1", Phone: "13800000001", OrderID: o.ID, Status: model.WatcherInvited}
	insertWatcher(t, s, &inv)
	insertWatcher(t, s, &model.Watcher{CustomerID: "c1", Phone: "13800000002", OrderID: o.ID, Status: model.WatcherInvited})
	inv.PersonID, inv.Status, inv.CanChat = "c-kid", model.WatcherActive, true
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.UpdateWatcher(ctx, &inv, T0) })
	got, err := s.Watcher(ctx, inv.ID)
	if err != nil || got.PersonID != "c-kid" || got.Status != model.WatcherActive || !got.CanChat || got.Phone != "13800000001" {
		t.Fatalf("resolved: %+v, %v", got, err)
	}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		removed, err := tx.DeleteWatcher(ctx, inv.ID)
		if err == nil && !removed {
			t.Error("delete removed nothing")
		}
		return err
	})
	_, err = s.Watcher(ctx, inv.ID)
	wantCode(t, err, model.CodeNotFound)
}
