package support

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/store"
)

// Fifty consoles reading the queue together cost one read; a change committed on this node, even
// one that commits while the read is under way, makes the next reader read again.
func TestQueuePageSharesOneReadAndEndsAtAChange(t *testing.T) {
	ctx := context.Background()
	var p queuePage
	var loads atomic.Int32
	release := make(chan struct{})
	load := func(context.Context) ([]store.SupportListRow, error) {
		n := loads.Add(1)
		if n == 1 {
			<-release
		}
		return []store.SupportListRow{{LastText: string(rune('0' + n))}}, nil
	}
	var wg sync.WaitGroup
	got := make([]string, 50)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs, err := p.rows(ctx, load)
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = rs[0].LastText
		}()
	}
	time.Sleep(50 * time.Millisecond) // the fifty are waiting for the first read
	close(release)
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Fatalf("fifty readers at once made %d reads, want 1", n)
	}
	for i, s := range got {
		if s != "1" {
			t.Fatalf("reader %d got %q, want the shared read", i, s)
		}
	}
	if rs, _ := p.rows(ctx, load); rs[0].LastText != "1" || loads.Load() != 1 {
		t.Fatalf("a fresh page was read again (%d reads)", loads.Load())
	}
	p.changed()
	if rs, _ := p.rows(ctx, load); rs[0].LastText != "2" {
		t.Fatalf("after a change the page is %q, want a new read", rs[0].LastText)
	}

	// A change that commits while a read is under way: that read may have seen the queue before it.
	started, finish := make(chan struct{}), make(chan struct{})
	slow := func(context.Context) ([]store.SupportListRow, error) {
		close(started)
		<-finish
		return []store.SupportListRow{{LastText: "before"}}, nil
	}
	p.changed() // the page read above is over: the next reader reads
	done := make(chan struct{})
	go func() { defer close(done); _, _ = p.rows(ctx, slow) }()
	<-started
	p.changed()
	close(finish)
	<-done
	if rs, _ := p.rows(ctx, load); rs[0].LastText == "before" {
		t.Fatal("a read that began before a change served a reader after it")
	}

	// A change on another node is not seen here: the page serves for queueFresh, then is read again.
	n := loads.Load()
	time.Sleep(queueFresh + 20*time.Millisecond)
	if _, _ = p.rows(ctx, load); loads.Load() != n+1 {
		t.Fatalf("a page older than %s served without a read", queueFresh)
	}

	// A read that panics (the request's recovery answers 500) leaves no one waiting behind it.
	p.changed()
	func() {
		defer func() { _ = recover() }()
		_, _ = p.rows(ctx, func(context.Context) ([]store.SupportListRow, error) { panic("boom") })
	}()
	got2 := make(chan error, 1)
	go func() { _, err := p.rows(ctx, load); got2 <- err }()
	select {
	case err := <-got2:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("a reader after a panicked read still waits")
	}
}
