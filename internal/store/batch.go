package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/homebell/homebell/internal/model"
)

// Set-based writes for events with many recipients (bulk cancellation): one multi-row statement
// per batchRows rows instead of one statement per row. Each row means exactly what its one-row
// counterpart (InsertNotification, AppendEventRecord, ScheduleJob) means.

// batchRows bounds the rows of one multi-row statement: 15 parameters per notification row make
// 6,000, well under SQLite's 32,766 and PostgreSQL's 65,535.
const batchRows = 400

// param writes the placeholder of the k-th argument (1-based) of a statement whose placeholders
// are all written by param, in the order of their arguments: "$k" on PostgreSQL, an anonymous "?"
// on SQLite. SQLite keeps every named parameter ("$k") in a list it searches from the start each
// time a parameter is bound (sqlite3_bind_parameter_name, which the driver calls for each one), so
// binding a statement of n named parameters costs n²/2 steps — for a 200-row notification insert
// (3,000 parameters), 4.5 million, more than the rows' B-tree inserts; "?" parameters have no name
// and skip that list.
func (q *Queries) param(sb *strings.Builder, k int) {
	if q.dialect == SQLite {
		sb.WriteByte('?')
		return
	}
	sb.WriteByte('$')
	sb.WriteString(strconv.Itoa(k))
}

// valuesRow writes one row of a multi-row VALUES list — a comma before it unless it is the list's
// first, a placeholder per value (q.param's, numbered after args), then literalTail — and returns
// args with vals appended.
func (q *Queries) valuesRow(sb *strings.Builder, first bool, args []any, literalTail string, vals ...any) []any {
	if !first {
		sb.WriteByte(',')
	}
	sb.WriteByte('(')
	for i := range vals {
		if i > 0 {
			sb.WriteByte(',')
		}
		q.param(sb, len(args)+1+i)
	}
	sb.WriteString(literalTail)
	sb.WriteByte(')')
	return append(args, vals...)
}

// InsertNotifications inserts ns; a notification whose recipient already has one with its event
// key is not inserted (told already). inserted[i] reports whether ns[i] was.
func (q *Queries) InsertNotifications(ctx context.Context, ns []*model.Notification) (inserted []bool, err error) {
	inserted = make([]bool, len(ns))
	at := make(map[string]int, len(ns))
	for start := 0; start < len(ns); start += batchRows {
		part := ns[start:min(start+batchRows, len(ns))]
		var sb strings.Builder
		args := make([]any, 0, 15*len(part))
		sb.WriteString(`INSERT INTO notifications (` + notificationCols + `) VALUES `)
		for i, n := range part {
			if len(n.Data) == 0 {
				n.Data = json.RawMessage("{}")
			}
			n.CreatedAt = n.CreatedAt.UTC()
			var orderID any
			if n.OrderID != "" {
				orderID = n.OrderID
			}
			args = q.valuesRow(&sb, i == 0, args, ",NULL", n.ID, n.RecipientID, n.Kind, n.Category, importanceRank[n.Importance], n.Title, n.Body,
				string(n.Data), orderID, n.EventKey, n.Alert, n.CreatedAt, n.Alt.Locale, n.Alt.Title, n.Alt.Body)
			at[n.ID] = start + i
		}
		sb.WriteString(` ON CONFLICT (recipient_id, event_key) DO NOTHING RETURNING id`)
		ids, err := q.ids(ctx, "insert notifications", sb.String(), args...)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			inserted[at[id]] = true
		}
	}
	return inserted, nil
}

// NewEventRecord is an entry for a person's event log.
type NewEventRecord struct {
	PersonID string
	Type     string
	Data     any // marshalled to JSON
	// SameCounts is copied to the stored entry (model.Event.SameCounts, for the hub).
	SameCounts bool
	// SameCountsOf, when set, is read for SameCounts once the entry is stored (a deferred
	// UpsertThreadNotificationLater sets it by then).
	SameCountsOf *bool
}

// prepareEventRecords fills out[i] with recs[i]'s entry as it will be stored (its payload marshalled
// once, unless it already is), and counts the entries per person, in the order people first appear.
func prepareEventRecords(recs []NewEventRecord, out []model.Event, now time.Time) (map[string]int64, []string, error) {
	count := map[string]int64{}
	var people []string
	for i, r := range recs {
		raw, ok := r.Data.(json.RawMessage) // marshalled once by a caller logging it for many
		if !ok {
			var err error
			if raw, err = model.MarshalJSON(r.Data); err != nil {
				return nil, nil, fmt.Errorf("store: event payload: %w", err)
			}
		}
		out[i] = model.Event{Type: r.Type, Data: raw, CreatedAt: now, SameCounts: r.SameCounts}
		if count[r.PersonID] == 0 {
			people = append(people, r.PersonID)
		}
		count[r.PersonID]++
	}
	return count, people, nil
}

