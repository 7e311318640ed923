package support

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/homebell/homebell/internal/chat"
	"github.com/homebell/homebell/internal/jobs"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
)

// Online customer service (I3): support conversations are chat conversations of kind support
// (messages, images, receipts, typing and the customer's notifications are chat's); this file is
// what only support has. A conversation enters the queue when it opens (or reopens); it is
// offered to an available agent — online (an open stream, the hub's presence) and not away —
// with spare capacity, least loaded first; agents also claim from the queue, transfer with a
// note, and release. An agent whose last stream closed longer than the operators'
// offline_after_minutes ago loses their conversations back to the queue (a durable job). Every
// change of who holds a conversation is a compare-and-swap on the thread's version, so two
// agents claiming at once have exactly one winner.

// JobAgentOffline returns an agent's conversations to the queue once they stayed offline.
const JobAgentOffline = "support.agent_offline"

// EventSupportUpdated tells the requester, the agents concerned and every online agent that a
// support conversation changed (queued, assigned, transferred, resolved …); consoles refresh.
const EventSupportUpdated = "support.updated"

// Support event types (support_events.type).
const (
	evQueued      = "queued"
	evAssigned    = "assigned"
	evClaimed     = "claimed"
	evTransferred = "transferred"
	evReleased    = "released"
	evReturned    = "returned"
	evResolved    = "resolved"
	evReopened    = "reopened"
	evStatus      = "status"
	evRated       = "rated"
	evAutoReplied = "auto_replied"
)

var system = Actor{ID: "system", Role: model.SenderSystem}

func chatActor(a Actor) chat.Actor { return chat.Actor{ID: a.ID, Role: a.Role, Name: a.Name} }

func (s *Service) isDesk(a Actor) bool { return a.Role == model.RoleAgent || a.isStaff() }

// OpenInput opens a support conversation with its first message.
type OpenInput struct {
	Subject  string   `json:"subject"`
	OrderID  string   `json:"order_id"`
	ClientID string   `json:"client_id"`
	Text     string   `json:"text"`
	FileIDs  []string `json:"file_ids"`
}

// Open starts a support conversation for a customer or a worker, optionally about one of their
// own orders; the first message (text and/or images) goes in the same commit, then the
// conversation is queued and offered to an available agent.
func (s *Service) Open(ctx context.Context, a Actor, in OpenInput) (_ ThreadView, err error) {
	defer model.WrapOp(&err, "support: open", "")
	if a.Role != model.RoleCustomer && a.Role != model.RoleWorker {
		return ThreadView{}, model.Errorf(model.CodeForbidden, "customers and workers open support conversations")
	}
	in.Subject = strings.TrimSpace(in.Subject)
	var v model.Validator
	v.Check(utf8.RuneCountInString(in.Subject) <= 80, "subject", "at most 80 characters")
	v.Check(in.OrderID == "" || model.ValidID(in.OrderID), "order_id", "must be one of your orders")
	if err := v.Err(); err != nil {
		return ThreadView{}, err
	}
	if err := model.ValidateMessage(in.ClientID, in.Text, in.FileIDs); err != nil {
		return ThreadView{}, err
	}
	var id string
	err = s.write(ctx, "open", func(tx *store.Tx) error {
		// A retry of the same first message answers the conversation it opened.
		if prev, found, err := tx.SupportOpenedBy(ctx, a.ID, in.ClientID); err != nil {
			return err
		} else if found {
			id = prev
			return nil
		}
		if in.OrderID != "" {
			o, err := tx.Order(ctx, in.OrderID)
			mine := err == nil && ((a.Role == model.RoleCustomer && o.CustomerID == a.ID) || (a.Role == model.RoleWorker && o.WorkerID == a.ID))
			if err != nil && !model.IsCode(err, model.CodeNotFound) {
				return err
			}
			if !mine {
				return model.Invalid(model.FieldError{Field: "order_id", Message: "must be one of your orders"})
			}
		}
		c, err := s.Chat.Open(ctx, tx, model.Conversation{Kind: model.ConversationSupport, Subject: in.Subject},
			[]model.Member{{PersonID: a.ID, Role: a.Role}})
		if err != nil {
			return err
		}
		id = c.ID
		now := tx.Now()
		t := model.SupportThread{ConversationID: c.ID, RequesterID: a.ID, RequesterRole: a.Role, OrderID: in.OrderID,
			Subject: in.Subject, Status: model.SupportOpen, QueuedAt: &now}
		if err := tx.InsertSupportThread(ctx, &t, now); err != nil {
			return err
		}
		if err := s.event(ctx, tx, c.ID, evQueued, a, "", map[string]any{"order_id": in.OrderID}); err != nil {
			return err
		}
		// The first message: the sent hook offers the conversation and sends the automatic reply.
		_, err = s.Chat.SendTx(ctx, tx, chatActor(a), c.ID, chat.SendInput{ClientID: in.ClientID, Text: in.Text, FileIDs: in.FileIDs})
		return err
	})
	if err != nil {
		return ThreadView{}, err
	}
	return s.Get(ctx, a, id)
}

