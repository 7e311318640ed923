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

// Support (I3): the queue and who holds each support conversation, agents, notes, canned replies
// and ratings. The conversation and its messages are chat's.

const threadCols = `conversation_id, requester_id, requester_role, order_id, subject, status, agent_id, queued_at,
	assigned_at, resolved_at, resolutions, auto_replied_at, last_customer_at, last_agent_at, version, created_at, updated_at`

func nullTimeArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return utc(*t)
}

func scanThread(row interface{ Scan(...any) error }) (model.SupportThread, error) {
	var r threadRow
	err := row.Scan(r.targets()...)
	return r.thread(), err
}

// threadRow is a scanned row of threadCols (its nullable columns as they come).
type threadRow struct {
	t                                              model.SupportThread
	role, status                                   string
	order, agent                                   sql.NullString
	queued, assigned, resolved, auto, lastC, lastA sql.NullTime
}

// targets are the Scan targets of threadCols, then extra.
func (r *threadRow) targets(extra ...any) []any {
	t := &r.t
	return append([]any{&t.ConversationID, &t.RequesterID, &r.role, &r.order, &t.Subject, &r.status, &r.agent, &r.queued,
		&r.assigned, &r.resolved, &t.Resolutions, &r.auto, &r.lastC, &r.lastA, &t.Version, &t.CreatedAt, &t.UpdatedAt}, extra...)
}

// thread is the scanned row as a SupportThread.
func (r *threadRow) thread() model.SupportThread {
	t := r.t
	t.RequesterRole, t.Status, t.OrderID, t.AgentID = model.Role(r.role), model.SupportStatus(r.status), r.order.String, r.agent.String
	t.QueuedAt, t.AssignedAt, t.ResolvedAt, t.AutoRepliedAt = timePtr(r.queued), timePtr(r.assigned), timePtr(r.resolved), timePtr(r.auto)
	t.LastCustomerAt, t.LastAgentAt = timePtr(r.lastC), timePtr(r.lastA)
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return t
}

