package booking

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
)

// The household (Y5): a customer lets other people — a grown-up child, a partner — watch one of
// their orders or all of them. A watcher is a person with the customer role (they sign in to the
// customer app) who is added
//   - by the platform's backend with its service key (a family member it has synced), or
//   - by the customer by phone: an invite (status invited) that the platform's backend resolves
//     to a synced person once they accepted it (GET /v1/household/invites, then
//     POST /v1/household/invites/{id}/resolve); or by person id when the person is in the
//     customer's household already (added by the platform or by a resolved invite) — a customer
//     cannot add strangers by guessing ids.
//
// A watcher is told what the customer is told about the order (booking's tell), in their own
// language, time zone and preferences, with the payment details left out: refund settlements
// are not sent to them, cancellation notices use a text without amounts, and the notification
// data loses its refund and amount fields. Review invitations and actions are the customer's
// alone; the answers to a time change come with the notice only when the customer allowed the
// watcher to answer. Watchers read the order (GET /v1/orders/{id}, without amount_paid_cents
// and the cancellation's money) and its timeline (money removed from the details), never the
// customer's other orders; every change to the order is refused to them (403) except answering
// a time change the customer would answer, when allowed. With the chat right they are members of
// the order's conversation in the role watcher; others see their display name only.
//
// Access is read from household_watchers on every request, and the chat membership follows each
// change in the same transaction, so removing a watcher (or a right) takes effect at its commit
// on every endpoint: orders, timeline, chat, its images, and streams (their app is told with a
// household.watch_ended event and gets nothing more about the order).

// EventWatchEnded tells a watcher's open apps that they no longer watch some orders.
const EventWatchEnded = "household.watch_ended"

// WatchOf reports whether personID watches order o, merging their rows (one for the order, one
// for all the customer's orders): a right granted by either holds.
func WatchOf(ctx context.Context, q *store.Queries, o model.Order, personID string) (model.Watcher, bool, error) {
	if personID == "" || personID == o.CustomerID {
		return model.Watcher{}, false, nil
	}
	rows, err := q.WatchesOf(ctx, personID, o.CustomerID)
	if err != nil {
		return model.Watcher{}, false, err
	}
	var out model.Watcher
	found := false
	for _, w := range rows {
		if !w.Covers(o) {
			continue
		}
		if !found || w.OrderID != "" {
			can, ans := out.CanChat, out.CanAnswerChanges
			out = w
			out.CanChat, out.CanAnswerChanges = out.CanChat || can, out.CanAnswerChanges || ans
		} else {
			out.CanChat, out.CanAnswerChanges = out.CanChat || w.CanChat, out.CanAnswerChanges || w.CanAnswerChanges
		}
		found = true
	}
	return out, found, nil
}

// loadWatched reads an order the actor may see as a party (watch nil) or as one of its watchers.
func (s *Service) loadWatched(ctx context.Context, q *store.Queries, a Actor, id string) (model.Order, *model.Watcher, error) {
	o, err := q.Order(ctx, id)
	if err != nil {
		return o, nil, err
	}
	return s.watchedAs(ctx, q, a, o)
}

// watchedAs is loadWatched once the order o was read.
func (s *Service) watchedAs(ctx context.Context, q *store.Queries, a Actor, o model.Order) (model.Order, *model.Watcher, error) {
	id := o.ID
	if canSee(o, a) {
		return o, nil, nil
	}
	if a.Role == model.RoleCustomer {
		w, ok, err := WatchOf(ctx, q, o, a.ID)
		if err != nil {
			return model.Order{}, nil, err
		}
		if ok {
			return o, &w, nil
		}
	}
	return model.Order{}, nil, model.Errorf(model.CodeNotFound, "order %q not found", id)
}

// WatcherView is a watcher as the customer, the platform and operators see it, with the watcher's
// display name.
type WatcherView struct {
	model.Watcher
	Name string `json:"name"`
}

// WatcherName is what the other parties of an order see of a watcher: the display name only (X5).
type WatcherName struct {
	Name string `json:"name"`
}

// Viewer is how the reader of an order relates to it when they are not its customer, worker or
// staff: a watcher, with the rights the customer gave.
type Viewer struct {
	Relation         string `json:"relation"` // watcher
	CanChat          bool   `json:"can_chat"`
	CanAnswerChanges bool   `json:"can_answer_changes"`
}

