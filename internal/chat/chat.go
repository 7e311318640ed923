// Package chat is homebell's one model of interaction (DESIGN.md "Conversations"): a
// conversation of a kind (order now; support and feedback reuse it) with members in roles,
// messages numbered per conversation, each member's read position, and typing indicators.
//
// # Building on it (support, feedback)
//
// A kind's own service decides who talks and when; this package does the talking:
//
//   - Open(ctx, tx, conv, members) creates a conversation in the caller's transaction (with
//     Kind, optional OrderID and Subject); AddMember and RemoveMember change who belongs, also in
//     the caller's transaction, so a transfer or a worker change is one commit with the change
//     that caused it. A member who is removed loses every read and write at once: messages,
//     receipts, typing, files (CanReadFile) and new stream frames. Close(ctx, tx, id, at) ends
//     writing at an instant (a resolved support chat); Reopen by Close(…, nil).
//   - Send, Messages, MarkRead, Typing, SetMuted, Get and Mine are what people call over HTTP;
//     each checks that the actor is an active member (operators and the platform may read any
//     conversation; each such read of an order's conversation goes into the order's audit trail).
//   - Send is idempotent per sender and client id, masks contact details (X5) before the
//     visible text is stored, appends a conversation.message event to every member's log, and
//     tells the other members through notify as one running message-center entry per
//     conversation (kind chat.message; notify.Thread: 10 s grace, one off-app delivery a minute,
//     muted members get the entry without alerts). A kind with its own notification kind sets
//     Service.KindOf.
//
// Order chat (I1) lives in order.go: the conversation opens when a worker accepts (booking's
// WorkerChanged hook, in the accept/assign transaction), follows worker changes in their
// transaction, and stays writable until the operators' booking policy says (chat.*_hours).
package chat

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/homebell/homebell/internal/booking"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
)

// Actor is who asks (the same as booking's: person id, role, name).
type Actor = booking.Actor

// Masked is what contact masking (X5) made of a text: the visible text and what it hid.
type Masked struct {
	Text  string
	Kinds []string // phone, wechat, qq, email …; empty when nothing was hidden
}

// Service runs conversations.
type Service struct {
	Store  *store.Store
	Notify *notify.Service
	Now    func() time.Time
	// Publish hands committed log entries to open streams (the hub); nil in tools without one.
	Publish func(events map[string][]model.Event)
	// Mask hides contact details in a message before it is stored (X5); nil stores text as typed.
	Mask func(text string) Masked
	// CheckFiles verifies that every file id was uploaded by personID and is an image a message
	// may carry; nil refuses messages with images.
	CheckFiles func(ctx context.Context, personID string, fileIDs []string) error
	// Grace and Every shape off-app deliveries of new messages (defaults 10 s and 1 min).
	Grace, Every time.Duration
	// KindOf is the notification kind that tells of a new message in a conversation of a kind
	// (default chat.message for every kind).
	KindOf map[string]string
	// OnSent is a kind's hook inside Send's transaction (support: queue, reopen, automatic reply).
	OnSent map[string]SentHook
	// TypingEvery is how often one person's typing in one conversation is passed on (default 1 s).
	TypingEvery time.Duration

	typing typingLimiter
}

func (s *Service) typingEvery() time.Duration {
	if s.TypingEvery > 0 {
		return s.TypingEvery
	}
	return time.Second
}

// typingLimiter remembers when each (person, conversation) last had its typing passed on.
type typingLimiter struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// allow reports whether key may be passed on at now, and if so records it. Entries older than
// every are dropped once the map grows, so it holds about the people typing in the last second.
func (l *typingLimiter) allow(key string, now time.Time, every time.Duration) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		l.last = map[string]time.Time{}
	}
	if t, ok := l.last[key]; ok && now.Sub(t) < every && !now.Before(t) {
		return false
	}
	if len(l.last) >= 4096 {
		for k, t := range l.last {
			if now.Sub(t) >= every {
				delete(l.last, k)
			}
		}
	}
	l.last[key] = now
	return true
}

func (s *Service) grace() time.Duration {
	if s.Grace > 0 {
		return s.Grace
	}
	return 10 * time.Second
}

func (s *Service) every() time.Duration {
	if s.Every > 0 {
		return s.Every
	}
	return time.Minute
}

func (s *Service) notifyKind(convKind string) string {
	if k, ok := s.KindOf[convKind]; ok {
		return k
	}
	return notify.KindChatMessage
}

// isStaff: operators and the platform may read any conversation (disputes), never write as
// non-members.
func isStaff(a Actor) bool { return a.Role == model.RoleOperator || a.Role == model.RolePlatform }

func notFound(id string) error {
	return model.Errorf(model.CodeNotFound, "conversation %q not found", id)
}

// Open creates a conversation with its first members inside the caller's transaction.
func (s *Service) Open(ctx context.Context, tx *store.Tx, c model.Conversation, members []model.Member) (_ model.Conversation, err error) {
	defer model.WrapOp(&err, "chat: open", "")
	if !model.ValidConversationKind(c.Kind) {
		return c, fmt.Errorf("chat: unknown conversation kind %q", c.Kind)
	}
	now := tx.Now()
	if err := tx.InsertConversation(ctx, &c, now); err != nil {
		return c, err
	}
	return c, s.joinAll(ctx, tx, c, members)
}