// InsertSupportThread stores a new support conversation's support state at version 1.
func (q *Queries) InsertSupportThread(ctx context.Context, t *model.SupportThread, now time.Time) error {
	t.Version, t.CreatedAt, t.UpdatedAt = 1, utc(now), utc(now)
	_, err := q.q.ExecContext(ctx, `INSERT INTO support_threads (`+threadCols+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)`,
		t.ConversationID, t.RequesterID, string(t.RequesterRole), orderNullString(t.OrderID), t.Subject, string(t.Status),
		orderNullString(t.AgentID), nullTimeArg(t.QueuedAt), nullTimeArg(t.AssignedAt), nullTimeArg(t.ResolvedAt), t.Resolutions,
		nullTimeArg(t.AutoRepliedAt), nullTimeArg(t.LastCustomerAt), nullTimeArg(t.LastAgentAt), t.Version, t.CreatedAt, t.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: insert support thread: %w", err)
	}
	return nil
}

// SupportThread returns one support conversation's support state.
func (q *Queries) SupportThread(ctx context.Context, conversationID string) (model.SupportThread, error) {
	t, err := scanThread(q.q.QueryRowContext(ctx, `SELECT `+threadCols+` FROM support_threads WHERE conversation_id = $1`, conversationID))
	if errors.Is(err, sql.ErrNoRows) {
		return t, model.Errorf(model.CodeNotFound, "support conversation %q not found", conversationID)
	}
	if err != nil {
		return t, fmt.Errorf("store: support thread %s: %w", conversationID, err)
	}
	return t, nil
}

// UpdateSupportThread writes t's mutable fields if the stored version is still t.Version and bumps
// it; otherwise it answers conflict. Every change of who holds a conversation goes through it, so
// two agents claiming at once cannot both win.
func (q *Queries) UpdateSupportThread(ctx context.Context, t *model.SupportThread, now time.Time) error {
	res, err := q.q.ExecContext(ctx, `UPDATE support_threads SET status = $3, agent_id = $4, queued_at = $5, assigned_at = $6,
		resolved_at = $7, resolutions = $8, auto_replied_at = $9, last_customer_at = $10, last_agent_at = $11,
		version = version + 1, updated_at = $12 WHERE conversation_id = $1 AND version = $2`,
		t.ConversationID, t.Version, string(t.Status), orderNullString(t.AgentID), nullTimeArg(t.QueuedAt), nullTimeArg(t.AssignedAt),
		nullTimeArg(t.ResolvedAt), t.Resolutions, nullTimeArg(t.AutoRepliedAt), nullTimeArg(t.LastCustomerAt), nullTimeArg(t.LastAgentAt), utc(now))
	if err != nil {
		return fmt.Errorf("store: update support thread %s: %w", t.ConversationID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return model.Errorf(model.CodeConflict, "support conversation %s was changed by someone else (another agent may hold it now)", t.ConversationID)
	}
	t.Version++
	t.UpdatedAt = utc(now)
	return nil
}

// SupportRequesterSent records a message from the requester of an open support conversation in
// the one statement that reads it back: last_customer_at moves to now and the version is bumped,
// as UpdateSupportThread would with nothing else changed. agentFree says whether the holder (if
// any) is online and not away, what the automatic reply asks. found is false (and nothing is
// written) when the conversation is not open or personID is not its requester: the caller then
// reads it and applies its rules (reopen, pending → open).
func (q *Queries) SupportRequesterSent(ctx context.Context, conversationID, personID string, now time.Time) (_ model.SupportThread, agentFree, found bool, _ error) {
	var r threadRow
	var free bool
	// On PostgreSQL the transaction's deferred writes (the message's log entries) go with it.
	found, err := q.withDeferred(ctx, `UPDATE support_threads SET last_customer_at = $2, version = version + 1, updated_at = $2
		WHERE conversation_id = $1 AND requester_id = $3 AND status = $4 `+afterDeferred+`
		RETURNING `+threadCols+`, EXISTS (SELECT 1 FROM support_agents a WHERE a.agent_id = support_threads.agent_id AND a.online AND NOT a.away)`,
		[]any{conversationID, utc(now), personID, string(model.SupportOpen)}, r.targets(&free)...)
	if err != nil {
		return model.SupportThread{}, false, false, fmt.Errorf("store: support requester sent %s: %w", conversationID, err)
	}
	if !found {
		return model.SupportThread{}, false, false, nil
	}
	return r.thread(), free, true, nil
}

// SupportAgentSent records a message from an agent who is not the conversation's requester: the
// agent answered (last_agent_at now) and the wait's automatic reply may go out again
// (auto_replied_at cleared), version bumped — as UpdateSupportThread would, in one statement.
// false when there is no such support conversation.
func (q *Queries) SupportAgentSent(ctx context.Context, conversationID, agentID string, now time.Time) (bool, error) {
	const update = `UPDATE support_threads SET last_agent_at = $2, auto_replied_at = NULL, version = version + 1,
		updated_at = $2 WHERE conversation_id = $1 AND requester_id <> $3`
	args := []any{conversationID, utc(now), agentID}
	if q.hasDeferred() {
		// The transaction's deferred writes (the message's log entries) go with it.
		var one int
		found, err := q.withDeferred(ctx, update+` `+afterDeferred+` RETURNING 1`, args, &one)
		if err != nil {
			return false, fmt.Errorf("store: support agent sent %s: %w", conversationID, err)
		}
		return found, nil
	}
	res, err := q.q.ExecContext(ctx, update, args...)
	if err != nil {
		return false, fmt.Errorf("store: support agent sent %s: %w", conversationID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SupportThreadFilter selects support conversations. Empty fields do not filter.
type SupportThreadFilter struct {
	Queued      bool   // only those waiting for an agent, longest waiting first
	AgentID     string // held by this agent (open and pending)
	RequesterID string
	Limit       int
}

// SupportThreads lists support conversations: the queue oldest first, otherwise newest first.
func (q *Queries) SupportThreads(ctx context.Context, f SupportThreadFilter) ([]model.SupportThread, error) {
	if f.Limit <= 0 {
		f.Limit = 200
	}
	scan := func(r rowScanner) (model.SupportThread, error) { return scanThread(r) }
	switch {
	case f.Queued:
		return queryAll(ctx, q.q, "support threads", scan, `SELECT `+threadCols+` FROM support_threads
			WHERE agent_id IS NULL AND status <> 'resolved' ORDER BY queued_at, conversation_id LIMIT $1`, f.Limit)
	case f.AgentID != "":
		return queryAll(ctx, q.q, "support threads", scan, `SELECT `+threadCols+` FROM support_threads
			WHERE agent_id = $1 AND status <> 'resolved' ORDER BY updated_at DESC, conversation_id LIMIT $2`, f.AgentID, f.Limit)
	default:
		return queryAll(ctx, q.q, "support threads", scan, `SELECT `+threadCols+` FROM support_threads
			WHERE requester_id = $1 ORDER BY created_at DESC, conversation_id LIMIT $2`, f.RequesterID, f.Limit)
	}
}

// AgentLoads counts the open and pending conversations each agent holds.
func (q *Queries) AgentLoads(ctx context.Context) (map[string]int, error) {
	return queryCounts(ctx, q.q, "agent loads", `SELECT agent_id, count(*) FROM support_threads
		WHERE agent_id IS NOT NULL AND status <> 'resolved' GROUP BY agent_id`)
}

// ---- agents ----

const agentCols = `agent_id, capacity, away, seen_at, updated_at, online, offline_since`

func scanAgent(row interface{ Scan(...any) error }) (model.SupportAgent, error) {
	var a model.SupportAgent
	var seen, offline sql.NullTime
	err := row.Scan(&a.AgentID, &a.Capacity, &a.Away, &seen, &a.UpdatedAt, &a.Online, &offline)
	a.SeenAt, a.OfflineSince, a.UpdatedAt = timePtr(seen), timePtr(offline), a.UpdatedAt.UTC()
	return a, err
}

// EnsureSupportAgent makes the agent's support row if it is missing (default capacity, not away).
func (q *Queries) EnsureSupportAgent(ctx context.Context, agentID string, now time.Time) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO support_agents (agent_id, capacity, away, updated_at) VALUES ($1,$2,FALSE,$3)
		ON CONFLICT (agent_id) DO NOTHING`, agentID, model.DefaultAgentCapacity, utc(now))
	if err != nil {
		return fmt.Errorf("store: ensure support agent: %w", err)
	}
	return nil
}

