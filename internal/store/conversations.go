package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/homebell/homebell/internal/model"
)

// Conversations (I1, I3, I4): conversations, their members and messages. The chat service owns
// every rule; these are the queries.

const conversationCols = `id, kind, order_id, subject, last_seq, last_message_at, last_text, last_sender_id, closed_at, created_at, updated_at`

func scanConversation(row interface{ Scan(...any) error }) (model.Conversation, error) {
	var c model.Conversation
	var orderID sql.NullString
	var lastAt, closedAt sql.NullTime
	err := row.Scan(&c.ID, &c.Kind, &orderID, &c.Subject, &c.LastSeq, &lastAt, &c.LastText, &c.LastSenderID, &closedAt,
		&c.CreatedAt, &c.UpdatedAt)
	c.OrderID = orderID.String
	c.LastMessageAt = ptrTime(lastAt)
	c.ClosedAt = ptrTime(closedAt)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, err
}

func ptrTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// InsertConversation stores a new conversation; a second conversation of the same kind for the
// same order is a conflict.
func (q *Queries) InsertConversation(ctx context.Context, c *model.Conversation, now time.Time) error {
	if c.ID == "" {
		c.ID = model.NewID()
	}
	c.CreatedAt, c.UpdatedAt = utc(now), utc(now)
	_, err := q.q.ExecContext(ctx, `INSERT INTO conversations (`+conversationCols+`)
		VALUES ($1,$2,$3,$4,0,NULL,'','',$5,$6,$6)`,
		c.ID, c.Kind, nullString(c.OrderID), c.Subject, nullPtrTime(c.ClosedAt), c.CreatedAt)
	if isUniqueViolation(err) {
		return model.Errorf(model.CodeConflict, "order %s already has a %s conversation", c.OrderID, c.Kind)
	}
	if err != nil {
		return fmt.Errorf("store: insert conversation: %w", err)
	}
	return nil
}