// Sent is chat's hook for support conversations, inside Send's transaction: a message from the
// requester reopens a resolved conversation (to its agent if they are still available, else the
// queue), makes a pending one open, offers a queued one, and sends the automatic reply once per
// wait when it is out of hours or nobody is online; a message from the agent ends that wait.
//
// The common sends are one statement each: an agent's answer (SupportAgentSent), and the
// requester's message in an open conversation (SupportRequesterSent, which also reads whether
// the holder is available for the automatic reply). Anything else — a resolved or pending
// conversation — is read and written as below.
func (s *Service) Sent(ctx context.Context, tx *store.Tx, c model.Conversation, from model.Member, m model.Message) (err error) {
	defer model.WrapOp(&err, "support: sent", c.ID)
	now := tx.Now()
	switch from.Role {
	case model.RoleAgent:
		if ok, err := tx.SupportAgentSent(ctx, c.ID, from.PersonID, now); ok || err != nil {
			return err
		}
	case model.RoleCustomer, model.RoleWorker:
		t, agentFree, ok, err := tx.SupportRequesterSent(ctx, c.ID, from.PersonID, now)
		if err != nil {
			return err
		}
		if ok {
			return s.afterRequester(ctx, tx, &t, &agentFree)
		}
	}
	t, err := tx.SupportThread(ctx, c.ID)
	if err != nil {
		return err
	}
	if from.PersonID != t.RequesterID {
		if from.Role == model.RoleAgent {
			t.LastAgentAt, t.AutoRepliedAt = &now, nil
			return tx.UpdateSupportThread(ctx, &t, now)
		}
		return nil
	}
	t.LastCustomerAt = &now
	requester := Actor{ID: t.RequesterID, Role: t.RequesterRole}
	change := ""
	prevAgent := ""
	switch t.Status {
	case model.SupportResolved:
		t.Status, t.AutoRepliedAt, change = model.SupportOpen, nil, evReopened
		if t.AgentID != "" {
			ok, err := s.canTake(ctx, tx, t.AgentID)
			if err != nil {
				return err
			}
			if !ok {
				prevAgent, t.AgentID, t.QueuedAt = t.AgentID, "", &now
			}
		} else {
			t.QueuedAt = &now
		}
	case model.SupportPending:
		t.Status, change = model.SupportOpen, evStatus
	}
	if err := tx.UpdateSupportThread(ctx, &t, now); err != nil {
		return err
	}
	if prevAgent != "" {
		if err := s.Chat.RemoveMember(ctx, tx, c.ID, prevAgent); err != nil {
			return err
		}
	}
	if change != "" {
		if err := s.event(ctx, tx, c.ID, change, requester, t.AgentID, map[string]any{"previous_agent_id": prevAgent}); err != nil {
			return err
		}
		if err := s.tellUpdate(ctx, tx, t, change, prevAgent); err != nil {
			return err
		}
	}
	return s.afterRequester(ctx, tx, &t, nil)
}

// afterRequester follows the requester's message once t is written: a queued conversation is
// offered, and the wait's automatic reply goes out if it is due. agentFree, when known, is
// whether t's holder was online and not away as t was written.
func (s *Service) afterRequester(ctx context.Context, tx *store.Tx, t *model.SupportThread, agentFree *bool) error {
	if t.Queued() {
		ok, err := s.offer(ctx, tx, t, "")
		if err != nil {
			return err
		}
		if !ok {
			tx.AfterCommit(s.queueChanged) // it waits: the consoles' queues grew
		}
		agentFree = nil // the holder may be new
	}
	return s.autoReply(ctx, tx, t, agentFree)
}