// SupportAgent returns an agent's support row.
func (q *Queries) SupportAgent(ctx context.Context, agentID string) (model.SupportAgent, error) {
	a, err := scanAgent(q.q.QueryRowContext(ctx, `SELECT `+agentCols+` FROM support_agents WHERE agent_id = $1`, agentID))
	if errors.Is(err, sql.ErrNoRows) {
		return a, model.Errorf(model.CodeNotFound, "agent %q not found", agentID)
	}
	if err != nil {
		return a, fmt.Errorf("store: support agent: %w", err)
	}
	return a, nil
}

// SupportAgents lists every agent that has a support row.
func (q *Queries) SupportAgents(ctx context.Context) ([]model.SupportAgent, error) {
	return queryAll(ctx, q.q, "support agents", func(r rowScanner) (model.SupportAgent, error) { return scanAgent(r) },
		`SELECT `+agentCols+` FROM support_agents ORDER BY agent_id`)
}

// SetAgentCapacity sets an agent's capacity.
func (q *Queries) SetAgentCapacity(ctx context.Context, agentID string, capacity int, now time.Time) error {
	_, err := q.q.ExecContext(ctx, `UPDATE support_agents SET capacity = $2, updated_at = $3 WHERE agent_id = $1`, agentID, capacity, utc(now))
	if err != nil {
		return fmt.Errorf("store: agent capacity: %w", err)
	}
	return nil
}

// SetAgentAway sets whether an agent is away.
func (q *Queries) SetAgentAway(ctx context.Context, agentID string, away bool, now time.Time) error {
	_, err := q.q.ExecContext(ctx, `UPDATE support_agents SET away = $2, updated_at = $3 WHERE agent_id = $1`, agentID, away, utc(now))
	if err != nil {
		return fmt.Errorf("store: agent away: %w", err)
	}
	return nil
}

