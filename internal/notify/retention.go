package notify

import (
	"context"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

// Purged counts what the message center's retention purge deleted.
type Purged struct {
	Notifications int64
	Events        int64
}

// PurgeExpired deletes what the message center no longer keeps (S5): notifications older than
// their category's retention (the operators' setting) and event-log entries older than the
// longest of them. It works in batches of batch rows, each its own transaction, so people's
// writes get the database between batches. The daily retention job (app) calls it.
func (s *Service) PurgeExpired(ctx context.Context, now time.Time, batch int) (_ Purged, err error) {
	defer model.WrapOp(&err, "notify: purge expired", "")
	var p Purged
	rt, err := s.Store.RetentionDays(ctx)
	if err != nil {
		return p, err
	}
	days := func(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
	for category, n := range rt.ByCategory() {
		before := now.Add(-days(n))
		got, err := s.Store.PurgeInBatches(ctx, batch, func(tx *store.Tx) (int64, error) {
			return tx.PurgeNotifications(ctx, category, before, batch)
		})
		p.Notifications += got
		if err != nil {
			return p, err
		}
	}
	p.Events, err = s.Store.PurgeInBatches(ctx, batch, func(tx *store.Tx) (int64, error) {
		return tx.PurgeEvents(ctx, now.Add(-days(rt.Longest())), batch)
	})
	return p, err
}
