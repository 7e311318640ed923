package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify/planner"
	"github.com/homebell/homebell/internal/store"
)

// The message center (S4, S5): read state and unread counts. Every write to a person's read state
// goes through here, so their other devices learn of it on their stream (X1).

// Categories are the message-center categories, in display order.
var Categories = []planner.Category{planner.CategoryService, planner.CategoryException, planner.CategoryPlatform,
	planner.CategoryInteraction}

// UnreadCounts is the badge state: the total and every category, zeros included.
type UnreadCounts struct {
	Total      int            `json:"total"`
	ByCategory map[string]int `json:"by_category"`
}

// CountsFrom spells out counts by category as UnreadCounts.
func CountsFrom(m map[string]int) UnreadCounts {
	out := UnreadCounts{ByCategory: map[string]int{}}
	for _, c := range Categories {
		out.ByCategory[string(c)] = m[string(c)]
		out.Total += m[string(c)]
	}
	return out
}

// ReadSelection selects what to mark read; exactly one member is set.
type ReadSelection struct {
	IDs      []string `json:"ids,omitempty"`
	Category string   `json:"category,omitempty"`
	All      bool     `json:"all,omitempty"`
}

// ReadEvent is the payload of a notification.read event: the selection and the new counts, so
// the person's other open devices update their list and badge.
type ReadEvent struct {
	ReadSelection
	ReadAt time.Time    `json:"read_at"`
	Marked int64        `json:"marked"`
	Unread UnreadCounts `json:"unread"`
}

// Unread returns personID's unread counts.
func (s *Service) Unread(ctx context.Context, personID string) (UnreadCounts, error) {
	m, err := s.Store.UnreadCounts(ctx, personID)
	if err != nil {
		return UnreadCounts{}, fmt.Errorf("notify: unread counts: %w", err)
	}
	return CountsFrom(m), nil
}

// MarkRead marks personID's selected notifications read. When anything changed it appends a
// notification.read entry to their event log and wakes their streams after commit.
func (s *Service) MarkRead(ctx context.Context, personID string, sel ReadSelection) (ReadEvent, error) {
	var out ReadEvent
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		now := s.Now()
		marked, err := tx.MarkRead(ctx, personID, store.ReadSelector{IDs: sel.IDs, Category: sel.Category, All: sel.All}, now)
		if err != nil {
			return err
		}
		if marked > 0 {
			// Y1: read on any device, the rest of a notice's chain is cancelled in this commit.
			if err := s.StopReadChains(ctx, tx, personID, now); err != nil {
				return err
			}
		}
		counts, err := tx.UnreadCounts(ctx, personID)
		if err != nil {
			return err
		}
		out = ReadEvent{ReadSelection: sel, ReadAt: now.UTC(), Marked: marked, Unread: CountsFrom(counts)}
		if marked == 0 {
			return nil // nothing changed: other devices have nothing to learn
		}
		if _, err := tx.AppendEvent(ctx, personID, model.EventRead, out, now); err != nil {
			return err
		}
		if s.Wake != nil {
			wake := s.Wake
			tx.AfterCommit(func() { wake(personID) })
		}
		return nil
	})
	if err != nil {
		return ReadEvent{}, fmt.Errorf("notify: mark read for %s: %w", personID, err)
	}
	return out, nil
}
