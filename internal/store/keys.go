package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/homebell/homebell/internal/model"
)

// CreateServiceKey stores a new key.
func (q *Queries) CreateServiceKey(ctx context.Context, k model.ServiceKey) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO service_keys (id, name, secret_hash, created_at) VALUES ($1,$2,$3,$4)`,
		k.ID, k.Name, k.SecretHash, utc(k.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: create service key: %w", err)
	}
	return nil
}

// ServiceKey returns a key by id, revoked or not.
func (q *Queries) ServiceKey(ctx context.Context, id string) (model.ServiceKey, error) {
	var k model.ServiceKey
	var revoked sql.NullTime
	err := q.q.QueryRowContext(ctx, `SELECT id, name, secret_hash, created_at, revoked_at FROM service_keys WHERE id = $1`, id).
		Scan(&k.ID, &k.Name, &k.SecretHash, &k.CreatedAt, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return k, notFound("service key", id)
	}
	if err != nil {
		return k, fmt.Errorf("store: service key: %w", err)
	}
	k.CreatedAt = k.CreatedAt.UTC()
	if revoked.Valid {
		t := revoked.Time.UTC()
		k.RevokedAt = &t
	}
	return k, nil
}

// RevokeServiceKey stops a key from working.
func (q *Queries) RevokeServiceKey(ctx context.Context, id string, now time.Time) error {
	res, err := q.q.ExecContext(ctx, `UPDATE service_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, id, utc(now))
	if err != nil {
		return fmt.Errorf("store: revoke service key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return model.Errorf(model.CodeNotFound, "no active service key %q", id)
	}
	return nil
}
