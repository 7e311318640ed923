package hub

import (
	"slices"
	"strconv"
	"testing"
	"testing/synctest"
	"time"
)

// Slow clients hold up the turn workers (a write blocks up to WriteTimeout). When turns wait and
// none finished for a stallTick, the watchdog starts a helper that runs them — not before.
func TestX1WatchdogRunsQueuedTurnsBehindBlockedWorkers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, err := New(nil, nil, nil, quiet)
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		var slow []*recordingSink
		for i := range turnWorkers {
			s := newGatedSink()
			c := driven(t, h, "slow-"+strconv.Itoa(i), s)
			c.offer(evs(1), false)
			<-s.entered // a worker is stuck writing to it
			slow = append(slow, s)
		}
		start := time.Now()
		fast := &recordingSink{}
		c := driven(t, h, "fast", fast)
		c.offer(evs(1), false)
		time.Sleep(stallTick - time.Millisecond)
		synctest.Wait()
		if len(fast.frames()) != 0 || len(h.turns) != 1 {
			t.Fatalf("the fast stream's turn ran (%v) or left the queue (%d) before a stallTick", fast.frames(), len(h.turns))
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if got := fast.frames(); !slices.EqualFunc(got, [][]int64{{1}}, slices.Equal) {
			t.Fatalf("after a stallTick the fast stream got %v, want [[1]]", got)
		}
		if d := time.Since(start); d != stallTick {
			t.Errorf("helped after %s, want %s", d, stallTick)
		}
		for _, s := range slow {
			s.release <- struct{}{}
		}
		synctest.Wait()
	})
}

// Workers that finish turns are not stuck: turns queued behind them wait for them, and the
// watchdog starts no helper.
func TestX1WatchdogLeavesProgressingWorkersAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHub(nil, &Local{}, nil, quiet)
		defer h.Close()
		s := &recordingSink{}
		c := driven(t, h, "c-1", s)
		c.offer(evs(1), false) // queued: no worker runs
		h.turnsDone.Add(1)     // as if a worker finished one since the last tick
		h.spawn(h.unstall)
		time.Sleep(stallTick)
		synctest.Wait()
		if len(s.frames()) != 0 {
			t.Fatal("the watchdog helped although a turn had finished since the last tick")
		}
		time.Sleep(stallTick)
		synctest.Wait()
		if len(s.frames()) != 1 {
			t.Fatal("the watchdog did not help after a tick with no turn finished")
		}
	})
}
