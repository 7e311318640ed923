// The event log of each person (person_events, ordered by seq per person): what the realtime
// streams replay from.

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

// AppendEvent adds an entry to a person's event log and returns its seq. The seq counter row is
// locked for the rest of the transaction, so a person's events commit in seq order.
func (q *Queries) AppendEvent(ctx context.Context, personID, typ string, data any, now time.Time) (int64, error) {
	ev, err := q.AppendEventRecord(ctx, personID, typ, data, now)
	return ev.Seq, err
}

// AppendEventRecord is AppendEvent returning the entry as stored, so the realtime hub can hand it
// to open streams after commit without reading it back.
func (q *Queries) AppendEventRecord(ctx context.Context, personID, typ string, data any, now time.Time) (model.Event, error) {
	raw, err := model.MarshalJSON(data)
	if err != nil {
		return model.Event{}, fmt.Errorf("store: event payload: %w", err)
	}
	var seq int64
	err = q.q.QueryRowContext(ctx, `INSERT INTO person_seq (person_id, seq) VALUES ($1, 1)
		ON CONFLICT (person_id) DO UPDATE SET seq = person_seq.seq + 1 RETURNING seq`, personID).Scan(&seq)
	if err != nil {
		return model.Event{}, fmt.Errorf("store: next seq for %s: %w", personID, err)
	}
	now = utc(now)
	if _, err := q.q.ExecContext(ctx, `INSERT INTO person_events (person_id, seq, type, payload, created_at)
		VALUES ($1,$2,$3,$4,$5)`, personID, seq, typ, string(raw), now); err != nil {
		return model.Event{}, fmt.Errorf("store: append event: %w", err)
	}
	return model.Event{Seq: seq, Type: typ, Data: raw, CreatedAt: now}, nil
}

// EventsAfter returns a person's events with seq > after, in order, at most limit.
func (q *Queries) EventsAfter(ctx context.Context, personID string, after int64, limit int) ([]model.Event, error) {
	return queryAll(ctx, q.q, "events", func(r rowScanner) (model.Event, error) {
		var e model.Event
		var payload string
		if err := r.Scan(&e.Seq, &e.Type, &payload, &e.CreatedAt); err != nil {
			return e, err
		}
		e.Data = json.RawMessage(payload)
		e.CreatedAt = e.CreatedAt.UTC()
		return e, nil
	}, `SELECT seq, type, payload, created_at FROM person_events
		WHERE person_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, personID, after, limit)
}

// LastSeq is the newest seq of a person's log (0 when empty).
func (q *Queries) LastSeq(ctx context.Context, personID string) (int64, error) {
	var seq int64
	err := q.q.QueryRowContext(ctx, `SELECT seq FROM person_seq WHERE person_id = $1`, personID).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: last seq: %w", err)
	}
	return seq, nil
}

// LastSeqs returns the newest event-log seq of each of personIDs that has any (the realtime hub's
// safety-net poll: one query for every connected person instead of one per connection).
func (q *Queries) LastSeqs(ctx context.Context, personIDs []string) (map[string]int64, error) {
	out := make(map[string]int64, len(personIDs))
	for len(personIDs) > 0 {
		n := min(len(personIDs), 500)
		batch := personIDs[:n]
		personIDs = personIDs[n:]
		ph := make([]string, len(batch))
		args := make([]any, len(batch))
		for i, id := range batch {
			ph[i], args[i] = "$"+strconv.Itoa(i+1), id
		}
		err := queryEach(ctx, q.q, "last seqs", func(r rowScanner) error {
			var id string
			var seq int64
			if err := r.Scan(&id, &seq); err != nil {
				return err
			}
			out[id] = seq
			return nil
		}, `SELECT person_id, seq FROM person_seq WHERE person_id IN (`+strings.Join(ph, ",")+`)`, args...)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// EventsAfterMany reads the events of several people at once: for each person in from, those with
// seq > from[person], in person then seq order, at most limit rows in all. truncated reports that
// the limit was reached (some people's events may be missing or cut short). The realtime hub uses
// it to read once for every stream a commit woke instead of once per stream.
func (q *Queries) EventsAfterMany(ctx context.Context, from map[string]int64, limit int) (events map[string][]model.Event, truncated bool, err error) {
	events = make(map[string][]model.Event, len(from))
	if len(from) == 0 {
		return events, false, nil
	}
	// A VALUES list joined to the log: linear to plan, where an OR of per-person ranges is not.
	var b strings.Builder
	args := make([]any, 0, 2*len(from)+1)
	for id, after := range from {
		if len(args) > 0 {
			b.WriteString(",")
		}
		args = append(args, id, after)
		b.WriteString("(CAST($" + strconv.Itoa(len(args)-1) + " AS TEXT), CAST($" + strconv.Itoa(len(args)) + " AS BIGINT))")
	}
	args = append(args, limit)
	n := 0
	err = queryEach(ctx, q.q, "events of many", func(r rowScanner) error {
		var id, payload string
		var e model.Event
		if err := r.Scan(&id, &e.Seq, &e.Type, &payload, &e.CreatedAt); err != nil {
			return err
		}
		e.Data = json.RawMessage(payload)
		e.CreatedAt = e.CreatedAt.UTC()
		events[id] = append(events[id], e)
		n++
		return nil
	}, `WITH w (person_id, after) AS (VALUES `+b.String()+`)
		SELECT e.person_id, e.seq, e.type, e.payload, e.created_at FROM w
		JOIN person_events e ON e.person_id = w.person_id AND e.seq > w.after
		ORDER BY e.person_id, e.seq LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, false, err
	}
	return events, n >= limit, nil
}

// PurgeEvents deletes up to limit event-log entries created before before. The seq counters stay:
// a person's seq never goes back.
func (q *Queries) PurgeEvents(ctx context.Context, before time.Time, limit int) (int64, error) {
	res, err := q.q.ExecContext(ctx, `DELETE FROM person_events WHERE (person_id, seq) IN (SELECT person_id, seq
		FROM person_events WHERE created_at < $1 LIMIT $2)`, utc(before), limit)
	if err != nil {
		return 0, fmt.Errorf("store: purge events: %w", err)
	}
	return res.RowsAffected()
}
