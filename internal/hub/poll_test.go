package hub

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// The safety net: the poll reads every connected person's newest seq and wakes exactly the
// streams that are behind it (a wake-up was lost, e.g. NATS was down).
func TestX1PollWakesTheStreamsBehindTheLog(t *testing.T) {
	st := testStore(t)
	h := testHub(t, st, nil, Options{})
	a, b := person(t, "a"), person(t, "b")
	appendEvents(t, st, a, "t", 3)
	behind, _ := h.register(context.Background(), a, 1, false)
	upToDate, _ := h.register(context.Background(), a, 3, false)
	empty, _ := h.register(context.Background(), b, 0, false)
	h.poll()
	if len(behind.wake) != 1 {
		t.Error("the stream behind the log was not woken")
	}
	if len(upToDate.wake) != 0 || len(empty.wake) != 0 {
		t.Error("a stream that is up to date was woken")
	}
}

// The poll runs every Poll of the clock, and stops with the hub.
func TestX1PollRunsEveryPoll(t *testing.T) {
	st := testStore(t)
	p := person(t, "a")
	synctest.Test(t, func(t *testing.T) {
		h := newHub(st, &Local{}, nil, Options{Poll: 5 * time.Second, Heartbeat: time.Hour, Now: clockAtT0()})
		h.spawn(h.pollLoop)
		c, _ := h.register(context.Background(), p, 0, false)
		appendEvents(t, st, p, "t", 1)
		time.Sleep(5*time.Second - time.Millisecond)
		synctest.Wait()
		if len(c.wake) != 0 {
			t.Fatal("polled before Poll passed")
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if len(c.wake) != 1 {
			t.Fatal("not woken by the poll after Poll")
		}
		h.Close() // returns only once the poll has stopped (goleak checks nothing is left)
	})
}
