package gcfloor

import (
	"bytes"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

const mib = 1 << 20

func TestPercentReachesTheFloorWhileTheHeapIsSmall(t *testing.T) {
	for _, c := range []struct {
		name                         string
		floor, live, stacks, globals uint64
		want                         int
	}{
		// goal = live + (live+stacks+globals)×p/100 = 8 + 16×p/100 = 64 MiB → p = 350
		{"small heap", 64 * mib, 8 * mib, 7 * mib, 1 * mib, 350},
		// 10 + 10.5×p/100 ≥ 64 → p = 514.28… rounded up, so the goal is not under the floor
		{"rounds up", 64 * mib, 10 * mib, mib / 2, 0, 515},
		// the goal at 100 (2×40 + 1) is above the floor already
		{"live above half the floor", 64 * mib, 40 * mib, mib, 0, 100},
		{"live above the floor", 64 * mib, 200 * mib, 80 * mib, mib, 100},
		// many idle connections: the stacks alone put the goal at 100 over the floor
		{"stacks count", 64 * mib, 20 * mib, 30 * mib, 0, 100},
		{"near-empty heap is capped", 64 * mib, 1 << 10, 1 << 10, 0, MaxPercent},
		{"nothing measured yet", 64 * mib, 0, 0, 0, MaxPercent},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Percent(c.floor, c.live, c.stacks, c.globals)
			if got != c.want {
				t.Fatalf("Percent(%d MiB floor, live %d, stacks %d, globals %d) = %d, want %d",
					c.floor/mib, c.live, c.stacks, c.globals, got, c.want)
			}
			if got > 100 && got < MaxPercent {
				goal := c.live + (c.live+c.stacks+c.globals)*uint64(got)/100
				if goal < c.floor || goal > c.floor+(c.live+c.stacks+c.globals)/100+1 {
					t.Fatalf("goal at GOGC=%d is %d, want the floor %d", got, goal, c.floor)
				}
			}
		})
	}
}

// waitGOGC collects until the floor has reacted (its adjustment runs on its own goroutine after a
// collection) and returns GOGC; it gives up after many collections, not after a time.
func waitGOGC(t *testing.T, ok func(int) bool) int {
	t.Helper()
	for range 500 {
		runtime.GC()
		if p := GOGC(); ok(p) {
			return p
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("GOGC is still %d", GOGC())
	return 0
}

// The process's own heap: a few MiB live in a test binary, far under a 64 MiB floor; then a live
// heap made bigger than the floor brings GOGC back to 100; Stop puts back what was there.
func TestFloorFollowsTheLiveHeap(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	var logs bytes.Buffer
	f := Start(64*mib, func(string) string { return "" }, slog.New(slog.NewTextHandler(&logs, nil)))
	if f == nil {
		t.Fatal("Start returned nil with no GOGC in the environment")
	}
	defer f.Stop()
	if !strings.Contains(logs.String(), "gc floor on") {
		t.Errorf("log does not say the floor is on: %s", logs.String())
	}
	if p := waitGOGC(t, func(p int) bool { return p > 100 }); p > MaxPercent {
		t.Fatalf("GOGC %d above the cap %d", p, MaxPercent)
	}

	big := make([][]byte, 80) // 80 MiB live, above the floor
	for i := range big {
		big[i] = make([]byte, mib)
	}
	waitGOGC(t, func(p int) bool { return p == 100 })
	runtime.KeepAlive(big)
	big = nil

	waitGOGC(t, func(p int) bool { return p > 100 }) // small again: the floor again
	f.Stop()
	if p := GOGC(); p != 100 {
		t.Fatalf("after Stop GOGC = %d, want the 100 there was before Start", p)
	}
	runtime.GC()
	if p := GOGC(); p != 100 {
		t.Fatalf("a collection after Stop changed GOGC to %d", p)
	}
}

func TestFloorLeavesTheOperatorsChoiceAlone(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, c := range []struct {
		name  string
		floor uint64
		env   map[string]string
		log   string
	}{
		{"GOGC set", 64 * mib, map[string]string{"GOGC": "400"}, "GOGC=400"},
		{"GOGC off", 64 * mib, map[string]string{"GOGC": "off"}, "GOGC=off"},
		{"GOMEMLIMIT set", 64 * mib, map[string]string{"GOMEMLIMIT": "1GiB"}, "GOMEMLIMIT=1GiB"},
		{"floor 0", 0, nil, "gc floor off"},
	} {
		t.Run(c.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			var logs bytes.Buffer
			f := Start(c.floor, func(k string) string { return c.env[k] }, slog.New(slog.NewTextHandler(&logs, nil)))
			defer f.Stop()
			if f != nil {
				t.Fatal("Start returned a running floor")
			}
			for range 3 {
				runtime.GC()
			}
			if p := GOGC(); p != 100 {
				t.Fatalf("GOGC = %d, want 100 untouched", p)
			}
			if !strings.Contains(logs.String(), c.log) {
				t.Fatalf("log does not say why the floor is off (%q): %s", c.log, logs.String())
			}
		})
	}
}