// TouchAgents records that the agents were seen online at now.
func (q *Queries) TouchAgents(ctx context.Context, agentIDs []string, now time.Time) error {
	for _, id := range agentIDs {
		if _, err := q.q.ExecContext(ctx, `UPDATE support_agents SET seen_at = $2 WHERE agent_id = $1`, id, utc(now)); err != nil {
			return fmt.Errorf("store: touch agent: %w", err)
		}
	}
	return nil
}

// ---- events, notes ----

// AppendSupportEvent adds a line to a support conversation's history.
func (q *Queries) AppendSupportEvent(ctx context.Context, e *model.SupportEvent) error {
	if e.ID == "" {
		e.ID = model.NewID()
	}
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	raw, err := model.MarshalJSON(e.Details)
	if err != nil {
		return fmt.Errorf("store: support event: %w", err)
	}
	e.CreatedAt = utc(e.CreatedAt)
	_, err = q.q.ExecContext(ctx, `INSERT INTO support_events (id, conversation_id, type, actor_id, actor_role, agent_id, details, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`, e.ID, e.ConversationID, e.Type, e.ActorID, string(e.ActorRole), e.AgentID, string(raw), e.CreatedAt)
	if err != nil {
		return fmt.Errorf("store: support event: %w", err)
	}
	return nil
}

// SupportEvents lists a support conversation's history, oldest first.
func (q *Queries) SupportEvents(ctx context.Context, conversationID string) ([]model.SupportEvent, error) {
	return queryAll(ctx, q.q, "support events", func(r rowScanner) (model.SupportEvent, error) {
		var e model.SupportEvent
		var role, details string
		if err := r.Scan(&e.ID, &e.ConversationID, &e.Type, &e.ActorID, &role, &e.AgentID, &details, &e.CreatedAt); err != nil {
			return e, err
		}
		e.ActorRole, e.CreatedAt = model.Role(role), e.CreatedAt.UTC()
		_ = json.Unmarshal([]byte(details), &e.Details)
		return e, nil
	}, `SELECT id, conversation_id, type, actor_id, actor_role, agent_id, details, created_at
		FROM support_events WHERE conversation_id = $1 ORDER BY created_at, id`, conversationID)
}

// InsertSupportNote stores an internal note.
func (q *Queries) InsertSupportNote(ctx context.Context, n *model.SupportNote) error {
	if n.ID == "" {
		n.ID = model.NewID()
	}
	n.CreatedAt = utc(n.CreatedAt)
	_, err := q.q.ExecContext(ctx, `INSERT INTO support_notes (id, conversation_id, author_id, text, created_at) VALUES ($1,$2,$3,$4,$5)`,
		n.ID, n.ConversationID, n.AuthorID, n.Text, n.CreatedAt)
	if err != nil {
		return fmt.Errorf("store: support note: %w", err)
	}
	return nil
}

// SupportNotes lists a conversation's internal notes, oldest first.
func (q *Queries) SupportNotes(ctx context.Context, conversationID string) ([]model.SupportNote, error) {
	return queryAll(ctx, q.q, "support notes", func(r rowScanner) (model.SupportNote, error) {
		var n model.SupportNote
		if err := r.Scan(&n.ID, &n.ConversationID, &n.AuthorID, &n.Text, &n.CreatedAt); err != nil {
			return n, err
		}
		n.CreatedAt = n.CreatedAt.UTC()
		return n, nil
	}, `SELECT id, conversation_id, author_id, text, created_at FROM support_notes
		WHERE conversation_id = $1 ORDER BY created_at, id`, conversationID)
}

// ---- canned replies ----

// PutCannedReply inserts or replaces a canned reply.
func (q *Queries) PutCannedReply(ctx context.Context, c *model.CannedReply, now time.Time) error {
	if c.ID == "" {
		c.ID = model.NewID()
		c.CreatedAt = utc(now)
	}
	c.UpdatedAt = utc(now)
	_, err := q.q.ExecContext(ctx, `INSERT INTO canned_replies (id, title, text, created_by, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6)
		ON CONFLICT (id) DO UPDATE SET title = excluded.title, text = excluded.text, updated_at = excluded.updated_at`,
		c.ID, c.Title, c.Text, c.CreatedBy, utc(c.CreatedAt), c.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: canned reply: %w", err)
	}
	return nil
}

