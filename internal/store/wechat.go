package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/homebell/homebell/internal/model"
)

// WeChat subscribe messages (Y3): bindings, the operators' templates, the authorisation ledger and
// the shared access token.

// PutWeChatBinding binds b.PersonID to b.OpenID. An openid bound to someone else moves to this
// person (the platform re-linked the account); created is false when the person had a binding.
func (q *Queries) PutWeChatBinding(ctx context.Context, b *model.WeChatBinding, now time.Time) (created bool, err error) {
	if _, err := q.q.ExecContext(ctx, `DELETE FROM wechat_bindings WHERE openid = $1 AND person_id <> $2`,
		b.OpenID, b.PersonID); err != nil {
		return false, fmt.Errorf("store: put wechat binding: %w", err)
	}
	old, err := q.WeChatBinding(ctx, b.PersonID)
	switch {
	case model.IsCode(err, model.CodeNotFound):
		b.CreatedAt, b.UpdatedAt = utc(now), utc(now)
		_, err = q.q.ExecContext(ctx, `INSERT INTO wechat_bindings (person_id, openid, created_at, updated_at)
			VALUES ($1,$2,$3,$3)`, b.PersonID, b.OpenID, b.CreatedAt)
		created = true
	case err != nil:
		return false, err
	default:
		b.CreatedAt, b.UpdatedAt = old.CreatedAt, utc(now)
		_, err = q.q.ExecContext(ctx, `UPDATE wechat_bindings SET openid = $2, updated_at = $3 WHERE person_id = $1`,
			b.PersonID, b.OpenID, b.UpdatedAt)
	}
	if err != nil {
		return false, fmt.Errorf("store: put wechat binding: %w", err)
	}
	return created, nil
}

// WeChatBinding returns a person's binding.
func (q *Queries) WeChatBinding(ctx context.Context, personID string) (model.WeChatBinding, error) {
	var b model.WeChatBinding
	err := q.q.QueryRowContext(ctx, `SELECT person_id, openid, created_at, updated_at FROM wechat_bindings
		WHERE person_id = $1`, personID).Scan(&b.PersonID, &b.OpenID, &b.CreatedAt, &b.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return b, notFound("wechat binding of", personID)
	}
	if err != nil {
		return b, fmt.Errorf("store: wechat binding: %w", err)
	}
	b.CreatedAt, b.UpdatedAt = b.CreatedAt.UTC(), b.UpdatedAt.UTC()
	return b, nil
}

// DeleteWeChatBinding unbinds a person.
func (q *Queries) DeleteWeChatBinding(ctx context.Context, personID string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM wechat_bindings WHERE person_id = $1`, personID)
	if err != nil {
		return fmt.Errorf("store: delete wechat binding: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("wechat binding of", personID)
	}
	return nil
}

const wechatTemplateCols = `id, kind, template_id, title, page, fields, active, created_at, updated_at`

func scanWeChatTemplate(row interface{ Scan(...any) error }) (model.WeChatTemplate, error) {
	var t model.WeChatTemplate
	var fields string
	if err := row.Scan(&t.ID, &t.Kind, &t.TemplateID, &t.Title, &t.Page, &fields, &t.Active, &t.CreatedAt, &t.UpdatedAt); err != nil {
		return t, err
	}
	t.Fields = []model.WeChatField{}
	if err := json.Unmarshal([]byte(fields), &t.Fields); err != nil {
		return t, fmt.Errorf("fields: %w", err)
	}
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return t, nil
}

func fieldsJSON(f []model.WeChatField) string {
	if f == nil {
		f = []model.WeChatField{}
	}
	b, _ := json.Marshal(f)
	return string(b)
}

// InsertWeChatTemplate stores a new mapping; a kind that has one already is a conflict.
func (q *Queries) InsertWeChatTemplate(ctx context.Context, t *model.WeChatTemplate, now time.Time) error {
	if t.ID == "" {
		t.ID = model.NewID()
	}
	if t.Fields == nil {
		t.Fields = []model.WeChatField{}
	}
	t.CreatedAt, t.UpdatedAt = utc(now), utc(now)
	_, err := q.q.ExecContext(ctx, `INSERT INTO wechat_templates (`+wechatTemplateCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$8)`,
		t.ID, t.Kind, t.TemplateID, t.Title, t.Page, fieldsJSON(t.Fields), t.Active, t.CreatedAt)
	if isUniqueViolation(err) {
		return model.Errorf(model.CodeConflict, "kind %s has a WeChat template already", t.Kind)
	}
	if err != nil {
		return fmt.Errorf("store: insert wechat template: %w", err)
	}
	return nil
}

