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
				c.offer(o, nil)
			}
			got, _, ok := c.take(tc.last)
			if ok != tc.ok || (ok && !equal(seqs(got), tc.want)) {
				t.Fatalf("take(%d) = %v %v, want %v %v", tc.last, seqs(got), ok, tc.want, tc.ok)
			}
			if again, _, ok := c.take(tc.last); ok || again != nil {
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
	evs, _, ok := c.take(c.last.Load())
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

// A publish that changes several people's counts reads them with one call and offers each stream
// its counts with its entries: the stream sends its entries, then those counts, without reading
// its own. Entries that change no counts, and a publish to one person, are offered without.
func TestX1PublishReadsTheCountsOfEveryoneItTellsAtOnce(t *testing.T) {
	u := &countingUnread{}
	h := testHub(t, nil, nil, u.options(Options{})) // no store: a read of the log would fail
	h.spawn(h.publisher)
	a, b, quiet, away := person(t, "a"), person(t, "b"), person(t, "quiet"), person(t, "away")
	ctx := context.Background()
	a1, _ := h.register(ctx, a, 0, false)
	a2, _ := h.register(ctx, a, 0, false)
	b1, _ := h.register(ctx, b, 0, false)
	q1, _ := h.register(ctx, quiet, 0, false)
	h.Publish(map[string][]model.Event{a: notes(1, 2), b: notes(1), quiet: evs(1), away: notes(7)})
	for _, c := range []*conn{a1, a2, b1, q1} {
		woken(t, c)
	}
	_, many := u.reads()
	if want := [][]string{slices.Sorted(slices.Values([]string{a, b}))}; !slices.EqualFunc(many, want, slices.Equal) {
		t.Errorf("counts read many at once for %v, want %v (the people here whose counts changed)", many, want)
	}
	for _, tc := range []struct {
		c      *conn
		frames [][]int64
		counts string
	}{{a1, [][]int64{{1, 2}, {-1}}, a}, {a2, [][]int64{{1, 2}, {-1}}, a}, {b1, [][]int64{{1}, {-1}}, b}, {q1, [][]int64{{1}}, ""}} {
		s := &recordingSink{}
		if err := h.catchUp(tc.c, s); err != nil {
			t.Fatal(err)
		}
		if got := s.frames(); !slices.EqualFunc(got, tc.frames, slices.Equal) {
			t.Errorf("%s sent %v, want %v", tc.c.person, got, tc.frames)
		}
		if tc.counts != "" {
			if got, want := string(s.sends[len(s.sends)-1][0].Data), `{"of":"`+tc.counts+`"}`; got != want {
				t.Errorf("%s's counts %s, want %s", tc.c.person, got, want)
			}
		}
	}
	if one, _ := u.reads(); one != 0 {
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

// Counts offered with entries stand for a read only for the entries they were read after: a later
// offer without counts, a broadcast in the same turn or a failed read of many make the stream read
// its own; a later offer's counts replace an earlier one's.
func TestX1OfferedCountsCoverOnlyWhatTheyWereReadAfter(t *testing.T) {
	u := &countingUnread{}
	h := testHub(t, nil, nil, u.options(Options{}))
	p := person(t, "p")
	ctx := context.Background()
	c, _ := h.register(ctx, p, 0, false)
	counts := func(s string) any { return map[string]string{"of": s} }
	run := func() (data string, own int) {
		t.Helper()
		before, _ := u.reads()
		s := &recordingSink{}
		if err := h.catchUp(c, s); err != nil {
			t.Fatal(err)
		}
		last := s.sends[len(s.sends)-1][0]
		if last.Type != model.EventUnread {
			t.Fatalf("last frame %s, want %s", last.Type, model.EventUnread)
		}
		after, _ := u.reads()
		return string(last.Data), after - before
	}
	c.offer(notes(1), counts("first"))
	c.offer(notes(2), counts("second"))
	if data, own := run(); data != `{"of":"second"}` || own != 0 {
		t.Errorf("two offers: counts %s, %d own reads; want the later offer's, none", data, own)
	}
	c.offer(notes(3), counts("third"))
	c.offer(notes(4), nil)
	if data, own := run(); data != `{"of":"`+p+`"}` || own != 1 {
		t.Errorf("a later offer without counts: %s, %d own reads; want its own read", data, own)
	}
	h.register(ctx, person(t, "other"), 0, false)
	h.broadcastLocal([]byte(`{"id":"camp-1"}`))
	c.offer(notes(5), counts("fifth"))
	if data, own := run(); data != `{"of":"`+p+`"}` || own != 1 {
		t.Errorf("with a broadcast: %s, %d own reads; want its own read", data, own)
	}

	// A failed read of many: the streams are offered their entries and read their own counts.
	u.fail = true
	h.spawn(h.publisher)
	q := person(t, "q")
	h.register(ctx, q, 0, false)
	select {
	case <-c.wake: // the earlier offers' wake-up
	default:
	}
	h.Publish(map[string][]model.Event{p: notes(6), q: notes(1)})
	woken(t, c)
	if data, own := run(); data != `{"of":"`+p+`"}` || own != 1 {
		t.Errorf("after a failed read of many: %s, %d own reads; want its own read", data, own)
	}
}