// CannedReply returns one canned reply.
func (q *Queries) CannedReply(ctx context.Context, id string) (model.CannedReply, error) {
	var c model.CannedReply
	err := q.q.QueryRowContext(ctx, `SELECT id, title, text, created_by, created_at, updated_at FROM canned_replies WHERE id = $1`, id).
		Scan(&c.ID, &c.Title, &c.Text, &c.CreatedBy, &c.CreatedAt, &c.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFound("canned reply", id)
	}
	if err != nil {
		return c, fmt.Errorf("store: canned reply: %w", err)
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, nil
}

// CannedReplies lists canned replies by title.
func (q *Queries) CannedReplies(ctx context.Context) ([]model.CannedReply, error) {
	return queryAll(ctx, q.q, "canned replies", func(r rowScanner) (model.CannedReply, error) {
		var c model.CannedReply
		if err := r.Scan(&c.ID, &c.Title, &c.Text, &c.CreatedBy, &c.CreatedAt, &c.UpdatedAt); err != nil {
			return c, err
		}
		c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
		return c, nil
	}, `SELECT id, title, text, created_by, created_at, updated_at FROM canned_replies ORDER BY title, id`)
}

// DeleteCannedReply removes a canned reply.
func (q *Queries) DeleteCannedReply(ctx context.Context, id string) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM canned_replies WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("store: delete canned reply: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("canned reply", id)
	}
	return nil
}

// ---- ratings ----

// InsertSupportRating stores a rating; a second rating of the same resolve is a conflict.
func (q *Queries) InsertSupportRating(ctx context.Context, r *model.SupportRating) error {
	if r.ID == "" {
		r.ID = model.NewID()
	}
	r.CreatedAt = utc(r.CreatedAt)
	_, err := q.q.ExecContext(ctx, `INSERT INTO support_ratings (id, conversation_id, resolution, requester_id, agent_id, score, comment, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`, r.ID, r.ConversationID, r.Resolution, r.RequesterID, r.AgentID, r.Score, r.Comment, r.CreatedAt)
	if isUniqueViolation(err) {
		return model.Errorf(model.CodeConflict, "this resolve was rated already")
	}
	if err != nil {
		return fmt.Errorf("store: support rating: %w", err)
	}
	return nil
}

// SupportRatingOf is the rating of a conversation's resolve number resolution, nil until given.
func (q *Queries) SupportRatingOf(ctx context.Context, conversationID string, resolution int) (*model.SupportRating, error) {
	var r model.SupportRating
	err := q.q.QueryRowContext(ctx, `SELECT id, conversation_id, resolution, requester_id, agent_id, score, comment, created_at
		FROM support_ratings WHERE conversation_id = $1 AND resolution = $2`, conversationID, resolution).
		Scan(&r.ID, &r.ConversationID, &r.Resolution, &r.RequesterID, &r.AgentID, &r.Score, &r.Comment, &r.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: support rating: %w", err)
	}
	r.CreatedAt = r.CreatedAt.UTC()
	return &r, nil
}

// SupportRatings lists ratings given in [from, to), newest first; conversationID "" for all.
func (q *Queries) SupportRatings(ctx context.Context, conversationID string, from, to time.Time) ([]model.SupportRating, error) {
	return queryAll(ctx, q.q, "support ratings", func(row rowScanner) (model.SupportRating, error) {
		var r model.SupportRating
		if err := row.Scan(&r.ID, &r.ConversationID, &r.Resolution, &r.RequesterID, &r.AgentID, &r.Score, &r.Comment, &r.CreatedAt); err != nil {
			return r, err
		}
		r.CreatedAt = r.CreatedAt.UTC()
		return r, nil
	}, `SELECT id, conversation_id, resolution, requester_id, agent_id, score, comment, created_at
		FROM support_ratings WHERE ($1 = '' OR conversation_id = $1) AND created_at >= $2 AND created_at < $3
		ORDER BY created_at DESC, id DESC LIMIT 5000`, conversationID, utc(from), utc(to))
}
