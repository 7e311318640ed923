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
	raw, found, err := q.SettingJSON(ctx, key)
	if err != nil || !found {
		return false, err
	}
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return false, fmt.Errorf("store: setting %s: %w", key, err)
	}
	return true, nil
}

// SettingJSON reads a platform setting's JSON text; found is false when it was never set. A
// caller may keep what it decodes from the text for as long as the text read is the same.
func (q *Queries) SettingJSON(ctx context.Context, key string) (raw string, found bool, err error) {
	var m map[string]cached[rawRow]
	if q.rc != nil {
		m = q.rc.settings
	}
	row, err := cachedRead(q, m, key, func() (rawRow, error) {
		var r rawRow
		err := q.q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&r.raw)
		if errors.Is(err, sql.ErrNoRows) {
			return r, nil
		}
		r.found = err == nil
		return r, err
	})
	if err != nil {
		return "", false, fmt.Errorf("store: setting %s: %w", key, err)
	}
	return row.raw, row.found, nil
}

// forgetSetting drops key from the read cache (see forget).
func (q *Queries) forgetSetting(key string) { q.forget(func() { cacheDrop(q.rc, q.rc.settings, key) }) }

// PutSetting stores a platform setting as JSON.
func (q *Queries) PutSetting(ctx context.Context, key string, v any, now time.Time) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: setting %s: %w", key, err)
	}
	q.forgetSetting(key)
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
	q.forgetSetting(key)
	if _, err := q.q.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1,$2,$3)
		ON CONFLICT (key) DO NOTHING`, key, string(raw), utc(now)); err != nil {
		return fmt.Errorf("store: insert setting %s: %w", key, err)
	}
	_, err = q.Setting(ctx, key, v)
	return err
}