// autoReply sends the one automatic reply of a wait: out of business hours, or with nobody online
// to answer. It is not sent again until an agent has answered (or the conversation was resolved).
// A conversation whose agent is online and not away needs none, whatever the hour. agentFree,
// when not nil, is that answer for t's holder, read with t.
func (s *Service) autoReply(ctx context.Context, tx *store.Tx, t *model.SupportThread, agentFree *bool) error {
	if t.AutoRepliedAt != nil {
		return nil
	}
	if t.AgentID != "" {
		if agentFree != nil {
			if *agentFree {
				return nil
			}
		} else {
			ag, err := tx.SupportAgent(ctx, t.AgentID)
			if err != nil && !model.IsCode(err, model.CodeNotFound) {
				return err
			}
			if err == nil && ag.Online && !ag.Away {
				return nil
			}
		}
	}
	now := tx.Now()
	hours, err := s.BusinessHours(ctx, &tx.Queries)
	if err != nil {
		return err
	}
	open := hours.IsOpen(now)
	if open {
		avail, err := tx.AvailableAgents(ctx)
		if err != nil {
			return err
		}
		if len(avail) > 0 {
			return nil
		}
	}
	p, err := tx.Person(ctx, t.RequesterID)
	if err != nil {
		return err
	}
	text := expectText(p, hours, now, open)
	if _, err := s.Chat.System(ctx, tx, t.ConversationID, text); err != nil {
		return err
	}
	t.AutoRepliedAt = &now
	if err := tx.UpdateSupportThread(ctx, t, now); err != nil {
		return err
	}
	return s.event(ctx, tx, t.ConversationID, evAutoReplied, system, "", map[string]any{"in_hours": open})
}

// expectText is the automatic reply in the requester's language and time zone: when to expect an
// answer.
func expectText(p model.Person, hours model.BusinessHours, now time.Time, open bool) string {
	loc := p.Location()
	en := p.Locale == model.LocaleEN
	if open {
		// Nobody online within hours: an answer before today's closing.
		_, end, _ := hours.Today(now)
		if en {
			return fmt.Sprintf("Thanks for your message. No agent is online right now; we will answer by %s today.", end.In(loc).Format("15:04"))
		}
		return fmt.Sprintf("已收到您的消息。客服暂时不在线，我们会在今天 %s 前回复您。", end.In(loc).Format("15:04"))
	}
	next := hours.NextOpen(now)
	if next.IsZero() {
		if en {
			return "Thanks for your message. We are outside business hours; an agent will answer as soon as we reopen."
		}
		return "已收到您的消息。现在是非工作时间，客服上班后会第一时间回复您。"
	}
	if en {
		return fmt.Sprintf("Thanks for your message. We are outside business hours; an agent will answer from %s.", next.In(loc).Format("Mon 2 Jan 15:04"))
	}
	return fmt.Sprintf("已收到您的消息。现在是非工作时间，客服将于 %s 起回复您。", next.In(loc).Format("1月2日 15:04"))
}

// canTake reports whether an agent takes a conversation now: online, not away, below capacity.
// On PostgreSQL it locks the agent's row so concurrent hand-outs count one after the other.
func (s *Service) canTake(ctx context.Context, tx *store.Tx, agentID string) (bool, error) {
	ag, err := tx.LockSupportAgent(ctx, agentID)
	if model.IsCode(err, model.CodeNotFound) {
		return false, nil
	}
	if err != nil || !ag.Online || ag.Away {
		return false, err
	}
	load, err := tx.AgentLoad(ctx, agentID)
	return load < ag.Capacity, err
}

// offer hands a queued conversation to the least-loaded available agent with spare capacity
// (except the one named, who just released it). false when nobody can take it.
func (s *Service) offer(ctx context.Context, tx *store.Tx, t *model.SupportThread, except string) (bool, error) {
	agents, err := tx.AvailableAgents(ctx)
	if err != nil || len(agents) == 0 {
		return false, err
	}
	loads, err := tx.AgentLoads(ctx)
	if err != nil {
		return false, err
	}
	sort.SliceStable(agents, func(i, j int) bool {
		li, lj := loads[agents[i].AgentID], loads[agents[j].AgentID]
		if li != lj {
			return li < lj
		}
		return agents[i].AgentID < agents[j].AgentID
	})
	for _, ag := range agents {
		if ag.AgentID == except || loads[ag.AgentID] >= ag.Capacity {
			continue
		}
		ok, err := s.canTake(ctx, tx, ag.AgentID)
		if err != nil {
			return false, err
		}
		if !ok {
			continue
		}
		return true, s.give(ctx, tx, t, ag.AgentID, evAssigned, system, nil)
	}
	return false, nil
}

// give makes agentID the holder of t (a compare-and-swap on its version: a conflict means someone
// else changed it first), moves the conversation's agent membership, and tells everyone concerned.
func (s *Service) give(ctx context.Context, tx *store.Tx, t *model.SupportThread, agentID, how string, by Actor, details map[string]any) error {
	now := tx.Now()
	prev := t.AgentID
	t.AgentID, t.AssignedAt = agentID, &now
	if err := tx.UpdateSupportThread(ctx, t, now); err != nil {
		return err
	}
	if prev != "" && prev != agentID {
		if err := s.Chat.RemoveMember(ctx, tx, t.ConversationID, prev); err != nil {
			return err
		}
	}
	if err := s.Chat.AddMember(ctx, tx, t.ConversationID, agentID, model.RoleAgent); err != nil {
		return err
	}
	if details == nil {
		details = map[string]any{}
	}
	if prev != "" {
		details["previous_agent_id"] = prev
	}
	if err := s.event(ctx, tx, t.ConversationID, how, by, agentID, details); err != nil {
		return err
	}
	return s.tellUpdate(ctx, tx, *t, how, prev)
}

