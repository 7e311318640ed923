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
// token, the service item of an order — for the read pool only (Store.Queries). Reads inside a
// transaction always go to the database, so what a transaction decides on is never stale.
type readCache struct {
	now    func() time.Time
	mu     sync.Mutex
	gen    uint64 // counts drops: a row read before a drop is not cached after it
	people map[string]cached[model.Person]
	items  map[string]cached[model.ServiceItem]
}

type cached[T any] struct {
	v       T
	expires time.Time
}

func newReadCache() *readCache {
	return &readCache{now: time.Now, people: map[string]cached[model.Person]{}, items: map[string]cached[model.ServiceItem]{}}
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

// forget drops a row this node is writing: now, and again after the write commits (a reader may
// have cached the old row in between).
func (q *Queries) forget(drop func()) {
	if q.rc == nil {
		return
	}
	drop()
	if q.afterCommit != nil {
		q.afterCommit(drop)
	}
}