// WatcherInput adds a watcher: PersonID (a synced person) or Phone (an invite), for one order or
// (OrderID "") all the customer's orders.
type WatcherInput struct {
	CustomerID       string
	PersonID         string
	Phone            string
	OrderID          string
	CanChat          bool
	CanAnswerChanges bool
}

// WatcherPatch changes a watcher's rights; nil leaves one as it is.
type WatcherPatch struct {
	CanChat          *bool
	CanAnswerChanges *bool
}

// household resolves whose household the actor manages: a customer their own, the platform (and
// operators, for reading) the one named.
func householdOf(a Actor, customerID string, write bool) (string, error) {
	switch {
	case a.Role == model.RoleCustomer:
		return a.ID, nil
	case a.Role == model.RolePlatform || (!write && a.Role == model.RoleOperator):
		if customerID == "" {
			return "", model.Invalid(model.FieldError{Field: "customer_id", Message: "is required"})
		}
		return customerID, nil
	}
	return "", model.Errorf(model.CodeForbidden, "only customers (and the platform) manage a household")
}

// AddWatcher adds a watcher or sends an invite (see the package's household notes).
func (s *Service) AddWatcher(ctx context.Context, a Actor, in WatcherInput) (_ WatcherView, err error) {
	defer model.WrapOp(&err, "booking: add watcher", "")
	cid, err := householdOf(a, in.CustomerID, true)
	if err != nil {
		return WatcherView{}, err
	}
	var v model.Validator
	v.Check((in.PersonID == "") != (in.Phone == ""), "person_id", "give a person_id or a phone, not both")
	v.Check(in.Phone == "" || model.ValidPhone(in.Phone), "phone", "must be a phone number (digits, optional +)")
	v.Check(in.PersonID == "" || model.ValidID(in.PersonID), "person_id", "is not a valid id")
	v.Check(in.OrderID == "" || model.ValidID(in.OrderID), "order_id", "is not a valid id")
	if err := v.Err(); err != nil {
		return WatcherView{}, err
	}
	var out WatcherView
	err = s.write(ctx, "add_watcher", func(tx *store.Tx) error {
		cust, err := tx.Person(ctx, cid)
		if err != nil {
			return err
		}
		var o model.Order
		if in.OrderID != "" {
			var err error
			o, err = tx.Order(ctx, in.OrderID)
			if model.IsCode(err, model.CodeNotFound) || (err == nil && o.CustomerID != cid) {
				return model.Invalid(model.FieldError{Field: "order_id", Message: "no such order of the customer"})
			}
			if err != nil {
				return err
			}
		}
		w := model.Watcher{CustomerID: cid, OrderID: in.OrderID, CanChat: in.CanChat, CanAnswerChanges: in.CanAnswerChanges,
			Status: model.WatcherActive}
		if in.Phone != "" {
			w.Phone, w.Status = in.Phone, model.WatcherInvited
		} else {
			p, err := s.watcherPerson(ctx, &tx.Queries, cid, in.PersonID)
			if err != nil {
				return err
			}
			if a.Role == model.RoleCustomer {
				known, err := s.inHousehold(ctx, &tx.Queries, cid, p.ID)
				if err != nil {
					return err
				}
				if !known {
					return model.Invalid(model.FieldError{Field: "person_id",
						Message: "is not in your household yet: invite them by phone, the platform confirms them"})
				}
			}
			w.PersonID, out.Name = p.ID, p.Name
		}
		if err := tx.InsertWatcher(ctx, &w, tx.Now()); err != nil {
			return err
		}
		store.NoteCreated(ctx, w.ID)
		out.Watcher = w
		if o.ID != "" {
			if err := s.event(ctx, tx, o, "watcher_added", a, map[string]any{"watcher_id": w.ID, "person_id": w.PersonID,
				"can_chat": w.CanChat, "can_answer_changes": w.CanAnswerChanges}); err != nil {
				return err
			}
		}
		if err := s.householdChanged(ctx, tx, w); err != nil {
			return err
		}
		return s.tellWatcherAdded(ctx, tx, cust, w)
	})
	return out, err
}