// joinAll adds members to the new conversation c in one statement (each person once, the last
// role named wins, as adding them one by one would leave it).
func (s *Service) joinAll(ctx context.Context, tx *store.Tx, c model.Conversation, members []model.Member) error {
	ms := make([]*model.Member, 0, len(members))
	at := make(map[string]int, len(members))
	for _, m := range members {
		if i, ok := at[m.PersonID]; ok {
			ms[i].Role = m.Role
			continue
		}
		at[m.PersonID] = len(ms)
		ms = append(ms, &model.Member{ConversationID: c.ID, PersonID: m.PersonID, Role: m.Role})
	}
	return tx.UpsertMembers(ctx, ms, c.CreatedAt, tx.Now())
}

// AddMember adds a person to a conversation (or brings them back) inside the caller's
// transaction. They see the conversation's whole history.
func (s *Service) AddMember(ctx context.Context, tx *store.Tx, conversationID, personID string, role model.Role) (err error) {
	defer model.WrapOp(&err, "chat: add member", conversationID)
	c, err := tx.Conversation(ctx, conversationID)
	if err != nil {
		return err
	}
	return s.addMember(ctx, tx, c, personID, role)
}

// addMember is AddMember to the conversation c as the caller read it in tx.
func (s *Service) addMember(ctx context.Context, tx *store.Tx, c model.Conversation, personID string, role model.Role) error {
	sortAt := c.CreatedAt
	if c.LastMessageAt != nil {
		sortAt = *c.LastMessageAt
	}
	return tx.UpsertMember(ctx, &model.Member{ConversationID: c.ID, PersonID: personID, Role: role}, sortAt, tx.Now())
}

// RemoveMember takes a person out of a conversation inside the caller's transaction: from its
// commit on they can neither read nor write it, nor see its files, and their open app is told
// (conversation.closed) so it leaves the screen.
func (s *Service) RemoveMember(ctx context.Context, tx *store.Tx, conversationID, personID string) (err error) {
	defer model.WrapOp(&err, "chat: remove member", conversationID)
	now := tx.Now()
	removed, err := tx.RemoveMember(ctx, conversationID, personID, now)
	if err != nil || !removed {
		return err
	}
	ev, err := tx.AppendEventRecord(ctx, personID, EventClosed, map[string]any{"conversation_id": conversationID,
		"reason": "removed"}, now)
	if err != nil {
		return err
	}
	s.publishAfter(tx, map[string][]model.Event{personID: {ev}})
	return nil
}

// EventClosed tells a person's open apps that they no longer belong to a conversation.
const EventClosed = "conversation.closed"

// Close ends writing in a conversation at at (nil reopens it), inside the caller's transaction.
func (s *Service) Close(ctx context.Context, tx *store.Tx, conversationID string, at *time.Time) (err error) {
	defer model.WrapOp(&err, "chat: close", conversationID)
	return tx.CloseConversation(ctx, conversationID, at, tx.Now())
}

func (s *Service) publishAfter(tx *store.Tx, events map[string][]model.Event) {
	if s.Publish == nil || len(events) == 0 {
		return
	}
	pub := s.Publish
	tx.AfterCommit(func() { pub(events) })
}

// access is what an actor may do in a conversation.
type access struct {
	conv   model.Conversation
	member *model.Member // nil: staff reading without being a member
}

// load finds a conversation the actor may read: an active member's, or any for staff. Everyone
// else — strangers, removed members — is told it does not exist.
func (s *Service) load(ctx context.Context, q *store.Queries, a Actor, id string, forUpdate bool) (access, error) {
	var c model.Conversation
	var err error
	if forUpdate {
		c, err = q.ConversationForUpdate(ctx, id)
	} else {
		c, err = q.Conversation(ctx, id)
	}
	if model.IsCode(err, model.CodeNotFound) {
		return access{}, notFound(id)
	}
	if err != nil {
		return access{}, err
	}
	m, err := q.Member(ctx, id, a.ID)
	switch {
	case err == nil && m.Active():
		return access{conv: c, member: &m}, nil
	case err != nil && !model.IsCode(err, model.CodeNotFound):
		return access{}, err
	case isStaff(a):
		return access{conv: c}, nil
	case a.Role == model.RoleAgent && c.Kind == model.ConversationSupport:
		// Agents read every support conversation (the queue, a colleague's); they write only in
		// the ones they hold (membership). Order chats stay closed to them.
		return access{conv: c}, nil
	}
	return access{}, notFound(id)
}

// writeState is when writing ends (nil: open-ended) and, when writing is refused for another
// reason than time (an order without a worker), why.
func (s *Service) writeState(ctx context.Context, q *store.Queries, c model.Conversation) (until *time.Time, blocked error, err error) {
	until = c.ClosedAt
	if c.Kind == model.ConversationOrder && c.OrderID != "" {
		t, b, err := s.orderWriteState(ctx, q, c.OrderID)
		if err != nil {
			return nil, nil, err
		}
		if t != nil && (until == nil || t.Before(*until)) {
			until = t
		}
		blocked = b
	}
	return until, blocked, nil
}

// SendInput is a message as a member sends it.
type SendInput struct {
	ClientID string   `json:"client_id"`
	Text     string   `json:"text"`
	FileIDs  []string `json:"file_ids"`
}

