package support

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/homebell/homebell/internal/booking"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

// ThreadView is a support conversation as one reader sees it: its support state, who asked, who
// holds it, the newest message and the reader's unread count. Agents and operators also see the
// internal notes and the history (Get only).
type ThreadView struct {
	model.SupportThread
	Requester     model.Card           `json:"requester"`
	AgentName     string               `json:"agent_name"`
	LastText      string               `json:"last_text"`
	LastMessageAt *time.Time           `json:"last_message_at"`
	LastSenderID  string               `json:"last_sender_id"`
	Unread        int                  `json:"unread"`
	CanRate       bool                 `json:"can_rate"`
	Rating        *model.SupportRating `json:"rating"` // the rating of the latest resolve, once given
	Expect        *Availability        `json:"expect,omitempty"`
	Notes         []NoteView           `json:"notes,omitempty"`
	Events        []model.SupportEvent `json:"events,omitempty"`
}

// NoteView is an internal note with its author's name.
type NoteView struct {
	model.SupportNote
	AuthorName string `json:"author_name"`
}

// Availability is what a customer is told before and while they wait: whether it is within
// business hours, when they next open, and whether any agent is online.
type Availability struct {
	Open         bool       `json:"open"`
	NextOpen     *time.Time `json:"next_open"`
	ClosesAt     *time.Time `json:"closes_at"`
	AgentsOnline bool       `json:"agents_online"`
	QueueLength  int        `json:"queue_length"`
}

// Availability tells anyone signed in whether support answers now.
func (s *Service) Availability(ctx context.Context) (_ Availability, err error) {
	defer model.WrapOp(&err, "support: availability", "")
	q := &s.Store.Queries
	hours, err := s.BusinessHours(ctx, q)
	if err != nil {
		return Availability{}, err
	}
	now := s.Now()
	out := Availability{Open: hours.IsOpen(now)}
	if out.Open {
		if _, end, ok := hours.Today(now); ok {
			end = end.UTC()
			out.ClosesAt = &end
		}
	} else if next := hours.NextOpen(now); !next.IsZero() {
		next = next.UTC()
		out.NextOpen = &next
	}
	avail, err := q.AvailableAgents(ctx)
	if err != nil {
		return out, err
	}
	out.AgentsOnline = len(avail) > 0
	out.QueueLength, err = q.QueueLength(ctx)
	return out, err
}

func (s *Service) view(ctx context.Context, q *store.Queries, a Actor, t model.SupportThread) (ThreadView, error) {
	v := ThreadView{SupportThread: t}
	p, err := q.Person(ctx, t.RequesterID)
	if err != nil {
		return v, err
	}
	v.Requester = p.Card()
	if t.AgentID != "" {
		ag, err := q.Person(ctx, t.AgentID)
		if err != nil {
			return v, err
		}
		v.AgentName = ag.Name
	}
	c, err := q.Conversation(ctx, t.ConversationID)
	if err != nil {
		return v, err
	}
	v.LastText, v.LastMessageAt, v.LastSenderID = c.LastText, c.LastMessageAt, c.LastSenderID
	if m, err := q.Member(ctx, t.ConversationID, a.ID); err == nil && m.Active() {
		if v.Unread, err = q.UnreadFrom(ctx, t.ConversationID, a.ID, m.LastReadSeq); err != nil {
			return v, err
		}
	} else if err != nil && !model.IsCode(err, model.CodeNotFound) {
		return v, err
	}
	if t.Resolutions > 0 {
		if err := s.rating(ctx, q, a, &v); err != nil {
			return v, err
		}
	}
	return v, nil
}

// rating sets the rating of the latest resolve and whether the reader may still give it.
func (s *Service) rating(ctx context.Context, q *store.Queries, a Actor, v *ThreadView) error {
	r, err := q.SupportRatingOf(ctx, v.ConversationID, v.Resolutions)
	if err != nil {
		return err
	}
	v.Rating = r
	v.CanRate = canRate(a, v)
	return nil
}

// canRate is whether the reader may still rate the latest resolve: its requester, once resolved,
// until they have.
func canRate(a Actor, v *ThreadView) bool {
	return v.Status == model.SupportResolved && v.Rating == nil && a.ID == v.RequesterID
}