// tellWatcherAdded tells a person they now watch one order of customer cust (or all of them),
// with the rights they were given: an invite tells them once the platform resolved it.
func (s *Service) tellWatcherAdded(ctx context.Context, tx *store.Tx, cust model.Person, w model.Watcher) error {
	if w.PersonID == "" {
		return s.tellInviteSent(ctx, tx, cust, w) // the invitee is told when the platform resolved it
	}
	vars := map[string]any{"customer_name": cust.Name, "can_chat": w.CanChat, "can_answer_changes": w.CanAnswerChanges}
	data := map[string]any{"watcher_id": w.ID, "customer": map[string]any{"id": cust.ID, "name": cust.Name},
		"all_orders": w.OrderID == "", "can_chat": w.CanChat, "can_answer_changes": w.CanAnswerChanges}
	ev := notify.Event{Kind: notify.KindWatcherAdded, Key: w.ID + ":added", OrderID: w.OrderID,
		Recipients: []notify.Recipient{{PersonID: w.PersonID, Audience: "watcher"}}, Vars: vars, Data: data}
	if w.OrderID != "" {
		o, err := tx.Order(ctx, w.OrderID)
		if err != nil {
			return err
		}
		f, err := s.factsOf(ctx, &tx.Queries, o)
		if err != nil {
			return err
		}
		ev.Vars = withVars(vars, map[string]any{"item": f.item.Name, "appointment": o.AppointmentAt, "address": o.Address})
	}
	// Straight to the watcher: booking's tell would add the order's watchers to it.
	_, err := s.Notify.Notify(ctx, tx, ev)
	return err
}

// tellInviteSent records an invite by phone for the customer who made it (household.invite_sent);
// the platform's gateway webhooks that take the kind get it with the invite, to reach the number.
func (s *Service) tellInviteSent(ctx context.Context, tx *store.Tx, cust model.Person, w model.Watcher) error {
	vars := map[string]any{"phone": w.Phone}
	data := map[string]any{"invite": map[string]any{"id": w.ID, "phone": w.Phone, "order_id": w.OrderID, "all_orders": w.OrderID == "",
		"can_chat": w.CanChat, "can_answer_changes": w.CanAnswerChanges, "customer": map[string]any{"id": cust.ID, "name": cust.Name},
		"resolve": "/v1/household/invites/" + w.ID + "/resolve"}}
	if w.OrderID != "" {
		o, err := tx.Order(ctx, w.OrderID)
		if err != nil {
			return err
		}
		f, err := s.factsOf(ctx, &tx.Queries, o)
		if err != nil {
			return err
		}
		vars = withVars(vars, map[string]any{"item": f.item.Name, "appointment": o.AppointmentAt})
	}
	// To the customer alone: the order's watchers are not told of it.
	_, err := s.Notify.Notify(ctx, tx, notify.Event{Kind: notify.KindInviteSent, Key: w.ID + ":invited", OrderID: w.OrderID,
		Recipients: []notify.Recipient{{PersonID: cust.ID, Audience: "customer"}}, Vars: vars, Data: data})
	return err
}

// watcherPerson checks that personID can watch the orders of customer cid.
func (s *Service) watcherPerson(ctx context.Context, q *store.Queries, cid, personID string) (model.Person, error) {
	p, err := q.Person(ctx, personID)
	if model.IsCode(err, model.CodeNotFound) {
		return p, model.Invalid(model.FieldError{Field: "person_id", Message: "no such person (the platform syncs them first)"})
	}
	if err != nil {
		return p, err
	}
	if p.Role != model.RoleCustomer || p.ID == cid {
		return p, model.Invalid(model.FieldError{Field: "person_id", Message: "must be another person with the customer role"})
	}
	return p, nil
}

func (s *Service) inHousehold(ctx context.Context, q *store.Queries, cid, personID string) (bool, error) {
	ws, err := q.WatchersOfCustomer(ctx, cid)
	if err != nil {
		return false, err
	}
	for _, w := range ws {
		if w.PersonID == personID {
			return true, nil
		}
	}
	return false, nil
}

// loadWatcher reads a watcher the actor manages: its customer's, or any for the platform.
func (s *Service) loadWatcher(ctx context.Context, q *store.Queries, a Actor, id string) (model.Watcher, error) {
	w, err := q.Watcher(ctx, id)
	if err != nil {
		return w, err
	}
	if a.Role == model.RolePlatform || (a.Role == model.RoleCustomer && w.CustomerID == a.ID) {
		return w, nil
	}
	return model.Watcher{}, model.Errorf(model.CodeNotFound, "watcher %q not found", id)
}