// drain offers queued conversations, longest waiting first, until nobody can take more.
func (s *Service) drain(ctx context.Context, tx *store.Tx) error {
	queue, err := tx.SupportThreads(ctx, store.SupportThreadFilter{Queued: true, Limit: 100})
	if err != nil {
		return err
	}
	for i := range queue {
		ok, err := s.offer(ctx, tx, &queue[i], "")
		if err != nil || !ok {
			return err
		}
	}
	return nil
}

// UpdateEvent is the payload of a support.updated event.
type UpdateEvent struct {
	ConversationID string              `json:"conversation_id"`
	Change         string              `json:"change"`
	Status         model.SupportStatus `json:"status"`
	AgentID        string              `json:"agent_id"`
	AgentName      string              `json:"agent_name"`
	Queued         bool                `json:"queued"`
	PreviousAgent  string              `json:"previous_agent_id,omitempty"`
}

// tellUpdate appends a support.updated event to the requester, the holder and the previous holder
// (in id order, as every multi-person append should be), wakes their streams after commit, and
// asks for a queue signal to the other online agents once it has committed.
func (s *Service) tellUpdate(ctx context.Context, tx *store.Tx, t model.SupportThread, change, prevAgent string) error {
	name := ""
	if t.AgentID != "" {
		p, err := tx.Person(ctx, t.AgentID)
		if err != nil {
			return err
		}
		name = p.Name
	}
	to := []string{t.RequesterID}
	for _, id := range []string{t.AgentID, prevAgent} {
		if id != "" && !slices.Contains(to, id) {
			to = append(to, id)
		}
	}
	slices.Sort(to)
	payload := UpdateEvent{ConversationID: t.ConversationID, Change: change, Status: t.Status, AgentID: t.AgentID, AgentName: name,
		Queued: t.Queued(), PreviousAgent: prevAgent}
	now := tx.Now()
	events := map[string][]model.Event{}
	for _, id := range to {
		ev, err := tx.AppendEventRecord(ctx, id, EventSupportUpdated, payload, now)
		if err != nil {
			return err
		}
		events[id] = append(events[id], ev)
	}
	if s.Publish != nil {
		pub := s.Publish
		tx.AfterCommit(func() { pub(events) })
	}
	tx.AfterCommit(s.queueChanged)
	return nil
}

// EventSupportQueue tells every online agent's console that the queue or the desk changed (a
// conversation was queued, taken, resolved …) so it reads its lists again. Many changes within
// queueSignalEvery become one signal.
const EventSupportQueue = "support.queue"

const queueSignalEvery = 200 * time.Millisecond

// queueChanged ends the node's copy of the queue page and schedules one queue signal (after
// commit). The signal is a transaction of its own, after the change's: appending to fifty logs in
// the transaction of the change would take fifty log locks there, on top of the change's own.
func (s *Service) queueChanged() {
	s.queue.changed()
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if s.qpending {
		return
	}
	s.qpending = true
	time.AfterFunc(queueSignalEvery, s.signalQueue)
}

func (s *Service) signalQueue() {
	s.qmu.Lock()
	s.qpending = false
	s.qmu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ids, err := s.Store.OnlineAgentIDs(ctx)
	if err != nil {
		return // the store is closing, or busy: the next change signals again
	}
	n, err := s.Store.QueueLength(ctx)
	if err != nil {
		return
	}
	if len(ids) == 0 {
		return
	}
	// All the online agents' entries in one transaction (two statements), their logs locked in id
	// order as every append to several people's logs is; one commit where there was one per agent.
	slices.Sort(ids)
	raw, err := model.MarshalJSON(map[string]any{"queue_length": n})
	if err != nil {
		return
	}
	recs := make([]store.NewEventRecord, len(ids))
	for i, id := range ids {
		recs[i] = store.NewEventRecord{PersonID: id, Type: EventSupportQueue, Data: json.RawMessage(raw)}
	}
	events := map[string][]model.Event{}
	if err := s.write(ctx, "queue signal", func(tx *store.Tx) error {
		evs, err := tx.AppendEventRecords(ctx, recs, tx.Now())
		if err != nil {
			return err
		}
		for i, ev := range evs {
			events[recs[i].PersonID] = []model.Event{ev}
		}
		return nil
	}); err != nil {
		return // the store is closing, or busy: the next change signals again
	}
	if s.Publish != nil {
		s.Publish(events)
	}
}

