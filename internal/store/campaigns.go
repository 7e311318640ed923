package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/homebell/homebell/internal/model"
)

// Campaigns (P1, P2): one row per campaign; audience membership is evaluated on read against
// model.AudienceFacts; explicit lists, read state, pushes and fan-out batches have small tables.

const campaignCols = `id, kind, title, body, image_file_id, items, rules, audience, send_at, starts_at, ends_at, state,
	created_by, version, created_at, updated_at, cancelled_at`

func scanCampaign(row interface{ Scan(...any) error }) (model.Campaign, error) {
	var c model.Campaign
	var title, body, items, rules, aud string
	var starts, ends, cancelled sql.NullTime
	err := row.Scan(&c.ID, &c.Kind, &title, &body, &c.ImageFileID, &items, &rules, &aud, &c.SendAt, &starts, &ends,
		&c.State, &c.CreatedBy, &c.Version, &c.CreatedAt, &c.UpdatedAt, &cancelled)
	if err != nil {
		return c, err
	}
	for _, p := range []struct {
		raw string
		v   any
	}{{title, &c.Title}, {body, &c.Body}, {items, &c.ServiceItemIDs}, {rules, &c.Rules}, {aud, &c.Audience}} {
		if err := json.Unmarshal([]byte(p.raw), p.v); err != nil {
			return c, fmt.Errorf("campaign %s: %w", c.ID, err)
		}
	}
	if c.ServiceItemIDs == nil {
		c.ServiceItemIDs = []string{}
	}
	if c.Rules == nil {
		c.Rules = []model.PromotionRule{}
	}
	c.RulesText = model.RulesText(c.Rules)
	c.SendAt, c.CreatedAt, c.UpdatedAt = c.SendAt.UTC(), c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	c.StartsAt, c.EndsAt, c.CancelledAt = orderPtrTime(starts), orderPtrTime(ends), orderPtrTime(cancelled)
	c.Status = c.State
	return c, nil
}

func campaignArgs(c *model.Campaign) ([]any, error) {
	aud := c.Audience
	aud.PersonIDs = nil
	var raws []string
	for _, v := range []any{c.Title, c.Body, c.ServiceItemIDs, c.Rules, aud} {
		b, err := model.MarshalJSON(v)
		if err != nil {
			return nil, fmt.Errorf("store: campaign %s: %w", c.ID, err)
		}
		raws = append(raws, string(b))
	}
	return []any{c.ID, c.Kind, raws[0], raws[1], c.ImageFileID, raws[2], raws[3], raws[4], utc(c.SendAt),
		orderNullTime(c.StartsAt), orderNullTime(c.EndsAt), c.State, c.CreatedBy, c.Version, utc(c.CreatedAt),
		utc(c.UpdatedAt), orderNullTime(c.CancelledAt)}, nil
}

// InsertCampaign stores a new campaign.
func (q *Queries) InsertCampaign(ctx context.Context, c *model.Campaign) error {
	args, err := campaignArgs(c)
	if err != nil {
		return err
	}
	_, err = q.q.ExecContext(ctx, `INSERT INTO campaigns (`+campaignCols+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)`, args...)
	if err != nil {
		return fmt.Errorf("store: insert campaign: %w", err)
	}
	return nil
}

// UpdateCampaign replaces a campaign whose version is still fromVersion (compare-and-swap); a
// campaign changed meanwhile is a conflict.
func (q *Queries) UpdateCampaign(ctx context.Context, c *model.Campaign, fromVersion int) error {
	args, err := campaignArgs(c)
	if err != nil {
		return err
	}
	res, err := q.q.ExecContext(ctx, `UPDATE campaigns SET kind=$2, title=$3, body=$4, image_file_id=$5, items=$6,
		rules=$7, audience=$8, send_at=$9, starts_at=$10, ends_at=$11, state=$12, created_by=$13, version=$14,
		created_at=$15, updated_at=$16, cancelled_at=$17 WHERE id=$1 AND version=$18`, append(args, fromVersion)...)
	if err != nil {
		return fmt.Errorf("store: update campaign %s: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return model.Errorf(model.CodeConflict, "campaign %s changed meanwhile; read it again", c.ID)
	}
	return nil
}

// Campaign returns one campaign.
func (q *Queries) Campaign(ctx context.Context, id string) (model.Campaign, error) {
	c, err := scanCampaign(q.q.QueryRowContext(ctx, `SELECT `+campaignCols+` FROM campaigns WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFound("campaign", id)
	}
	if err != nil {
		return c, fmt.Errorf("store: campaign %s: %w", id, err)
	}
	return c, nil
}

