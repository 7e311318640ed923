package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/store"
)

func init() {
	Register(
		Case{"settings/put then get, and put again replaces", settingsPutGet},
		Case{"settings/insert-if-absent keeps the first value", settingsInsertIfAbsent},
		Case{"settings/insert-if-absent racing writers agree on one value", settingsInsertRace},
		Case{"settings/the read cache follows transactions: own writes, rollbacks, commits", settingsCacheFollowsTransactions},
	)
}

type leadTimes struct {
	ReminderMinutes int            `json:"reminder_minutes"`
	PerItem         map[string]int `json:"per_item"`
}

func settingsPutGet(t *testing.T, s *store.Store) {
	ctx := context.Background()
	v := leadTimes{ReminderMinutes: -1}
	found, err := s.Setting(ctx, "reminder", &v)
	if err != nil || found {
		t.Fatalf("unset setting: found %v err %v", found, err)
	}
	if v.ReminderMinutes != -1 {
		t.Errorf("reading an unset setting changed the value to %+v", v)
	}

	want := leadTimes{ReminderMinutes: 30, PerItem: map[string]int{"elder-care": 60}}
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.PutSetting(ctx, "reminder", want, T0) })
	var got leadTimes
	found, err = s.Setting(ctx, "reminder", &got)
	if err != nil || !found {
		t.Fatalf("set setting: found %v err %v", found, err)
	}
	if got.ReminderMinutes != 30 || got.PerItem["elder-care"] != 60 {
		t.Errorf("setting = %+v, want %+v", got, want)
	}

	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		return tx.PutSetting(ctx, "reminder", leadTimes{ReminderMinutes: 45}, at(time.Minute))
	})
	got = leadTimes{}
	if _, err := s.Setting(ctx, "reminder", &got); err != nil {
		t.Fatal(err)
	}
	if got.ReminderMinutes != 45 || got.PerItem != nil {
		t.Errorf("after the second put: %+v, want {45 nil}", got)
	}
}

func settingsInsertIfAbsent(t *testing.T, s *store.Store) {
	ctx := context.Background()
	first := "secret-one"
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		return tx.InsertSettingIfAbsent(ctx, "dev_jwt_secret", &first, T0)
	})
	if first != "secret-one" {
		t.Errorf("first insert reported %q", first)
	}
	second := "secret-two"
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		return tx.InsertSettingIfAbsent(ctx, "dev_jwt_secret", &second, at(time.Minute))
	})
	if second != "secret-one" {
		t.Errorf("second insert reported %q, want the first value secret-one", second)
	}
	var stored string
	if _, err := s.Setting(ctx, "dev_jwt_secret", &stored); err != nil || stored != "secret-one" {
		t.Errorf("stored value %q (err %v), want secret-one", stored, err)
	}
}

// Several nodes starting at once each propose a value; all must end up using the same one.
func settingsInsertRace(t *testing.T, s *store.Store) {
	const n = 6
	got := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			v := fmt.Sprintf("value-%d", i)
			errs[i] = s.InTx(context.Background(), func(tx *store.Tx) error {
				return tx.InsertSettingIfAbsent(context.Background(), "vapid_keys", &v, T0)
			})
			got[i] = v
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("writer %d: %v", i, errs[i])
		}
		if got[i] != got[0] {
			t.Fatalf("writers disagree: %q", got)
		}
	}
}

// The settings, preferences and ratings are read through the node's read cache, inside
// transactions too: a transaction sees its own writes, a rolled-back write is never seen, and a
// committed one is seen at once by every later read on this node.
func settingsCacheFollowsTransactions(t *testing.T, s *store.Store) {
	ctx := context.Background()
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		return tx.PutSetting(ctx, "reminder", leadTimes{ReminderMinutes: 10}, T0)
	})
	read := func(q *store.Queries) int {
		t.Helper()
		var v leadTimes
		if _, err := q.Setting(ctx, "reminder", &v); err != nil {
			t.Fatal(err)
		}
		return v.ReminderMinutes
	}
	if got := read(&s.Queries); got != 10 { // cached from here on
		t.Fatalf("setting = %d, want 10", got)
	}
	errRollback := fmt.Errorf("roll back")
	err := s.InTx(ctx, func(tx *store.Tx) error {
		if got := read(&tx.Queries); got != 10 {
			t.Errorf("in a transaction before its write: %d, want 10", got)
		}
		if err := tx.PutSetting(ctx, "reminder", leadTimes{ReminderMinutes: 20}, at(time.Minute)); err != nil {
			return err
		}
		if got := read(&tx.Queries); got != 20 {
			t.Errorf("a transaction reads its own write: got %d, want 20", got)
		}
		if got := read(&s.Queries); got != 10 {
			t.Errorf("while the write is uncommitted another reader sees %d, want 10", got)
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatalf("InTx = %v", err)
	}
	if got := read(&s.Queries); got != 10 {
		t.Errorf("after the rollback the pool reads %d, want 10", got)
	}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		if got := read(&tx.Queries); got != 10 {
			t.Errorf("a later transaction reads %d, want 10", got)
		}
		return tx.PutSetting(ctx, "reminder", leadTimes{ReminderMinutes: 30}, at(2*time.Minute))
	})
	if got := read(&s.Queries); got != 30 {
		t.Errorf("after the commit the pool reads %d, want 30", got)
	}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		if got := read(&tx.Queries); got != 30 {
			t.Errorf("after the commit a transaction reads %d, want 30", got)
		}
		return nil
	})
}
