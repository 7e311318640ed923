package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/homebell/homebell/internal/booking"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

// Order chat (I1): one conversation per order between its customer and its current worker.
//
// It opens in the transaction that gives the order a worker (booking's WorkerChanged hook on
// accept and assign), so it exists exactly when there is someone to talk to; orders accepted
// before chat existed get theirs on first access (OrderConversation). A worker change runs the
// hook in the reassignment's transaction: the removed worker's membership ends in the commit that
// removes them, so from then on every chat endpoint, file and stream frame is refused to them,
// and the new worker joins with the history (the address and how to get in matter to them too).

// WorkerChanged is booking's hook: it opens the order's conversation when the order first gets a
// worker and moves membership from the previous worker to the current one.
func (s *Service) WorkerChanged(ctx context.Context, tx *store.Tx, o model.Order, previousWorkerID string) (err error) {
	defer model.WrapOp(&err, "chat: worker changed", o.ID)
	if o.WorkerID != "" {
		// Mostly the order's first worker: open the conversation without reading first.
		c := model.Conversation{Kind: model.ConversationOrder, OrderID: o.ID}
		inserted, err := tx.InsertOrderConversationIfAbsent(ctx, &c, tx.Now())
		if err != nil {
			return err
		}
		if inserted {
			wanted, err := orderMembers(ctx, &tx.Queries, o)
			if err != nil {
				return err
			}
			return s.joinAll(ctx, tx, c, wanted)
		}
	}
	c, err := tx.OrderConversation(ctx, o.ID, model.ConversationOrder)
	if model.IsCode(err, model.CodeNotFound) && o.WorkerID == "" {
		return nil // never had a conversation and nobody to talk to yet
	}
	if err != nil && !model.IsCode(err, model.CodeNotFound) {
		return err
	}
	_, err = s.ensureOrderRead(ctx, tx, o, c, err == nil)
	return err
}

// ensureOrder returns the order's conversation, creating it if needed, with exactly the order's
// customer and current worker as active members.
func (s *Service) ensureOrder(ctx context.Context, tx *store.Tx, o model.Order) (model.Conversation, error) {
	c, err := tx.OrderConversation(ctx, o.ID, model.ConversationOrder)
	if err != nil && !model.IsCode(err, model.CodeNotFound) {
		return c, err
	}
	return s.ensureOrderRead(ctx, tx, o, c, err == nil)
}

// ensureOrderRead is ensureOrder once the order's conversation c was read in tx (found: it exists).
func (s *Service) ensureOrderRead(ctx context.Context, tx *store.Tx, o model.Order, c model.Conversation, found bool) (model.Conversation, error) {
	wanted, err := orderMembers(ctx, &tx.Queries, o)
	if err != nil {
		return model.Conversation{}, err
	}
	if !found {
		return s.Open(ctx, tx, model.Conversation{Kind: model.ConversationOrder, OrderID: o.ID}, wanted)
	}
	members, err := tx.Members(ctx, c.ID)
	if err != nil {
		return c, err
	}
	want := map[string]model.Role{}
	for _, m := range wanted {
		want[m.PersonID] = m.Role
	}
	for _, m := range members {
		if role, ok := want[m.PersonID]; ok {
			if m.Active() && m.Role == role {
				delete(want, m.PersonID)
			}
			continue
		}
		if m.Active() {
			if err := s.RemoveMember(ctx, tx, c.ID, m.PersonID); err != nil {
				return c, err
			}
		}
	}
	for id, role := range want {
		if err := s.addMember(ctx, tx, c, id, role); err != nil {
			return c, err
		}
	}
	return c, nil
}

// orderMembers are who belong in the order's conversation: its customer, its current worker and
// the watchers the customer lets chat (Y5), in the role watcher.
func orderMembers(ctx context.Context, q *store.Queries, o model.Order) ([]model.Member, error) {
	out := []model.Member{{PersonID: o.CustomerID, Role: model.RoleCustomer}}
	if o.WorkerID != "" {
		out = append(out, model.Member{PersonID: o.WorkerID, Role: model.RoleWorker})
	}
	ws, err := q.WatchersOfOrder(ctx, o)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, w := range ws {
		if w.CanChat && !seen[w.PersonID] {
			seen[w.PersonID] = true
			out = append(out, model.Member{PersonID: w.PersonID, Role: model.RoleWatcher})
		}
	}
	return out, nil
}

// HouseholdChanged is booking's hook on a change of an order's watchers or their rights (Y5): the
// order's conversation, if it has one, gets exactly the watchers allowed to chat, in the same
// commit (a watcher losing the right or removed is a removed member from then on).
func (s *Service) HouseholdChanged(ctx context.Context, tx *store.Tx, o model.Order) (err error) {
	defer model.WrapOp(&err, "chat: household changed", o.ID)
	_, err = tx.OrderConversation(ctx, o.ID, model.ConversationOrder)
	if model.IsCode(err, model.CodeNotFound) {
		return nil // it opens with its members when a worker accepts
	}
	if err != nil {
		return err
	}
	_, err = s.ensureOrder(ctx, tx, o)
	return err
}

