package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/homebell/homebell/internal/model"
)

// The support desk's queue and presence (I3): which agents are online, how many conversations
// each holds, and the conversations of the queue.

// SetAgentOnline records an agent's presence: online clears offline_since; offline sets it to now.
func (q *Queries) SetAgentOnline(ctx context.Context, agentID string, online bool, now time.Time) error {
	var err error
	if online {
		_, err = q.q.ExecContext(ctx, `UPDATE support_agents SET online = TRUE, offline_since = NULL, seen_at = $2 WHERE agent_id = $1`,
			agentID, utc(now))
	} else {
		_, err = q.q.ExecContext(ctx, `UPDATE support_agents SET online = FALSE, offline_since = $2, seen_at = $2
			WHERE agent_id = $1 AND online`, agentID, utc(now))
	}
	if err != nil {
		return fmt.Errorf("store: agent presence: %w", err)
	}
	return nil
}

// AvailableAgents lists the agents who take conversations now: online and not away.
func (q *Queries) AvailableAgents(ctx context.Context) ([]model.SupportAgent, error) {
	return queryAll(ctx, q.q, "available agents", func(r rowScanner) (model.SupportAgent, error) { return scanAgent(r) },
		`SELECT `+agentCols+` FROM support_agents WHERE online AND NOT away ORDER BY agent_id`)
}

// LockSupportAgent takes an agent's row lock on PostgreSQL, so two transactions handing the same
// agent a conversation count their load one after the other (SQLite has one writer).
func (q *Queries) LockSupportAgent(ctx context.Context, agentID string) (model.SupportAgent, error) {
	lock := ""
	if q.dialect == Postgres {
		lock = " FOR UPDATE"
	}
	a, err := scanAgent(q.q.QueryRowContext(ctx, `SELECT `+agentCols+` FROM support_agents WHERE agent_id = $1`+lock, agentID))
	if errors.Is(err, sql.ErrNoRows) {
		return a, model.Errorf(model.CodeNotFound, "agent %q not found", agentID)
	}
	if err != nil {
		return a, fmt.Errorf("store: lock support agent: %w", err)
	}
	return a, nil
}

// AgentLoad counts the open and pending conversations an agent holds.
func (q *Queries) AgentLoad(ctx context.Context, agentID string) (int, error) {
	var n int
	err := q.q.QueryRowContext(ctx, `SELECT count(*) FROM support_threads WHERE agent_id = $1 AND status <> 'resolved'`, agentID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: agent load: %w", err)
	}
	return n, nil
}

// QueueLength counts the conversations waiting for an agent.
func (q *Queries) QueueLength(ctx context.Context) (int, error) {
	var n int
	err := q.q.QueryRowContext(ctx, `SELECT count(*) FROM support_threads WHERE agent_id IS NULL AND status <> 'resolved'`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: queue length: %w", err)
	}
	return n, nil
}

// RecentSupportThreads lists support conversations by latest change, optionally of one status
// (operators' overview).
func (q *Queries) RecentSupportThreads(ctx context.Context, status string, limit int) ([]model.SupportThread, error) {
	return queryAll(ctx, q.q, "recent support threads", func(r rowScanner) (model.SupportThread, error) { return scanThread(r) },
		`SELECT `+threadCols+` FROM support_threads WHERE ($1 = '' OR status = $1)
		ORDER BY updated_at DESC, conversation_id LIMIT $2`, status, limit)
}

// SupportShowsFile reports whether a message of a support conversation references fileID.
func (q *Queries) SupportShowsFile(ctx context.Context, fileID string) (bool, error) {
	var one int
	err := q.q.QueryRowContext(ctx, `SELECT 1 FROM message_files f JOIN conversations c ON c.id = f.conversation_id
		WHERE f.file_id = $1 AND c.kind = 'support' LIMIT 1`, fileID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: support file: %w", err)
	}
	return true, nil
}

// OnlineAgentIDs lists the agents with an open stream (away or not): their consoles show the queue.
func (q *Queries) OnlineAgentIDs(ctx context.Context) ([]string, error) {
	return q.ids(ctx, "online agents", `SELECT agent_id FROM support_agents WHERE online ORDER BY agent_id`)
}

// SupportOpenedBy finds the support conversation a requester opened with a first message of
// clientID (a retry of opening answers the conversation it opened).
func (q *Queries) SupportOpenedBy(ctx context.Context, requesterID, clientID string) (string, bool, error) {
	var id string
	err := q.q.QueryRowContext(ctx, `SELECT t.conversation_id FROM support_threads t JOIN messages m ON m.conversation_id = t.conversation_id
		WHERE t.requester_id = $1 AND m.sender_id = $1 AND m.client_id = $2 AND m.seq = 1 LIMIT 1`, requesterID, clientID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: support opened by: %w", err)
	}
	return id, true, nil
}

// SupportResolvedBetween counts the resolves in [from, to) (the satisfaction overview's response rate).
func (q *Queries) SupportResolvedBetween(ctx context.Context, from, to time.Time) (int, error) {
	var n int
	err := q.q.QueryRowContext(ctx, `SELECT count(*) FROM support_events WHERE type = 'resolved' AND created_at >= $1 AND created_at < $2`,
		utc(from), utc(to)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: resolves: %w", err)
	}
	return n, nil
}

// SupportListRow is a support conversation as a list shows it: the thread with its newest message,
// the requester's card, the holder's name and the viewer's unread count, read in one query, and
// the rating of its latest resolve (nil before any resolve or until given), read for the whole
// page in a second query when any row was ever resolved.
type SupportListRow struct {
	Thread        model.SupportThread
	LastText      string
	LastMessageAt *time.Time
	LastSenderID  string
	Requester     model.Card
	AgentName     string
	Unread        int // messages after the viewer's read position not sent by them (0 for non-members)
	Rating        *model.SupportRating
}