func (s *Service) event(ctx context.Context, tx *store.Tx, convID, typ string, by Actor, agentID string, details map[string]any) error {
	return tx.AppendSupportEvent(ctx, &model.SupportEvent{ConversationID: convID, Type: typ, ActorID: by.ID, ActorRole: by.Role,
		AgentID: agentID, Details: details, CreatedAt: tx.Now()})
}

// thread loads a support conversation for an actor who may see it: its requester, agents,
// operators and the platform. Everyone else is told it does not exist.
func (s *Service) thread(ctx context.Context, q *store.Queries, a Actor, id string) (model.SupportThread, error) {
	t, err := q.SupportThread(ctx, id)
	if model.IsCode(err, model.CodeNotFound) || (err == nil && !s.isDesk(a) && t.RequesterID != a.ID) {
		return t, model.Errorf(model.CodeNotFound, "support conversation %q not found", id)
	}
	return t, err
}

// holderOrStaff checks that the actor holds the conversation (agents) or runs the platform.
func holderOrStaff(a Actor, t model.SupportThread, what string) error {
	if a.isStaff() || (a.Role == model.RoleAgent && t.AgentID == a.ID) {
		return nil
	}
	if a.Role == model.RoleAgent {
		return model.Errorf(model.CodeForbidden, "only the agent who holds the conversation %s it", what)
	}
	return model.Errorf(model.CodeForbidden, "only agents %s a support conversation", what)
}

// Claim takes a queued conversation for the calling agent. Of two agents claiming at once exactly
// one wins; the other is told it was taken (409 conflict).
func (s *Service) Claim(ctx context.Context, a Actor, id string) (_ ThreadView, err error) {
	defer model.WrapOp(&err, "support: claim", id)
	if a.Role != model.RoleAgent {
		return ThreadView{}, model.Errorf(model.CodeForbidden, "only agents claim conversations")
	}
	err = s.write(ctx, "claim", func(tx *store.Tx) error {
		t, err := s.thread(ctx, &tx.Queries, a, id)
		if err != nil {
			return err
		}
		if !t.Queued() {
			return model.Errorf(model.CodeConflict, "the conversation is not in the queue (another agent holds it, or it is resolved)")
		}
		if err := tx.EnsureSupportAgent(ctx, a.ID, tx.Now()); err != nil {
			return err
		}
		ag, err := tx.LockSupportAgent(ctx, a.ID)
		if err != nil {
			return err
		}
		load, err := tx.AgentLoad(ctx, a.ID)
		if err != nil {
			return err
		}
		if load >= ag.Capacity {
			return model.Errorf(model.CodeConflict, "you already hold %d conversations, your capacity; resolve or release one first", load)
		}
		return s.give(ctx, tx, &t, a.ID, evClaimed, a, nil)
	})
	if err != nil {
		return ThreadView{}, err
	}
	return s.Get(ctx, a, id)
}

// TransferInput names the agent who takes over, with an internal note for them.
type TransferInput struct {
	AgentID string `json:"agent_id"`
	Note    string `json:"note"`
}

// Transfer hands a conversation to another online agent with an internal note (the holder, or
// an operator). The customer sees "transferred to …".
func (s *Service) Transfer(ctx context.Context, a Actor, id string, in TransferInput) (_ ThreadView, err error) {
	defer model.WrapOp(&err, "support: transfer", id)
	in.Note = strings.TrimSpace(in.Note)
	var v model.Validator
	v.Check(model.ValidID(in.AgentID), "agent_id", "is required: the agent who takes over")
	v.Check(utf8.RuneCountInString(in.Note) <= 2000, "note", "at most 2000 characters")
	if err := v.Err(); err != nil {
		return ThreadView{}, err
	}
	err = s.write(ctx, "transfer", func(tx *store.Tx) error {
		t, err := s.thread(ctx, &tx.Queries, a, id)
		if err != nil {
			return err
		}
		if err := holderOrStaff(a, t, "transfers"); err != nil {
			return err
		}
		if t.Status == model.SupportResolved {
			return model.Errorf(model.CodeInvalidTransition, "the conversation is resolved")
		}
		if in.AgentID == t.AgentID {
			return model.Invalid(model.FieldError{Field: "agent_id", Message: "already holds the conversation"})
		}
		to, err := tx.Person(ctx, in.AgentID)
		if err != nil || to.Role != model.RoleAgent {
			return model.Invalid(model.FieldError{Field: "agent_id", Message: "must be an agent"})
		}
		ag, err := tx.LockSupportAgent(ctx, in.AgentID)
		if err != nil && !model.IsCode(err, model.CodeNotFound) {
			return err
		}
		if err != nil || !ag.Online || ag.Away {
			return model.Errorf(model.CodeInvalidTransition, "%s is not online; transfer to an online agent", to.Name)
		}
		if in.Note != "" {
			if err := tx.InsertSupportNote(ctx, &model.SupportNote{ConversationID: id, AuthorID: a.ID, Text: in.Note, CreatedAt: tx.Now()}); err != nil {
				return err
			}
		}
		if err := s.give(ctx, tx, &t, in.AgentID, evTransferred, a, map[string]any{"note": in.Note}); err != nil {
			return err
		}
		p, err := tx.Person(ctx, t.RequesterID)
		if err != nil {
			return err
		}
		text := "已为您转接至 " + to.Name + "，请稍候。"
		if p.Locale == model.LocaleEN {
			text = "You have been transferred to " + to.Name + "."
		}
		_, err = s.Chat.System(ctx, tx, id, text)
		return err
	})
	if err != nil {
		return ThreadView{}, err
	}
	return s.Get(ctx, a, id)
}

