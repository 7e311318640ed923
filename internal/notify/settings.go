package notify

import (
	"context"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify/planner"
	"github.com/homebell/homebell/internal/store"
)

// Settings (S1-S3, S5): each person's preferences, and the operators' importance overrides,
// retention and default preferences. The API validates shapes; these methods own the writes.

// SavePreferences stores personID's preferences and returns them as they now apply. The time zone
// is the profile's: a different one is refused rather than silently ignored.
func (s *Service) SavePreferences(ctx context.Context, personID string, in planner.Preferences) (_ planner.Preferences, err error) {
	defer model.WrapOp(&err, "notify: save preferences", personID)
	var out planner.Preferences
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		p, err := tx.Person(ctx, personID)
		if err != nil {
			return err
		}
		if in.TimeZone != "" && in.TimeZone != p.TimeZone {
			return model.Invalid(model.FieldError{Field: "time_zone", Message: "is the profile's time zone; change it with PATCH /v1/me"})
		}
		in.TimeZone = ""
		if err := tx.PutPreferences(ctx, p.ID, in, tx.Now()); err != nil {
			return err
		}
		out, err = s.PreferencesOf(ctx, &tx.Queries, p)
		return err
	})
	return out, err
}

// SaveImportance replaces the operators' importance overrides (kind → importance).
func (s *Service) SaveImportance(ctx context.Context, overrides map[string]string) (err error) {
	defer model.WrapOp(&err, "notify: save importance", "")
	return s.putSetting(ctx, SettingImportance, overrides)
}

// SaveRetention sets how long each category is kept; the next daily purge applies it.
func (s *Service) SaveRetention(ctx context.Context, rt model.Retention) (err error) {
	defer model.WrapOp(&err, "notify: save retention", "")
	return s.putSetting(ctx, store.SettingRetention, rt)
}

// SaveDefaultPreferences sets what people who never chose get (spelled out, without a zone).
func (s *Service) SaveDefaultPreferences(ctx context.Context, p planner.Preferences) (err error) {
	defer model.WrapOp(&err, "notify: save default preferences", "")
	return s.putSetting(ctx, SettingDefaultPreferences, p)
}

func (s *Service) putSetting(ctx context.Context, key string, v any) error {
	return s.Store.InTx(ctx, func(tx *store.Tx) error { return tx.PutSetting(ctx, key, v, tx.Now()) })
}
