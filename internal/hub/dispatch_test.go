package hub

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

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
				c.offer(o, false)
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

// woken waits until c is woken. The timeout only ends a failing test: a correct hub wakes the
// stream as soon as the dispatcher has read.
func woken(t *testing.T, c *conn) {
	t.Helper()
	select {
	case <-c.wake:
	case <-time.After(10 * time.Second):
		t.Fatal("the stream was never woken")
	}
}

// takeNow is what a stream would send after last: the offered events, or nil and false when it
// must read the log itself.
func takeNow(c *conn) ([]int64, bool) {
	evs, ok := c.take(c.last.Load())
	return seqs(evs), ok
}

// One read serves every woken person: up-to-date streams get their new events offered; a stream
// behind another of the same person's, one with more than a batch waiting, and every stream when
// the read fails, read the log themselves.
func TestX1DispatchReadsOnceForAllWokenPeople(t *testing.T) {
	st := testStore(t)
	h := testHub(t, st, nil, Options{Batch: 3})
	ctx := context.Background()
	a, b, many, quiet := person(t, "a"), person(t, "b"), person(t, "many"), person(t, "quiet")
	appendEvents(t, st, a, "t", 2)
	appendEvents(t, st, b, "t", 3)
	appendEvents(t, st, many, "t", 4)
	a1, _ := h.register(ctx, a, 0, false)
	a2, _ := h.register(ctx, a, 0, false)
	bBehind, _ := h.register(ctx, b, 0, false)
	bAhead, _ := h.register(ctx, b, 2, false)
	m, _ := h.register(ctx, many, 0, false)
	q, _ := h.register(ctx, quiet, 0, false)
	h.dispatchChunk([]string{a, b, many, quiet})
	for _, tc := range []struct {
		name string
		c    *conn
		want []int64
		ok   bool
	}{
		{"a's first stream", a1, []int64{1, 2}, true},
		{"a's second stream", a2, []int64{1, 2}, true},
		{"b's stream behind the other", bBehind, nil, false},
		{"b's stream ahead", bAhead, []int64{3}, true},
		{"more than a batch", m, nil, false},
		{"nothing new", q, nil, false},
	} {
		got, ok := takeNow(tc.c)
		if ok != tc.ok || !slices.Equal(got, tc.want) && tc.ok {
			t.Errorf("%s: take %v %v, want %v %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	if len(q.wake) != 0 {
		t.Error("a stream with nothing new was woken")
	}

	// A read that fails (here: the hub is closing) sends every woken stream to the log.
	appendEvents(t, st, a, "t", 1)
	a1.last.Store(2)
	h.cancel()
	h.dispatchChunk([]string{a})
	if got, ok := takeNow(a1); ok {
		t.Errorf("after a failed read the stream took %v, want a read of the log", got)
	}
}

// Wake tells the other nodes and hands the people to the dispatcher, whose read reaches the
// streams; a wake-up from another node does the same without publishing again.
func TestX1WakeReachesStreamsHereAndOtherNodes(t *testing.T) {
	st := testStore(t)
	b := &recordingBroker{}
	h := testHub(t, st, b, Options{})
	if err := b.Subscribe(h.wakeLocal); err != nil {
		t.Fatal(err)
	}
	h.spawn(h.dispatch)
	a, c := person(t, "a"), person(t, "c")
	ca, _ := h.register(context.Background(), a, 0, false)
	cc, _ := h.register(context.Background(), c, 0, false)
	appendEvents(t, st, a, "t", 1)
	appendEvents(t, st, c, "t", 2)

	h.Wake(a)
	woken(t, ca) // by the dispatcher's offer
	if got, ok := takeNow(ca); !ok || !slices.Equal(got, []int64{1}) {
		t.Errorf("woken stream takes %v %v, want [1] from the dispatcher", got, ok)
	}
	if got := b.sent(); len(got) != 1 || !slices.Equal(got[0], []string{a}) {
		t.Errorf("published %v, want [[%s]]", got, a)
	}

	b.deliver(c) // another node's commit
	woken(t, cc)
	if got, ok := takeNow(cc); !ok || !slices.Equal(got, []int64{1, 2}) {
		t.Errorf("stream woken by another node takes %v %v, want [1 2]", got, ok)
	}
	if got := b.sent(); len(got) != 1 {
		t.Errorf("a wake-up from another node was published again: %v", got)
	}
	h.Wake() // nobody: nothing published
	if got := b.sent(); len(got) != 1 {
		t.Errorf("an empty wake-up was published: %v", got)
	}
}

// Publish hands committed entries to this node's streams without reading the log, and wakes the
// other nodes, which read it.
func TestX1PublishOffersCommittedEntriesWithoutARead(t *testing.T) {
	b := &recordingBroker{}
	h := testHub(t, nil, b, Options{}) // no store: a read would fail the test
	a, c := person(t, "a"), person(t, "c")
	s1, _ := h.register(context.Background(), a, 0, false)
	s2, _ := h.register(context.Background(), a, 0, false)
	h.Publish(map[string][]model.Event{a: evs(1, 2), c: evs(5)})
	for _, s := range []*conn{s1, s2} {
		if len(s.wake) != 1 {
			t.Error("a stream was not woken")
		}
		if got, ok := takeNow(s); !ok || !slices.Equal(got, []int64{1, 2}) {
			t.Errorf("stream takes %v %v, want [1 2]", got, ok)
		}
	}
	got := b.sent()
	if len(got) != 1 {
		t.Fatalf("published %v, want one wake-up", got)
	}
	slices.Sort(got[0])
	if want := []string{a, c}; !slices.Equal(got[0], want) {
		t.Errorf("published %v, want %v", got[0], want)
	}
	h.Publish(nil)
	if len(b.sent()) != 1 {
		t.Error("an empty publish reached the broker")
	}
}

// notes is a notification entry per seq: entries that change the unread counts.
func notes(seqs ...int64) []model.Event {
	out := evs(seqs...)
	for i := range out {
		out[i].Type = model.EventNotification
	}
	return out
}

// countingUnread counts the hub's reads of unread counts, one person at a time and many at once;
// a person's counts are {"of": their id}.
type countingUnread struct {
	mu    sync.Mutex
	one   int
	many  [][]string
	fail  bool
	delay chan struct{} // non-nil: UnreadMany waits for it
}

func (u *countingUnread) options(opt Options) Options {
	opt.Unread = func(_ context.Context, id string) (any, error) {
		u.mu.Lock()
		u.one++
		u.mu.Unlock()
		return map[string]string{"of": id}, nil
	}
	opt.UnreadMany = func(_ context.Context, ids []string) (map[string]any, error) {
		if u.delay != nil {
			<-u.delay
		}
		u.mu.Lock()
		defer u.mu.Unlock()
		u.many = append(u.many, slices.Sorted(slices.Values(ids)))
		if u.fail {
			return nil, errors.New("boom")
		}
		out := map[string]any{}
		for _, id := range ids {
			out[id] = map[string]string{"of": id}
		}
		return out, nil
	}
	return opt
}

func (u *countingUnread) reads() (one int, many [][]string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.one, slices.Clone(u.many)
}

// A publish that changes several people's counts offers the entries at once, then reads the
// counts with one call and hands each stream its own: the stream sends its entries, then those
// counts, without reading its own. Entries that change no counts, and a publish to one person,
// are offered without.
func TestX1PublishReadsTheCountsOfEveryoneItTellsAtOnce(t *testing.T) {
	u := &countingUnread{}
	h := testHub(t, nil, nil, u.options(Options{})) // no store: a read of the log would fail
	a, b, quiet, away := person(t, "a"), person(t, "b"), person(t, "quiet"), person(t, "away")
	ctx := context.Background()
	a1, _ := h.register(ctx, a, 0, false)
	a2, _ := h.register(ctx, a, 0, false)
	b1, _ := h.register(ctx, b, 0, false)
	q1, _ := h.register(ctx, quiet, 0, false)
	streams := []struct {
		c      *conn
		frames [][]int64 // before the counts come
		counts string    // "": none owed
	}{{a1, [][]int64{{1, 2}}, a}, {a2, [][]int64{{1, 2}}, a}, {b1, [][]int64{{1}}, b}, {q1, [][]int64{{1}}, ""}}
	sinks := make([]*recordingSink, len(streams))
	h.Publish(map[string][]model.Event{a: notes(1, 2), b: notes(1), quiet: evs(1), away: notes(7)})
	// The entries go out before any counts are read (the publisher is not running yet).
	for i, tc := range streams {
		woken(t, tc.c)
		sinks[i] = &recordingSink{}
		if err := h.catchUp(tc.c, sinks[i]); err != nil {
			t.Fatal(err)
		}
		if got := sinks[i].frames(); !slices.EqualFunc(got, tc.frames, slices.Equal) {
			t.Errorf("%s sent %v, want %v before the counts", tc.c.person, got, tc.frames)
		}
	}
	h.spawn(h.publisher)
	for i, tc := range streams {
		if tc.counts == "" {
			continue
		}
		woken(t, tc.c) // by its counts
		if err := h.catchUp(tc.c, sinks[i]); err != nil {
			t.Fatal(err)
		}
		want := append(slices.Clone(tc.frames), []int64{-1})
		if got := sinks[i].frames(); !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("%s sent %v, want %v", tc.c.person, got, want)
		} else if got, want := string(sinks[i].sends[len(want)-1][0].Data), `{"of":"`+tc.counts+`"}`; got != want {
			t.Errorf("%s's counts %s, want %s", tc.c.person, got, want)
		}
	}
	one, many := u.reads()
	if want := [][]string{slices.Sorted(slices.Values([]string{a, b}))}; !slices.EqualFunc(many, want, slices.Equal) {
		t.Errorf("counts read many at once for %v, want %v (the people here whose counts changed)", many, want)
	}
	if one != 0 {
		t.Errorf("%d streams read their own counts, want none", one)
	}

	// One person told: offered without counts, the stream reads its own as before.
	h.Publish(map[string][]model.Event{a: notes(3)})
	s := &recordingSink{}
	if err := h.catchUp(a1, s); err != nil {
		t.Fatal(err)
	}
	if one, many := u.reads(); one != 1 || len(many) != 1 {
		t.Errorf("one person told: %d reads of one, %d of many; want 1 and still 1", one, len(many))
	}
	if got := s.frames(); !slices.EqualFunc(got, [][]int64{{3}, {-1}}, slices.Equal) {
		t.Errorf("sent %v, want [[3] [-1]]", got)
	}
}

// Counts handed to a stream stand for a read only when they were read after the last entry it
// sent: older ones, counts after an entry nobody reads counts for, a broadcast in the same turn
// or a failed read make the stream read its own; while counts are on their way it waits, and a
// wake by counts alone reads no log.
func TestX1HandedCountsCoverOnlyWhatTheyWereReadAfter(t *testing.T) {
	u := &countingUnread{}
	h := testHub(t, nil, nil, u.options(Options{})) // no store: a read of the log would fail
	p := person(t, "p")
	ctx := context.Background()
	c, _ := h.register(ctx, p, 0, false)
	counts := func(s string) any { return map[string]string{"of": s} }
	// run is one turn: its frames (-1: counts) and the counts' data, and how many own reads.
	run := func() (frames [][]int64, data string, own int) {
		t.Helper()
		before, _ := u.reads()
		s := &recordingSink{}
		if err := h.catchUp(c, s); err != nil {
			t.Fatal(err)
		}
		for _, evs := range s.sends {
			if evs[0].Type == model.EventUnread {
				data = string(evs[0].Data)
			}
		}
		after, _ := u.reads()
		return s.frames(), data, after - before
	}
	mine := `{"of":"` + p + `"}`
	c.offer(notes(1), true)
	c.giveCounts(counts("first"), 1)
	c.offer(notes(2), true)
	c.giveCounts(counts("second"), 2)
	if f, data, own := run(); len(f) != 2 || data != `{"of":"second"}` || own != 0 {
		t.Errorf("two offers, two counts: %v %s, %d own reads; want the later counts, no read", f, data, own)
	}
	c.offer(notes(3), true)
	c.offer(notes(4), false)
	c.giveCounts(counts("third"), 3)
	if f, data, own := run(); len(f) != 2 || data != mine || own != 1 {
		t.Errorf("a later entry nobody reads counts for: %v %s, %d own reads; want its own read", f, data, own)
	}
	h.register(ctx, person(t, "other"), 0, false)
	h.broadcastLocal([]byte(`{"id":"camp-1"}`))
	c.offer(notes(5), true)
	c.giveCounts(counts("fifth"), 5)
	if f, data, own := run(); len(f) != 3 || data != mine || own != 1 {
		t.Errorf("with a broadcast: %v %s, %d own reads; want its own read", f, data, own)
	}
	// Counts on their way: the entries go out, the counts when they come, alone.
	c.offer(notes(6), true)
	if f, data, own := run(); !slices.EqualFunc(f, [][]int64{{6}}, slices.Equal) || own != 0 {
		t.Errorf("counts on their way: %v %s, %d own reads; want the entry only", f, data, own)
	}
	c.giveCounts(counts("sixth"), 6)
	if f, data, own := run(); !slices.EqualFunc(f, [][]int64{{-1}}, slices.Equal) || data != `{"of":"sixth"}` || own != 0 {
		t.Errorf("counts arrived: %v %s, %d own reads; want them alone, no read", f, data, own)
	}
	// Counts older than what was sent do not stand for a read; a failed read neither.
	c.offer(notes(7), true)
	c.offer(notes(8), true)
	c.giveCounts(counts("seventh"), 7)
	if f, _, own := run(); !slices.EqualFunc(f, [][]int64{{7, 8}}, slices.Equal) || own != 0 {
		t.Errorf("older counts, newer on their way: %v, %d own reads; want to wait", f, own)
	}
	c.giveCounts(nil, 8)
	if f, data, own := run(); !slices.EqualFunc(f, [][]int64{{-1}}, slices.Equal) || data != mine || own != 1 {
		t.Errorf("after a failed read: %v %s, %d own reads; want its own read", f, data, own)
	}
}
