package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

func init() {
	Register(
		Case{"tx/concurrent writers: a failed one rolls back only itself, every other is committed when InTx returns", txConcurrentIsolation},
		Case{"tx/a failed statement inside a transaction leaves its other writes and its neighbours' intact", txFailedStatement},
	)
}

// txConcurrentIsolation runs many transactions at once (on SQLite they share commits: group
// commit). Every third fails after writing; a panicking one is recovered. Each caller that got
// nil must find its row from another connection (the read pool) the moment InTx returns, and in
// its after-commit hook; no failed caller's row may ever be seen.
func txConcurrentIsolation(t *testing.T, s *store.Store) {
	ctx := context.Background()
	const n = 48
	var wg sync.WaitGroup
	errs := make([]error, n)
	seenAfter := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("c-%02d", i)
			defer func() {
				if v := recover(); v != nil {
					errs[i] = fmt.Errorf("panicked: %v", v)
				}
			}()
			errs[i] = s.InTx(ctx, func(tx *store.Tx) error {
				p := Person(id, model.RoleCustomer)
				if _, err := tx.UpsertPerson(ctx, &p, T0); err != nil {
					return err
				}
				if err := tx.PutSetting(ctx, "s-"+id, i, T0); err != nil {
					return err
				}
				tx.AfterCommit(func() {
					_, seenAfter[i] = s.Person(ctx, id)
				})
				switch {
				case i%3 == 1:
					return errBoom
				case i%12 == 5:
					panic("unit panics")
				}
				return nil
			})
			if errs[i] == nil {
				// Committed means visible to every other connection, now.
				if _, err := s.Person(ctx, id); err != nil {
					errs[i] = fmt.Errorf("committed, but another connection does not see it: %w", err)
				}
			}
		}()
	}
	wg.Wait()
	for i := range n {
		id := fmt.Sprintf("c-%02d", i)
		failed := i%3 == 1 || i%12 == 5
		_, perr := s.Person(ctx, id)
		var v int
		found, serr := s.Setting(ctx, "s-"+id, &v)
		switch {
		case failed && errs[i] == nil:
			t.Errorf("%s: InTx returned nil for a failed unit", id)
		case failed && (!model.IsCode(perr, model.CodeNotFound) || found || serr != nil):
			t.Errorf("%s failed (%v) but its writes are visible: person %v, setting found %v %v", id, errs[i], perr, found, serr)
		case !failed && errs[i] != nil:
			t.Errorf("%s: %v", id, errs[i])
		case !failed && (perr != nil || !found || v != i):
			t.Errorf("%s committed but reads back person %v, setting %v %d %v", id, perr, found, v, serr)
		case !failed && seenAfter[i] != nil:
			t.Errorf("%s: its after-commit hook did not see the commit: %v", id, seenAfter[i])
		}
		if i%3 == 1 && !errors.Is(errs[i], errBoom) {
			t.Errorf("%s: InTx returned %v, want fn's error", id, errs[i])
		}
	}
}

// txFailedStatement: a statement that fails (a unique violation) and whose error fn handles
// undoes that statement only, in that transaction and in those that share its commit.
func txFailedStatement(t *testing.T, s *store.Store) {
	ctx := context.Background()
	AddPeople(t, s, Person("c-0", model.RoleCustomer))
	if s.Dialect() == store.Postgres {
		t.Skip("on PostgreSQL a failed statement aborts its transaction (SQLSTATE 25P02); callers roll back")
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.InTx(ctx, func(tx *store.Tx) error {
				if i == 3 {
					// A second service key with the same id: refused, and handled.
					k := model.ServiceKey{ID: "dup", Name: "x", SecretHash: "h", CreatedAt: T0}
					_ = tx.CreateServiceKey(ctx, k)
					if err := tx.CreateServiceKey(ctx, k); err == nil {
						return errors.New("a duplicate key was accepted")
					}
				}
				return tx.PutSetting(ctx, fmt.Sprintf("k-%d", i), i, T0)
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("unit %d: %v", i, err)
		}
		var v int
		if found, err := s.Setting(ctx, fmt.Sprintf("k-%d", i), &v); !found || err != nil || v != i {
			t.Errorf("k-%d: found %v, %d, %v", i, found, v, err)
		}
	}
	if _, err := s.ServiceKey(ctx, "dup"); err != nil {
		t.Errorf("the first key of the failed pair: %v", err)
	}
}
