package hub

import (
	"context"
	"errors"
	"testing"

	"github.com/homebell/homebell/internal/model"
)

// A person holds at most MaxPerPerson streams on a node: one more closes their oldest, with
// ErrReplaced as the reason; other people's streams are untouched.
func TestX1RegistryCapsStreamsPerPersonClosingTheOldest(t *testing.T) {
	h := testHub(t, nil, nil, Options{MaxPerPerson: 2})
	ctx := context.Background()
	a, b := person(t, "a"), person(t, "b")
	other, _ := h.register(ctx, b, 0, false)
	var cs []*conn
	for range 3 {
		c, err := h.register(ctx, a, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	if cause := context.Cause(cs[0].ctx); !errors.Is(cause, ErrReplaced) {
		t.Errorf("the oldest stream ended with %v, want ErrReplaced", cause)
	}
	for i, c := range append(cs[1:], other) {
		if c.ctx.Err() != nil {
			t.Errorf("stream %d closed", i+1)
		}
	}
	if n := h.Connections(); n != 3 {
		t.Errorf("%d connections, want 3 (two of a's, one of b's)", n)
	}
	h.unregister(cs[1])
	h.unregister(cs[1]) // twice: harmless
	if n := h.Connections(); n != 2 || !h.Online(a) {
		t.Errorf("%d connections, a online %v; want 2 and true", n, h.Online(a))
	}
	if cs[1].ctx.Err() == nil {
		t.Error("an unregistered stream's context is still live")
	}
}

// A stream ends with its request: the registry derives the stream's context from the caller's.
func TestX1RegistryStreamEndsWithItsRequest(t *testing.T) {
	h := testHub(t, nil, nil, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	c, err := h.register(ctx, person(t, "a"), 7, false)
	if err != nil {
		t.Fatal(err)
	}
	if c.last.Load() != 7 {
		t.Errorf("stream starts after %d, want 7", c.last.Load())
	}
	cancel()
	if !errors.Is(context.Cause(c.ctx), context.Canceled) {
		t.Errorf("stream context %v after its request ended", context.Cause(c.ctx))
	}
}

// Shutdown ends every stream with ErrShutdown (clients reconnect to another node) and refuses new
// ones as unavailable.
func TestX1ShutdownEndsStreamsAndRefusesNewOnes(t *testing.T) {
	h := testHub(t, nil, nil, Options{})
	ctx := context.Background()
	c1, _ := h.register(ctx, person(t, "a"), 0, false)
	c2, _ := h.register(ctx, person(t, "b"), 0, true)
	h.Shutdown()
	for _, c := range []*conn{c1, c2} {
		if cause := context.Cause(c.ctx); !errors.Is(cause, ErrShutdown) {
			t.Errorf("stream of %s ended with %v, want ErrShutdown", c.person, cause)
		}
	}
	_, err := h.register(ctx, person(t, "a"), 0, false)
	if e, ok := errors.AsType[*model.Error](err); !ok || e.Code != model.CodeUnavailable {
		t.Errorf("register after Shutdown: %v, want %s", err, model.CodeUnavailable)
	}
}
