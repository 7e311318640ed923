package store

import (
	"sync"
	"time"

	"github.com/homebell/homebell/internal/model"
)

// readCacheTTL bounds how stale a cached row may be. Writes through this node invalidate at
// once (and again after their commit); a write on another node is seen within the TTL.
const readCacheTTL = 2 * time.Second

// readCacheMax bounds the entries of each kind; when full, the cache is emptied and refills.
const readCacheMax = 100_000

// readCache holds rows that every request reads and that rarely change — the person behind a
// token, the service item of an order, the platform's settings, a person's preferences, a worker's
// rating, and what every notice's delivery plan reads (a person's push subscriptions, the active
// webhook endpoints). Slices it hands out are shared: callers must not modify them. Reads through the pool and inside transactions use it alike, except that a transaction
// that has written such a row reads its own writes from the database (and caches nothing) until
// it ends. What a transaction decides on from these rows is therefore at most readCacheTTL old
// when another node wrote them, and current when this node did.
type readCache struct {
	now      func() time.Time
	mu       sync.Mutex
	gen      uint64 // counts drops: a row read before a drop is not cached after it
	people   map[string]cached[model.Person]
	items    map[string]cached[model.ServiceItem]
	settings map[string]cached[rawRow] // by key
	prefs    map[string]cached[rawRow] // by person id
	ratings  map[string]cached[model.Rating]
	watchers map[string]cached[[]model.Watcher]          // a customer's active watchers, by customer id
	pushSubs map[string]cached[[]model.PushSubscription] // a person's push subscriptions, by person id
	webhooks map[string]cached[[]model.WebhookEndpoint]  // the active endpoints, under ""
}

// rawRow is a JSON document as stored, or its absence.
type rawRow struct {
	raw   string
	found bool
}

type cached[T any] struct {
	v       T
	expires time.Time
}

func newReadCache() *readCache {
	return &readCache{now: time.Now, people: map[string]cached[model.Person]{}, items: map[string]cached[model.ServiceItem]{},
		settings: map[string]cached[rawRow]{}, prefs: map[string]cached[rawRow]{}, ratings: map[string]cached[model.Rating]{},
		watchers: map[string]cached[[]model.Watcher]{}, pushSubs: map[string]cached[[]model.PushSubscription]{},
		webhooks: map[string]cached[[]model.WebhookEndpoint]{}}
}

func cacheGet[T any](c *readCache, m map[string]cached[T], id string) (T, bool) {
	c.mu.Lock()
	e, ok := m[id]
	c.mu.Unlock()
	if !ok || c.now().After(e.expires) {
		var zero T
		return zero, false
	}
	return e.v, true
}

// generation is taken before a read; cachePut keeps the row only if nothing was dropped since.
func (c *readCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func cachePut[T any](c *readCache, m map[string]cached[T], id string, v T, read time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(m) >= readCacheMax {
		clear(m)
	}
	m[id] = cached[T]{v: v, expires: read.Add(readCacheTTL)}
}

func cacheDrop[T any](c *readCache, m map[string]cached[T], id string) {
	c.mu.Lock()
	c.gen++
	delete(m, id)
	c.mu.Unlock()
}

func cacheClear[T any](c *readCache, m map[string]cached[T]) {
	c.mu.Lock()
	c.gen++
	clear(m)
	c.mu.Unlock()
}

// forget drops a row this node is writing: now, and again when the transaction ends, committed
// or not (a reader may have cached the old row, or — in SQLite's shared transaction — the new
// uncommitted one, in between). From here on the transaction reads such rows from the database.
func (q *Queries) forget(drop func()) {
	if q.rc == nil {
		return
	}
	drop()
	if q.atEnd != nil {
		q.wrote = true
		q.atEnd(drop)
	}
}

// cachedRead reads the row id of m through the cache when q may use it (see readCache), and
// keeps what it read.
func cachedRead[T any](q *Queries, m map[string]cached[T], id string, read func() (T, error)) (T, error) {
	use := q.rc != nil && !q.wrote
	if use {
		if v, ok := cacheGet(q.rc, m, id); ok {
			return v, nil
		}
	}
	var gen uint64
	if use {
		gen = q.rc.generation()
	}
	at := time.Now()
	v, err := read()
	if use && err == nil {
		cachePut(q.rc, m, id, v, at, gen)
	}
	return v, err
}