// Release puts a held conversation back into the queue (the holder, or an operator); it is
// offered to another available agent at once.
func (s *Service) Release(ctx context.Context, a Actor, id string) (_ ThreadView, err error) {
	defer model.WrapOp(&err, "support: release", id)
	err = s.write(ctx, "release", func(tx *store.Tx) error {
		t, err := s.thread(ctx, &tx.Queries, a, id)
		if err != nil {
			return err
		}
		if err := holderOrStaff(a, t, "releases"); err != nil {
			return err
		}
		if t.AgentID == "" || t.Status == model.SupportResolved {
			return model.Errorf(model.CodeInvalidTransition, "nobody holds the conversation")
		}
		return s.requeue(ctx, tx, &t, evReleased, a)
	})
	if err != nil {
		return ThreadView{}, err
	}
	return s.Get(ctx, a, id)
}

// requeue takes t from its holder back into the queue, keeping its place in line, and offers it
// to another agent.
func (s *Service) requeue(ctx context.Context, tx *store.Tx, t *model.SupportThread, how string, by Actor) error {
	now := tx.Now()
	prev := t.AgentID
	t.AgentID = ""
	if t.QueuedAt == nil {
		t.QueuedAt = &now
	}
	if err := tx.UpdateSupportThread(ctx, t, now); err != nil {
		return err
	}
	if err := s.Chat.RemoveMember(ctx, tx, t.ConversationID, prev); err != nil {
		return err
	}
	if err := s.event(ctx, tx, t.ConversationID, how, by, prev, nil); err != nil {
		return err
	}
	if err := s.tellUpdate(ctx, tx, *t, how, prev); err != nil {
		return err
	}
	_, err := s.offer(ctx, tx, t, prev)
	return err
}