// Notice tells the sender something about their message in their language (e.g. that contact
// details were hidden).
type Notice struct {
	Code    string   `json:"code"` // contact_masked
	Message string   `json:"message"`
	Kinds   []string `json:"kinds,omitempty"`
}

// SendResult is the answer to Send: the message as stored (for the sender: without the
// original), whether it was a retry of one sent before, and a notice when masking hid something.
type SendResult struct {
	Message   model.Message `json:"message"`
	Duplicate bool          `json:"duplicate"`
	Masked    *Notice       `json:"masked"`
}

// maskedNotice is the sender's notice for a message whose contact details were hidden.
func maskedNotice(locale string, kinds []string) *Notice {
	if len(kinds) == 0 {
		return nil
	}
	msg := "为保护双方隐私，消息中的联系方式已隐藏。请在平台内沟通，服务有保障。"
	if locale == model.LocaleEN {
		msg = "Contact details in your message were hidden to protect both sides. Please keep talking here, where the service is covered."
	}
	return &Notice{Code: "contact_masked", Message: msg, Kinds: kinds}
}

// MessageEvent is the payload of a conversation.message event.
type MessageEvent struct {
	ConversationID string        `json:"conversation_id"`
	Kind           string        `json:"kind"`
	OrderID        string        `json:"order_id,omitempty"`
	Message        model.Message `json:"message"`
	SenderName     string        `json:"sender_name"`
}

// Send adds a message to a conversation: the sender must be an active member and the
// conversation writable. A retry with the same client id returns the message sent first.
func (s *Service) Send(ctx context.Context, a Actor, conversationID string, in SendInput) (_ SendResult, err error) {
	defer model.WrapOp(&err, "chat: send", conversationID)
	if err := model.ValidateMessage(in.ClientID, in.Text, in.FileIDs); err != nil {
		return SendResult{}, err
	}
	var out SendResult
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if out, err = s.SendTx(ctx, tx, a, conversationID, in); err != nil {
			return err
		}
		// A retry under the same Idempotency-Key is answered by Sent from this, with no second
		// commit to record the answer.
		ref := in.ClientID
		if out.Duplicate {
			ref = dupRef + ref
		}
		store.NoteCreated(ctx, ref)
		return nil
	})
	return out, err
}

// dupRef marks the idempotency ref of a send that found its client id taken (answered 200).
const dupRef = "dup:"

// Sent is the answer Send gave under the idempotency ref it noted: the sender's message with that
// client id as it is now, told as new (201) or as a duplicate (200).
func (s *Service) Sent(ctx context.Context, a Actor, conversationID, ref string) (_ SendResult, _ bool, err error) {
	defer model.WrapOp(&err, "chat: sent", conversationID)
	clientID, dup := strings.CutPrefix(ref, dupRef)
	acc, err := s.load(ctx, &s.Store.Queries, a, conversationID, false)
	if err != nil {
		return SendResult{}, false, err
	}
	if acc.member == nil {
		return SendResult{}, false, model.Errorf(model.CodeForbidden, "only the conversation's members write in it; operators read it")
	}
	sender, err := s.Store.Person(ctx, a.ID)
	if err != nil {
		return SendResult{}, false, err
	}
	m, found, err := s.Store.MessageByClientID(ctx, acc.conv.ID, a.ID, clientID)
	if err != nil {
		return SendResult{}, false, err
	}
	if !found {
		return SendResult{}, false, model.Errorf(model.CodeNotFound, "no message with client id %q", clientID)
	}
	m.Original = ""
	return SendResult{Message: m, Duplicate: dup, Masked: maskedNotice(sender.Locale, m.Masked)}, dup, nil
}

