// Package gcfloor keeps a server with a small live heap from collecting garbage every few
// megabytes. Go's default (GOGC=100) sets the next collection at about twice the live heap; a
// node with 10 MiB live and 44 KB allocated per action then collects every few hundred actions,
// and on two cores each collection is a tail-latency spike. A heap floor makes the next goal
// max(twice the live heap, floor): a small heap grows to the floor before it is collected, while
// a big one (many idle connections) collects at GOGC=100 as before, so memory per connection at
// scale is what it was.
//
// The floor is applied by adjusting GOGC after every collection (the runtime has no floor of its
// own; a memory limit only makes collections more frequent, never less). It is process-wide
// state: one Floor per process, owned by main.
package gcfloor

import (
	"log/slog"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// MaxPercent caps the GOGC the floor sets: with a near-empty heap the floor alone bounds the
// goal, and the runtime's minimum heap (4 MiB × GOGC/100) stays under 40 MiB.
const MaxPercent = 1000

// Percent is the GOGC that puts the next heap goal at max(the goal at GOGC=100, floor), capped at
// MaxPercent. live is the heap marked live by the last collection, stacks and globals what that
// collection scanned of them: since Go 1.18 the goal is live + (live+stacks+globals)×GOGC/100.
func Percent(floor, live, stacks, globals uint64) int {
	base := live + stacks + globals
	if floor <= live+base {
		return 100
	}
	if base == 0 {
		return MaxPercent
	}
	p := (floor - live) * 100 / base
	if (floor-live)*100%base != 0 {
		p++ // round up: the goal reaches the floor
	}
	return int(min(p, MaxPercent))
}

// running is whether a Floor is on: GOGC is one per process, so is the floor (tests run several
// servers in one process).
var running atomic.Bool

// Floor adjusts GOGC after every collection (Start); Stop puts back what was there.
type Floor struct {
	floor   uint64
	log     *slog.Logger
	cycles  chan struct{}
	done    chan struct{}
	stopped chan struct{}
	once    sync.Once
	before  int // GOGC when the floor started, put back by Stop
}

// Start applies a heap floor of floor bytes to this process until Stop. It leaves the runtime
// alone, and says so in the log, when floor is 0 or when the operator set GOGC or GOMEMLIMIT in
// env (their choice wins); it then returns nil, and Stop of a nil *Floor does nothing.
func Start(floor uint64, env func(string) string, log *slog.Logger) *Floor {
	if floor == 0 {
		log.Info("gc floor off (--gc-floor-mib 0): GOGC as the runtime has it")
		return nil
	}
	if gogc, limit := env("GOGC"), env("GOMEMLIMIT"); gogc != "" || limit != "" {
		log.Info("gc floor off: GOGC or GOMEMLIMIT is set in the environment, the runtime keeps them",
			"GOGC", gogc, "GOMEMLIMIT", limit)
		return nil
	}
	if !running.CompareAndSwap(false, true) {
		log.Info("gc floor already on in this process")
		return nil
	}
	f := &Floor{
		floor:   floor,
		log:     log,
		cycles:  make(chan struct{}, 1),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
		before:  GOGC(),
	}
	f.arm()
	go f.run()
	log.Info("gc floor on: the heap grows to the floor before a collection while it is small",
		"floor_bytes", floor, "max_gogc", MaxPercent)
	return f
}

// sentinel is garbage the moment it is made; its cleanup runs after the next collection. It holds
// a pointer so that it is not packed into a tiny-object block, whose cleanups may never run.
type sentinel struct{ _ *byte }

// arm makes the next collection tell run.
func (f *Floor) arm() {
	runtime.AddCleanup(new(sentinel), (*Floor).collected, f)
}

// collected runs on the runtime's cleanup goroutine after a collection: it hands the work to run
// (never blocking that goroutine) and re-arms for the next collection.
func (f *Floor) collected() {
	select {
	case <-f.done:
		return
	default:
	}
	select {
	case f.cycles <- struct{}{}:
	default: // run has not caught up with the last one; one pass covers both
	}
	f.arm()
}

func (f *Floor) run() {
	defer close(f.stopped)
	current := -2 // unknown: the first pass always sets it
	samples := []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/gc/scan/stack:bytes"},
		{Name: "/gc/scan/globals:bytes"},
	}
	adjust := func() {
		metrics.Read(samples)
		p := Percent(f.floor, samples[0].Value.Uint64(), samples[1].Value.Uint64(), samples[2].Value.Uint64())
		if p != current {
			debug.SetGCPercent(p)
			f.log.Debug("gc floor: GOGC adjusted", "gogc", p, "live_bytes", samples[0].Value.Uint64())
			current = p
		}
	}
	adjust()
	for {
		select {
		case <-f.done:
			debug.SetGCPercent(f.before)
			running.Store(false)
			return
		case <-f.cycles:
			adjust()
		}
	}
}

// GOGC is the process's garbage collector percent now (-1: off).
func GOGC() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}

// Stop ends the adjustments and puts back the GOGC the process had before Start.
func (f *Floor) Stop() {
	if f == nil {
		return
	}
	f.once.Do(func() { close(f.done) })
	<-f.stopped
}