// Get returns a support conversation to its requester, agents and operators; agents and
// operators also get its internal notes and history.
func (s *Service) Get(ctx context.Context, a Actor, id string) (_ ThreadView, err error) {
	defer model.WrapOp(&err, "support: get", id)
	q := &s.Store.Queries
	t, err := s.thread(ctx, q, a, id)
	if err != nil {
		return ThreadView{}, err
	}
	v, err := s.view(ctx, q, a, t)
	if err != nil {
		return v, err
	}
	if !s.isDesk(a) {
		av, err := s.Availability(ctx)
		if err != nil {
			return v, err
		}
		v.Expect = &av
		return v, nil
	}
	notes, err := q.SupportNotes(ctx, id)
	if err != nil {
		return v, err
	}
	v.Notes = make([]NoteView, 0, len(notes))
	names := map[string]string{}
	for _, n := range notes {
		if _, ok := names[n.AuthorID]; !ok {
			if p, err := q.Person(ctx, n.AuthorID); err == nil {
				names[n.AuthorID] = p.Name
			}
		}
		v.Notes = append(v.Notes, NoteView{SupportNote: n, AuthorName: names[n.AuthorID]})
	}
	v.Events, err = q.SupportEvents(ctx, id)
	return v, err
}

// rows turns list rows into views. The rows come with their ratings, all in one query: a rating
// read apart per resolved conversation was a statement per row — with a filter that read the whole
// ratings table each time.
func (s *Service) rows(a Actor, rs []store.SupportListRow) []ThreadView {
	out := make([]ThreadView, 0, len(rs))
	for _, r := range rs {
		v := ThreadView{SupportThread: r.Thread, Requester: r.Requester, AgentName: r.AgentName, LastText: r.LastText,
			LastMessageAt: r.LastMessageAt, LastSenderID: r.LastSenderID, Unread: r.Unread}
		if r.Thread.Resolutions > 0 {
			v.Rating = r.Rating
			v.CanRate = canRate(a, &v)
		}
		out = append(out, v)
	}
	return out
}

// List is the caller's support conversations: a customer's or worker's own (newest first), the
// ones an agent holds, or — for operators — the latest of a status ("" for all).
func (s *Service) List(ctx context.Context, a Actor, status string) (_ []ThreadView, err error) {
	defer model.WrapOp(&err, "support: list", "")
	if status != "" && !model.SupportStatus(status).Valid() {
		return nil, model.Invalid(model.FieldError{Field: "status", Message: "must be open, pending or resolved"})
	}
	var f store.SupportThreadFilter
	switch {
	case a.Role == model.RoleCustomer || a.Role == model.RoleWorker:
		f = store.SupportThreadFilter{RequesterID: a.ID, Limit: 100}
	case a.Role == model.RoleAgent:
		f = store.SupportThreadFilter{AgentID: a.ID, Limit: 200}
	case a.isStaff():
		f = store.SupportThreadFilter{Limit: 200}
	default:
		return nil, model.Errorf(model.CodeForbidden, "role %s has no support conversations", a.Role)
	}
	rs, err := s.Store.SupportList(ctx, a.ID, f, status)
	if err != nil {
		return nil, err
	}
	if status != "" {
		kept := rs[:0]
		for _, r := range rs {
			if string(r.Thread.Status) == status {
				kept = append(kept, r)
			}
		}
		rs = kept
	}
	return s.rows(a, rs), nil
}

// Queue lists the conversations waiting for an agent, longest waiting first (agents, operators).
func (s *Service) Queue(ctx context.Context, a Actor) (_ []ThreadView, err error) {
	defer model.WrapOp(&err, "support: queue", "")
	if !s.isDesk(a) {
		return nil, model.Errorf(model.CodeForbidden, "the queue is for agents and operators")
	}
	rs, err := s.queue.rows(ctx, func(ctx context.Context) ([]store.SupportListRow, error) {
		// Read for nobody: a queued conversation has no holder, and a desk reader is never one of its
		// members (a requeue removes the one who held it), so the unread counts are 0 for every reader.
		return s.Store.SupportList(ctx, "", store.SupportThreadFilter{Queued: true, Limit: 200}, "")
	})
	if err != nil {
		return nil, err
	}
	return s.rows(a, rs), nil
}

// queueFresh is how long a queue page read on this node serves every desk reader. A change this
// node commits ends it at once (queueChanged); one committed on another node shows within it. The
// consoles read the queue again only after a queue signal, which leaves after the change has
// committed, and they wait 300 ms or more after the signal: a page read before the change has
// expired by then, so no console is shown a page older than the change that signalled it.
const queueFresh = 250 * time.Millisecond