// SendTx is Send inside the caller's transaction (a support conversation opens with its first
// message in one commit). The caller validated in with model.ValidateMessage.
func (s *Service) SendTx(ctx context.Context, tx *store.Tx, a Actor, conversationID string, in SendInput) (_ SendResult, err error) {
	defer model.WrapOp(&err, "chat: send tx", conversationID)
	var out SendResult
	err = func() error {
		// One read (two on PostgreSQL after a concurrent message) brings the conversation, the sender's membership, a
		// message of theirs with this client id and the order: all current, inside the write.
		st, err := tx.SendStateOf(ctx, conversationID, a.ID, in.ClientID)
		if model.IsCode(err, model.CodeNotFound) {
			return notFound(conversationID)
		}
		if err != nil {
			return err
		}
		conv := st.Conversation
		if !st.IsMember || !st.Member.Active() {
			if isStaff(a) || (a.Role == model.RoleAgent && conv.Kind == model.ConversationSupport) {
				return model.Errorf(model.CodeForbidden, "only the conversation's members write in it; operators read it")
			}
			return notFound(conversationID)
		}
		acc := access{conv: conv, member: &st.Member}
		sender, err := tx.Person(ctx, a.ID)
		if err != nil {
			return err
		}
		if st.Retry {
			m := st.Sent
			m.Original = ""
			out = SendResult{Message: m, Duplicate: true, Masked: maskedNotice(sender.Locale, m.Masked)}
			return nil
		}
		now := tx.Now()
		until, blocked, err := s.sendWriteState(ctx, &tx.Queries, st)
		if err != nil {
			return err
		}
		if until != nil && !now.Before(*until) {
			return model.Errorf(model.CodeInvalidTransition, "the conversation closed for new messages at %s; it stays readable",
				until.UTC().Format(time.RFC3339))
		}
		if blocked != nil {
			return blocked
		}
		if len(in.FileIDs) > 0 {
			if s.CheckFiles == nil {
				return model.Invalid(model.FieldError{Field: "file_ids", Message: "images are not available on this server"})
			}
			if err := s.CheckFiles(ctx, a.ID, in.FileIDs); err != nil {
				return err
			}
		}
		msg := model.Message{ConversationID: acc.conv.ID, SenderID: a.ID, SenderRole: acc.member.Role, ClientID: in.ClientID,
			Text: in.Text, FileIDs: dedupe(in.FileIDs)}
		if s.Mask != nil && in.Text != "" {
			if r := s.Mask(in.Text); r.Text != in.Text {
				msg.Text, msg.Masked, msg.Original = r.Text, r.Kinds, in.Text
				if len(msg.Masked) == 0 {
					msg.Masked = []string{"contact"}
				}
			}
		}
		// The active members as they are now; the sender has read their own message.
		members, err := tx.AppendMessage(ctx, &msg, now)
		if err != nil {
			return err
		}
		visible := msg
		visible.Original = ""
		out = SendResult{Message: visible, Masked: maskedNotice(sender.Locale, msg.Masked)}
		// The sender wrote as an active member; a removal that committed while this send waited
		// for the conversation (PostgreSQL) leaves them out of the members the message reached.
		if !slices.ContainsFunc(members, func(m model.Member) bool { return m.PersonID == a.ID && m.Active() }) {
			return notFound(conversationID)
		}
		payload := MessageEvent{ConversationID: acc.conv.ID, Kind: acc.conv.Kind, OrderID: acc.conv.OrderID, Message: visible,
			SenderName: sender.Name}
		log, err := memberRecords(members, model.EventMessage, payload)
		if err != nil {
			return err
		}
		// The recipients' notices (message-center entries) add their log entries after the
		// message's; all are written in one pair of statements and published together, each
		// person's in seq order, so an open stream never reads its log back for a gap.
		for _, m := range members {
			if !m.Active() || m.PersonID == a.ID {
				continue
			}
			if err := s.tell(ctx, tx, acc.conv, m, sender, visible, &log); err != nil {
				return err
			}
		}
		// On PostgreSQL the log's write (and the entries' renewals) wait to go with the
		// transaction's next statement — the support thread's update — or its commit: one round
		// trip. The entries have their seqs once it commits.
		evs, err := tx.AppendEventRecordsLater(ctx, log, now)
		if err != nil {
			return err
		}
		if s.Publish != nil && len(log) > 0 {
			pub := s.Publish
			tx.AfterCommit(func() { pub(eventsByPerson(log, evs)) })
		}
		if hook := s.OnSent[acc.conv.Kind]; hook != nil {
			return hook(ctx, tx, acc.conv, *acc.member, visible)
		}
		return nil
	}()
	return out, err
}

// SentHook runs inside Send's transaction once a new message is stored and its members told (not
// for a retry): a kind's own rules follow a message there (a support conversation reopens or
// queues, the automatic reply goes out). An error rolls the message back.
type SentHook func(ctx context.Context, tx *store.Tx, c model.Conversation, from model.Member, m model.Message) error

// System adds a message without a sender (sender_role system) inside the caller's transaction:
// the automatic reply of support, "transferred to …". Every active member's open app gets it; nobody
// is notified off-app.
func (s *Service) System(ctx context.Context, tx *store.Tx, conversationID, text string) (_ model.Message, err error) {
	defer model.WrapOp(&err, "chat: system", conversationID)
	now := tx.Now()
	msg := model.Message{ConversationID: conversationID, SenderRole: model.SenderSystem, ClientID: "system." + model.NewID(),
		Text: text, FileIDs: []string{}}
	if _, err := tx.ConversationForUpdate(ctx, conversationID); err != nil {
		return msg, err
	}
	members, err := tx.AppendMessage(ctx, &msg, now)
	if err != nil {
		return msg, err
	}
	c, err := tx.Conversation(ctx, conversationID)
	if err != nil {
		return msg, err
	}
	payload := MessageEvent{ConversationID: c.ID, Kind: c.Kind, OrderID: c.OrderID, Message: msg}
	log, err := memberRecords(members, model.EventMessage, payload)
	if err != nil {
		return msg, err
	}
	events, err := appendRecords(ctx, tx, log, now)
	if err != nil {
		return msg, err
	}
	s.publishAfter(tx, events)
	return msg, nil
}

// memberRecords are one log entry for every active member (the payload marshalled once), people
// in id order, so concurrent appends on PostgreSQL lock their seq counters in one order.
func memberRecords(members []model.Member, typ string, payload any) ([]store.NewEventRecord, error) {
	raw, err := jsonRaw(payload)
	if err != nil {
		return nil, err
	}
	recs := make([]store.NewEventRecord, 0, len(members)+1)
	for _, m := range members {
		if m.Active() {
			recs = append(recs, store.NewEventRecord{PersonID: m.PersonID, Type: typ, Data: raw})
		}
	}
	slices.SortFunc(recs, func(a, b store.NewEventRecord) int { return strings.Compare(a.PersonID, b.PersonID) })
	return slices.CompactFunc(recs, func(a, b store.NewEventRecord) bool { return a.PersonID == b.PersonID }), nil
}