func (q *Queries) campaigns(ctx context.Context, query string, args ...any) ([]model.Campaign, error) {
	return queryAll(ctx, q.q, "campaigns", func(r rowScanner) (model.Campaign, error) { return scanCampaign(r) }, query, args...)
}

// Campaigns lists campaigns newest first, before the (created_at, id) cursor when set.
func (q *Queries) Campaigns(ctx context.Context, beforeAt time.Time, beforeID string, limit int) ([]model.Campaign, error) {
	if beforeID == "" {
		return q.campaigns(ctx, `SELECT `+campaignCols+` FROM campaigns
			ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
	}
	return q.campaigns(ctx, `SELECT `+campaignCols+` FROM campaigns
		WHERE (created_at, id) < ($1, $2) ORDER BY created_at DESC, id DESC LIMIT $3`, utc(beforeAt), beforeID, limit)
}

// ShownCampaigns lists the campaigns not cancelled whose send time is after since (scheduled ones
// included): what message centers may show, cached by the campaign service.
func (q *Queries) ShownCampaigns(ctx context.Context, since time.Time) ([]model.Campaign, error) {
	return q.campaigns(ctx, `SELECT `+campaignCols+` FROM campaigns
		WHERE send_at > $1 AND state <> 'cancelled' ORDER BY send_at, id`, utc(since))
}

// ReplaceCampaignMembers sets the explicit audience of a list campaign.
func (q *Queries) ReplaceCampaignMembers(ctx context.Context, campaignID string, personIDs []string) error {
	if _, err := q.q.ExecContext(ctx, `DELETE FROM campaign_members WHERE campaign_id = $1`, campaignID); err != nil {
		return fmt.Errorf("store: campaign members: %w", err)
	}
	const chunk = 500
	for len(personIDs) > 0 {
		n := min(chunk, len(personIDs))
		var sb strings.Builder
		args := []any{campaignID}
		sb.WriteString(`INSERT INTO campaign_members (campaign_id, person_id) VALUES `)
		for i, id := range personIDs[:n] {
			if i > 0 {
				sb.WriteByte(',')
			}
			args = append(args, id)
			sb.WriteString(`($1,$` + strconv.Itoa(len(args)) + `)`)
		}
		sb.WriteString(` ON CONFLICT DO NOTHING`)
		if _, err := q.q.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("store: campaign members: %w", err)
		}
		personIDs = personIDs[n:]
	}
	return nil
}

// CampaignMembers lists up to limit members of a list campaign after the person id after.
func (q *Queries) CampaignMembers(ctx context.Context, campaignID, after string, limit int) ([]string, error) {
	return q.ids(ctx, "campaign members", `SELECT person_id FROM campaign_members WHERE campaign_id = $1
		AND person_id > $2 ORDER BY person_id LIMIT $3`, campaignID, after, limit)
}

// CountCampaignMembers counts a list campaign's members who exist as people.
func (q *Queries) CountCampaignMembers(ctx context.Context, campaignID string) (int, error) {
	var n int
	err := q.q.QueryRowContext(ctx, `SELECT count(*) FROM campaign_members m JOIN people p ON p.id = m.person_id
		WHERE m.campaign_id = $1`, campaignID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count campaign members: %w", err)
	}
	return n, nil
}

// ids reads one text column (ids) of every row.
func (q *Queries) ids(ctx context.Context, what, query string, args ...any) ([]string, error) {
	return queryAll(ctx, q.q, what, func(r rowScanner) (string, error) {
		var s string
		err := r.Scan(&s)
		return s, err
	}, query, args...)
}

// inList appends ids as parameters and returns "($k,…)".
func inList(args []any, ids []string) ([]any, string) {
	var sb strings.Builder
	sb.WriteByte('(')
	for i, id := range ids {
		if i > 0 {
			sb.WriteByte(',')
		}
		args = append(args, id)
		sb.WriteString("$" + strconv.Itoa(len(args)))
	}
	sb.WriteByte(')')
	return args, sb.String()
}

// CustomerIDs lists up to limit customers' ids after the id after, in id order (fan-out pages).
func (q *Queries) CustomerIDs(ctx context.Context, after string, limit int) ([]string, error) {
	return q.ids(ctx, "customer ids", `SELECT id FROM people WHERE role = 'customer' AND id > $1
		ORDER BY id LIMIT $2`, after, limit)
}

// CountAudience counts the people an audience names today (before switches). A list audience
// counts the campaign's stored members (campaignID) or, without one, the ids that exist.
func (q *Queries) CountAudience(ctx context.Context, a model.Audience, campaignID string) (int, error) {
	return q.countAudience(ctx, a, campaignID, nil)
}

// CountAudienceAmong counts the members of an audience who are among ids (in chunks, so a long
// list of ids stays within the databases' parameter limits).
func (q *Queries) CountAudienceAmong(ctx context.Context, a model.Audience, ids []string) (int, error) {
	total := 0
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		n, err := q.countAudience(ctx, a, "", chunk)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// countAudience counts an audience, limited to the people among when among is not nil.
func (q *Queries) countAudience(ctx context.Context, a model.Audience, campaignID string, among []string) (int, error) {
	var query string
	var args []any
	// within limits the people counted (column: the person id of the query) to among.
	within := func(column string) string {
		if among == nil {
			return ""
		}
		var in string
		args, in = inList(args, among)
		return " AND " + column + " IN " + in
	}
	switch a.Kind {
	case model.AudienceAll:
		query = `SELECT count(*) FROM people WHERE role = 'customer'` + within("id")
	case model.AudienceNewCustomers:
		query = `SELECT count(*) FROM people p WHERE p.role = 'customer' AND NOT EXISTS
			(SELECT 1 FROM orders o WHERE o.customer_id = p.id AND o.status = 'completed')` + within("p.id")
	case model.AudienceItems:
		var in string
		args, in = inList(nil, a.ServiceItemIDs)
		query = `SELECT count(DISTINCT o.customer_id) FROM orders o JOIN people p ON p.id = o.customer_id
			WHERE p.role = 'customer' AND o.status = 'completed' AND o.service_item_id IN ` + in + within("o.customer_id")
	case model.AudienceAreas:
		var in string
		args, in = inList(nil, a.Areas)
		var likes []string
		for _, ar := range a.Areas {
			args = append(args, likeEscape(ar)+"%")
			likes = append(likes, `o.address LIKE $`+strconv.Itoa(len(args))+` ESCAPE '\'`)
		}
		query = `SELECT count(*) FROM people p WHERE p.role = 'customer' AND (p.area IN ` + in + ` OR EXISTS
			(SELECT 1 FROM orders o WHERE o.customer_id = p.id AND (o.area IN ` + in + ` OR ` + strings.Join(likes, " OR ") + `)))` + within("p.id")
	case model.AudienceList:
		if campaignID != "" && among == nil {
			return q.CountCampaignMembers(ctx, campaignID)
		}
		var in string
		args, in = inList(nil, a.PersonIDs)
		query = `SELECT count(*) FROM people WHERE id IN ` + in + within("id")
	default:
		return 0, nil
	}
	var n int
	if err := q.q.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count audience: %w", err)
	}
	return n, nil
}

