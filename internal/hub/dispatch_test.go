package hub

import (
	"testing"

	"github.com/homebell/homebell/internal/model"
)

func evs(seqs ...int64) []model.Event {
	out := make([]model.Event, len(seqs))
	for i, s := range seqs {
		out[i] = model.Event{Seq: s, Type: "t"}
	}
	return out
}

func seqs(es []model.Event) []int64 {
	out := []int64{}
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}

// What the dispatcher offers a stream is sent only when it follows on from the last seq sent;
// anything else makes the stream read the log itself, so nothing is skipped or sent twice.
func TestX1OfferedEventsFollowOnOrFallBackToTheLog(t *testing.T) {
	for _, tc := range []struct {
		name   string
		last   int64
		offers [][]model.Event
		want   []int64 // nil with ok=false: read the log
		ok     bool
	}{
		{"nothing offered: read the log", 3, nil, nil, false},
		{"follows on", 3, [][]model.Event{evs(4, 5)}, []int64{4, 5}, true},
		{"already sent ones are dropped", 3, [][]model.Event{evs(2, 3, 4)}, []int64{4}, true},
		{"all already sent", 5, [][]model.Event{evs(4, 5)}, []int64{}, true},
		{"a gap: read the log", 3, [][]model.Event{evs(5, 6)}, nil, false},
		{"two offers that chain", 3, [][]model.Event{evs(4), evs(5, 6)}, []int64{4, 5, 6}, true},
		{"a later offer covering the first replaces it", 3, [][]model.Event{evs(4), evs(4, 5)}, []int64{4, 5}, true},
		{"two offers with a gap: read the log", 3, [][]model.Event{evs(4), evs(6)}, nil, false},
		{"offers out of order (concurrent commits): read the log", 3, [][]model.Event{evs(5), evs(4)}, nil, false},
		{"an offer after a fallback still reads the log", 3, [][]model.Event{nil, evs(4)}, nil, false},
		{"a fallback offer wins", 3, [][]model.Event{evs(4), nil}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &conn{wake: make(chan struct{}, 1)}
			for _, o := range tc.offers {
				c.offer(o)
			}
			got, ok := c.take(tc.last)
			if ok != tc.ok || (ok && !equal(seqs(got), tc.want)) {
				t.Fatalf("take(%d) = %v %v, want %v %v", tc.last, seqs(got), ok, tc.want, tc.ok)
			}
			if again, ok := c.take(tc.last); ok || again != nil {
				t.Errorf("a second take returned %v %v; offers are taken once", seqs(again), ok)
			}
		})
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