// appendRecords writes recs to their people's logs (two statements for all) and returns the
// entries by person in seq order, to publish after commit.
func appendRecords(ctx context.Context, tx *store.Tx, recs []store.NewEventRecord, now time.Time) (map[string][]model.Event, error) {
	evs, err := tx.AppendEventRecords(ctx, recs, now)
	if err != nil {
		return nil, err
	}
	return eventsByPerson(recs, evs), nil
}

// eventsByPerson are the stored entries evs of recs by person, in seq order.
func eventsByPerson(recs []store.NewEventRecord, evs []model.Event) map[string][]model.Event {
	events := make(map[string][]model.Event, len(recs))
	for i, r := range recs {
		events[r.PersonID] = append(events[r.PersonID], evs[i])
	}
	return events
}

// tell updates the recipient's message-center entry of the conversation and plans its off-app
// delivery (notify.Thread).
//
// The unread count is m.Seq − to.LastReadSeq without counting: seqs have no gaps, and every
// message after a member's read position is someone else's, since sending moves the sender's
// position to their message (AppendMessage) and positions never move back. (It counts messages
// past the retention after the position too — hidden from reads, then deleted by the daily purge —
// and a reader that far behind sees the conversation's true count when they open it.)
//
// The recipient's realtime entry goes to log, for the caller to write with the message's.
func (s *Service) tell(ctx context.Context, tx *store.Tx, c model.Conversation, to model.Member, sender model.Person, m model.Message,
	log *[]store.NewEventRecord) error {
	unread := max(int(m.Seq-to.LastReadSeq), 1)
	text := m.Text
	if utf8.RuneCountInString(text) > 120 {
		text = string([]rune(text)[:120]) + "…"
	}
	_, err := s.Notify.Notify(ctx, tx, notify.Event{Kind: s.notifyKind(c.Kind), Key: c.ID, OrderID: c.OrderID,
		Recipients: []notify.Recipient{{PersonID: to.PersonID, Audience: string(to.Role)}},
		Vars:       map[string]any{"sender_name": sender.Name, "text": text, "count": unread, "many": unread > 1},
		Data: map[string]any{"conversation_id": c.ID, "conversation_kind": c.Kind, "unread": unread, "seq": m.Seq,
			"sender":  map[string]any{"id": sender.ID, "name": sender.Name, "avatar_url": sender.AvatarURL, "role": sender.Role},
			"actions": []map[string]any{{"type": "reply", "conversation_id": c.ID}}}, // Y2: reply from the notice
		Thread: &notify.Thread{Grace: s.grace(), Every: s.every(), Quiet: to.Muted}, Log: log})
	return err
}

func dedupe(ids []string) []string {
	out := make([]string, 0, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// MessagesQuery pages a conversation's messages by seq: After (oldest first from there), Before
// (the page before it), or the newest when neither is set.
type MessagesQuery struct {
	After  *int64
	Before *int64
	Limit  int
}

// MessagesPage is a page of messages in ascending seq with the conversation as the reader sees it.
type MessagesPage struct {
	Items        []model.Message `json:"items"`
	Conversation View            `json:"conversation"`
	// HasMore: older messages exist before the first item (newest/before pages) or newer ones
	// after the last (after pages).
	HasMore bool `json:"has_more"`
}

// Messages reads a page of a conversation. Members see the visible text; operators and the
// platform also see originals that masking hid, and each of their reads of an order's
// conversation is recorded in the order's audit trail (X4).
func (s *Service) Messages(ctx context.Context, a Actor, conversationID string, mq MessagesQuery) (_ MessagesPage, err error) {
	defer model.WrapOp(&err, "chat: messages", conversationID)
	if mq.Limit <= 0 || mq.Limit > 200 {
		mq.Limit = 50
	}
	var out MessagesPage
	read := func(q *store.Queries) (access, error) {
		acc, err := s.load(ctx, q, a, conversationID, false)
		if err != nil {
			return acc, err
		}
		since, err := s.retentionStart(ctx, q)
		if err != nil {
			return acc, err
		}
		items, err := q.Messages(ctx, acc.conv.ID, store.MessagePage{After: mq.After, Before: mq.Before, Since: since, Limit: mq.Limit + 1})
		if err != nil {
			return acc, err
		}
		if len(items) > mq.Limit {
			out.HasMore = true
			if mq.After != nil {
				items = items[:mq.Limit]
			} else {
				items = items[1:]
			}
		}
		if items == nil {
			items = []model.Message{}
		}
		if !isStaff(a) {
			for i := range items {
				items[i].Original = ""
			}
		}
		out.Items = items
		out.Conversation, err = s.view(ctx, q, acc.conv, acc.member)
		return acc, err
	}
	if !isStaff(a) {
		_, err := read(&s.Store.Queries)
		return out, err
	}
	// Staff reads are audited: the read and its record commit together.
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		acc, err := read(&tx.Queries)
		if err != nil {
			return err
		}
		if acc.member != nil || acc.conv.OrderID == "" {
			return nil
		}
		originals := 0
		for _, m := range out.Items {
			if m.Original != "" {
				originals++
			}
		}
		return s.audit(ctx, tx, a, acc.conv, "conversation_viewed", map[string]any{"conversation_id": acc.conv.ID,
			"messages": len(out.Items), "originals_shown": originals})
	})
	return out, err
}