// AppendEventRecords appends recs to their people's event logs, in order per person, and returns
// the entries as stored (out[i] is recs[i]'s).
func (q *Queries) AppendEventRecords(ctx context.Context, recs []NewEventRecord, now time.Time) ([]model.Event, error) {
	out := make([]model.Event, len(recs))
	if len(recs) == 0 {
		return out, nil
	}
	now = utc(now)
	// How many entries each person gets: their seq moves by that much in one upsert.
	count, people, err := prepareEventRecords(recs, out, now)
	if err != nil {
		return nil, err
	}
	if q.dialect == Postgres && len(recs) <= batchRows {
		return out, q.appendEventRecordsPG(ctx, recs, out, people, count, now)
	}
	next := make(map[string]int64, len(people)) // the first seq each person's new entries take
	for part := range slices.Chunk(people, batchRows) {
		var sb strings.Builder
		args := make([]any, 0, 2*len(part))
		sb.WriteString(`INSERT INTO person_seq (person_id, seq) VALUES `)
		for i, p := range part {
			args = q.valuesRow(&sb, i == 0, args, "", p, count[p])
		}
		sb.WriteString(` ON CONFLICT (person_id) DO UPDATE SET seq = person_seq.seq + excluded.seq RETURNING person_id, seq`)
		err := queryEach(ctx, q.q, "next seqs", func(r rowScanner) error {
			var id string
			var last int64
			if err := r.Scan(&id, &last); err != nil {
				return err
			}
			next[id] = last - count[id] + 1
			return nil
		}, sb.String(), args...)
		if err != nil {
			return nil, err
		}
	}
	for i, r := range recs {
		if _, ok := next[r.PersonID]; !ok {
			return nil, fmt.Errorf("store: next seq for %s: not returned", r.PersonID)
		}
		out[i].Seq = next[r.PersonID]
		next[r.PersonID]++
		if r.SameCountsOf != nil {
			out[i].SameCounts = *r.SameCountsOf
		}
	}
	for start := 0; start < len(recs); start += batchRows {
		end := min(start+batchRows, len(recs))
		var sb strings.Builder
		args := make([]any, 0, 5*(end-start))
		sb.WriteString(`INSERT INTO person_events (person_id, seq, type, payload, created_at) VALUES `)
		for i := start; i < end; i++ {
			args = q.valuesRow(&sb, i == start, args, "", recs[i].PersonID, out[i].Seq, recs[i].Type, string(out[i].Data), now)
		}
		if _, err := q.q.ExecContext(ctx, sb.String(), args...); err != nil {
			return nil, fmt.Errorf("store: append events: %w", err)
		}
	}
	return out, nil
}

// appendEventRecordsPG is AppendEventRecords on PostgreSQL for up to batchRows entries: the
// people's seqs move and the entries go in in one statement (data-modifying WITH: each entry's seq
// is its person's new last seq less the entries of theirs after it in recs), one round trip
// instead of two. The seq counters are locked in the order of people, as the separate upsert did.
func (q *Queries) appendEventRecordsPG(ctx context.Context, recs []NewEventRecord, out []model.Event, people []string,
	count map[string]int64, now time.Time) error {
	var a argList
	parts := eventRecordsParts(&a, "e", recs, out, people, count, now)
	last := make(map[string]int64, len(people))
	err := queryEach(ctx, q.q, "append events", func(r rowScanner) error {
		var id string
		var seq int64
		if err := r.Scan(&id, &seq); err != nil {
			return err
		}
		last[id] = seq
		return nil
	}, "WITH "+parts+" SELECT person_id, seq FROM es", a.args...)
	if err != nil {
		return err
	}
	return numberEvents(recs, out, people, count, last)
}

// eventRecordsParts are the WITH parts of appendEventRecordsPG, named from name: name+"s" returns
// each person's new last seq.
func eventRecordsParts(a *argList, name string, recs []NewEventRecord, out []model.Event, people []string,
	count map[string]int64, now time.Time) string {
	var sb strings.Builder
	sb.WriteString(name + `s AS (INSERT INTO person_seq (person_id, seq) VALUES `)
	for i, p := range people {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString("(" + a.p(p) + "," + a.p(count[p]) + ")")
	}
	sb.WriteString(` ON CONFLICT (person_id) DO UPDATE SET seq = person_seq.seq + excluded.seq RETURNING person_id, seq), ` +
		name + `v (person_id, after, type, payload) AS (VALUES `)
	left := make(map[string]int64, len(people)) // entries of the person still to come in recs
	for p, n := range count {
		left[p] = n
	}
	for i, r := range recs {
		if i > 0 {
			sb.WriteByte(',')
		}
		left[r.PersonID]--
		sb.WriteString("(CAST(" + a.p(r.PersonID) + " AS TEXT),CAST(" + a.p(left[r.PersonID]) + " AS BIGINT),CAST(" +
			a.p(r.Type) + " AS TEXT),CAST(" + a.p(string(out[i].Data)) + " AS TEXT))")
	}
	sb.WriteString(`), ` + name + `ins AS (INSERT INTO person_events (person_id, seq, type, payload, created_at)
		SELECT v.person_id, s.seq - v.after, v.type, v.payload, CAST(` + a.p(now) + ` AS TIMESTAMPTZ) FROM ` +
		name + `v v JOIN ` + name + `s s ON s.person_id = v.person_id)`)
	return sb.String()
}

