package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

// T0 is the suite's reference instant. It has a sub-second part at microsecond precision, the
// finest both databases keep, and is in UTC like every stored time.
var T0 = time.Date(2026, 3, 1, 9, 30, 15, 123456000, time.UTC)

// at is T0 plus d.
func at(d time.Duration) time.Time { return T0.Add(d) }

// write runs fn in a transaction of s and fails the test if it returns an error.
func write(t *testing.T, s *store.Store, fn func(ctx context.Context, tx *store.Tx) error) {
	t.Helper()
	ctx := context.Background()
	if err := s.InTx(ctx, func(tx *store.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("transaction: %v", err)
	}
}

// Person is a valid person of role with id, for fixtures.
func Person(id string, role model.Role) model.Person {
	p := model.Person{ID: id, Role: role, Name: "Person " + id, AvatarURL: "/avatars/" + id + ".svg"}
	p.Normalize()
	return p
}

// AddPeople stores people (created at T0) and fails the test on error.
func AddPeople(t *testing.T, s *store.Store, people ...model.Person) {
	t.Helper()
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		for i := range people {
			if _, err := tx.UpsertPerson(ctx, &people[i], T0); err != nil {
				return err
			}
		}
		return nil
	})
}

// wantCode fails unless err carries code.
func wantCode(t *testing.T, err error, code model.Code) {
	t.Helper()
	if !model.IsCode(err, code) {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

// wantUTC fails unless tm equals want and is in UTC.
func wantUTC(t *testing.T, what string, tm, want time.Time) {
	t.Helper()
	if !tm.Equal(want) {
		t.Errorf("%s = %s, want %s", what, tm.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
	}
	if tm.Location() != time.UTC {
		t.Errorf("%s is in %v, want UTC", what, tm.Location())
	}
}
