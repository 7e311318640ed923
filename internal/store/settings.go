package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Setting reads a platform setting into v; found is false when it was never set (v untouched).
func (q *Queries) Setting(ctx context.Context, key string, v any) (found bool, err error) {
	var raw string
	err = q.q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: setting %s: %w", key, err)
	}
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return false, fmt.Errorf("store: setting %s: %w", key, err)
	}
	return true, nil
}

// PutSetting stores a platform setting as JSON.
func (q *Queries) PutSetting(ctx context.Context, key string, v any, now time.Time) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: setting %s: %w", key, err)
	}
	_, err = q.q.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1,$2,$3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, string(raw), utc(now))
	if err != nil {
		return fmt.Errorf("store: put setting %s: %w", key, err)
	}
	return nil
}

// InsertSettingIfAbsent stores v under key unless a value exists; it reports the value now stored
// into v. Used for values made once on first start (development JWT secret, VAPID keys), so two
// nodes starting together agree on one.
func (q *Queries) InsertSettingIfAbsent(ctx context.Context, key string, v any, now time.Time) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: setting %s: %w", key, err)
	}
	if _, err := q.q.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1,$2,$3)
		ON CONFLICT (key) DO NOTHING`, key, string(raw), utc(now)); err != nil {
		return fmt.Errorf("store: insert setting %s: %w", key, err)
	}
	_, err = q.Setting(ctx, key, v)
	return err
}
