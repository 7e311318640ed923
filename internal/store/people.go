package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/homebell/homebell/internal/model"
)

const personCols = `id, role, name, avatar_url, bio, phone, locale, time_zone, area, created_at, updated_at`

func scanPerson(row interface{ Scan(...any) error }) (model.Person, error) {
	var p model.Person
	var role string
	err := row.Scan(&p.ID, &role, &p.Name, &p.AvatarURL, &p.Bio, &p.Phone, &p.Locale, &p.TimeZone, &p.Area, &p.CreatedAt, &p.UpdatedAt)
	p.Role = model.Role(role)
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p, err
}

// Person returns one person by id.
func (q *Queries) Person(ctx context.Context, id string) (model.Person, error) {
	var m map[string]cached[model.Person]
	if q.rc != nil {
		m = q.rc.people
	}
	return cachedRead(q, m, id, func() (model.Person, error) {
		p, err := scanPerson(q.q.QueryRowContext(ctx, `SELECT `+personCols+` FROM people WHERE id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return p, notFound("person", id)
		}
		if err != nil {
			return p, fmt.Errorf("store: person %s: %w", id, err)
		}
		return p, nil
	})
}

// People lists people, optionally of one role, ordered by id, after the cursor id.
func (q *Queries) People(ctx context.Context, role model.Role, after string, limit int) ([]model.Person, error) {
	return queryAll(ctx, q.q, "people", func(r rowScanner) (model.Person, error) { return scanPerson(r) },
		`SELECT `+personCols+` FROM people
		WHERE ($1 = '' OR role = $1) AND id > $2 ORDER BY id LIMIT $3`, string(role), after, limit)
}

// UpsertPerson creates p or replaces its fields; created reports which. CreatedAt is kept on update.
func (q *Queries) UpsertPerson(ctx context.Context, p *model.Person, now time.Time) (created bool, err error) {
	id := p.ID
	q.forget(func() { cacheDrop(q.rc, q.rc.people, id) })
	var existing time.Time
	err = q.q.QueryRowContext(ctx, `SELECT created_at FROM people WHERE id = $1`, p.ID).Scan(&existing)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		p.CreatedAt, p.UpdatedAt = utc(now), utc(now)
		_, err = q.q.ExecContext(ctx, `INSERT INTO people (`+personCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
			p.ID, string(p.Role), p.Name, p.AvatarURL, p.Bio, p.Phone, p.Locale, p.TimeZone, p.Area, p.CreatedAt, p.UpdatedAt)
		if isUniqueViolation(err) {
			return false, model.Errorf(model.CodeConflict, "person %q was created concurrently", p.ID)
		}
		if err != nil {
			return false, fmt.Errorf("store: insert person %s: %w", p.ID, err)
		}
		return true, nil
	case err != nil:
		return false, fmt.Errorf("store: person %s: %w", p.ID, err)
	}
	p.CreatedAt, p.UpdatedAt = existing.UTC(), utc(now)
	_, err = q.q.ExecContext(ctx, `UPDATE people SET role=$2, name=$3, avatar_url=$4, bio=$5, phone=$6, locale=$7,
		time_zone=$8, area=$9, updated_at=$10 WHERE id=$1`,
		p.ID, string(p.Role), p.Name, p.AvatarURL, p.Bio, p.Phone, p.Locale, p.TimeZone, p.Area, p.UpdatedAt)
	if err != nil {
		return false, fmt.Errorf("store: update person %s: %w", p.ID, err)
	}
	return false, nil
}
