package booking

import (
	"context"
	"fmt"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

// The directory the orders draw on: people as the platform syncs them, and the catalogue of
// service items. Orders, reminders and worker cards read them, so booking owns their writes.

// ProfilePatch is what a person may change about themselves; identity fields belong to the platform.
type ProfilePatch struct {
	Locale   *string `json:"locale"`
	TimeZone *string `json:"time_zone"`
}

// UpdateProfile applies a person's own change to their language or time zone.
func (s *Service) UpdateProfile(ctx context.Context, personID string, in ProfilePatch) (_ model.Person, err error) {
	defer model.WrapOp(&err, "booking: update profile", personID)
	var out model.Person
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		p, err := tx.Person(ctx, personID)
		if err != nil {
			return err
		}
		if in.Locale != nil {
			if *in.Locale != model.LocaleZH && *in.Locale != model.LocaleEN {
				return model.Invalid(model.FieldError{Field: "locale", Message: "must be zh-CN or en"})
			}
			p.Locale = *in.Locale
		}
		if in.TimeZone != nil {
			p.TimeZone = *in.TimeZone
		}
		if err := p.Validate(); err != nil {
			return err
		}
		_, err = tx.UpsertPerson(ctx, &p, tx.Now())
		out = p
		return err
	})
	if err != nil {
		return model.Person{}, fmt.Errorf("booking: update profile of %s: %w", personID, err)
	}
	return out, nil
}

// SyncPerson stores a person as the platform sends it (validated) and reports whether it was new.
func (s *Service) SyncPerson(ctx context.Context, p *model.Person) (created bool, err error) {
	defer model.WrapOp(&err, "booking: sync person", "")
	p.Normalize()
	if err := p.Validate(); err != nil {
		return false, err
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		created, err = tx.UpsertPerson(ctx, p, tx.Now())
		return err
	})
	if err != nil {
		return false, fmt.Errorf("booking: sync person %s: %w", p.ID, err)
	}
	return created, nil
}

// SaveServiceItem stores a catalogue item (validated) and reports whether it was new.
func (s *Service) SaveServiceItem(ctx context.Context, it *model.ServiceItem) (created bool, err error) {
	defer model.WrapOp(&err, "booking: save service item", "")
	if err := it.Validate(); err != nil {
		return false, err
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		created, err = tx.UpsertServiceItem(ctx, it, tx.Now())
		return err
	})
	if err != nil {
		return false, fmt.Errorf("booking: save service item %s: %w", it.ID, err)
	}
	return created, nil
}