// UpdateWeChatTemplate stores every field of t.
func (q *Queries) UpdateWeChatTemplate(ctx context.Context, t *model.WeChatTemplate, now time.Time) error {
	t.UpdatedAt = utc(now)
	res, err := q.q.ExecContext(ctx, `UPDATE wechat_templates SET kind = $2, template_id = $3, title = $4, page = $5,
		fields = $6, active = $7, updated_at = $8 WHERE id = $1`,
		t.ID, t.Kind, t.TemplateID, t.Title, t.Page, fieldsJSON(t.Fields), t.Active, t.UpdatedAt)
	if isUniqueViolation(err) {
		return model.Errorf(model.CodeConflict, "kind %s has a WeChat template already", t.Kind)
	}
	if err != nil {
		return fmt.Errorf("store: update wechat template: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("wechat template", t.ID)
	}
	return nil
}

// DeleteWeChatTemplate removes a mapping.
func (q *Queries) DeleteWeChatTemplate(ctx context.Context, id string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM wechat_templates WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("store: delete wechat template: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("wechat template", id)
	}
	return nil
}

// WeChatTemplate returns one mapping by id.
func (q *Queries) WeChatTemplate(ctx context.Context, id string) (model.WeChatTemplate, error) {
	t, err := scanWeChatTemplate(q.q.QueryRowContext(ctx, `SELECT `+wechatTemplateCols+` FROM wechat_templates WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, notFound("wechat template", id)
	}
	if err != nil {
		return t, fmt.Errorf("store: wechat template: %w", err)
	}
	return t, nil
}

// WeChatTemplateForKind returns the mapping of a notification kind.
func (q *Queries) WeChatTemplateForKind(ctx context.Context, kind string) (model.WeChatTemplate, error) {
	t, err := scanWeChatTemplate(q.q.QueryRowContext(ctx, `SELECT `+wechatTemplateCols+` FROM wechat_templates WHERE kind = $1`, kind))
	if errors.Is(err, sql.ErrNoRows) {
		return t, notFound("wechat template for kind", kind)
	}
	if err != nil {
		return t, fmt.Errorf("store: wechat template: %w", err)
	}
	return t, nil
}

// WeChatTemplates lists every mapping by kind.
func (q *Queries) WeChatTemplates(ctx context.Context) ([]model.WeChatTemplate, error) {
	return queryAll(ctx, q.q, "wechat templates", func(r rowScanner) (model.WeChatTemplate, error) { return scanWeChatTemplate(r) },
		`SELECT `+wechatTemplateCols+` FROM wechat_templates ORDER BY kind`)
}

// LedgerChange is what one change of a ledger balance did.
type LedgerChange struct {
	Before, After int
	// Applied is false when nothing changed: the entry was recorded before (Duplicate; Before and
	// After are then the recorded ones), or a spend found no authorisation left.
	Applied   bool
	Duplicate bool
}

// ChangeWeChatBalance records one ledger entry for a person and template, inside a transaction:
// delta is added (a spend is refused when it would go below zero), or with reason revoked the
// balance is zeroed. ref makes the entry happen once: the same reason and ref again is a duplicate.
func (q *Queries) ChangeWeChatBalance(ctx context.Context, personID, templateID, reason, ref string, delta int, now time.Time) (LedgerChange, error) {
	var c LedgerChange
	fail := func(err error) (LedgerChange, error) { return c, fmt.Errorf("store: wechat ledger: %w", err) }
	var d, after int
	err := q.q.QueryRowContext(ctx, `SELECT delta, balance_after FROM wechat_ledger_entries
		WHERE person_id = $1 AND template_id = $2 AND reason = $3 AND ref = $4`, personID, templateID, reason, ref).Scan(&d, &after)
	if err == nil {
		return LedgerChange{Before: after - d, After: after, Duplicate: true}, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fail(err)
	}
	if _, err := q.q.ExecContext(ctx, `INSERT INTO wechat_ledger (person_id, template_id, balance, updated_at)
		VALUES ($1,$2,0,$3) ON CONFLICT (person_id, template_id) DO NOTHING`, personID, templateID, utc(now)); err != nil {
		return fail(err)
	}
	if reason == model.LedgerRevoked {
		// Read, then zero only what was read: a concurrent change makes the update miss and the
		// read is tried again.
		for range 5 {
			if err := q.q.QueryRowContext(ctx, `SELECT balance FROM wechat_ledger WHERE person_id = $1 AND template_id = $2`,
				personID, templateID).Scan(&c.Before); err != nil {
				return fail(err)
			}
			res, err := q.q.ExecContext(ctx, `UPDATE wechat_ledger SET balance = 0, updated_at = $4
				WHERE person_id = $1 AND template_id = $2 AND balance = $3`, personID, templateID, c.Before, utc(now))
			if err != nil {
				return fail(err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				break
			}
		}
		delta = -c.Before
	} else {
		err := q.q.QueryRowContext(ctx, `UPDATE wechat_ledger SET balance = balance + $3, updated_at = $4
			WHERE person_id = $1 AND template_id = $2 AND balance + $3 >= 0 RETURNING balance`,
			personID, templateID, delta, utc(now)).Scan(&c.After)
		if errors.Is(err, sql.ErrNoRows) {
			bal, err := q.WeChatBalance(ctx, personID, templateID)
			return LedgerChange{Before: bal, After: bal}, err
		}
		if err != nil {
			return fail(err)
		}
		c.Before = c.After - delta
	}
	c.After, c.Applied = c.Before+delta, true
	if _, err := q.q.ExecContext(ctx, `INSERT INTO wechat_ledger_entries (id, person_id, template_id, delta, balance_after,
		reason, ref, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
		model.NewID(), personID, templateID, delta, c.After, reason, ref, utc(now)); err != nil {
		return fail(err)
	}
	return c, nil
}

// WeChatBalance returns a person's authorisations left for a template (0 when none were granted).
func (q *Queries) WeChatBalance(ctx context.Context, personID, templateID string) (int, error) {
	var n int
	err := q.q.QueryRowContext(ctx, `SELECT balance FROM wechat_ledger WHERE person_id = $1 AND template_id = $2`,
		personID, templateID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: wechat balance: %w", err)
	}
	return n, nil
}

// WeChatBalances lists a person's balances by template.
func (q *Queries) WeChatBalances(ctx context.Context, personID string) ([]model.WeChatBalance, error) {
	return queryAll(ctx, q.q, "wechat balances", func(r rowScanner) (model.WeChatBalance, error) {
		var b model.WeChatBalance
		if err := r.Scan(&b.TemplateID, &b.Balance, &b.UpdatedAt); err != nil {
			return b, err
		}
		b.UpdatedAt = b.UpdatedAt.UTC()
		return b, nil
	}, `SELECT template_id, balance, updated_at FROM wechat_ledger WHERE person_id = $1
		ORDER BY template_id`, personID)
}

// WeChatLedgerEntries lists a person's newest ledger entries first, at most limit.
func (q *Queries) WeChatLedgerEntries(ctx context.Context, personID string, limit int) ([]model.WeChatLedgerEntry, error) {
	return queryAll(ctx, q.q, "wechat ledger", func(r rowScanner) (model.WeChatLedgerEntry, error) {
		var e model.WeChatLedgerEntry
		if err := r.Scan(&e.ID, &e.PersonID, &e.TemplateID, &e.Delta, &e.BalanceAfter, &e.Reason, &e.Ref, &e.CreatedAt); err != nil {
			return e, err
		}
		e.CreatedAt = e.CreatedAt.UTC()
		return e, nil
	}, `SELECT id, person_id, template_id, delta, balance_after, reason, ref, created_at
		FROM wechat_ledger_entries WHERE person_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, personID, limit)
}

// WeChatToken is the access token every node shares, and who is refreshing it.
type WeChatToken struct {
	AppID       string
	AccessToken string
	ExpiresAt   *time.Time
	LeaseOwner  string
	LeaseUntil  *time.Time
	Refreshes   int
}

// WeChatToken reads the shared access token.
func (q *Queries) WeChatToken(ctx context.Context) (WeChatToken, error) {
	var t WeChatToken
	var exp, lease sql.NullTime
	err := q.q.QueryRowContext(ctx, `SELECT app_id, access_token, expires_at, lease_owner, lease_until, refreshes
		FROM wechat_token WHERE id = 1`).Scan(&t.AppID, &t.AccessToken, &exp, &t.LeaseOwner, &lease, &t.Refreshes)
	if err != nil {
		return t, fmt.Errorf("store: wechat token: %w", err)
	}
	t.ExpiresAt, t.LeaseUntil = timePtr(exp), timePtr(lease)
	return t, nil
}

// TakeWeChatTokenLease makes owner the one node refreshing the token until until, unless another
// node holds an unexpired lease or the token was refreshed since the caller read it (refreshes is
// the count it saw: checked in the same statement, so two nodes that saw the same stale token
// cannot both refresh it one after the other); taken reports which.
func (q *Queries) TakeWeChatTokenLease(ctx context.Context, owner string, refreshes int, now, until time.Time) (taken bool, err error) {
	res, err := q.q.ExecContext(ctx, `UPDATE wechat_token SET lease_owner = $1, lease_until = $3
		WHERE id = 1 AND refreshes = $4 AND (lease_until IS NULL OR lease_until < $2 OR lease_owner = $1)`,
		owner, utc(now), utc(until), refreshes)
	if err != nil {
		return false, fmt.Errorf("store: wechat token lease: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// PutWeChatToken stores a fresh token fetched by the lease's owner and ends the lease.
func (q *Queries) PutWeChatToken(ctx context.Context, owner, appID, token string, expiresAt, now time.Time) error {
	_, err := q.q.ExecContext(ctx, `UPDATE wechat_token SET app_id = $2, access_token = $3, expires_at = $4,
		lease_owner = '', lease_until = NULL, refreshes = refreshes + 1, updated_at = $5 WHERE id = 1 AND lease_owner = $1`,
		owner, appID, token, utc(expiresAt), utc(now))
	if err != nil {
		return fmt.Errorf("store: put wechat token: %w", err)
	}
	return nil
}

// ReleaseWeChatTokenLease ends owner's lease without a new token (the fetch failed).
func (q *Queries) ReleaseWeChatTokenLease(ctx context.Context, owner string) error {
	_, err := q.q.ExecContext(ctx, `UPDATE wechat_token SET lease_owner = '', lease_until = NULL
		WHERE id = 1 AND lease_owner = $1`, owner)
	if err != nil {
		return fmt.Errorf("store: release wechat token lease: %w", err)
	}
	return nil
}

// ExpireWeChatToken marks token as expired when it is still the stored one (WeChat refused it);
// a token another node has replaced already is left alone.
func (q *Queries) ExpireWeChatToken(ctx context.Context, token string, now time.Time) error {
	_, err := q.q.ExecContext(ctx, `UPDATE wechat_token SET expires_at = $2 WHERE id = 1 AND access_token = $1`,
		token, utc(now))
	if err != nil {
		return fmt.Errorf("store: expire wechat token: %w", err)
	}
	return nil
}