// OrderConversation returns an order's conversation to its customer, its current worker, or
// staff; anyone else is told the order does not exist. It exists once a worker has accepted.
func (s *Service) OrderConversation(ctx context.Context, a Actor, orderID string) (_ View, err error) {
	defer model.WrapOp(&err, "chat: order conversation", orderID)
	o, err := s.Store.Order(ctx, orderID)
	if model.IsCode(err, model.CodeNotFound) {
		return View{}, model.Errorf(model.CodeNotFound, "order %q not found", orderID)
	}
	if err != nil {
		return View{}, err
	}
	party := (a.Role == model.RoleCustomer && o.CustomerID == a.ID) || (a.Role == model.RoleWorker && o.WorkerID == a.ID)
	if !party && a.Role == model.RoleCustomer {
		// A watcher (Y5) knows the order; they read its chat only with the customer's leave.
		w, ok, err := booking.WatchOf(ctx, &s.Store.Queries, o, a.ID)
		if err != nil {
			return View{}, err
		}
		if ok && !w.CanChat {
			return View{}, model.Errorf(model.CodeForbidden, "the customer has not allowed you to chat about this order")
		}
		party = ok
	}
	if !party && !isStaff(a) {
		return View{}, model.Errorf(model.CodeNotFound, "order %q not found", orderID)
	}
	c, err := s.Store.OrderConversation(ctx, o.ID, model.ConversationOrder)
	if err != nil && !model.IsCode(err, model.CodeNotFound) {
		return View{}, err
	}
	if err != nil && o.WorkerID == "" {
		return View{}, model.Errorf(model.CodeNotFound, "the order's chat opens once a worker accepts it")
	}
	if err == nil {
		if v, err := s.Get(ctx, a, c.ID); err == nil || !party {
			return v, err
		}
	}
	// Not there yet (an order accepted before chat existed), or the caller's membership lags the
	// order: bring the conversation in line with the order, then answer.
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		o, err := tx.Order(ctx, orderID)
		if err != nil {
			return err
		}
		c, err = s.ensureOrder(ctx, tx, o)
		return err
	})
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, a, c.ID)
}

// orderWriteState is when an order's conversation stops taking messages (nil while the order is
// active) and whether it is blocked now (no current worker).
func (s *Service) orderWriteState(ctx context.Context, q *store.Queries, orderID string) (*time.Time, error, error) {
	o, err := q.Order(ctx, orderID)
	if err != nil {
		return nil, nil, err
	}
	ends, p, err := s.orderEnds(ctx, q, map[string]model.Order{o.ID: o})
	if err != nil {
		return nil, nil, err
	}
	until, blocked := orderUntil(o, ends[o.ID], p)
	return until, blocked, nil
}

// sendWriteState is writeState from what SendStateOf read: the order comes with it, so only an
// ended order costs reads (its end event and the policy).
func (s *Service) sendWriteState(ctx context.Context, q *store.Queries, st store.SendState) (until *time.Time, blocked error, err error) {
	c := st.Conversation
	until = c.ClosedAt
	if c.Kind != model.ConversationOrder || c.OrderID == "" {
		return until, nil, nil
	}
	if st.Order == nil {
		return nil, nil, model.Errorf(model.CodeNotFound, "order %q not found", c.OrderID)
	}
	o := model.Order{ID: c.OrderID, WorkerID: st.Order.WorkerID, Status: st.Order.Status, UpdatedAt: st.Order.UpdatedAt}
	ends, p, err := s.orderEnds(ctx, q, map[string]model.Order{o.ID: o})
	if err != nil {
		return nil, nil, err
	}
	t, blocked := orderUntil(o, ends[o.ID], p)
	if t != nil && (until == nil || t.Before(*until)) {
		until = t
	}
	return until, blocked, nil
}

// orderEnds finds when each ended (completed or cancelled) order ended — its last event of that
// status — and, if any ended, the booking policy that says how long their chats stay writable.
func (s *Service) orderEnds(ctx context.Context, q *store.Queries, orders map[string]model.Order) (map[string]time.Time, booking.Policy, error) {
	ends := map[string]time.Time{}
	var ended []string
	for id, o := range orders {
		if o.Status == model.OrderCompleted || o.Status == model.OrderCancelled {
			ended = append(ended, id)
		}
	}
	if len(ended) == 0 {
		return ends, booking.Policy{}, nil
	}
	evs, err := q.OrderEventsOfTypes(ctx, ended, string(model.OrderCompleted), string(model.OrderCancelled))
	if err != nil {
		return nil, booking.Policy{}, err
	}
	for _, id := range ended {
		o := orders[id]
		ends[id] = o.UpdatedAt
		for _, e := range evs[id] {
			if string(o.Status) == e.Type {
				ends[id] = e.CreatedAt
			}
		}
	}
	p, err := booking.LoadPolicy(ctx, q)
	if err != nil {
		return nil, booking.Policy{}, err
	}
	return ends, p, nil
}

// orderUntil is when the conversation of o stops taking messages (nil while o is active), given
// when o ended and the policy, and why writing is refused now for another reason (no worker).
func orderUntil(o model.Order, ended time.Time, p booking.Policy) (*time.Time, error) {
	var blocked error
	if o.WorkerID == "" {
		blocked = model.Errorf(model.CodeInvalidTransition, "the order has no worker right now; the chat reopens when one is assigned")
	}
	if o.Status != model.OrderCompleted && o.Status != model.OrderCancelled {
		return nil, blocked
	}
	until := ended.Add(p.Chat.WritableFor(o.Status)).UTC()
	return &until, blocked
}

func jsonRaw(v any) (json.RawMessage, error) {
	raw, err := model.MarshalJSON(v)
	if err != nil {
		return nil, fmt.Errorf("chat: %w", err)
	}
	return raw, nil
}