// SetStatus moves a conversation between open, pending (waiting for the customer) and resolved
// (the holder, or an operator). A resolve frees the agent's capacity for the queue and asks the
// customer to rate it.
func (s *Service) SetStatus(ctx context.Context, a Actor, id string, status model.SupportStatus) (_ ThreadView, err error) {
	defer model.WrapOp(&err, "support: set status", id)
	if !status.Valid() {
		return ThreadView{}, model.Invalid(model.FieldError{Field: "status", Message: "must be open, pending or resolved"})
	}
	err = s.write(ctx, "status", func(tx *store.Tx) error {
		t, err := s.thread(ctx, &tx.Queries, a, id)
		if err != nil {
			return err
		}
		if err := holderOrStaff(a, t, "changes the status of"); err != nil {
			return err
		}
		if t.Status == status {
			return nil
		}
		if t.Status == model.SupportResolved {
			return model.Errorf(model.CodeInvalidTransition, "a resolved conversation reopens when the customer writes")
		}
		now := tx.Now()
		t.Status = status
		how := evStatus
		if status == model.SupportResolved {
			how = evResolved
			t.ResolvedAt, t.AutoRepliedAt = &now, nil
			t.Resolutions++
		}
		if err := tx.UpdateSupportThread(ctx, &t, now); err != nil {
			return err
		}
		if err := s.event(ctx, tx, id, how, a, t.AgentID, map[string]any{"status": status}); err != nil {
			return err
		}
		if status == model.SupportResolved {
			p, err := tx.Person(ctx, t.RequesterID)
			if err != nil {
				return err
			}
			text := "本次咨询已解决。如还有问题，直接回复即可；欢迎为本次服务评分。"
			if p.Locale == model.LocaleEN {
				text = "This conversation is resolved. Reply here if anything is left; please rate our service."
			}
			if _, err := s.Chat.System(ctx, tx, id, text); err != nil {
				return err
			}
		}
		if err := s.tellUpdate(ctx, tx, t, how, ""); err != nil {
			return err
		}
		if status == model.SupportResolved {
			return s.drain(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return ThreadView{}, err
	}
	return s.Get(ctx, a, id)
}

// AddNote adds an internal note (agents and operators); the customer never sees it.
func (s *Service) AddNote(ctx context.Context, a Actor, id, text string) (_ NoteView, err error) {
	defer model.WrapOp(&err, "support: add note", id)
	if !s.isDesk(a) || a.Role == model.RolePlatform {
		return NoteView{}, model.Errorf(model.CodeForbidden, "internal notes are for agents and operators")
	}
	text = strings.TrimSpace(text)
	if n := utf8.RuneCountInString(text); n == 0 || n > 2000 {
		return NoteView{}, model.Invalid(model.FieldError{Field: "text", Message: "is required, at most 2000 characters"})
	}
	var out NoteView
	err = s.write(ctx, "note", func(tx *store.Tx) error {
		if _, err := s.thread(ctx, &tx.Queries, a, id); err != nil {
			return err
		}
		n := model.SupportNote{ConversationID: id, AuthorID: a.ID, Text: text, CreatedAt: tx.Now()}
		if err := tx.InsertSupportNote(ctx, &n); err != nil {
			return err
		}
		p, err := tx.Person(ctx, a.ID)
		if err != nil {
			return err
		}
		out = NoteView{SupportNote: n, AuthorName: p.Name}
		return nil
	})
	return out, err
}

// RateInput is the customer's satisfaction with the latest resolve.
type RateInput struct {
	Score   int    `json:"score"`
	Comment string `json:"comment"`
}

// Rate records the requester's rating of the latest resolve (once per resolve). A rating of 2 or
// less tells the operators.
func (s *Service) Rate(ctx context.Context, a Actor, id string, in RateInput) (_ model.SupportRating, err error) {
	defer model.WrapOp(&err, "support: rate", id)
	in.Comment = strings.TrimSpace(in.Comment)
	var v model.Validator
	v.Check(in.Score >= 1 && in.Score <= 5, "score", "must be 1-5")
	v.Check(utf8.RuneCountInString(in.Comment) <= 500, "comment", "at most 500 characters")
	if err := v.Err(); err != nil {
		return model.SupportRating{}, err
	}
	var r model.SupportRating
	err = s.write(ctx, "rate", func(tx *store.Tx) error {
		t, err := s.thread(ctx, &tx.Queries, a, id)
		if err != nil {
			return err
		}
		if t.RequesterID != a.ID {
			return model.Errorf(model.CodeForbidden, "only the person who asked rates the conversation")
		}
		if t.Status != model.SupportResolved || t.Resolutions == 0 {
			return model.Errorf(model.CodeInvalidTransition, "a conversation is rated once it is resolved")
		}
		r = model.SupportRating{ConversationID: id, Resolution: t.Resolutions, RequesterID: a.ID, AgentID: t.AgentID,
			Score: in.Score, Comment: in.Comment, CreatedAt: tx.Now()}
		if err := tx.InsertSupportRating(ctx, &r); err != nil {
			return err
		}
		if err := s.event(ctx, tx, id, evRated, a, t.AgentID, map[string]any{"score": in.Score}); err != nil {
			return err
		}
		if err := s.tellUpdate(ctx, tx, t, evRated, ""); err != nil {
			return err
		}
		if in.Score > 2 {
			return nil
		}
		return s.tellLowRating(ctx, tx, t, r)
	})
	return r, err
}

func (s *Service) tellLowRating(ctx context.Context, tx *store.Tx, t model.SupportThread, r model.SupportRating) error {
	ops, err := tx.People(ctx, model.RoleOperator, "", 1000)
	if err != nil || len(ops) == 0 {
		return err
	}
	requester, err := tx.Person(ctx, t.RequesterID)
	if err != nil {
		return err
	}
	agentName := ""
	if t.AgentID != "" {
		if p, err := tx.Person(ctx, t.AgentID); err == nil {
			agentName = p.Name
		}
	}
	rec := make([]notify.Recipient, 0, len(ops))
	for _, o := range ops {
		rec = append(rec, notify.Recipient{PersonID: o.ID, Audience: string(model.RoleOperator)})
	}
	_, err = s.Notify.Notify(ctx, tx, notify.Event{Kind: notify.KindSupportRatedLow, Key: r.ID, Recipients: rec,
		Vars: map[string]any{"customer_name": requester.Name, "agent_name": agentName, "score": r.Score, "comment": r.Comment},
		Data: map[string]any{"conversation_id": t.ConversationID, "score": r.Score, "agent_id": t.AgentID}})
	return err
}

// ---- presence ----

// Presence is the hub's presence hook: an agent's first stream on this node opened (online) or
// their last one closed. Coming online offers them the queue; going offline schedules the return
// of their conversations to the queue after the operators' offline_after_minutes.
func (s *Service) Presence(ctx context.Context, personID string, online bool) (err error) {
	defer model.WrapOp(&err, "support: presence", personID)
	p, err := s.Store.Person(ctx, personID)
	if err != nil || p.Role != model.RoleAgent {
		return nil
	}
	return s.write(ctx, "presence", func(tx *store.Tx) error {
		now := tx.Now()
		if err := tx.EnsureSupportAgent(ctx, personID, now); err != nil {
			return err
		}
		if err := tx.SetAgentOnline(ctx, personID, online, now); err != nil {
			return err
		}
		key := JobAgentOffline + ":" + personID
		if online {
			if err := s.Jobs.Cancel(ctx, tx, key); err != nil {
				return err
			}
			return s.drain(ctx, tx)
		}
		hours, err := s.BusinessHours(ctx, &tx.Queries)
		if err != nil {
			return err
		}
		return s.Jobs.Schedule(ctx, tx, JobAgentOffline, key, now.Add(offlineAfter(hours)),
			map[string]string{"agent_id": personID}, 10)
	})
}

func offlineAfter(h model.BusinessHours) time.Duration {
	if h.OfflineAfterMinutes <= 0 {
		return 5 * time.Minute
	}
	return time.Duration(h.OfflineAfterMinutes) * time.Minute
}

// RunAgentOffline is the job that returns an agent's conversations to the queue when they have
// stayed offline for offline_after_minutes. It does nothing if they came back meanwhile.
func (s *Service) RunAgentOffline(ctx context.Context, j model.Job) (err error) {
	defer model.WrapOp(&err, "support: run agent offline", j.ID)
	var p struct {
		AgentID string `json:"agent_id"`
	}
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return fmt.Errorf("support: offline job payload: %w", err)
	}
	return s.write(ctx, "agent offline", func(tx *store.Tx) error {
		ag, err := tx.LockSupportAgent(ctx, p.AgentID)
		if model.IsCode(err, model.CodeNotFound) {
			return nil
		}
		if err != nil || ag.Online || ag.OfflineSince == nil {
			return err
		}
		hours, err := s.BusinessHours(ctx, &tx.Queries)
		if err != nil {
			return err
		}
		if due := ag.OfflineSince.Add(offlineAfter(hours)); tx.Now().Before(due) {
			return jobs.Retry(due, fmt.Errorf("agent %s offline since %s", p.AgentID, ag.OfflineSince))
		}
		held, err := tx.SupportThreads(ctx, store.SupportThreadFilter{AgentID: p.AgentID, Limit: 1000})
		if err != nil {
			return err
		}
		for i := range held {
			if err := s.requeue(ctx, tx, &held[i], evReturned, system); err != nil {
				return err
			}
		}
		return nil
	})
}

// Restarted marks every agent offline as of now: on SQLite one node owns the database, so after
// its restart nobody has an open stream (their conversations return after offline_after_minutes
// unless they reconnect).
func (s *Service) Restarted(ctx context.Context) (err error) {
	defer model.WrapOp(&err, "support: restarted", "")
	return s.write(ctx, "restart", func(tx *store.Tx) error {
		ids, err := tx.OnlineAgentIDs(ctx)
		if err != nil {
			return err
		}
		hours, err := s.BusinessHours(ctx, &tx.Queries)
		if err != nil {
			return err
		}
		now := tx.Now()
		for _, id := range ids {
			if err := tx.SetAgentOnline(ctx, id, false, now); err != nil {
				return err
			}
			if err := s.Jobs.Schedule(ctx, tx, JobAgentOffline, JobAgentOffline+":"+id, now.Add(offlineAfter(hours)),
				map[string]string{"agent_id": id}, 10); err != nil {
				return err
			}
		}
		return nil
	})
}

// MayReadFile is the files access rule of support: agents read the images of support
// conversations (members read them through chat's rule).
func (s *Service) MayReadFile(ctx context.Context, personID, fileID string) (_ bool, err error) {
	defer model.WrapOp(&err, "support: may read file", fileID)
	p, err := s.Store.Person(ctx, personID)
	if model.IsCode(err, model.CodeNotFound) {
		return false, nil
	}
	if err != nil || (p.Role != model.RoleAgent && p.Role != model.RoleOperator) {
		return false, err
	}
	return s.Store.SupportShowsFile(ctx, fileID)
}
