package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestGroupCommitShares proves that writers queued behind a running transaction join it and
// commit together: 32 callers, one commit. The first unit waits (inside its transaction) until
// the other 31 are queued, so the grouping does not depend on timing.
func TestGroupCommitShares(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var commits int
	s.group.onCommit = func() { commits++ } // runs holding the turn
	first := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := s.InTx(ctx, func(tx *Tx) error {
			close(first)
			for s.group.waiting.Load() < 31 {
				time.Sleep(time.Millisecond)
			}
			return tx.PutSetting(ctx, "k-0", 0, time.Now())
		})
		if err != nil {
			t.Error(err)
		}
	}()
	<-first
	for i := 1; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.InTx(ctx, func(tx *Tx) error { return tx.PutSetting(ctx, fmt.Sprintf("k-%d", i), i, time.Now()) }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if commits != 1 {
		t.Errorf("32 queued writers made %d commits, want 1", commits)
	}
	for i := range 32 {
		var v int
		if found, err := s.Setting(ctx, fmt.Sprintf("k-%d", i), &v); !found || err != nil || v != i {
			t.Errorf("k-%d: %v %d %v", i, found, v, err)
		}
	}
}