// queuePage is the node's copy of the queue's page. Fifty open consoles told at once that the queue
// changed read it together: one of them reads the database and the others wait for its rows.
type queuePage struct {
	mu      sync.Mutex
	gen     uint64 // changes committed on this node (changed)
	read    []store.SupportListRow
	readGen uint64
	readAt  time.Time
	loading chan struct{} // closed when the read under way ends
}

// changed ends the current page: a change to the queue has committed on this node.
func (p *queuePage) changed() {
	p.mu.Lock()
	p.gen++
	p.mu.Unlock()
}

// rows returns the page, reading it with load when the copy is stale or older than the node's
// last change. The rows are shared: callers must not change them.
func (p *queuePage) rows(ctx context.Context, load func(context.Context) ([]store.SupportListRow, error)) ([]store.SupportListRow, error) {
	for {
		p.mu.Lock()
		if p.read != nil && p.readGen == p.gen && time.Since(p.readAt) < queueFresh {
			rs := p.read
			p.mu.Unlock()
			return rs, nil
		}
		if wait := p.loading; wait != nil {
			p.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		done := make(chan struct{})
		p.loading = done
		gen, at := p.gen, time.Now()
		p.mu.Unlock()
		return p.load(ctx, load, done, gen, at)
	}
}

// load runs one read for rows and keeps its result. The waiters are let go however it ends, a
// panic included.
func (p *queuePage) load(ctx context.Context, load func(context.Context) ([]store.SupportListRow, error),
	done chan struct{}, gen uint64, at time.Time) (rs []store.SupportListRow, err error) {
	defer func() {
		p.mu.Lock()
		p.loading = nil
		if err == nil && rs != nil {
			// Stamped with the generation it began in: a change that committed meanwhile makes it
			// stale at once. A reader who came for this read and finds it stale reads again.
			p.read, p.readGen, p.readAt = rs, gen, at
		}
		p.mu.Unlock()
		close(done)
	}()
	rs, err = load(ctx)
	if err == nil && rs == nil {
		rs = []store.SupportListRow{}
	}
	return rs, err
}

// AgentState is an agent as the desk sees them: presence, away, capacity and load.
type AgentState struct {
	AgentView
	Load      int  `json:"load"`
	Available bool `json:"available"`
}

// DeskAgents lists every agent with presence and load (agents pick whom to transfer to;
// operators watch the desk).
func (s *Service) DeskAgents(ctx context.Context, a Actor) (_ []AgentState, err error) {
	defer model.WrapOp(&err, "support: desk agents", "")
	if !s.isDesk(a) {
		return nil, model.Errorf(model.CodeForbidden, "the desk is for agents and operators")
	}
	list, err := s.Agents(ctx, Actor{ID: a.ID, Role: model.RoleOperator})
	if err != nil {
		return nil, err
	}
	loads, err := s.Store.AgentLoads(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]AgentState, 0, len(list))
	for _, ag := range list {
		out = append(out, AgentState{AgentView: ag, Load: loads[ag.AgentID], Available: ag.Online && !ag.Away})
	}
	return out, nil
}

// requesterActor is the requester as booking knows them: the order panel shows what they see.
func requesterActor(t model.SupportThread) booking.Actor {
	return booking.Actor{ID: t.RequesterID, Role: t.RequesterRole}
}

// Orders is the order panel beside a conversation: the requester's orders with their status,
// read-only, for agents and operators.
func (s *Service) Orders(ctx context.Context, a Actor, id string) (_ []booking.OrderView, err error) {
	defer model.WrapOp(&err, "support: orders", id)
	if !s.isDesk(a) {
		return nil, model.Errorf(model.CodeForbidden, "the order panel is for agents and operators")
	}
	t, err := s.thread(ctx, &s.Store.Queries, a, id)
	if err != nil {
		return nil, err
	}
	list, err := s.Booking.List(ctx, requesterActor(t), booking.ListQuery{Limit: 20})
	if err != nil {
		return nil, err
	}
	items := list.Items
	// The order the conversation is about comes first.
	sort.SliceStable(items, func(i, j int) bool { return items[i].ID == t.OrderID && items[j].ID != t.OrderID })
	return items, nil
}

