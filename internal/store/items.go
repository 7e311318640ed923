package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/homebell/homebell/internal/model"
)

const itemCols = `id, name_zh, name_en, description_zh, description_en, features_zh, features_en, advantages_zh, advantages_en, suits_zh, suits_en, duration_minutes, price_cents, active, created_at, updated_at`

func scanItem(row interface{ Scan(...any) error }) (model.ServiceItem, error) {
	var it model.ServiceItem
	err := row.Scan(&it.ID, &it.Name.ZH, &it.Name.EN, &it.Description.ZH, &it.Description.EN,
		&it.Features.ZH, &it.Features.EN, &it.Advantages.ZH, &it.Advantages.EN, &it.Suits.ZH, &it.Suits.EN,
		&it.DurationMinutes, &it.PriceCents, &it.Active, &it.CreatedAt, &it.UpdatedAt)
	it.CreatedAt, it.UpdatedAt = it.CreatedAt.UTC(), it.UpdatedAt.UTC()
	return it, err
}

// ServiceItem returns one catalogue item.
func (q *Queries) ServiceItem(ctx context.Context, id string) (model.ServiceItem, error) {
	var m map[string]cached[model.ServiceItem]
	if q.rc != nil {
		m = q.rc.items
	}
	return cachedRead(q, m, id, func() (model.ServiceItem, error) {
		it, err := scanItem(q.q.QueryRowContext(ctx, `SELECT `+itemCols+` FROM service_items WHERE id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return it, notFound("service item", id)
		}
		if err != nil {
			return it, fmt.Errorf("store: service item %s: %w", id, err)
		}
		return it, nil
	})
}

// ServiceItems lists the catalogue, active items only unless all is set.
func (q *Queries) ServiceItems(ctx context.Context, all bool) ([]model.ServiceItem, error) {
	return queryAll(ctx, q.q, "service items", func(r rowScanner) (model.ServiceItem, error) { return scanItem(r) },
		`SELECT `+itemCols+` FROM service_items WHERE active OR $1 ORDER BY created_at, id`, all)
}

// UpsertServiceItem creates or replaces a catalogue item; created reports which.
func (q *Queries) UpsertServiceItem(ctx context.Context, it *model.ServiceItem, now time.Time) (created bool, err error) {
	id := it.ID
	q.forget(func() { cacheDrop(q.rc, q.rc.items, id) })
	var existing time.Time
	err = q.q.QueryRowContext(ctx, `SELECT created_at FROM service_items WHERE id = $1`, it.ID).Scan(&existing)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		it.CreatedAt, it.UpdatedAt = utc(now), utc(now)
		_, err = q.q.ExecContext(ctx, `INSERT INTO service_items (`+itemCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)`,
			it.ID, it.Name.ZH, it.Name.EN, it.Description.ZH, it.Description.EN,
			it.Features.ZH, it.Features.EN, it.Advantages.ZH, it.Advantages.EN, it.Suits.ZH, it.Suits.EN, it.DurationMinutes, it.PriceCents, it.Active,
			it.CreatedAt, it.UpdatedAt)
		if isUniqueViolation(err) {
			return false, model.Errorf(model.CodeConflict, "service item %q was created concurrently", it.ID)
		}
		if err != nil {
			return false, fmt.Errorf("store: insert service item %s: %w", it.ID, err)
		}
		return true, nil
	case err != nil:
		return false, fmt.Errorf("store: service item %s: %w", it.ID, err)
	}
	it.CreatedAt, it.UpdatedAt = existing.UTC(), utc(now)
	_, err = q.q.ExecContext(ctx, `UPDATE service_items SET name_zh=$2, name_en=$3, description_zh=$4, description_en=$5,
		duration_minutes=$6, price_cents=$7, active=$8, updated_at=$9, features_zh=$10, features_en=$11,
		advantages_zh=$12, advantages_en=$13, suits_zh=$14, suits_en=$15 WHERE id=$1`,
		it.ID, it.Name.ZH, it.Name.EN, it.Description.ZH, it.Description.EN, it.DurationMinutes, it.PriceCents, it.Active, it.UpdatedAt,
		it.Features.ZH, it.Features.EN, it.Advantages.ZH, it.Advantages.EN, it.Suits.ZH, it.Suits.EN)
	if err != nil {
		return false, fmt.Errorf("store: update service item %s: %w", it.ID, err)
	}
	return false, nil
}
