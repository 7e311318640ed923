// Package support is the platform's side of the conversation with its users: the feedback box
// and its triage (I4), and online customer service (I3). Every write checks the caller's role and
// ownership and tells the people concerned through notify in the same transaction.
package support

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/homebell/homebell/internal/booking"
	"github.com/homebell/homebell/internal/chat"
	"github.com/homebell/homebell/internal/jobs"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
)

// Actor is who asks: a person or the platform's backend.
type Actor struct {
	ID   string
	Role model.Role
	Name string
}

// isStaff reports whether the actor runs the platform (operators and the platform's service key).
func (a Actor) isStaff() bool { return a.Role == model.RoleOperator || a.Role == model.RolePlatform }

// Service runs the feedback box and customer service.
type Service struct {
	Store  *store.Store
	Jobs   *jobs.Runner
	Notify *notify.Service
	Now    func() time.Time
	// Chat carries support conversations (kind support); Booking reads the requester's orders for
	// the agent's order panel; Publish wakes open streams after commit (nil in tools without a hub).
	Chat    *chat.Service
	Booking *booking.Service
	Publish func(events map[string][]model.Event)

	qmu      sync.Mutex
	qpending bool      // a queue signal is scheduled
	queue    queuePage // the queue's page as last read on this node
}

// write runs fn in one transaction. On PostgreSQL a transaction chosen as a deadlock's victim
// is run again (up to three times): nothing of it committed.
func (s *Service) write(ctx context.Context, action string, fn func(tx *store.Tx) error) error {
	err := s.Store.InTx(ctx, fn)
	for i := 0; i < 2 && err != nil && strings.Contains(err.Error(), "SQLSTATE 40P01"); i++ {
		err = s.Store.InTx(ctx, fn)
	}
	if err != nil {
		if _, ok := err.(*model.Error); ok {
			return err
		}
		return fmt.Errorf("support: %s: %w", action, err)
	}
	return nil
}

// platformLocation is the platform's time zone (weekly counts, business hours).
func platformLocation() *time.Location {
	loc, err := time.LoadLocation(model.DefaultTimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}