// numberEvents gives out their seqs from each person's new last seq.
func numberEvents(recs []NewEventRecord, out []model.Event, people []string, count, last map[string]int64) error {
	next := make(map[string]int64, len(people))
	for _, p := range people {
		l, ok := last[p]
		if !ok {
			return fmt.Errorf("store: next seq for %s: not returned", p)
		}
		next[p] = l - count[p] + 1
	}
	for i, r := range recs {
		out[i].Seq = next[r.PersonID]
		next[r.PersonID]++
		if r.SameCountsOf != nil {
			out[i].SameCounts = *r.SameCountsOf
		}
	}
	return nil
}

// AppendEventRecordsLater is AppendEventRecords whose entries' Seq (and SameCounts) are set by
// the transaction's commit at the latest: on PostgreSQL the write is deferred (deferred.go) to go
// with the transaction's next statement; elsewhere, or for more than batchRows entries, it runs
// now. Read the entries once the transaction has committed (AfterCommit).
func (q *Queries) AppendEventRecordsLater(ctx context.Context, recs []NewEventRecord, now time.Time) ([]model.Event, error) {
	if !q.deferring() || len(recs) == 0 || len(recs) > batchRows {
		return q.AppendEventRecords(ctx, recs, now)
	}
	now = utc(now)
	out := make([]model.Event, len(recs))
	count, people, err := prepareEventRecords(recs, out, now)
	if err != nil {
		return nil, err
	}
	recs = slices.Clone(recs)
	// Two appends in one statement would both move a person's seq: one waiting runs first.
	return out, q.deferWrite(ctx, deferredWrite{key: "person events",
		build: func(a *argList, name string) (string, string) {
			return eventRecordsParts(a, name, recs, out, people, count, now),
				`SELECT json_agg(json_build_array(person_id, seq)) FROM ` + name + `s`
		},
		done: func(r sql.NullString) error {
			var rows [][2]json.RawMessage
			if err := json.Unmarshal([]byte(r.String), &rows); err != nil {
				return fmt.Errorf("store: append events: %w", err)
			}
			last := make(map[string]int64, len(rows))
			for _, row := range rows {
				var id string
				var seq int64
				if err := json.Unmarshal(row[0], &id); err != nil {
					return fmt.Errorf("store: append events: %w", err)
				}
				if err := json.Unmarshal(row[1], &seq); err != nil {
					return fmt.Errorf("store: append events: %w", err)
				}
				last[id] = seq
			}
			return numberEvents(recs, out, people, count, last)
		}})
}

// ScheduleJobs inserts jobs as ScheduleJob does each (a job with a key replaces the job of that
// key). Of several with the same key in js, the last one counts.
func (q *Queries) ScheduleJobs(ctx context.Context, js []model.Job, now time.Time) error {
	byKey := map[string]int{}
	var list []model.Job
	for _, j := range js {
		if j.ID == "" {
			j.ID = model.NewID()
		}
		if j.MaxAttempts <= 0 {
			j.MaxAttempts = 1
		}
		if j.Key != "" {
			if i, ok := byKey[j.Key]; ok {
				list[i] = j
				continue
			}
			byKey[j.Key] = len(list)
		}
		list = append(list, j)
	}
	for part := range slices.Chunk(list, batchRows) {
		var sb strings.Builder
		args := make([]any, 0, 8*len(part))
		sb.WriteString(`INSERT INTO jobs (` + jobCols + `) VALUES `)
		for i, j := range part {
			var key any
			if j.Key != "" {
				key = j.Key
			}
			if i > 0 {
				sb.WriteByte(',')
			}
			n := len(args)
			sb.WriteByte('(')
			for k := n + 1; k <= n+4; k++ {
				q.param(&sb, k)
				sb.WriteByte(',')
			}
			sb.WriteString("'scheduled',")
			q.param(&sb, n+5)
			sb.WriteString(",0,")
			q.param(&sb, n+6)
			sb.WriteString(",'',")
			q.param(&sb, n+7)
			sb.WriteByte(',')
			q.param(&sb, n+8)
			sb.WriteByte(')')
			args = append(args, j.ID, j.Kind, key, string(j.Payload), utc(j.RunAt), j.MaxAttempts, utc(now), utc(now))
		}
		sb.WriteString(` ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, payload = excluded.payload, state = 'scheduled',
		run_at = excluded.run_at, attempts = 0, max_attempts = excluded.max_attempts, last_error = '',
		locked_until = NULL, locked_by = '', updated_at = excluded.updated_at`)
		if _, err := q.q.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("store: schedule jobs: %w", err)
		}
	}
	return nil
}
