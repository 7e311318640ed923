package hub

import (
	"context"
	"sync"
)

// Broker carries wake-ups between the nodes that share one database: a node publishes the people
// whose event log grew, and every node's hub wakes its own connections of those people. Wake-ups
// are hints; the database stays the source of truth, so a lost wake-up delays an event by at most
// the hub's safety-net poll and loses nothing.
type Broker interface {
	// Publish tells every subscribed node (this one included or not, see the implementation)
	// that personIDs have new events.
	Publish(ctx context.Context, personIDs []string) error
	// Subscribe registers the function called with the people of each wake-up from other nodes.
	// It is called once, before Publish.
	Subscribe(fn func(personIDs []string)) error
	// Close stops delivering wake-ups.
	Close() error
	// Connected reports whether wake-ups reach the other nodes now (/readyz says "degraded" when
	// not: streams there catch up by polling the log meanwhile).
	Connected() bool
}

// Local is the in-process broker of a single node: there is no other node to tell, since the hub
// already woke its own connections.
type Local struct {
	mu sync.Mutex
	fn func([]string)
}

var _ Broker = (*Local)(nil)

// Publish does nothing: the hub wakes its local connections itself before publishing.
func (l *Local) Publish(context.Context, []string) error { return nil }

// Subscribe keeps fn (unused by a single node).
func (l *Local) Subscribe(fn func([]string)) error {
	l.mu.Lock()
	l.fn = fn
	l.mu.Unlock()
	return nil
}

// Close does nothing.
func (l *Local) Close() error { return nil }

// Connected is always true: there are no other nodes.
func (l *Local) Connected() bool { return true }
