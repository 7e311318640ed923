package hub

import (
	"context"
	"testing"
	"time"
)

// Online follows a person's streams on this node; OnPresence hears the first open and the last
// close, not every stream (I3: agents' presence).
func TestI3PresenceFirstOpenLastClose(t *testing.T) {
	h := &Hub{people: map[string]map[*conn]struct{}{}, opt: Options{MaxPerPerson: 8}}
	got := make(chan string, 8)
	h.OnPresence(func(id string, online bool) {
		if online {
			got <- id + " on"
		} else {
			got <- id + " off"
		}
	})
	want := func(s string) {
		t.Helper()
		select {
		case g := <-got:
			if g != s {
				t.Fatalf("presence %q, want %q", g, s)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no presence %q", s)
		}
	}
	none := func() {
		t.Helper()
		select {
		case g := <-got:
			t.Fatalf("unexpected presence %q", g)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if h.Online("a-chen") {
		t.Fatal("online before any stream")
	}
	c1, err := h.register(context.Background(), "a-chen", 0, false)
	if err != nil {
		t.Fatal(err)
	}
	want("a-chen on")
	c2, _ := h.register(context.Background(), "a-chen", 0, false)
	none()
	h.unregister(c1)
	none()
	if !h.Online("a-chen") {
		t.Fatal("offline with a stream open")
	}
	h.unregister(c2)
	want("a-chen off")
	if h.Online("a-chen") {
		t.Fatal("online with no stream")
	}
	h.unregister(c2) // twice: no second "off"
	none()
}

// The "offline" of the last streams is told before Close returns: the presence hook writes to
// the store, which the app closes right after the hub (it failed with "database is closed").
func TestI3PresenceToldBeforeCloseReturns(t *testing.T) {
	h := &Hub{people: map[string]map[*conn]struct{}{}, opt: Options{MaxPerPerson: 8}}
	done := make(chan string, 2)
	h.OnPresence(func(id string, online bool) {
		if !online {
			time.Sleep(200 * time.Millisecond) // a slow store write
			done <- id + " off"
		}
	})
	c, err := h.register(context.Background(), "a-chen", 0, false)
	if err != nil {
		t.Fatal(err)
	}
	h.unregister(c)
	h.presenceRuns.Wait() // what Close waits for after the streams
	select {
	case g := <-done:
		if g != "a-chen off" {
			t.Fatalf("presence %q", g)
		}
	default:
		t.Fatal("Close would return before the last stream's offline was told")
	}
}