// UpdateWatcher changes a watcher's rights (its customer or the platform). Taking the chat right
// away removes them from the order's conversation in the same commit.
func (s *Service) UpdateWatcher(ctx context.Context, a Actor, id string, p WatcherPatch) (_ WatcherView, err error) {
	defer model.WrapOp(&err, "booking: update watcher", id)
	var out WatcherView
	err = s.write(ctx, "update_watcher", func(tx *store.Tx) error {
		w, err := s.loadWatcher(ctx, &tx.Queries, a, id)
		if err != nil {
			return err
		}
		if p.CanChat != nil {
			w.CanChat = *p.CanChat
		}
		if p.CanAnswerChanges != nil {
			w.CanAnswerChanges = *p.CanAnswerChanges
		}
		if err := tx.UpdateWatcher(ctx, &w, tx.Now()); err != nil {
			return err
		}
		if out, err = s.watcherView(ctx, &tx.Queries, w); err != nil {
			return err
		}
		return s.householdChanged(ctx, tx, w)
	})
	return out, err
}

// RemoveWatcher ends a watch (its customer, the platform, or the watcher leaving). From its commit
// on the watcher reads nothing more of the orders it covered.
func (s *Service) RemoveWatcher(ctx context.Context, a Actor, id string) (err error) {
	defer model.WrapOp(&err, "booking: remove watcher", id)
	return s.write(ctx, "remove_watcher", func(tx *store.Tx) error {
		w, err := tx.Watcher(ctx, id)
		if err != nil {
			return err
		}
		self := a.Role == model.RoleCustomer && w.PersonID == a.ID && w.PersonID != ""
		if !self {
			if w, err = s.loadWatcher(ctx, &tx.Queries, a, id); err != nil {
				return err
			}
		}
		if _, err := tx.DeleteWatcher(ctx, w.ID); err != nil {
			return err
		}
		if w.OrderID != "" {
			o, err := tx.Order(ctx, w.OrderID)
			if err != nil {
				return err
			}
			if err := s.event(ctx, tx, o, "watcher_removed", a, map[string]any{"watcher_id": w.ID, "person_id": w.PersonID}); err != nil {
				return err
			}
		}
		if err := s.householdChanged(ctx, tx, w); err != nil {
			return err
		}
		if w.PersonID == "" {
			return nil
		}
		ev, err := tx.AppendEventRecord(ctx, w.PersonID, EventWatchEnded, map[string]any{"watcher_id": w.ID,
			"customer_id": w.CustomerID, "order_id": w.OrderID}, tx.Now())
		if err != nil {
			return err
		}
		if s.Publish != nil {
			pub := s.Publish
			tx.AfterCommit(func() { pub(map[string][]model.Event{w.PersonID: {ev}}) })
		}
		return nil
	})
}

// householdChanged brings the conversations of the orders w covers in line with their watchers
// (the HouseholdChanged hook: chat membership).
func (s *Service) householdChanged(ctx context.Context, tx *store.Tx, w model.Watcher) error {
	if s.HouseholdChanged == nil || w.PersonID == "" {
		return nil
	}
	if w.OrderID != "" {
		o, err := tx.Order(ctx, w.OrderID)
		if err != nil {
			return err
		}
		return s.HouseholdChanged(ctx, tx, o)
	}
	after := ""
	for {
		os, err := tx.Orders(ctx, store.OrderFilter{CustomerID: w.CustomerID, After: after, Limit: 200})
		if err != nil {
			return err
		}
		for _, o := range os {
			if err := s.HouseholdChanged(ctx, tx, o); err != nil {
				return err
			}
		}
		if len(os) < 200 {
			return nil
		}
		after = os[len(os)-1].ID
	}
}

func (s *Service) watcherView(ctx context.Context, q *store.Queries, w model.Watcher) (WatcherView, error) {
	v := WatcherView{Watcher: w}
	if w.PersonID != "" {
		p, err := q.Person(ctx, w.PersonID)
		if err != nil {
			return v, err
		}
		v.Name = p.Name
	}
	return v, nil
}