// CampaignRead is one person's read state of one campaign.
type CampaignRead struct {
	ReadAt   time.Time
	OpenedAt *time.Time
}

// MarkCampaignsRead records that personID read the campaigns (already read ones stay as they
// were); opened also records that the detail was opened. It returns how many were newly read.
func (q *Queries) MarkCampaignsRead(ctx context.Context, personID string, ids []string, opened bool, now time.Time) (int64, error) {
	var total int64
	for _, id := range ids {
		var res sql.Result
		var err error
		if opened {
			// Newly read counts only when the row is new; opening a read one just stamps opened_at.
			res, err = q.q.ExecContext(ctx, `INSERT INTO campaign_reads (person_id, campaign_id, read_at, opened_at)
				VALUES ($1,$2,$3,$3) ON CONFLICT (person_id, campaign_id) DO NOTHING`, personID, id, utc(now))
			if err == nil {
				_, err = q.q.ExecContext(ctx, `UPDATE campaign_reads SET opened_at = $3 WHERE person_id = $1
					AND campaign_id = $2 AND opened_at IS NULL`, personID, id, utc(now))
			}
		} else {
			res, err = q.q.ExecContext(ctx, `INSERT INTO campaign_reads (person_id, campaign_id, read_at)
				VALUES ($1,$2,$3) ON CONFLICT (person_id, campaign_id) DO NOTHING`, personID, id, utc(now))
		}
		if err != nil {
			return total, fmt.Errorf("store: mark campaign read: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}

// PreferencesOfMany returns the stored preference documents of people, by person id (people
// without their own preferences are absent).
func (q *Queries) PreferencesOfMany(ctx context.Context, personIDs []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	if len(personIDs) == 0 {
		return out, nil
	}
	args, in := inList(nil, personIDs)
	return q.preferencesWhere(ctx, `person_id IN `+in, args...)
}

// preferencesWhere reads the preference documents that match where, by person id.
func (q *Queries) preferencesWhere(ctx context.Context, where string, args ...any) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := queryEach(ctx, q.q, "preferences", func(r rowScanner) error {
		var id, raw string
		if err := r.Scan(&id, &raw); err != nil {
			return err
		}
		out[id] = []byte(raw)
		return nil
	}, `SELECT person_id, prefs FROM preferences WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PreferencesMentioning lists the stored preferences whose document contains text (a cheap
// filter: callers parse and decide), by person id.
func (q *Queries) PreferencesMentioning(ctx context.Context, text string) (map[string][]byte, error) {
	return q.preferencesWhere(ctx, `prefs LIKE $1 ESCAPE '\'`, "%"+likeEscape(text)+"%")
}

// PeopleByIDs returns the people among ids, by id.
func (q *Queries) PeopleByIDs(ctx context.Context, ids []string) (map[string]model.Person, error) {
	out := map[string]model.Person{}
	// Through the read cache like Person: only the people it does not hold are read, and kept.
	use := q.rc != nil && !q.wrote
	missing := ids
	if use {
		missing = nil
		for _, id := range ids {
			if p, ok := cacheGet(q.rc, q.rc.people, id); ok {
				out[id] = p
			} else {
				missing = append(missing, id)
			}
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	var gen uint64
	if use {
		gen = q.rc.generation()
	}
	at := time.Now()
	args, in := inList(nil, missing)
	people, err := queryAll(ctx, q.q, "people", func(r rowScanner) (model.Person, error) { return scanPerson(r) },
		`SELECT `+personCols+` FROM people WHERE id IN `+in, args...)
	if err != nil {
		return nil, err
	}
	for _, p := range people {
		out[p.ID] = p
		if use {
			cachePut(q.rc, q.rc.people, p.ID, p, at, gen)
		}
	}
	return out, nil
}

// PushSubscriptionsOfMany lists the push subscriptions of people, by person id.
func (q *Queries) PushSubscriptionsOfMany(ctx context.Context, ids []string) (map[string][]model.PushSubscription, error) {
	out := map[string][]model.PushSubscription{}
	if len(ids) == 0 {
		return out, nil
	}
	args, in := inList(nil, ids)
	return q.pushSubsByPerson(ctx, `person_id IN `+in, args...)
}

// PutCampaignBatch records what one fan-out batch found (replacing an earlier run of it).
func (q *Queries) PutCampaignBatch(ctx context.Context, campaignID, batch string, audience, capped, deferred int, now time.Time) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO campaign_batches (campaign_id, batch, audience, capped, deferred, updated_at)
		VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (campaign_id, batch) DO UPDATE SET audience = excluded.audience,
		capped = excluded.capped, deferred = excluded.deferred, updated_at = excluded.updated_at`,
		campaignID, batch, audience, capped, deferred, utc(now))
	if err != nil {
		return fmt.Errorf("store: campaign batch: %w", err)
	}
	return nil
}

// CampaignStats counts a campaign's numbers. Delivered counts the delivery-log rows of its pushes,
// whose notification ids are "campaign:<id>:<person>".
func (q *Queries) CampaignStats(ctx context.Context, id string) (model.CampaignStats, error) {
	var s model.CampaignStats
	prefix := CampaignDeliveryPrefix(id)
	err := q.q.QueryRowContext(ctx, `SELECT
		(SELECT COALESCE(sum(audience),0) FROM campaign_batches WHERE campaign_id = $1),
		(SELECT COALESCE(sum(capped),0) FROM campaign_batches WHERE campaign_id = $1),
		(SELECT COALESCE(sum(deferred),0) FROM campaign_batches WHERE campaign_id = $1),
		(SELECT count(*) FROM campaign_pushes WHERE campaign_id = $1),
		(SELECT count(DISTINCT recipient_id) FROM deliveries WHERE notification_id >= $2 AND notification_id < $3 AND state = 'sent'),
		(SELECT count(*) FROM campaign_reads WHERE campaign_id = $1),
		(SELECT count(*) FROM campaign_reads WHERE campaign_id = $1 AND opened_at IS NOT NULL)`,
		id, prefix, prefix[:len(prefix)-1]+";").Scan(&s.Audience, &s.Capped, &s.Deferred, &s.Pushed, &s.Delivered, &s.Read, &s.Opened)
	if err != nil {
		return s, fmt.Errorf("store: campaign stats %s: %w", id, err)
	}
	return s, nil
}

// CampaignDeliveryPrefix begins the notification id of every off-app delivery of a campaign.
func CampaignDeliveryPrefix(campaignID string) string { return "campaign:" + campaignID + ":" }

// PushPage names one page of a campaign's fan-out: the customers (or, with ListID, the members
// of that list campaign) after the id After, up to Limit of them; or, with IDs, exactly those
// people (a re-run of a page's people whose receiving window has opened).
type PushPage struct {
	ListID string
	After  string
	Limit  int
	IDs    []string // sorted; read as the range IDs[0]..IDs[len-1], so the query stays one index walk
	// Since starts the frequency cap's window: pushes after it count.
	Since time.Time
	// WithOrders also reads the orders' facts (audiences by items, areas, new customers).
	WithOrders bool
}

// PushCandidate is one person of a fan-out page with everything the plan decides on.
type PushCandidate struct {
	model.AudienceFacts
	Exists           bool // false: a listed id that names nobody
	Locale, TimeZone string
	Prefs            []byte // their stored preferences; nil when they kept the defaults
	Recent           int    // platform pushes since PushPage.Since (the frequency cap)
	Subs             int    // push subscriptions
}

// PushCandidates reads one fan-out page in one index walk (people by id, with their preferences,
// recent push count and subscription count alongside), and their orders in a second range read
// when asked. A page is a contiguous id range, so neither query carries a list of ids: on SQLite,
// binding a thousand parameters cost more than running the query.
func (q *Queries) PushCandidates(ctx context.Context, pg PushPage) ([]PushCandidate, error) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	// A page of customers is a contiguous id range: its preferences, push counts and
	// subscriptions are three range reads after it (per-row subqueries cost PostgreSQL 16 µs a
	// row, and its generic plan of a join with preferences walked them from the first id on every
	// page). A list's members may be spread over every customer, so its page reads them row by row.
	key, from, rest, where := "p.id", `people p`, `NULL, 0, 0`, `p.role = 'customer'`
	if pg.ListID != "" {
		key, from = "m.person_id", `campaign_members m LEFT JOIN people p ON p.id = m.person_id`
		rest = `(SELECT prefs FROM preferences f WHERE f.person_id = m.person_id),
		(SELECT count(*) FROM campaign_pushes c WHERE c.person_id = m.person_id AND c.pushed_at > ` + arg(utc(pg.Since)) + `),
		(SELECT count(*) FROM push_subscriptions s WHERE s.person_id = m.person_id)`
		where = `m.campaign_id = ` + arg(pg.ListID)
	}
	if len(pg.IDs) > 0 {
		where += ` AND ` + key + ` >= ` + arg(pg.IDs[0]) + ` AND ` + key + ` <= ` + arg(pg.IDs[len(pg.IDs)-1])
	} else {
		where += ` AND ` + key + ` > ` + arg(pg.After) + ` ORDER BY ` + key + ` LIMIT ` + arg(pg.Limit)
	}
	query := `SELECT ` + key + `, p.id IS NOT NULL, COALESCE(p.role, ''), COALESCE(p.area, ''), COALESCE(p.locale, ''),
		COALESCE(p.time_zone, ''), ` + rest + ` FROM ` + from + ` WHERE ` + where
	var want map[string]bool
	if len(pg.IDs) > 0 {
		want = make(map[string]bool, len(pg.IDs))
		for _, id := range pg.IDs {
			want[id] = true
		}
	}
	out := make([]PushCandidate, 0, max(pg.Limit, len(pg.IDs)))
	err := queryEach(ctx, q.q, "push candidates", func(r rowScanner) error {
		var c PushCandidate
		var role string
		var prefs sql.NullString
		if err := r.Scan(&c.PersonID, &c.Exists, &role, &c.Area, &c.Locale, &c.TimeZone, &prefs, &c.Recent, &c.Subs); err != nil {
			return err
		}
		if want != nil && !want[c.PersonID] {
			return nil
		}
		c.Role = model.Role(role)
		if prefs.Valid {
			c.Prefs = []byte(prefs.String)
		}
		if pg.ListID != "" {
			c.Lists = map[string]bool{pg.ListID: true}
		}
		out = append(out, c)
		return nil
	}, query, args...)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	if pg.ListID == "" {
		if err := q.pushCandidateCounts(ctx, out, pg.Since); err != nil {
			return nil, err
		}
	}
	if !pg.WithOrders {
		return out, nil
	}
	return out, q.pushCandidateOrders(ctx, out, pg.ListID != "")
}

// pushCandidateCounts adds preferences, recent pushes and subscriptions to a page of customers
// (sorted by id) with one range read each.
func (q *Queries) pushCandidateCounts(ctx context.Context, cs []PushCandidate, since time.Time) error {
	at := make(map[string]int, len(cs))
	for i := range cs {
		at[cs[i].PersonID] = i
	}
	first, last := cs[0].PersonID, cs[len(cs)-1].PersonID
	for k, query := range []string{
		`SELECT person_id, count(*) FROM campaign_pushes WHERE person_id >= $1 AND person_id <= $2 AND pushed_at > $3 GROUP BY person_id`,
		`SELECT person_id, count(*) FROM push_subscriptions WHERE person_id >= $1 AND person_id <= $2 GROUP BY person_id`,
		`SELECT person_id, prefs FROM preferences WHERE person_id >= $1 AND person_id <= $2`,
	} {
		args := []any{first, last, utc(since)}
		if k > 0 {
			args = args[:2]
		}
		err := queryEach(ctx, q.q, "push candidates", func(r rowScanner) error {
			var id, v string
			if err := r.Scan(&id, &v); err != nil {
				return err
			}
			i, ok := at[id]
			if !ok {
				return nil
			}
			switch k {
			case 0:
				cs[i].Recent, _ = strconv.Atoi(v)
			case 1:
				cs[i].Subs, _ = strconv.Atoi(v)
			case 2:
				cs[i].Prefs = []byte(v)
			}
			return nil
		}, query, args...)
		if err != nil {
			return err
		}
	}
	return nil
}

// pushCandidateOrders adds the orders' facts to a page of candidates (sorted by id): a range read
// for a page of customers, an id list for a list's members (who may be spread over all customers).
func (q *Queries) pushCandidateOrders(ctx context.Context, cs []PushCandidate, listed bool) error {
	byID := make(map[string]*model.AudienceFacts, len(cs))
	ids := make([]string, 0, len(cs))
	for i := range cs {
		byID[cs[i].PersonID] = &cs[i].AudienceFacts
		ids = append(ids, cs[i].PersonID)
	}
	const cols = `SELECT customer_id, service_item_id, area, address, status FROM orders `
	add := func(r rowScanner) error {
		var cust, item, area, addr, status string
		if err := r.Scan(&cust, &item, &area, &addr, &status); err != nil {
			return err
		}
		if f := byID[cust]; f != nil {
			addOrderFact(f, item, area, addr, status)
		}
		return nil
	}
	const what = "push candidates' orders"
	if !listed {
		return queryEach(ctx, q.q, what, add, cols+`WHERE customer_id >= $1 AND customer_id <= $2`, ids[0], ids[len(ids)-1])
	}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		args, in := inList(nil, chunk)
		if err := queryEach(ctx, q.q, what, add, cols+`WHERE customer_id IN `+in, args...); err != nil {
			return err
		}
	}
	return nil
}

// addOrderFact adds one order of the person of f to f.
func addOrderFact(f *model.AudienceFacts, item, area, addr, status string) {
	if f.Areas == nil {
		f.Areas, f.Items = map[string]bool{}, map[string]bool{}
	}
	if area != "" {
		f.Areas[area] = true
	}
	f.Addresses = append(f.Addresses, addr)
	if status == string(model.OrderCompleted) {
		f.Completed++
		f.Items[item] = true
	}
}

// PushSubscriptionsBetween lists the push subscriptions of the people with ids from first through
// last, by person id (a fan-out page's range).
func (q *Queries) PushSubscriptionsBetween(ctx context.Context, first, last string) (map[string][]model.PushSubscription, error) {
	return q.pushSubsByPerson(ctx, `person_id >= $1 AND person_id <= $2`, first, last)
}

// InsertCampaignPushes records platform pushes of a campaign to people in multi-row statements
// and returns those newly recorded (a person pushed this campaign already is left out).
func (q *Queries) InsertCampaignPushes(ctx context.Context, campaignID string, personIDs []string, now time.Time) ([]string, error) {
	var out []string
	const chunk = 300
	for len(personIDs) > 0 {
		n := min(chunk, len(personIDs))
		var sb strings.Builder
		args := []any{campaignID, utc(now)}
		sb.WriteString(`INSERT INTO campaign_pushes (person_id, campaign_id, pushed_at) VALUES `)
		for i, id := range personIDs[:n] {
			if i > 0 {
				sb.WriteByte(',')
			}
			args = append(args, id)
			sb.WriteString(`($` + strconv.Itoa(len(args)) + `,$1,$2)`)
		}
		sb.WriteString(` ON CONFLICT (person_id, campaign_id) DO NOTHING RETURNING person_id`)
		ids, err := q.ids(ctx, "campaign pushes", sb.String(), args...)
		if err != nil {
			return nil, err
		}
		out = append(out, ids...)
		personIDs = personIDs[n:]
	}
	return out, nil
}

// CampaignReader is what a message center needs about its reader to show campaigns: the person,
// their preferences (or the operators' defaults), their audience facts and their read state.
type CampaignReader struct {
	Found            bool // false: no such person
	Locale, TimeZone string
	Prefs            []byte // their own preferences document; nil when they have none
	Defaults         []byte // the setting defaultsKey; nil when unset
	Facts            model.AudienceFacts
	Reads            map[string]CampaignRead
}

// CampaignReaderOf reads a message center's reader in one statement (one round trip on
// PostgreSQL, one statement on SQLite, where four separate reads cost most of the page):
// tagged rows of the person, their preferences, the setting defaultsKey, their orders (when
// withOrders), the campaigns whose lists name them and their campaign reads.
func (q *Queries) CampaignReaderOf(ctx context.Context, personID, defaultsKey string, withOrders bool) (CampaignReader, error) {
	query, each, r := campaignReaderSQL(q.dialect, personID, withOrders)
	err := queryEach(ctx, q.q, "campaign reader "+personID, each, query, personID, defaultsKey)
	return *r, err
}

// CampaignReadersOf is CampaignReaderOf for several people at once: one statement per 200 of
// them (the realtime hub's unread counts for everyone one commit told). Everyone asked for is in
// the map; Found says whether they exist.
func (q *Queries) CampaignReadersOf(ctx context.Context, personIDs []string, defaultsKey string, withOrders bool) (map[string]*CampaignReader, error) {
	out := make(map[string]*CampaignReader, len(personIDs))
	for _, id := range personIDs {
		out[id] = &CampaignReader{Reads: map[string]CampaignRead{}, Facts: model.AudienceFacts{PersonID: id}}
	}
	readAt, openedAt := `CAST(read_at AS TEXT)`, `CAST(opened_at AS TEXT)`
	if q.dialect == Postgres {
		const layout = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`
		readAt, openedAt = `to_char(read_at AT TIME ZONE 'UTC', `+layout+`)`, `to_char(opened_at AT TIME ZONE 'UTC', `+layout+`)`
	}
	var defaults []byte
	for len(personIDs) > 0 {
		n := min(len(personIDs), 200)
		args, in := inList(nil, personIDs[:n])
		personIDs = personIDs[n:]
		args = append(args, defaultsKey)
		query := `SELECT 'p', id, role, area, locale, time_zone FROM people WHERE id IN ` + in + `
		UNION ALL SELECT 'f', person_id, prefs, '', '', '' FROM preferences WHERE person_id IN ` + in + `
		UNION ALL SELECT 'd', '', value, '', '', '' FROM settings WHERE key = $` + strconv.Itoa(len(args)) + `
		UNION ALL SELECT 'm', person_id, campaign_id, '', '', '' FROM campaign_members WHERE person_id IN ` + in + `
		UNION ALL SELECT 'r', person_id, campaign_id, ` + readAt + `, COALESCE(` + openedAt + `, ''), '' FROM campaign_reads WHERE person_id IN ` + in
		if withOrders {
			query += `
		UNION ALL SELECT 'o', customer_id, service_item_id, area, address, status FROM orders WHERE customer_id IN ` + in
		}
		err := queryEach(ctx, q.q, "campaign readers", func(row rowScanner) error {
			var tag, id, a, b, c, d string
			if err := row.Scan(&tag, &id, &a, &b, &c, &d); err != nil {
				return err
			}
			if tag == "d" {
				defaults = []byte(a)
				return nil
			}
			if r := out[id]; r != nil {
				return r.add(tag, a, b, c, d)
			}
			return nil
		}, query, args...)
		if err != nil {
			return nil, err
		}
	}
	for _, r := range out {
		r.Defaults = defaults
	}
	return out, nil
}

// campaignReaderSQL is CampaignReaderOf's statement (arguments: personID, defaultsKey), the
// function that reads each of its rows and the reader it fills.
func campaignReaderSQL(d Dialect, personID string, withOrders bool) (string, func(rowScanner) error, *CampaignReader) {
	r := &CampaignReader{Reads: map[string]CampaignRead{}}
	readAt, openedAt := `CAST(read_at AS TEXT)`, `CAST(opened_at AS TEXT)`
	if d == Postgres {
		const layout = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`
		readAt, openedAt = `to_char(read_at AT TIME ZONE 'UTC', `+layout+`)`, `to_char(opened_at AT TIME ZONE 'UTC', `+layout+`)`
	}
	query := `SELECT 'p', role, area, locale, time_zone FROM people WHERE id = $1
		UNION ALL SELECT 'f', prefs, '', '', '' FROM preferences WHERE person_id = $1
		UNION ALL SELECT 'd', value, '', '', '' FROM settings WHERE key = $2
		UNION ALL SELECT 'm', campaign_id, '', '', '' FROM campaign_members WHERE person_id = $1
		UNION ALL SELECT 'r', campaign_id, ` + readAt + `, COALESCE(` + openedAt + `, ''), '' FROM campaign_reads WHERE person_id = $1`
	if withOrders {
		query += `
		UNION ALL SELECT 'o', service_item_id, area, address, status FROM orders WHERE customer_id = $1`
	}
	r.Facts.PersonID = personID
	each := func(row rowScanner) error {
		var tag, a, b, c, d string
		if err := row.Scan(&tag, &a, &b, &c, &d); err != nil {
			return err
		}
		return r.add(tag, a, b, c, d)
	}
	return query, each, r
}

// add takes one tagged row of the reader's statement (campaignReaderSQL, CampaignReadersOf):
// p the person, f their preferences, d the defaults setting, m a list membership, r a campaign
// read, o an order.
func (r *CampaignReader) add(tag, a, b, c, d string) error {
	f := &r.Facts
	switch tag {
	case "p":
		r.Found, f.Role, f.Area, r.Locale, r.TimeZone = true, model.Role(a), b, c, d
	case "f":
		r.Prefs = []byte(a)
	case "d":
		r.Defaults = []byte(a)
	case "m":
		if f.Lists == nil {
			f.Lists = map[string]bool{}
		}
		f.Lists[a] = true
	case "r":
		var cr CampaignRead
		var err error
		if cr.ReadAt, err = parseStoredTime(b); err != nil {
			return err
		}
		if c != "" {
			t, err := parseStoredTime(c)
			if err != nil {
				return err
			}
			cr.OpenedAt = &t
		}
		r.Reads[a] = cr
	case "o":
		addOrderFact(f, a, b, c, d)
	}
	return nil
}