// OrderTimeline is one of the requester's orders' audit trail (X4), read-only, for the panel.
func (s *Service) OrderTimeline(ctx context.Context, a Actor, id, orderID string) (_ []booking.TimelineEntry, err error) {
	defer model.WrapOp(&err, "support: order timeline", id)
	if !s.isDesk(a) {
		return nil, model.Errorf(model.CodeForbidden, "the order panel is for agents and operators")
	}
	t, err := s.thread(ctx, &s.Store.Queries, a, id)
	if err != nil {
		return nil, err
	}
	return s.Booking.Timeline(ctx, requesterActor(t), orderID)
}

// CannedFor lists the canned replies filled in for one conversation: {customer} is the
// requester's name, {order_no} the order it is about, {worker} that order's worker.
func (s *Service) CannedFor(ctx context.Context, a Actor, id string) (_ []model.CannedReply, err error) {
	defer model.WrapOp(&err, "support: canned for", id)
	if a.Role != model.RoleAgent && !a.isStaff() {
		return nil, model.Errorf(model.CodeForbidden, "canned replies are for agents and operators")
	}
	q := &s.Store.Queries
	t, err := s.thread(ctx, q, a, id)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{"order_no": t.OrderID}
	if p, err := q.Person(ctx, t.RequesterID); err == nil {
		vars["customer"] = p.Name
	}
	if t.OrderID != "" {
		if o, err := q.Order(ctx, t.OrderID); err == nil && o.WorkerID != "" {
			if w, err := q.Person(ctx, o.WorkerID); err == nil {
				vars["worker"] = w.Name
			}
		}
	}
	items, err := q.CannedReplies(ctx)
	if err != nil {
		return nil, err
	}
	for i := range items {
		items[i].Text = FillCanned(items[i].Text, vars)
	}
	return items, nil
}

// Satisfaction is the operators' overview of ratings in a period.
type Satisfaction struct {
	From     time.Time             `json:"from"`
	To       time.Time             `json:"to"`
	Count    int                   `json:"count"`
	Average  float64               `json:"average"`
	ByScore  map[string]int        `json:"by_score"`
	Agents   []AgentSatisfaction   `json:"agents"`
	Low      []model.SupportRating `json:"low"` // ratings of 2 or less, newest first (at most 50)
	Resolved int                   `json:"resolved"`
}

// AgentSatisfaction is one agent's ratings in the period.
type AgentSatisfaction struct {
	AgentID string  `json:"agent_id"`
	Name    string  `json:"name"`
	Count   int     `json:"count"`
	Average float64 `json:"average"`
}

// SatisfactionOverview summarises the ratings given in [from, to) (operators).
func (s *Service) SatisfactionOverview(ctx context.Context, a Actor, from, to time.Time) (_ Satisfaction, err error) {
	defer model.WrapOp(&err, "support: satisfaction overview", "")
	if !a.isStaff() {
		return Satisfaction{}, model.Errorf(model.CodeForbidden, "the satisfaction overview is for operators")
	}
	if !to.After(from) {
		return Satisfaction{}, model.Invalid(model.FieldError{Field: "to", Message: "must be after from"})
	}
	rs, err := s.Store.SupportRatings(ctx, "", from, to)
	if err != nil {
		return Satisfaction{}, err
	}
	out := Satisfaction{From: from.UTC(), To: to.UTC(), ByScore: map[string]int{"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
		Agents: []AgentSatisfaction{}, Low: []model.SupportRating{}}
	sum := 0
	per := map[string]*AgentSatisfaction{}
	for _, r := range rs {
		out.Count++
		sum += r.Score
		out.ByScore[string(rune('0'+r.Score))]++
		if r.Score <= 2 && len(out.Low) < 50 {
			out.Low = append(out.Low, r)
		}
		ag := per[r.AgentID]
		if ag == nil {
			ag = &AgentSatisfaction{AgentID: r.AgentID}
			if p, err := s.Store.Person(ctx, r.AgentID); err == nil {
				ag.Name = p.Name
			}
			per[r.AgentID] = ag
		}
		ag.Count++
		ag.Average += float64(r.Score)
	}
	if out.Count > 0 {
		out.Average = float64(sum) / float64(out.Count)
	}
	for _, ag := range per {
		ag.Average /= float64(ag.Count)
		out.Agents = append(out.Agents, *ag)
	}
	sort.Slice(out.Agents, func(i, j int) bool { return out.Agents[i].Name < out.Agents[j].Name })
	out.Resolved, err = s.Store.SupportResolvedBetween(ctx, from, to)
	return out, err
}