// Conversation returns one conversation.
func (q *Queries) Conversation(ctx context.Context, id string) (model.Conversation, error) {
	c, err := scanConversation(q.q.QueryRowContext(ctx, `SELECT `+conversationCols+` FROM conversations WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFound("conversation", id)
	}
	if err != nil {
		return c, fmt.Errorf("store: conversation: %w", err)
	}
	return c, nil
}

// ConversationForUpdate is Conversation inside a write transaction, taking the row's lock on
// PostgreSQL so two senders number their messages one after the other (SQLite has one writer).
func (q *Queries) ConversationForUpdate(ctx context.Context, id string) (model.Conversation, error) {
	lock := ""
	if q.dialect == Postgres {
		lock = " FOR UPDATE"
	}
	c, err := scanConversation(q.q.QueryRowContext(ctx, `SELECT `+conversationCols+` FROM conversations WHERE id = $1`+lock, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFound("conversation", id)
	}
	if err != nil {
		return c, fmt.Errorf("store: conversation: %w", err)
	}
	return c, nil
}

// OrderConversation returns the conversation of kind about an order.
func (q *Queries) OrderConversation(ctx context.Context, orderID, kind string) (model.Conversation, error) {
	c, err := scanConversation(q.q.QueryRowContext(ctx, `SELECT `+conversationCols+` FROM conversations
		WHERE order_id = $1 AND kind = $2`, orderID, kind))
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFound("conversation of order", orderID)
	}
	if err != nil {
		return c, fmt.Errorf("store: order conversation: %w", err)
	}
	return c, nil
}

// CloseConversation sets (or, with nil, clears) the instant writing ends.
func (q *Queries) CloseConversation(ctx context.Context, id string, at *time.Time, now time.Time) error {
	_, err := q.q.ExecContext(ctx, `UPDATE conversations SET closed_at = $2, updated_at = $3 WHERE id = $1`,
		id, nullPtrTime(at), utc(now))
	if err != nil {
		return fmt.Errorf("store: close conversation: %w", err)
	}
	return nil
}

const memberCols = `conversation_id, person_id, role, last_read_seq, read_at, muted, joined_at, left_at`

func scanMember(row interface{ Scan(...any) error }) (model.Member, error) {
	var m model.Member
	var role string
	var readAt, leftAt sql.NullTime
	err := row.Scan(&m.ConversationID, &m.PersonID, &role, &m.LastReadSeq, &readAt, &m.Muted, &m.JoinedAt, &leftAt)
	m.Role = model.Role(role)
	m.ReadAt, m.LeftAt = ptrTime(readAt), ptrTime(leftAt)
	m.JoinedAt = m.JoinedAt.UTC()
	return m, err
}

// UpsertMember adds a person to a conversation, or brings a member who left back (keeping how far
// they had read). sortAt is the conversation's latest activity.
func (q *Queries) UpsertMember(ctx context.Context, m *model.Member, sortAt, now time.Time) error {
	m.JoinedAt = utc(now)
	_, err := q.q.ExecContext(ctx, `INSERT INTO conversation_members (conversation_id, person_id, role, last_read_seq,
		read_at, muted, sort_at, joined_at, left_at) VALUES ($1,$2,$3,$4,NULL,$5,$6,$7,NULL)
		ON CONFLICT (conversation_id, person_id) DO UPDATE SET role = excluded.role, left_at = NULL,
		sort_at = excluded.sort_at, joined_at = CASE WHEN conversation_members.left_at IS NULL
			THEN conversation_members.joined_at ELSE excluded.joined_at END`,
		m.ConversationID, m.PersonID, string(m.Role), m.LastReadSeq, m.Muted, utc(sortAt), m.JoinedAt)
	if err != nil {
		return fmt.Errorf("store: upsert member: %w", err)
	}
	return nil
}

// InsertOrderConversationIfAbsent inserts c (an order's conversation) unless its order has one of
// its kind already: inserted is false then, and c is left as it was.
func (q *Queries) InsertOrderConversationIfAbsent(ctx context.Context, c *model.Conversation, now time.Time) (inserted bool, err error) {
	id := c.ID
	if id == "" {
		id = model.NewID()
	}
	ids, err := q.ids(ctx, "insert order conversation", `INSERT INTO conversations (`+conversationCols+`)
		VALUES ($1,$2,$3,$4,0,NULL,'','',$5,$6,$6)
		ON CONFLICT (order_id, kind) WHERE order_id IS NOT NULL DO NOTHING RETURNING id`,
		id, c.Kind, nullString(c.OrderID), c.Subject, nullPtrTime(c.ClosedAt), utc(now))
	if err != nil || len(ids) == 0 {
		return false, err
	}
	c.ID, c.CreatedAt, c.UpdatedAt = id, utc(now), utc(now)
	return true, nil
}

// UpsertMembers is UpsertMember of each of ms (all of one conversation, each person once) in one
// statement.
func (q *Queries) UpsertMembers(ctx context.Context, ms []*model.Member, sortAt, now time.Time) error {
	if len(ms) == 0 {
		return nil
	}
	var sb strings.Builder
	args := make([]any, 0, 7*len(ms))
	sb.WriteString(`INSERT INTO conversation_members (conversation_id, person_id, role, last_read_seq,
		read_at, muted, sort_at, joined_at, left_at) VALUES `)
	for i, m := range ms {
		m.JoinedAt = utc(now)
		if i > 0 {
			sb.WriteByte(',')
		}
		n := len(args)
		fmt.Fprintf(&sb, "($%d,$%d,$%d,$%d,NULL,$%d,$%d,$%d,NULL)", n+1, n+2, n+3, n+4, n+5, n+6, n+7)
		args = append(args, m.ConversationID, m.PersonID, string(m.Role), m.LastReadSeq, m.Muted, utc(sortAt), m.JoinedAt)
	}
	sb.WriteString(` ON CONFLICT (conversation_id, person_id) DO UPDATE SET role = excluded.role, left_at = NULL,
		sort_at = excluded.sort_at, joined_at = CASE WHEN conversation_members.left_at IS NULL
			THEN conversation_members.joined_at ELSE excluded.joined_at END`)
	if _, err := q.q.ExecContext(ctx, sb.String(), args...); err != nil {
		return fmt.Errorf("store: upsert members: %w", err)
	}
	return nil
}

// RemoveMember marks a member as gone at now; removed is false when they were not an active member.
func (q *Queries) RemoveMember(ctx context.Context, conversationID, personID string, now time.Time) (removed bool, err error) {
	res, err := q.q.ExecContext(ctx, `UPDATE conversation_members SET left_at = $3
		WHERE conversation_id = $1 AND person_id = $2 AND left_at IS NULL`, conversationID, personID, utc(now))
	if err != nil {
		return false, fmt.Errorf("store: remove member: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// Member returns one person's membership (active or not).
func (q *Queries) Member(ctx context.Context, conversationID, personID string) (model.Member, error) {
	m, err := scanMember(q.q.QueryRowContext(ctx, `SELECT `+memberCols+` FROM conversation_members
		WHERE conversation_id = $1 AND person_id = $2`, conversationID, personID))
	if errors.Is(err, sql.ErrNoRows) {
		return m, notFound("member", personID)
	}
	if err != nil {
		return m, fmt.Errorf("store: member: %w", err)
	}
	return m, nil
}

// Members lists a conversation's members, active ones first, in joining order.
func (q *Queries) Members(ctx context.Context, conversationID string) ([]model.Member, error) {
	return queryAll(ctx, q.q, "members", func(r rowScanner) (model.Member, error) { return scanMember(r) },
		`SELECT `+memberCols+` FROM conversation_members WHERE conversation_id = $1
		ORDER BY CASE WHEN left_at IS NULL THEN 0 ELSE 1 END, joined_at, person_id`, conversationID)
}

// MarkMemberRead moves a member's read position forward to seq (never back); moved is false
// when it was there already.
func (q *Queries) MarkMemberRead(ctx context.Context, conversationID, personID string, seq int64, now time.Time) (moved bool, err error) {
	res, err := q.q.ExecContext(ctx, `UPDATE conversation_members SET last_read_seq = $3, read_at = $4
		WHERE conversation_id = $1 AND person_id = $2 AND last_read_seq < $3`, conversationID, personID, seq, utc(now))
	if err != nil {
		return false, fmt.Errorf("store: mark member read: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// SetMemberMuted mutes or unmutes a conversation for one member.
func (q *Queries) SetMemberMuted(ctx context.Context, conversationID, personID string, muted bool) error {
	_, err := q.q.ExecContext(ctx, `UPDATE conversation_members SET muted = $3 WHERE conversation_id = $1 AND person_id = $2`,
		conversationID, personID, muted)
	if err != nil {
		return fmt.Errorf("store: mute: %w", err)
	}
	return nil
}

const messageCols = `conversation_id, seq, id, sender_id, sender_role, client_id, text, original_text, masked, file_ids, created_at`

func scanMessage(row interface{ Scan(...any) error }) (model.Message, error) {
	var m model.Message
	var role, masked, files string
	var original sql.NullString
	err := row.Scan(&m.ConversationID, &m.Seq, &m.ID, &m.SenderID, &role, &m.ClientID, &m.Text, &original, &masked, &files, &m.CreatedAt)
	m.SenderRole = model.Role(role)
	m.Original = original.String
	if masked != "" {
		m.Masked = strings.Split(masked, ",")
	}
	m.FileIDs = []string{}
	if err == nil && files != "" {
		if jerr := json.Unmarshal([]byte(files), &m.FileIDs); jerr != nil {
			return m, fmt.Errorf("store: message files: %w", jerr)
		}
	}
	m.CreatedAt = m.CreatedAt.UTC()
	return m, err
}

// AppendMessage numbers m with the conversation's next seq, stores it with its file references
// and moves the conversation (and every active member's sort time) to it; its sender, when a
// member, has read it. It returns the conversation's active members as they are after the
// message, in joining order. The caller holds the conversation (ConversationForUpdate). A retry
// with the same sender and client id is answered by MessageByClientID before this is called.
func (q *Queries) AppendMessage(ctx context.Context, m *model.Message, now time.Time) ([]model.Member, error) {
	if m.ID == "" {
		m.ID = model.NewID()
	}
	m.CreatedAt = utc(now)
	if m.FileIDs == nil {
		m.FileIDs = []string{}
	}
	if q.dialect == Postgres {
		return q.appendMessagePG(ctx, m)
	}
	var seq int64
	err := q.q.QueryRowContext(ctx, `UPDATE conversations SET last_seq = last_seq + 1, last_message_at = $2,
		last_text = $3, last_sender_id = $4, updated_at = $2 WHERE id = $1 RETURNING last_seq`,
		m.ConversationID, m.CreatedAt, m.Text, m.SenderID).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("conversation", m.ConversationID)
	}
	if err != nil {
		return nil, fmt.Errorf("store: next message seq: %w", err)
	}
	m.Seq = seq
	files, _ := json.Marshal(m.FileIDs)
	var original any
	if m.Original != "" {
		original = m.Original
	}
	_, err = q.q.ExecContext(ctx, `INSERT INTO messages (`+messageCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
		m.ConversationID, m.Seq, m.ID, m.SenderID, string(m.SenderRole), m.ClientID, m.Text, original,
		strings.Join(m.Masked, ","), string(files), m.CreatedAt)
	if isUniqueViolation(err) {
		return nil, model.Errorf(model.CodeConflict, "message %s was sent already", m.ClientID)
	}
	if err != nil {
		return nil, fmt.Errorf("store: insert message: %w", err)
	}
	for _, f := range m.FileIDs {
		if _, err := q.q.ExecContext(ctx, `INSERT INTO message_files (file_id, conversation_id, seq) VALUES ($1,$2,$3)
			ON CONFLICT DO NOTHING`, f, m.ConversationID, m.Seq); err != nil {
			return nil, fmt.Errorf("store: message file: %w", err)
		}
	}
	// One statement moves every active member's sort time, the sender's read position, and reads
	// the members back (the right-hand sides see the row as it was).
	members, err := queryAll(ctx, q.q, "bump members", func(r rowScanner) (model.Member, error) { return scanMember(r) },
		`UPDATE conversation_members SET sort_at = $2,
			last_read_seq = CASE WHEN person_id = $3 AND last_read_seq < $4 THEN $4 ELSE last_read_seq END,
			read_at = CASE WHEN person_id = $3 AND last_read_seq < $4 THEN $2 ELSE read_at END
		WHERE conversation_id = $1 AND left_at IS NULL RETURNING `+memberCols,
		m.ConversationID, m.CreatedAt, m.SenderID, m.Seq)
	if err != nil {
		return nil, err
	}
	sortMembers(members)
	return members, nil
}

// sortMembers orders members as AppendMessage returns them: by joining time, then id.
func sortMembers(members []model.Member) {
	slices.SortFunc(members, func(a, b model.Member) int {
		if c := a.JoinedAt.Compare(b.JoinedAt); c != 0 {
			return c
		}
		return strings.Compare(a.PersonID, b.PersonID)
	})
}

// appendMessagePG is AppendMessage on PostgreSQL: the conversation's next seq, the message and
// the members' bump are one statement (data-modifying WITH: the insert and the members' update
// take the seq the conversation's update returns; they read the tables as they were, as the
// separate statements did, since none reads what another writes), one round trip instead of
// three. A message's files still follow in one statement each.
func (q *Queries) appendMessagePG(ctx context.Context, m *model.Message) ([]model.Member, error) {
	files, _ := json.Marshal(m.FileIDs)
	var original any
	if m.Original != "" {
		original = m.Original
	}
	rows, err := q.q.QueryContext(ctx, `WITH c AS (
			UPDATE conversations SET last_seq = last_seq + 1, last_message_at = $2, last_text = $3, last_sender_id = $4, updated_at = $2
			WHERE id = $1 RETURNING last_seq),
		ins AS (
			INSERT INTO messages (`+messageCols+`)
			SELECT $1, c.last_seq, CAST($5 AS TEXT), $4, CAST($6 AS TEXT), CAST($7 AS TEXT), $3, CAST($8 AS TEXT),
				CAST($9 AS TEXT), CAST($10 AS TEXT), $2 FROM c),
		mem AS (
			UPDATE conversation_members cm SET sort_at = $2,
				last_read_seq = CASE WHEN cm.person_id = $4 AND cm.last_read_seq < c.last_seq THEN c.last_seq ELSE cm.last_read_seq END,
				read_at = CASE WHEN cm.person_id = $4 AND cm.last_read_seq < c.last_seq THEN $2 ELSE cm.read_at END
			FROM c WHERE cm.conversation_id = $1 AND cm.left_at IS NULL
			RETURNING cm.conversation_id, cm.person_id, cm.role, cm.last_read_seq, cm.read_at, cm.muted, cm.joined_at, cm.left_at)
		SELECT c.last_seq, mem.conversation_id, mem.person_id, mem.role, mem.last_read_seq, mem.read_at, mem.muted, mem.joined_at,
			mem.left_at FROM c LEFT JOIN mem ON true`,
		m.ConversationID, m.CreatedAt, m.Text, m.SenderID, m.ID, string(m.SenderRole), m.ClientID, original,
		strings.Join(m.Masked, ","), string(files))
	if isUniqueViolation(err) {
		return nil, model.Errorf(model.CodeConflict, "message %s was sent already", m.ClientID)
	}
	if err != nil {
		return nil, fmt.Errorf("store: append message: %w", err)
	}
	defer rows.Close()
	var members []model.Member
	found := false
	for rows.Next() {
		var seq int64
		var conv, person, role sql.NullString
		var read sql.NullInt64
		var readAt, joined, left sql.NullTime
		var muted sql.NullBool
		if err := rows.Scan(&seq, &conv, &person, &role, &read, &readAt, &muted, &joined, &left); err != nil {
			return nil, fmt.Errorf("store: append message: %w", err)
		}
		found, m.Seq = true, seq
		if person.Valid {
			members = append(members, model.Member{ConversationID: conv.String, PersonID: person.String, Role: model.Role(role.String),
				LastReadSeq: read.Int64, ReadAt: ptrTime(readAt), Muted: muted.Bool, JoinedAt: joined.Time.UTC(), LeftAt: ptrTime(left)})
		}
	}
	err = rows.Err()
	if isUniqueViolation(err) {
		return nil, model.Errorf(model.CodeConflict, "message %s was sent already", m.ClientID)
	}
	if err != nil {
		return nil, fmt.Errorf("store: append message: %w", err)
	}
	if !found {
		return nil, notFound("conversation", m.ConversationID)
	}
	for _, f := range m.FileIDs {
		if _, err := q.q.ExecContext(ctx, `INSERT INTO message_files (file_id, conversation_id, seq) VALUES ($1,$2,$3)
			ON CONFLICT DO NOTHING`, f, m.ConversationID, m.Seq); err != nil {
			return nil, fmt.Errorf("store: message file: %w", err)
		}
	}
	sortMembers(members)
	return members, nil
}

// MessageByClientID finds the message a sender sent with a client id, for idempotent retries.
func (q *Queries) MessageByClientID(ctx context.Context, conversationID, senderID, clientID string) (model.Message, bool, error) {
	m, err := scanMessage(q.q.QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages
		WHERE conversation_id = $1 AND sender_id = $2 AND client_id = $3`, conversationID, senderID, clientID))
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("store: message by client id: %w", err)
	}
	return m, true, nil
}