// retentionStart is the oldest instant a message is still shown (S5: the interaction retention).
func (s *Service) retentionStart(ctx context.Context, q *store.Queries) (time.Time, error) {
	r, err := q.RetentionDays(ctx)
	if err != nil {
		return time.Time{}, err
	}
	return s.Now().AddDate(0, 0, -r.InteractionDays), nil
}

// MarkRead moves the actor's read position to seq (0: the newest message) and tells the other
// members live (read receipts). It never moves back.
func (s *Service) MarkRead(ctx context.Context, a Actor, conversationID string, seq int64) (_ View, err error) {
	defer model.WrapOp(&err, "chat: mark read", conversationID)
	if seq < 0 {
		return View{}, model.Invalid(model.FieldError{Field: "seq", Message: "must be 0 (the newest) or a message seq"})
	}
	var out View
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		acc, err := s.load(ctx, &tx.Queries, a, conversationID, false)
		if err != nil {
			return err
		}
		if acc.member == nil {
			return model.Errorf(model.CodeForbidden, "only members keep a read position")
		}
		if seq == 0 || seq > acc.conv.LastSeq {
			seq = acc.conv.LastSeq
		}
		now := tx.Now()
		moved, err := tx.MarkMemberRead(ctx, acc.conv.ID, a.ID, seq, now)
		if err != nil {
			return err
		}
		if moved {
			acc.member.LastReadSeq, acc.member.ReadAt = seq, &now
			if err := s.receipt(ctx, tx, acc.conv, *acc.member, now); err != nil {
				return err
			}
		}
		if acc.member.LastReadSeq >= acc.conv.LastSeq {
			if err := s.readEntry(ctx, tx, acc.conv, a.ID, now); err != nil {
				return err
			}
		}
		out, err = s.view(ctx, &tx.Queries, acc.conv, acc.member)
		return err
	})
	return out, err
}

// ReceiptEvent is the payload of a conversation.read event.
type ReceiptEvent struct {
	ConversationID string    `json:"conversation_id"`
	PersonID       string    `json:"person_id"`
	LastReadSeq    int64     `json:"last_read_seq"`
	ReadAt         time.Time `json:"read_at"`
}

// receipt appends a read receipt to every active member's log (the reader's other devices too).
func (s *Service) receipt(ctx context.Context, tx *store.Tx, c model.Conversation, reader model.Member, now time.Time) error {
	members, err := tx.Members(ctx, c.ID)
	if err != nil {
		return err
	}
	events := map[string][]model.Event{}
	payload := ReceiptEvent{ConversationID: c.ID, PersonID: reader.PersonID, LastReadSeq: reader.LastReadSeq, ReadAt: now.UTC()}
	for _, m := range members {
		if !m.Active() {
			continue
		}
		ev, err := tx.AppendEventRecord(ctx, m.PersonID, model.EventReadReceipt, payload, now)
		if err != nil {
			return err
		}
		events[m.PersonID] = append(events[m.PersonID], ev)
	}
	s.publishAfter(tx, events)
	return nil
}

// readEntry marks the reader's message-center entry of the conversation read through the message
// center (which also stops a pending off-app delivery of it) and tells their apps the new counts.
func (s *Service) readEntry(ctx context.Context, tx *store.Tx, c model.Conversation, personID string, now time.Time) error {
	ev, ok, err := notify.ReadThread(ctx, tx, personID, s.notifyKind(c.Kind)+":"+c.ID, now)
	if err != nil || !ok {
		return err
	}
	s.publishAfter(tx, map[string][]model.Event{personID: {ev}})
	return nil
}

// TypingEvent is the payload of a conversation.typing event.
type TypingEvent struct {
	ConversationID string `json:"conversation_id"`
	PersonID       string `json:"person_id"`
	Name           string `json:"name"`
}

// Typing tells the other members' open apps that the actor is typing. Clients send it at most
// every few seconds while typing and show it for about 5 s. It is a short-lived event of the
// recipients' logs (the hub delivers only log entries, so streams stay resumable by seq); the
// retention purge removes it with the rest of the log.
//
// A person's typing in one conversation is fanned out at most once per TypingEvery (default 1 s,
// per node): a post sooner than that is answered like any other (204) but tells nobody and writes
// nothing, so a client that posts on every keystroke costs one read, not a write per key.
func (s *Service) Typing(ctx context.Context, a Actor, conversationID string) (err error) {
	defer model.WrapOp(&err, "chat: typing", conversationID)
	acc, err := s.load(ctx, &s.Store.Queries, a, conversationID, false)
	if err != nil {
		return err
	}
	if acc.member == nil {
		return model.Errorf(model.CodeForbidden, "only members type in a conversation")
	}
	if !s.typing.allow(a.ID+"\x00"+conversationID, s.Now(), s.typingEvery()) {
		return nil
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		acc, err := s.load(ctx, &tx.Queries, a, conversationID, false)
		if err != nil {
			return err
		}
		if acc.member == nil {
			return model.Errorf(model.CodeForbidden, "only members type in a conversation")
		}
		members, err := tx.Members(ctx, acc.conv.ID)
		if err != nil {
			return err
		}
		now := tx.Now()
		events := map[string][]model.Event{}
		for _, m := range members {
			if !m.Active() || m.PersonID == a.ID {
				continue
			}
			ev, err := tx.AppendEventRecord(ctx, m.PersonID, model.EventTyping,
				TypingEvent{ConversationID: acc.conv.ID, PersonID: a.ID, Name: a.Name}, now)
			if err != nil {
				return err
			}
			events[m.PersonID] = append(events[m.PersonID], ev)
		}
		s.publishAfter(tx, events)
		return nil
	})
}

