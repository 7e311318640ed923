package hub

import (
	"context"
	"testing"
	"testing/synctest"
)

// Online follows a person's streams on this node; OnPresence hears the first open and the last
// close, not every stream (I3: agents' presence).
func TestI3PresenceFirstOpenLastClose(t *testing.T) {
	h := testHub(t, nil, nil, Options{})
	var got []string
	h.OnPresence(func(id string, online bool) {
		if online {
			got = append(got, id+" on")
		} else {
			got = append(got, id+" off")
		}
	})
	a := person(t, "a")
	// told waits for the presence calls under way (a barrier) and returns what they said.
	told := func() []string {
		h.presenceRuns.Wait()
		out := got
		got = nil
		return out
	}
	want := func(step string, w ...string) {
		t.Helper()
		if g := told(); len(g) != len(w) || (len(w) == 1 && g[0] != w[0]) {
			t.Fatalf("%s: presence %q, want %q", step, g, w)
		}
	}
	if h.Online(a) {
		t.Fatal("online before any stream")
	}
	c1, err := h.register(context.Background(), a, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	want("first stream", a+" on")
	c2, _ := h.register(context.Background(), a, 0, false)
	want("second stream")
	h.unregister(c1)
	want("one of two closed")
	if !h.Online(a) {
		t.Fatal("offline with a stream open")
	}
	h.unregister(c2)
	want("last closed", a+" off")
	if h.Online(a) {
		t.Fatal("online with no stream")
	}
	h.unregister(c2) // twice: no second "off"
	want("closed twice")
	h.OnPresence(nil)
	c3, _ := h.register(context.Background(), a, 0, false)
	h.unregister(c3)
	want("hook removed")
}

// The "offline" of the last streams is told before Close returns: the presence hook writes to
// the store, which the app closes right after the hub (it failed with "database is closed").
func TestI3PresenceToldBeforeCloseReturns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHub(nil, &Local{}, nil, Options{})
		release, told := make(chan struct{}), make(chan string, 1)
		h.OnPresence(func(id string, online bool) {
			if !online {
				<-release // a slow store write
				told <- id + " off"
			}
		})
		c, err := h.register(context.Background(), "a-chen", 0, false)
		if err != nil {
			t.Fatal(err)
		}
		h.unregister(c)
		closed := make(chan struct{})
		go func() {
			h.Close()
			close(closed)
		}()
		synctest.Wait() // everything that can run has run: Close is blocked on the hook
		select {
		case <-closed:
			t.Fatal("Close returned before the last stream's offline was told")
		default:
		}
		close(release)
		<-closed
		if g := <-told; g != "a-chen off" {
			t.Fatalf("presence %q", g)
		}
	})
}