// MessagePage selects messages by seq: after a seq (oldest first), before a seq (newest first),
// or the newest when neither is set. Since, when set, hides messages created before it
// (retention, S5).
type MessagePage struct {
	After  *int64
	Before *int64
	Since  time.Time
	Limit  int
}

// Messages returns one page of a conversation's messages, always in ascending seq.
func (q *Queries) Messages(ctx context.Context, conversationID string, p MessagePage) ([]model.Message, error) {
	args := []any{conversationID, utc(p.Since)}
	query := `SELECT ` + messageCols + ` FROM messages WHERE conversation_id = $1 AND created_at >= $2`
	desc := true
	switch {
	case p.After != nil:
		args = append(args, *p.After)
		query += ` AND seq > $3 ORDER BY seq LIMIT $4`
		desc = false
	case p.Before != nil:
		args = append(args, *p.Before)
		query += ` AND seq < $3 ORDER BY seq DESC LIMIT $4`
	default:
		args = append(args, int64(0))
		query += ` AND seq > $3 ORDER BY seq DESC LIMIT $4`
	}
	args = append(args, p.Limit)
	out, err := queryAll(ctx, q.q, "messages", func(r rowScanner) (model.Message, error) { return scanMessage(r) }, query, args...)
	if err != nil {
		return nil, err
	}
	if desc {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, nil
}

// UnreadFrom counts the messages of a conversation after seq that others sent to personID.
func (q *Queries) UnreadFrom(ctx context.Context, conversationID, personID string, after int64) (int, error) {
	var n int
	err := q.q.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE conversation_id = $1 AND seq > $2
		AND sender_id <> $3`, conversationID, after, personID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: unread messages: %w", err)
	}
	return n, nil
}

// MemberConversation is one entry of a person's conversation list: the conversation and their
// place in it.
type MemberConversation struct {
	Conversation model.Conversation
	Member       model.Member
	SortAt       time.Time
	Unread       int         // messages after the member's read position that others sent
	Order        *OrderState // an order conversation's order; nil for other kinds or a missing order
}

// OrderState is what a conversation list needs of an order conversation's order: whether it has
// a worker, and whether and when it ended (the time of the latest event of its final status).
type OrderState struct {
	Status    model.OrderStatus
	WorkerID  string
	UpdatedAt time.Time
	EndedAt   *time.Time
}

// ConversationKey is where a page of a person's conversations ended (keyset paging).
type ConversationKey struct {
	SortAt time.Time
	ID     string
}

// PersonConversations lists the conversations a person belongs to, latest activity first,
// walking conversation_members_person in order; kind "" means every kind.
func (q *Queries) PersonConversations(ctx context.Context, personID, kind string, after *ConversationKey, limit int) ([]MemberConversation, error) {
	query, args := personConversationsSQL(personID, kind, after, limit)
	return queryAll(ctx, q.q, "person conversations", func(r rowScanner) (MemberConversation, error) {
		var mc MemberConversation
		var role string
		var readAt, leftAt, lastAt, closedAt sql.NullTime
		var orderID, oID, oStatus, oWorker sql.NullString
		var oUpdated sql.NullTime
		var oEnded any // a subquery's column: SQLite's driver hands over its text
		m, c := &mc.Member, &mc.Conversation
		if err := r.Scan(&mc.SortAt, &m.ConversationID, &m.PersonID, &role, &m.LastReadSeq, &readAt, &m.Muted, &m.JoinedAt, &leftAt,
			&c.ID, &c.Kind, &orderID, &c.Subject, &c.LastSeq, &lastAt, &c.LastText, &c.LastSenderID, &closedAt, &c.CreatedAt, &c.UpdatedAt,
			&mc.Unread, &oID, &oStatus, &oWorker, &oUpdated, &oEnded); err != nil {
			return mc, err
		}
		if oID.Valid {
			st := &OrderState{Status: model.OrderStatus(oStatus.String), WorkerID: oWorker.String, UpdatedAt: oUpdated.Time.UTC()}
			switch v := oEnded.(type) {
			case time.Time:
				t := v.UTC()
				st.EndedAt = &t
			case string:
				t, err := parseStoredTime(v)
				if err != nil {
					return mc, err
				}
				st.EndedAt = &t
			case []byte:
				t, err := parseStoredTime(string(v))
				if err != nil {
					return mc, err
				}
				st.EndedAt = &t
			}
			mc.Order = st
		}
		mc.SortAt = mc.SortAt.UTC()
		m.Role, m.ReadAt, m.LeftAt, m.JoinedAt = model.Role(role), ptrTime(readAt), ptrTime(leftAt), m.JoinedAt.UTC()
		c.OrderID, c.LastMessageAt, c.ClosedAt = orderID.String, ptrTime(lastAt), ptrTime(closedAt)
		c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
		return mc, nil
	}, query, args...)
}

// ExplainPersonConversations returns SQLite's plan of PersonConversations, one step a line
// (benchmarks check that it walks conversation_members_person).
func (s *Store) ExplainPersonConversations(ctx context.Context, personID, kind string, after *ConversationKey, limit int) (string, error) {
	query, args := personConversationsSQL(personID, kind, after, limit)
	lines, err := queryAll(ctx, s.r, "explain", func(r rowScanner) (string, error) {
		var id, parent, unused int
		var detail string
		err := r.Scan(&id, &parent, &unused, &detail)
		return detail, err
	}, `EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		return "", err
	}
	return strings.Join(lines, "\n"), nil
}