// SetMuted mutes (or unmutes) a conversation for the actor: new messages still update their
// message-center entry, badge only, with no off-app delivery.
func (s *Service) SetMuted(ctx context.Context, a Actor, conversationID string, muted bool) (_ View, err error) {
	defer model.WrapOp(&err, "chat: set muted", conversationID)
	var out View
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		acc, err := s.load(ctx, &tx.Queries, a, conversationID, false)
		if err != nil {
			return err
		}
		if acc.member == nil {
			return model.Errorf(model.CodeForbidden, "only members mute a conversation")
		}
		if err := tx.SetMemberMuted(ctx, acc.conv.ID, a.ID, muted); err != nil {
			return err
		}
		acc.member.Muted = muted
		out, err = s.view(ctx, &tx.Queries, acc.conv, acc.member)
		return err
	})
	return out, err
}

// MemberView is a member as others see them: the public card and how far they have read.
type MemberView struct {
	PersonID    string     `json:"person_id"`
	Role        model.Role `json:"role"`
	Name        string     `json:"name"`
	AvatarURL   string     `json:"avatar_url"`
	LastReadSeq int64      `json:"last_read_seq"`
	ReadAt      *time.Time `json:"read_at"`
}

// View is a conversation as one reader sees it.
type View struct {
	model.Conversation
	Members []MemberView `json:"members"`
	// Me is the reader's own membership (nil for staff reading).
	Me            *model.Member `json:"me"`
	Unread        int           `json:"unread"`
	Writable      bool          `json:"writable"`
	WritableUntil *time.Time    `json:"writable_until"`
}

func (s *Service) view(ctx context.Context, q *store.Queries, c model.Conversation, me *model.Member) (View, error) {
	vs, err := s.views(ctx, q, []readerConversation{{conv: c, me: me}})
	if err != nil {
		return View{}, err
	}
	return vs[0], nil
}

// readerConversation is a conversation and the reader's membership (nil: staff reading).
type readerConversation struct {
	conv model.Conversation
	me   *model.Member
	// known: the list query read the unread count and the order's state with the row.
	known  bool
	unread int
	order  *store.OrderState
}

// views builds the views of several conversations with one query per kind of data — members,
// their cards, unread counts, orders, the ends of ended orders, the policy — whatever the number
// of conversations (the conversation list's first page is one call). Rows of the list query
// (known) bring their unread count and order state along, so only members and cards are read.
func (s *Service) views(ctx context.Context, q *store.Queries, rcs []readerConversation) ([]View, error) {
	ids := make([]string, 0, len(rcs))
	var orderIDs []string
	unreadOf := map[string][]string{} // reader → their conversations
	knownEnded := false
	for _, rc := range rcs {
		ids = append(ids, rc.conv.ID)
		if rc.known {
			knownEnded = knownEnded || rc.order != nil && (rc.order.Status == model.OrderCompleted || rc.order.Status == model.OrderCancelled)
			continue
		}
		if rc.conv.Kind == model.ConversationOrder && rc.conv.OrderID != "" {
			orderIDs = append(orderIDs, rc.conv.OrderID)
		}
		if rc.me != nil {
			unreadOf[rc.me.PersonID] = append(unreadOf[rc.me.PersonID], rc.conv.ID)
		}
	}
	members, err := q.MembersOfMany(ctx, ids)
	if err != nil {
		return nil, err
	}
	var personIDs []string
	for _, ms := range members {
		for _, m := range ms {
			if m.Active() {
				personIDs = append(personIDs, m.PersonID)
			}
		}
	}
	people, err := q.PeopleByIDs(ctx, dedupe(personIDs))
	if err != nil {
		return nil, err
	}
	unread := map[string]map[string]int{}
	for reader, convs := range unreadOf {
		if unread[reader], err = q.UnreadInMany(ctx, reader, convs); err != nil {
			return nil, err
		}
	}
	orders, err := q.OrdersByIDs(ctx, dedupe(orderIDs))
	if err != nil {
		return nil, err
	}
	ends, policy, err := s.orderEnds(ctx, q, orders)
	if err != nil {
		return nil, err
	}
	if knownEnded { // orderEnds loads the policy only for the orders it read
		if policy, err = booking.LoadPolicy(ctx, q); err != nil {
			return nil, err
		}
	}
	now := s.Now()
	out := make([]View, 0, len(rcs))
	for _, rc := range rcs {
		c := rc.conv
		v := View{Conversation: c, Me: rc.me, Members: []MemberView{}}
		for _, m := range members[c.ID] {
			if !m.Active() {
				continue
			}
			p, ok := people[m.PersonID]
			if !ok {
				return nil, model.Errorf(model.CodeNotFound, "person %q not found", m.PersonID)
			}
			mv := MemberView{PersonID: p.ID, Role: m.Role, Name: p.Name, AvatarURL: p.AvatarURL,
				LastReadSeq: m.LastReadSeq, ReadAt: m.ReadAt}
			if m.Role == model.RoleWatcher {
				mv.AvatarURL = "" // a watcher shows their display name only (Y5, X5)
			}
			v.Members = append(v.Members, mv)
		}
		if rc.known {
			v.Unread = rc.unread
		} else if rc.me != nil {
			v.Unread = unread[rc.me.PersonID][c.ID]
		}
		v.WritableUntil = c.ClosedAt
		var blocked error
		if c.Kind == model.ConversationOrder && c.OrderID != "" {
			var o model.Order
			var end time.Time
			if rc.known {
				if rc.order == nil {
					return nil, model.Errorf(model.CodeNotFound, "order %q not found", c.OrderID)
				}
				o = model.Order{ID: c.OrderID, Status: rc.order.Status, WorkerID: rc.order.WorkerID, UpdatedAt: rc.order.UpdatedAt}
				end = o.UpdatedAt
				if rc.order.EndedAt != nil {
					end = *rc.order.EndedAt
				}
			} else {
				var ok bool
				if o, ok = orders[c.OrderID]; !ok {
					return nil, model.Errorf(model.CodeNotFound, "order %q not found", c.OrderID)
				}
				end = ends[o.ID]
			}
			t, b := orderUntil(o, end, policy)
			if t != nil && (v.WritableUntil == nil || t.Before(*v.WritableUntil)) {
				v.WritableUntil = t
			}
			blocked = b
		}
		v.Writable = rc.me != nil && blocked == nil && (v.WritableUntil == nil || now.Before(*v.WritableUntil))
		out = append(out, v)
	}
	return out, nil
}