// Household lists a customer's watchers and invites (the customer's own; the platform and
// operators name the customer).
func (s *Service) Household(ctx context.Context, a Actor, customerID string) (_ []WatcherView, err error) {
	defer model.WrapOp(&err, "booking: household", customerID)
	cid, err := householdOf(a, customerID, false)
	if err != nil {
		return nil, err
	}
	ws, err := s.Store.WatchersOfCustomer(ctx, cid)
	if err != nil {
		return nil, err
	}
	out := make([]WatcherView, 0, len(ws))
	for _, w := range ws {
		v, err := s.watcherView(ctx, &s.Store.Queries, w)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Invites lists the invites waiting for the platform to resolve them.
func (s *Service) Invites(ctx context.Context, a Actor, limit int) (_ []model.Watcher, err error) {
	defer model.WrapOp(&err, "booking: invites", "")
	if a.Role != model.RolePlatform {
		return nil, model.Errorf(model.CodeForbidden, "invites are resolved by the platform's backend")
	}
	return s.Store.PendingInvites(ctx, limit)
}

// ResolveInvite: the platform's backend names the synced person an invite reached (they accepted
// it); from then on they watch as the invite said.
func (s *Service) ResolveInvite(ctx context.Context, a Actor, id, personID string) (_ WatcherView, err error) {
	defer model.WrapOp(&err, "booking: resolve invite", id)
	if a.Role != model.RolePlatform {
		return WatcherView{}, model.Errorf(model.CodeForbidden, "invites are resolved by the platform's backend")
	}
	if !model.ValidID(personID) {
		return WatcherView{}, model.Invalid(model.FieldError{Field: "person_id", Message: "is required"})
	}
	var out WatcherView
	err = s.write(ctx, "resolve_invite", func(tx *store.Tx) error {
		w, err := tx.Watcher(ctx, id)
		if err != nil {
			return err
		}
		if w.Status != model.WatcherInvited {
			if w.PersonID == personID {
				out, err = s.watcherView(ctx, &tx.Queries, w) // a retry
				return err
			}
			return model.Errorf(model.CodeInvalidTransition, "the invite was resolved already")
		}
		p, err := s.watcherPerson(ctx, &tx.Queries, w.CustomerID, personID)
		if err != nil {
			return err
		}
		w.PersonID, w.Status = p.ID, model.WatcherActive
		if err := tx.UpdateWatcher(ctx, &w, tx.Now()); err != nil {
			return err
		}
		out = WatcherView{Watcher: w, Name: p.Name}
		if err := s.householdChanged(ctx, tx, w); err != nil {
			return err
		}
		cust, err := tx.Person(ctx, w.CustomerID)
		if err != nil {
			return err
		}
		return s.tellWatcherAdded(ctx, tx, cust, w)
	})
	return out, err
}

// Watching lists the orders the actor watches (newest first), without payment details.
func (s *Service) Watching(ctx context.Context, a Actor, cursor string, limit int) (_ []OrderView, _ string, err error) {
	defer model.WrapOp(&err, "booking: watching", "")
	if a.Role != model.RoleCustomer {
		return nil, "", model.Errorf(model.CodeForbidden, "watchers are customers")
	}
	orders, err := s.Store.WatchedOrders(ctx, a.ID, cursor, limit)
	if err != nil {
		return nil, "", err
	}
	items := make([]OrderView, 0, len(orders))
	for _, o := range orders {
		v, err := s.View(ctx, &s.Store.Queries, o)
		if err != nil {
			return nil, "", err
		}
		w, _, err := WatchOf(ctx, &s.Store.Queries, o, a.ID)
		if err != nil {
			return nil, "", err
		}
		v.forWatcher(w)
		items = append(items, v)
	}
	next := ""
	if len(orders) == limit && limit > 0 {
		next = orders[len(orders)-1].ID
	}
	return items, next, nil
}

// forWatcher makes v what a watcher may read: no payment details, their rights.
func (v *OrderView) forWatcher(w model.Watcher) {
	v.paymentHidden = true
	v.Viewer = &Viewer{Relation: "watcher", CanChat: w.CanChat, CanAnswerChanges: w.CanAnswerChanges}
	v.PendingWorkerChange = nil
}

// paymentKeys are the fields that carry money, left out of what watchers read and are told.
var paymentKeys = []string{"amount_paid_cents", "refund", "refund_cents", "fee_cents", "refund_eta", "policy", "review_form"}

// withoutPayment returns a copy of m without payment fields.
func withoutPayment(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for _, k := range paymentKeys {
		delete(out, k)
	}
	return out
}

// scrubPayment removes the payment fields from a JSON object (a timeline entry's details).
func scrubPayment(raw json.RawMessage) json.RawMessage {
	var m map[string]any
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil || m == nil {
		return raw
	}
	b, err := model.MarshalJSON(withoutPayment(m))
	if err != nil {
		return raw
	}
	return b
}

// watcherKinds are the kinds a customer is told that their watchers are told too (payment and
// review kinds are the customer's alone).
func watcherKind(kind string) bool {
	switch kind {
	case notify.KindRefundSettled, notify.KindReviewReplied, notify.KindReviewHidden:
		return false
	}
	return true
}

// withWatchers returns ev and, when ev tells an order's customer, what the order's watchers are
// told: the same kind and key in the watcher audience, without payment details, with the time
// change actions only for watchers allowed to answer.
func (s *Service) withWatchers(ctx context.Context, q *store.Queries, ev notify.Event) ([]notify.Event, error) {
	return s.withWatchersCached(ctx, q, ev, nil)
}

// withWatchersCached is withWatchers reading each customer's household once per cache (a bulk
// cancellation tells of many orders; nil reads the order's watchers each time).
func (s *Service) withWatchersCached(ctx context.Context, q *store.Queries, ev notify.Event, cache map[string][]model.Watcher) ([]notify.Event, error) {
	if ev.OrderID == "" || !watcherKind(ev.Kind) {
		return []notify.Event{ev}, nil
	}
	customerID := ""
	for _, rc := range ev.Recipients {
		if rc.Audience == "customer" {
			customerID = rc.PersonID
		}
	}
	if customerID == "" {
		return []notify.Event{ev}, nil
	}
	o := model.Order{ID: ev.OrderID, CustomerID: customerID}
	var ws []model.Watcher
	if cache == nil {
		var err error
		if ws, err = q.WatchersOfOrder(ctx, o); err != nil {
			return nil, fmt.Errorf("booking: watchers of %s: %w", ev.OrderID, err)
		}
	} else {
		all, ok := cache[customerID]
		if !ok {
			var err error
			if all, err = q.WatchersOfCustomer(ctx, customerID); err != nil {
				return nil, fmt.Errorf("booking: household of %s: %w", customerID, err)
			}
			cache[customerID] = all
		}
		for _, w := range all {
			if w.Covers(o) {
				ws = append(ws, w)
			}
		}
	}
	if len(ws) == 0 {
		return []notify.Event{ev}, nil
	}
	answer := map[string]bool{}
	for _, w := range ws {
		answer[w.PersonID] = answer[w.PersonID] || w.CanAnswerChanges
	}
	out := []notify.Event{ev}
	for _, can := range []bool{true, false} {
		var rcs []notify.Recipient
		for _, w := range ws {
			if answer[w.PersonID] == can {
				rcs = append(rcs, notify.Recipient{PersonID: w.PersonID, Audience: "watcher"})
			}
		}
		if len(rcs) == 0 {
			continue
		}
		we := ev
		we.Recipients = rcs
		we.Vars = withoutPayment(ev.Vars)
		if _, ok := we.Vars["you_asked"]; ok {
			we.Vars["you_asked"] = false // the customer asked, not the watcher
		}
		we.Data = withoutPayment(ev.Data)
		delete(we.Data, "actions")
		if acts, ok := ev.Data["actions"].([]map[string]any); ok && can {
			var keep []map[string]any
			for _, act := range acts {
				if t, _ := act["type"].(string); t == "accept_time_change" || t == "decline_time_change" {
					keep = append(keep, act)
				}
			}
			if len(keep) > 0 {
				we.Data["actions"] = keep
			}
		}
		we.Data["watching"] = true
		out = append(out, we)
	}
	return out, nil
}

// Watcher returns one watcher or invite its customer (or the platform) manages.
func (s *Service) Watcher(ctx context.Context, a Actor, id string) (_ WatcherView, err error) {
	defer model.WrapOp(&err, "booking: watcher", id)
	w, err := s.loadWatcher(ctx, &s.Store.Queries, a, id)
	if err != nil {
		return WatcherView{}, err
	}
	return s.watcherView(ctx, &s.Store.Queries, w)
}