func personConversationsSQL(personID, kind string, after *ConversationKey, limit int) (string, []any) {
	args := []any{personID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	var sb strings.Builder
	// The unread count and the order's state come with each row (correlated reads by primary key
	// or index, for the page's rows only), so a page needs no further query for them.
	sb.WriteString(`SELECT m.sort_at, m.conversation_id, m.person_id, m.role, m.last_read_seq, m.read_at, m.muted, m.joined_at, m.left_at,
		c.id, c.kind, c.order_id, c.subject, c.last_seq, c.last_message_at, c.last_text, c.last_sender_id, c.closed_at, c.created_at, c.updated_at,
		(SELECT count(*) FROM messages x WHERE x.conversation_id = m.conversation_id AND x.seq > m.last_read_seq AND x.sender_id <> $1),
		o.id, o.status, COALESCE(o.worker_id, ''), o.updated_at,
		CASE WHEN o.status IN ('completed', 'cancelled') THEN (SELECT e.created_at FROM order_events e
			WHERE e.order_id = o.id AND e.type = o.status ORDER BY e.created_at DESC, e.id DESC LIMIT 1) END
		FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
		LEFT JOIN orders o ON o.id = c.order_id AND c.kind = 'order'
		WHERE m.person_id = $1 AND m.left_at IS NULL`)
	if kind != "" {
		sb.WriteString(` AND c.kind = ` + arg(kind))
	}
	if after != nil {
		sb.WriteString(` AND (m.sort_at, m.conversation_id) < (` + arg(utc(after.SortAt)) + `, ` + arg(after.ID) + `)`)
	}
	sb.WriteString(` ORDER BY m.sort_at DESC, m.conversation_id DESC LIMIT ` + arg(limit))
	return sb.String(), args
}

// FileReadable reports whether personID is an active member of a conversation with a message
// that references fileID (the files access rule of chat).
func (q *Queries) FileReadable(ctx context.Context, personID, fileID string) (bool, error) {
	var one int
	err := q.q.QueryRowContext(ctx, `SELECT 1 FROM message_files f JOIN conversation_members m
		ON m.conversation_id = f.conversation_id WHERE f.file_id = $1 AND m.person_id = $2 AND m.left_at IS NULL LIMIT 1`,
		fileID, personID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: file readable: %w", err)
	}
	return true, nil
}

// MessagesShowFile reports whether any message references fileID.
func (q *Queries) MessagesShowFile(ctx context.Context, fileID string) (bool, error) {
	var one int
	err := q.q.QueryRowContext(ctx, `SELECT 1 FROM message_files WHERE file_id = $1 LIMIT 1`, fileID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: message file: %w", err)
	}
	return true, nil
}

// PurgeMessages deletes up to limit messages created before before, oldest first, with their
// images' links (S5 retention: the daily purge runs it in batches). Both statements pick the same
// rows: the oldest, in one order (messages_created), within the one transaction.
func (q *Queries) PurgeMessages(ctx context.Context, before time.Time, limit int) (int64, error) {
	const oldest = `SELECT conversation_id, seq FROM messages WHERE created_at < $1
		ORDER BY created_at, conversation_id, seq LIMIT $2`
	if _, err := q.q.ExecContext(ctx, `DELETE FROM message_files WHERE (conversation_id, seq) IN (`+oldest+`)`,
		utc(before), limit); err != nil {
		return 0, fmt.Errorf("store: purge message files: %w", err)
	}
	res, err := q.q.ExecContext(ctx, `DELETE FROM messages WHERE (conversation_id, seq) IN (`+oldest+`)`, utc(before), limit)
	if err != nil {
		return 0, fmt.Errorf("store: purge messages: %w", err)
	}
	return res.RowsAffected()
}

// The conversation list (GET /v1/me/conversations) reads a page of conversations with a handful
// of queries, each for the whole page, instead of several per conversation.

// MembersOfMany lists the members of each conversation, in the order of Members.
func (q *Queries) MembersOfMany(ctx context.Context, conversationIDs []string) (map[string][]model.Member, error) {
	out := map[string][]model.Member{}
	if len(conversationIDs) == 0 {
		return out, nil
	}
	args, in := inList(nil, conversationIDs)
	ms, err := queryAll(ctx, q.q, "members", func(r rowScanner) (model.Member, error) { return scanMember(r) },
		`SELECT `+memberCols+` FROM conversation_members WHERE conversation_id IN `+in+`
		ORDER BY conversation_id, CASE WHEN left_at IS NULL THEN 0 ELSE 1 END, joined_at, person_id`, args...)
	if err != nil {
		return nil, err
	}
	return groupBy(ms, func(m model.Member) string { return m.ConversationID }), nil
}

// UnreadInMany counts, for each conversation, the messages others sent to personID after their
// read position (UnreadFrom for many conversations; conversations without any are left out).
func (q *Queries) UnreadInMany(ctx context.Context, personID string, conversationIDs []string) (map[string]int, error) {
	out := map[string]int{}
	if len(conversationIDs) == 0 {
		return out, nil
	}
	args, in := inList([]any{personID}, conversationIDs)
	return queryCounts(ctx, q.q, "unread messages", `SELECT m.conversation_id, count(*) FROM conversation_members cm
		JOIN messages m ON m.conversation_id = cm.conversation_id AND m.seq > cm.last_read_seq
		WHERE cm.person_id = $1 AND cm.conversation_id IN `+in+` AND m.sender_id <> $1
		GROUP BY m.conversation_id`, args...)
}

// OrdersByIDs returns the orders among ids, by id.
func (q *Queries) OrdersByIDs(ctx context.Context, ids []string) (map[string]model.Order, error) {
	out := map[string]model.Order{}
	if len(ids) == 0 {
		return out, nil
	}
	args, in := inList(nil, ids)
	err := queryEach(ctx, q.q, "orders", func(r rowScanner) error {
		o, err := scanOrder(r)
		if err != nil {
			return err
		}
		out[o.ID] = o
		return nil
	}, `SELECT `+orderCols+` FROM orders WHERE id IN `+in, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// OrderEventsOfTypes lists the events of the given types of many orders, by order, oldest first.
func (q *Queries) OrderEventsOfTypes(ctx context.Context, orderIDs []string, types ...string) (map[string][]model.OrderEvent, error) {
	out := map[string][]model.OrderEvent{}
	if len(orderIDs) == 0 || len(types) == 0 {
		return out, nil
	}
	args, in := inList(nil, orderIDs)
	args, inTypes := inList(args, types)
	evs, err := queryAll(ctx, q.q, "order events", scanOrderEvent, `SELECT id, order_id, type, actor_id, actor_role, details, created_at FROM order_events
		WHERE order_id IN `+in+` AND type IN `+inTypes+` ORDER BY order_id, created_at, id`, args...)
	if err != nil {
		return nil, err
	}
	return groupBy(evs, func(e model.OrderEvent) string { return e.OrderID }), nil
}

// SendState is what sending a message needs: the conversation (locked on PostgreSQL), the
// sender's membership, an earlier message of theirs with the same client id, and an order
// conversation's order. SendStateOf reads it in one statement on SQLite (where the one writer makes
// the read exact) and on PostgreSQL in one when no message came into the conversation between the
// statement's snapshot and its lock, else in two: the retry check then runs again after the lock
// is held, so it sees a concurrent send of the same message that committed while this one waited.
type SendState struct {
	Conversation model.Conversation
	Member       model.Member
	IsMember     bool // the person has a membership row, active or not
	// Sent is the sender's message with the client id, when Retry: the message was sent before.
	Sent  model.Message
	Retry bool
	Order *OrderState // the order of an order conversation; nil for other kinds or a missing order
}

// SendStateOf reads a send's state inside the write transaction (see SendState).
func (q *Queries) SendStateOf(ctx context.Context, conversationID, personID, clientID string) (SendState, error) {
	var st SendState
	// On PostgreSQL the conversation is locked (FOR UPDATE), and a retry with this client id that
	// committed after the statement's snapshot is not in its subquery. It also moved the
	// conversation's last_seq (every message does, in its transaction, under this row's lock), and
	// the locked row is its newest version: when that last_seq is the snapshot's, no message came
	// in between and the subquery's answer stands; otherwise the retry is read again.
	sent, lock, snapSeq := `(SELECT x.seq FROM messages x WHERE x.conversation_id = c.id AND x.sender_id = $2 AND x.client_id = $3)`, "", `c.last_seq`
	if q.dialect == Postgres {
		lock, snapSeq = ` FOR UPDATE OF c`, `(SELECT s.last_seq FROM conversations s WHERE s.id = $1)`
	}
	args := []any{conversationID, personID, clientID}
	var orderID sql.NullString
	var lastAt, closedAt sql.NullTime
	var mConv, mPerson, mRole, oStatus, oWorker sql.NullString
	var mRead sql.NullInt64
	var mReadAt, mJoined, mLeft, oUpdated sql.NullTime
	var mMuted sql.NullBool
	var sentSeq, snapshotSeq sql.NullInt64
	c := &st.Conversation
	err := q.q.QueryRowContext(ctx, `SELECT c.id, c.kind, c.order_id, c.subject, c.last_seq, c.last_message_at, c.last_text,
		c.last_sender_id, c.closed_at, c.created_at, c.updated_at,
		m.conversation_id, m.person_id, m.role, m.last_read_seq, m.read_at, m.muted, m.joined_at, m.left_at,
		o.status, o.worker_id, o.updated_at, `+sent+`, `+snapSeq+`
		FROM conversations c
		LEFT JOIN conversation_members m ON m.conversation_id = c.id AND m.person_id = $2
		LEFT JOIN orders o ON o.id = c.order_id
		WHERE c.id = $1`+lock, args...).Scan(
		&c.ID, &c.Kind, &orderID, &c.Subject, &c.LastSeq, &lastAt, &c.LastText, &c.LastSenderID, &closedAt, &c.CreatedAt, &c.UpdatedAt,
		&mConv, &mPerson, &mRole, &mRead, &mReadAt, &mMuted, &mJoined, &mLeft,
		&oStatus, &oWorker, &oUpdated, &sentSeq, &snapshotSeq)
	if errors.Is(err, sql.ErrNoRows) {
		return st, notFound("conversation", conversationID)
	}
	if err != nil {
		return st, fmt.Errorf("store: send state: %w", err)
	}
	c.OrderID = orderID.String
	c.LastMessageAt, c.ClosedAt = ptrTime(lastAt), ptrTime(closedAt)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	if mPerson.Valid {
		st.IsMember = true
		st.Member = model.Member{ConversationID: mConv.String, PersonID: mPerson.String, Role: model.Role(mRole.String),
			LastReadSeq: mRead.Int64, ReadAt: ptrTime(mReadAt), Muted: mMuted.Bool, JoinedAt: mJoined.Time.UTC(), LeftAt: ptrTime(mLeft)}
	}
	if oStatus.Valid {
		st.Order = &OrderState{Status: model.OrderStatus(oStatus.String), WorkerID: oWorker.String, UpdatedAt: oUpdated.Time.UTC()}
	}
	if sentSeq.Valid || snapshotSeq.Int64 != c.LastSeq {
		st.Sent, st.Retry, err = q.MessageByClientID(ctx, conversationID, personID, clientID)
	}
	return st, err
}