// Get returns a conversation the actor may read.
func (s *Service) Get(ctx context.Context, a Actor, conversationID string) (_ View, err error) {
	defer model.WrapOp(&err, "chat: get", conversationID)
	acc, err := s.load(ctx, &s.Store.Queries, a, conversationID, false)
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, &s.Store.Queries, acc.conv, acc.member)
}

// ListQuery pages the actor's conversations, latest activity first.
type ListQuery struct {
	Kind   string // "" = every kind
	Cursor string // the next_cursor of the previous page
	Limit  int
}

// Mine lists the conversations the actor belongs to, latest message first, with unread counts.
// next is the cursor of the next page ("" at the end).
func (s *Service) Mine(ctx context.Context, a Actor, lq ListQuery) (items []View, next string, err error) {
	defer model.WrapOp(&err, "chat: mine", "")
	if lq.Kind != "" && !model.ValidConversationKind(lq.Kind) {
		return nil, "", model.Invalid(model.FieldError{Field: "kind", Message: "must be order, support or feedback"})
	}
	if lq.Limit <= 0 || lq.Limit > 100 {
		lq.Limit = 20
	}
	var after *store.ConversationKey
	if lq.Cursor != "" {
		k, ok := decodeCursor(lq.Cursor)
		if !ok {
			return nil, "", model.Invalid(model.FieldError{Field: "cursor", Message: "is not a next_cursor of this list"})
		}
		after = &k
	}
	rows, err := s.Store.PersonConversations(ctx, a.ID, lq.Kind, after, lq.Limit+1)
	if err != nil {
		return nil, "", err
	}
	if len(rows) > lq.Limit {
		rows = rows[:lq.Limit]
		last := rows[len(rows)-1]
		next = encodeCursor(store.ConversationKey{SortAt: last.SortAt, ID: last.Conversation.ID})
	}
	rcs := make([]readerConversation, len(rows))
	for i := range rows {
		rcs[i] = readerConversation{conv: rows[i].Conversation, me: &rows[i].Member, known: true, unread: rows[i].Unread,
			order: rows[i].Order}
	}
	items, err = s.views(ctx, &s.Store.Queries, rcs)
	if err != nil {
		return nil, "", err
	}
	return items, next, nil
}

func encodeCursor(k store.ConversationKey) string {
	return k.SortAt.UTC().Format(time.RFC3339Nano) + "~" + k.ID
}

func decodeCursor(s string) (store.ConversationKey, bool) {
	ts, id, ok := strings.Cut(s, "~")
	if !ok || id == "" {
		return store.ConversationKey{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return store.ConversationKey{}, false
	}
	return store.ConversationKey{SortAt: t, ID: id}, true
}

// CanReadFile is the files access rule of chat: a person may read a file referenced by a
// message of a conversation they are an active member of at this moment (a removed worker loses
// the images with the messages), and operators may read the images of any conversation they may
// read (disputes).
func (s *Service) CanReadFile(ctx context.Context, personID, fileID string) (_ bool, err error) {
	defer model.WrapOp(&err, "chat: can read file", fileID)
	ok, err := s.Store.FileReadable(ctx, personID, fileID)
	if err != nil || ok {
		return ok, err
	}
	p, err := s.Store.Person(ctx, personID)
	if model.IsCode(err, model.CodeNotFound) {
		return false, nil
	}
	if err != nil || p.Role != model.RoleOperator {
		return false, err
	}
	return s.Store.MessagesShowFile(ctx, fileID)
}

// audit records a staff read in the order's timeline (X4).
func (s *Service) audit(ctx context.Context, tx *store.Tx, a Actor, c model.Conversation, typ string, details map[string]any) error {
	raw, err := jsonRaw(details)
	if err != nil {
		return err
	}
	return tx.AppendOrderEvent(ctx, &model.OrderEvent{OrderID: c.OrderID, Type: typ, ActorID: a.ID, ActorRole: a.Role,
		Details: raw, CreatedAt: tx.Now()})
}