// SupportList lists support conversations for viewerID (whose unread counts it reads): the queue
// oldest first (queued), an agent's open and pending ones, a requester's own, or — with neither —
// the latest, optionally of one status.
func (q *Queries) SupportList(ctx context.Context, viewerID string, f SupportThreadFilter, status string) ([]SupportListRow, error) {
	if f.Limit <= 0 {
		f.Limit = 200
	}
	cols := ""
	for _, c := range strings.Split(threadCols, ",") {
		c = "t." + strings.TrimSpace(c)
		if strings.HasSuffix(c, "_at") {
			c = sqliteTimeCol(q.dialect, c) // scanned by timeScan: no parsing in the driver
		}
		cols += c + ", "
	}
	where, order, args, hint := "", "", []any{viewerID}, ""
	switch {
	case f.Queued:
		where, order = "t.agent_id IS NULL AND t.status <> 'resolved'", "t.queued_at, t.conversation_id"
		if q.dialect == SQLite {
			// Without statistics SQLite reads "agent_id IS NULL" through the agents' index, every
			// queued row, and sorts them all for one page; the queue's own index is in page order.
			hint = " INDEXED BY support_threads_queue"
		}
	case f.AgentID != "":
		where, order = "t.agent_id = $2 AND t.status <> 'resolved'", "t.updated_at DESC, t.conversation_id"
		args = append(args, f.AgentID)
	case f.RequesterID != "":
		where, order = "t.requester_id = $2", "t.created_at DESC, t.conversation_id"
		args = append(args, f.RequesterID)
	default:
		where, order = "($2 = '' OR t.status = $2)", "t.updated_at DESC, t.conversation_id"
		args = append(args, status)
	}
	args = append(args, f.Limit)
	// One row's scan targets, reused: taking their addresses per row put each on the heap. Every
	// column costs the SQLite driver two calls a row (its type, then its value, each under the
	// connection's mutex; a quarter of the queue page's CPU), so the requester's id is taken from
	// the thread, not read twice.
	var r SupportListRow
	var role, st, rrole string
	var orderID, agent sql.NullString
	t := &r.Thread
	dest := []any{&t.ConversationID, &t.RequesterID, &role, &orderID, &t.Subject, &st, &agent, nullTimeScan{&t.QueuedAt},
		nullTimeScan{&t.AssignedAt}, nullTimeScan{&t.ResolvedAt}, &t.Resolutions, nullTimeScan{&t.AutoRepliedAt},
		nullTimeScan{&t.LastCustomerAt}, nullTimeScan{&t.LastAgentAt}, &t.Version, timeScan{&t.CreatedAt}, timeScan{&t.UpdatedAt},
		&r.LastText, nullTimeScan{&r.LastMessageAt}, &r.LastSenderID, &rrole, &r.Requester.Name, &r.Requester.AvatarURL,
		&r.Requester.Bio, &r.AgentName, &r.Unread}
	rows, err := queryAll(ctx, q.q, "support list", func(row rowScanner) (SupportListRow, error) {
		if err := row.Scan(dest...); err != nil {
			return SupportListRow{}, err
		}
		t.RequesterRole, t.Status, t.OrderID, t.AgentID = model.Role(role), model.SupportStatus(st), orderID.String, agent.String
		r.Requester.ID, r.Requester.Role = t.RequesterID, model.Role(rrole)
		return r, nil
	}, `SELECT `+cols+`c.last_text, `+sqliteTimeCol(q.dialect, "c.last_message_at")+`, c.last_sender_id,
		rp.role, rp.name, rp.avatar_url, rp.bio, COALESCE(ap.name, ''),
		CASE WHEN m.person_id IS NULL THEN 0 ELSE (SELECT count(*) FROM messages x WHERE x.conversation_id = t.conversation_id
			AND x.seq > m.last_read_seq AND x.sender_id <> $1) END
		FROM support_threads t`+hint+` JOIN conversations c ON c.id = t.conversation_id JOIN people rp ON rp.id = t.requester_id
		LEFT JOIN people ap ON ap.id = t.agent_id

		LEFT JOIN conversation_members m ON m.conversation_id = t.conversation_id AND m.person_id = $1 AND m.left_at IS NULL
		WHERE `+where+` ORDER BY `+order+fmt.Sprintf(` LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, err
	}
	return rows, q.listRatings(ctx, rows)
}

// listRatings sets each resolved row's rating of its latest resolve, in one query for the page
// (none when no row was ever resolved): read apart per row it was a statement each.
func (q *Queries) listRatings(ctx context.Context, rows []SupportListRow) error {
	at := map[string]int{}
	var ids []string
	for i := range rows {
		if rows[i].Thread.Resolutions > 0 {
			at[rows[i].Thread.ConversationID] = i
			ids = append(ids, rows[i].Thread.ConversationID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	args, in := inList(nil, ids)
	return queryEach(ctx, q.q, "support list ratings", func(row rowScanner) error {
		var r model.SupportRating
		if err := row.Scan(&r.ID, &r.ConversationID, &r.Resolution, &r.RequesterID, &r.AgentID, &r.Score, &r.Comment, &r.CreatedAt); err != nil {
			return err
		}
		if l := &rows[at[r.ConversationID]]; r.Resolution == l.Thread.Resolutions {
			r.CreatedAt = r.CreatedAt.UTC()
			l.Rating = &r
		}
		return nil
	}, `SELECT id, conversation_id, resolution, requester_id, agent_id, score, comment, created_at
		FROM support_ratings WHERE conversation_id IN `+in, args...)
}
