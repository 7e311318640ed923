package booking

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

// ItemRef names an order's service item in both languages.
type ItemRef struct {
	ID   string     `json:"id"`
	Name model.Text `json:"name"`
}

// CustomerCard is what the order shows of its customer: name and avatar only, never the phone (X5).
type CustomerCard struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	AvatarURL string `json:"avatar_url"`
}

// OrderView is an order as the API shows it.
type OrderView struct {
	model.Order
	Item          ItemRef              `json:"item"`
	Customer      CustomerCard         `json:"customer"`
	Worker        *model.Card          `json:"worker"`
	PendingChange *model.ChangeRequest `json:"pending_change"`
	Cancellation  *model.Cancellation  `json:"cancellation"`
	// PendingWorkerChange is a customer's request for another worker that operators have not
	// acted on yet (shown on the order's page; lists leave it out).
	PendingWorkerChange *WorkerChangeRequest `json:"pending_worker_change,omitempty"`
	// Watchers are the order's watchers by display name (Y5; the order's page, not lists).
	Watchers []WatcherName `json:"watchers,omitempty"`
	// Viewer is set when the reader watches the order (Y5): their rights.
	Viewer *Viewer `json:"viewer,omitempty"`
	// Visit is the current worker's way to the door (Y4): null until they set out or check in.
	Visit *VisitView `json:"visit"`
	// Photos are the proof of service the completion carried (Y4).
	Photos []model.OrderPhoto `json:"photos"`

	paymentHidden bool // a watcher reads it: no amount, no refund (Y5)
}

// MarshalJSON writes the view, without its payment details for a watcher.
func (v OrderView) MarshalJSON() ([]byte, error) {
	type plain OrderView
	b, err := model.MarshalJSON(plain(v))
	if err != nil || !v.paymentHidden {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	delete(m, "amount_paid_cents")
	if c, ok := m["cancellation"]; ok && string(c) != "null" {
		m["cancellation"] = scrubPayment(c)
	}
	return model.MarshalJSON(m)
}

// WorkerChangeRequest is a standing request for another worker on an order, waiting for an
// operator to reassign it.
type WorkerChangeRequest struct {
	ID            string     `json:"id"` // the order event's id
	OrderID       string     `json:"order_id"`
	RequesterID   string     `json:"requester_id"`
	RequesterRole model.Role `json:"requester_role"`
	Reason        string     `json:"reason"`
	CreatedAt     time.Time  `json:"created_at"`
}

func workerChangeOf(e model.OrderEvent) WorkerChangeRequest {
	var d struct {
		Reason string `json:"reason"`
	}
	_ = json.Unmarshal(e.Details, &d)
	return WorkerChangeRequest{ID: e.ID, OrderID: e.OrderID, RequesterID: e.ActorID, RequesterRole: e.ActorRole, Reason: d.Reason, CreatedAt: e.CreatedAt}
}

// View builds the API view of an order.
func (s *Service) View(ctx context.Context, q *store.Queries, o model.Order) (_ OrderView, err error) {
	defer model.WrapOp(&err, "booking: view", "")
	var f facts
	if f.item, err = q.ServiceItem(ctx, o.ServiceItemID); err != nil {
		return OrderView{Order: o}, err
	}
	if o.WorkerID != "" {
		if f.worker, err = s.workerWithRating(ctx, q, o.WorkerID); err != nil {
			return OrderView{Order: o}, err
		}
	}
	// The open change request, the latest cancellation and the visit: one statement.
	x, err := q.OrderExtrasOf(ctx, o.ID)
	if err != nil {
		return OrderView{Order: o}, err
	}
	return s.viewIn(ctx, q, o, f, x)
}

// viewIn is o's view given its service item and worker (f: factsOf's) and its extras as they
// stand: an action builds its answer in its transaction from what it read and wrote, with what
// View would read after the commit (TestActionAnswersAreTheViewAfterCommit).
func (s *Service) viewIn(ctx context.Context, q *store.Queries, o model.Order, f facts, x store.OrderExtras) (OrderView, error) {
	c, err := q.Person(ctx, o.CustomerID)
	if err != nil {
		return OrderView{Order: o}, err
	}
	v := newView(o, f.item, c)
	if o.WorkerID != "" {
		card := f.worker.Card()
		v.Worker = &card
	}
	v.PendingChange, v.Cancellation = x.Change, x.Cancellation
	if v.Visit, v.Photos, err = s.visitViewOf(ctx, q, o, x.Visit); err != nil {
		return v, err
	}
	return v, nil
}

// newView is o's view with its service item and customer; the rest is View's to add.
func newView(o model.Order, it model.ServiceItem, c model.Person) OrderView {
	return OrderView{Order: o, Item: ItemRef{ID: it.ID, Name: it.Name},
		Customer: CustomerCard{ID: c.ID, Name: c.Name, AvatarURL: c.AvatarURL}}
}

// Get returns an order the actor may see: as a party, or as a watcher without payment details.
func (s *Service) Get(ctx context.Context, a Actor, id string) (_ OrderView, err error) {
	defer model.WrapOp(&err, "booking: get", id)
	o, watch, err := s.loadWatched(ctx, &s.Store.Queries, a, id)
	if err != nil {
		return OrderView{}, err
	}
	v, err := s.View(ctx, &s.Store.Queries, o)
	if err != nil {
		return v, err
	}
	ws, err := s.Store.WatchersOfOrder(ctx, o)
	if err != nil {
		return v, err
	}
	seen := map[string]bool{}
	for _, w := range ws {
		if seen[w.PersonID] {
			continue
		}
		seen[w.PersonID] = true
		p, err := s.Store.Person(ctx, w.PersonID)
		if err != nil {
			return v, err
		}
		v.Watchers = append(v.Watchers, WatcherName{Name: p.Name})
	}
	// The start code proves the worker is at the door: the customer sees it until the start, and
	// so do the order's watchers (often the one at home is a watcher, not the payer: Y4, Y5).
	if v.Visit != nil && o.Status == model.OrderAccepted && (watch != nil || (a.Role == model.RoleCustomer && o.CustomerID == a.ID)) {
		v.Visit.StartCode = v.Visit.Visit.StartCode
	}
	if watch != nil {
		v.forWatcher(*watch)
		return v, nil
	}
	wc, err := s.Store.WorkerChangeRequests(ctx, o.ID, 1)
	if err != nil {
		return v, err
	}
	if len(wc) > 0 && (a.Role != model.RoleWorker) {
		r := workerChangeOf(wc[0])
		v.PendingWorkerChange = &r
	}
	return v, nil
}

// TimeChange is one time change of an order, as its parties and operators may read it: the
// answer a retried time-change request is given when its first answer was lost in a crash.
func (s *Service) TimeChange(ctx context.Context, a Actor, orderID, changeID string) (_ model.ChangeRequest, err error) {
	defer model.WrapOp(&err, "booking: time change", orderID)
	o, err := s.load(ctx, &s.Store.Queries, a, orderID)
	if err != nil {
		return model.ChangeRequest{}, err
	}
	c, err := s.Store.ChangeRequest(ctx, changeID)
	if err != nil {
		return c, err
	}
	if c.OrderID != o.ID {
		return model.ChangeRequest{}, model.Errorf(model.CodeNotFound, "order %s has no time change %s", o.ID, changeID)
	}
	return c, nil
}

// Cancellation is the latest cancellation of an order (404 when it has none).
func (s *Service) Cancellation(ctx context.Context, a Actor, orderID string) (_ model.Cancellation, err error) {
	defer model.WrapOp(&err, "booking: cancellation", orderID)
	o, err := s.load(ctx, &s.Store.Queries, a, orderID)
	if err != nil {
		return model.Cancellation{}, err
	}
	c, found, err := s.Store.LatestCancellation(ctx, o.ID)
	if err != nil {
		return c, err
	}
	if !found {
		return c, model.Errorf(model.CodeNotFound, "order %s has no cancellation", o.ID)
	}
	return c, nil
}

// ListQuery selects a page of orders: the filters, search and sort of the operators' console
// (issue 15), which customers and workers may use on their own orders too.
type ListQuery struct {
	Status        model.OrderStatus
	ServiceItemID string
	Area          string
	From, To      time.Time // appointment in [From, To)
	Search        string    // an order id (or its start), a customer's or worker's id or name, a part of the address
	Sort          string    // "-created" (default), "appointment" or "-appointment"
	Cursor        string    // next_cursor of the previous page
	Limit         int
	Counts        bool // also count the matching orders per status (ignoring Status and Cursor)
}

// OrderList is a page of orders; Counts (when asked) has every status, zeros included.
type OrderList struct {
	Items      []OrderView               `json:"items"`
	NextCursor string                    `json:"next_cursor"`
	Counts     map[model.OrderStatus]int `json:"counts,omitempty"`
}

// maxSearch bounds a search text; longer ones are refused rather than cut.
const maxSearch = 100

// List lists the orders the actor may see: a customer's own, a worker's assigned ones, all for
// operators and the platform; filtered, searched and sorted as lq says.
func (s *Service) List(ctx context.Context, a Actor, lq ListQuery) (_ OrderList, err error) {
	defer model.WrapOp(&err, "booking: list", "")
	f := store.OrderQuery{Status: lq.Status, ServiceItemID: lq.ServiceItemID, Area: lq.Area, From: lq.From, To: lq.To,
		Search: strings.TrimSpace(lq.Search), Sort: store.OrderSort(lq.Sort), Limit: lq.Limit}
	switch {
	case a.Role == model.RoleCustomer:
		f.CustomerID = a.ID
	case a.Role == model.RoleWorker:
		f.WorkerID = a.ID
	case a.isStaff():
	default:
		return OrderList{}, model.Errorf(model.CodeForbidden, "role %s has no orders", a.Role)
	}
	var bad []model.FieldError
	if f.Status != "" && !f.Status.Active() && f.Status != model.OrderCompleted && f.Status != model.OrderCancelled {
		bad = append(bad, model.FieldError{Field: "status", Message: "must be pending, accepted, in_service, completed or cancelled"})
	}
	switch f.Sort {
	case "":
		f.Sort = store.SortNewest
	case store.SortNewest, store.SortAppointment, store.SortAppointmentDesc:
	default:
		bad = append(bad, model.FieldError{Field: "sort", Message: "must be -created, appointment or -appointment"})
	}
	if utf8.RuneCountInString(f.Search) > maxSearch {
		bad = append(bad, model.FieldError{Field: "q", Message: fmt.Sprintf("must be at most %d characters", maxSearch)})
	}
	for _, t := range []struct{ field, v string }{{"q", f.Search}, {"service_item_id", f.ServiceItemID}, {"area", f.Area}} {
		if err := model.CheckText(t.field, t.v, false); err != nil {
			return OrderList{}, err
		}
		if len(t.v) > 200 {
			bad = append(bad, model.FieldError{Field: t.field, Message: "must be at most 200 bytes"})
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		bad = append(bad, model.FieldError{Field: "to", Message: "must be after from"})
	}
	if lq.Cursor != "" {
		id, at, ok := decodeOrderCursor(f.Sort, lq.Cursor)
		if !ok {
			bad = append(bad, model.FieldError{Field: "cursor", Message: "must be the next_cursor of a page with the same sort"})
		}
		f.AfterID, f.AfterAt = id, at
	}
	if len(bad) > 0 {
		return OrderList{}, model.Invalid(bad...)
	}
	items, orders, err := s.viewsOf(ctx, f)
	if err != nil {
		return OrderList{}, err
	}
	out := OrderList{Items: items}
	if len(orders) == f.Limit && f.Limit > 0 {
		out.NextCursor = encodeOrderCursor(f.Sort, orders[len(orders)-1])
	}
	if lq.Counts {
		c, err := s.Store.OrderCounts(ctx, f)
		if err != nil {
			return OrderList{}, err
		}
		out.Counts = map[model.OrderStatus]int{}
		for _, st := range []model.OrderStatus{model.OrderPending, model.OrderAccepted, model.OrderInService, model.OrderCompleted, model.OrderCancelled} {
			out.Counts[st] = c[st]
		}
	}
	return out, nil
}

// encodeOrderCursor is the cursor after o: its id for the newest-first sort (as before the
// console's sorts existed), its appointment and id for the appointment sorts.
func encodeOrderCursor(sort store.OrderSort, o model.Order) string {
	if sort == store.SortNewest {
		return o.ID
	}
	return base64.RawURLEncoding.EncodeToString([]byte(o.AppointmentAt.UTC().Format(time.RFC3339Nano) + " " + o.ID))
}

func decodeOrderCursor(sort store.OrderSort, c string) (id string, at time.Time, ok bool) {
	if sort == store.SortNewest {
		return c, time.Time{}, len(c) <= 64
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", at, false
	}
	ts, id, found := strings.Cut(string(b), " ")
	if at, err = time.Parse(time.RFC3339Nano, ts); !found || err != nil || id == "" || len(id) > 64 {
		return "", at, false
	}
	return id, at, true
}

// Open lists pending orders without a worker, soonest first (what a worker may accept).
func (s *Service) Open(ctx context.Context, a Actor, limit int) (_ []OrderView, err error) {
	defer model.WrapOp(&err, "booking: open", "")
	if a.Role != model.RoleWorker && !a.isStaff() {
		return nil, model.Errorf(model.CodeForbidden, "open orders are for workers")
	}
	items, _, err := s.views(ctx, store.OrderFilter{OpenOnly: true, Limit: limit})
	return items, err
}

func (s *Service) views(ctx context.Context, f store.OrderFilter) ([]OrderView, string, error) {
	orders, err := s.Store.Orders(ctx, f)
	if err != nil {
		return nil, "", err
	}
	items, err := s.viewList(ctx, orders)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if !f.OpenOnly && len(orders) == f.Limit && f.Limit > 0 {
		next = orders[len(orders)-1].ID
	}
	return items, next, nil
}

// viewsOf is a page of OrderPage as views, with the orders it was built from.
func (s *Service) viewsOf(ctx context.Context, f store.OrderQuery) ([]OrderView, []model.Order, error) {
	orders, err := s.Store.OrderPage(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	items, err := s.viewList(ctx, orders)
	return items, orders, err
}

func (s *Service) viewList(ctx context.Context, orders []model.Order) ([]OrderView, error) {
	items := make([]OrderView, 0, len(orders))
	for _, o := range orders {
		v, err := s.View(ctx, &s.Store.Queries, o)
		if err != nil {
			return nil, err
		}
		items = append(items, v)
	}
	return items, nil
}

// TimelineEntry is one line of an order's audit trail (X4): a transition, or a notification
// sent to someone.
type TimelineEntry struct {
	At   time.Time `json:"at"`
	Type string    `json:"type"` // transition, notification or notice_step
	// Transitions
	Event     string     `json:"event,omitempty"`
	ActorID   string     `json:"actor_id,omitempty"`
	ActorRole model.Role `json:"actor_role,omitempty"`
	Details   any        `json:"details,omitempty"`
	// Notifications
	NotificationID string     `json:"notification_id,omitempty"`
	Kind           string     `json:"kind,omitempty"`
	RecipientID    string     `json:"recipient_id,omitempty"`
	Title          string     `json:"title,omitempty"`
	Channels       []string   `json:"channels,omitempty"` // inbox, realtime (off-app deliveries are listed by the delivery log)
	ReadAt         *time.Time `json:"read_at,omitempty"`
	// Notice steps (Y1): a step of a notice's chain — sent on which channel, skipped, failed,
	// read, acknowledged, moot — with Event, Kind, RecipientID and NotificationID.
	Step   string `json:"step,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// Timeline is every transition of the order and every notification sent about it, oldest first.
// The order's customer, its current worker, operators and the platform may read it; the customer
// and the worker see only the notifications sent to them. A watcher reads it without payment
// details (Y5).
func (s *Service) Timeline(ctx context.Context, a Actor, id string) (_ []TimelineEntry, err error) {
	defer model.WrapOp(&err, "booking: timeline", id)
	o, watch, err := s.loadWatched(ctx, &s.Store.Queries, a, id)
	if err != nil {
		return nil, err
	}
	if a.Role == model.RoleWorker && !isWorkerOf(o, a) {
		return nil, model.Errorf(model.CodeNotFound, "order %q not found", id)
	}
	evs, err := s.Store.OrderEvents(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	ns, err := s.Store.OrderNotifications(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	out := make([]TimelineEntry, 0, len(evs)+len(ns))
	for _, e := range evs {
		details := e.Details
		if watch != nil {
			details = scrubPayment(details)
		}
		out = append(out, TimelineEntry{At: e.CreatedAt, Type: "transition", Event: e.Type, ActorID: e.ActorID,
			ActorRole: e.ActorRole, Details: details})
	}
	for _, n := range ns {
		// A customer or worker sees what was sent to them; operators see everything (X4); a
		// watcher the kinds watchers follow (Y5).
		if watch != nil {
			if !watcherKind(n.Kind) {
				continue
			}
		} else if !a.isStaff() && n.RecipientID != a.ID {
			continue
		}
		ch := []string{"inbox"}
		if n.Alert != "" {
			ch = append(ch, "realtime")
		}
		out = append(out, TimelineEntry{At: n.CreatedAt, Type: "notification", NotificationID: n.ID, Kind: n.Kind,
			RecipientID: n.RecipientID, Title: n.Title, Channels: ch, ReadAt: n.ReadAt})
	}
	steps, err := s.Store.OrderNoticeSteps(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	for _, st := range steps {
		out = append(out, TimelineEntry{At: st.CreatedAt, Type: "notice_step", Event: st.Event, NotificationID: st.NotificationID,
			Kind: st.Kind, RecipientID: st.RecipientID, Step: st.Step, Detail: st.Detail})
	}
	// Transitions come before the notifications they caused at the same instant.
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

// Approvals is what waits for an operator.
type Approvals struct {
	TimeChanges   []model.ChangeRequest `json:"time_changes"`
	Cancellations []model.Cancellation  `json:"cancellations"`
	// WorkerChanges are customers' requests for another worker; an operator settles one by
	// reassigning the order (POST /v1/orders/{id}/assign).
	WorkerChanges []WorkerChangeRequest `json:"worker_changes"`
	// Visits are orders whose worker had not set out at the appointment, or used up the start
	// codes (Y4); an operator reassigns, moves or cancels the order, or starts it by override.
	Visits []VisitException `json:"visits"`
}

// PendingApprovals lists time changes operators decide and cancellations awaiting approval.
func (s *Service) PendingApprovals(ctx context.Context, a Actor) (_ Approvals, err error) {
	defer model.WrapOp(&err, "booking: pending approvals", "")
	if !a.isStaff() {
		return Approvals{}, model.Errorf(model.CodeForbidden, "approvals are for operators")
	}
	out := Approvals{TimeChanges: []model.ChangeRequest{}, Cancellations: []model.Cancellation{}, WorkerChanges: []WorkerChangeRequest{}}
	cs, err := s.Store.OperatorChangeRequests(ctx, 200)
	if err != nil {
		return out, err
	}
	cn, err := s.Store.PendingCancellations(ctx, 200)
	if err != nil {
		return out, err
	}
	wc, err := s.Store.WorkerChangeRequests(ctx, "", 200)
	if err != nil {
		return out, err
	}
	out.TimeChanges = append(out.TimeChanges, cs...)
	out.Cancellations = append(out.Cancellations, cn...)
	for _, e := range wc {
		out.WorkerChanges = append(out.WorkerChanges, workerChangeOf(e))
	}
	if out.Visits, err = s.visitExceptions(ctx); err != nil {
		return out, err
	}
	return out, nil
}

// Policy returns the booking policy.
func (s *Service) Policy(ctx context.Context, a Actor) (_ Policy, err error) {
	defer model.WrapOp(&err, "booking: policy", "")
	if !a.isStaff() {
		return Policy{}, model.Errorf(model.CodeForbidden, "policies are for operators")
	}
	return LoadPolicy(ctx, &s.Store.Queries)
}

// PutPolicy replaces the booking policy. Reminders already scheduled keep their time; new and
// moved ones use the new lead.
func (s *Service) PutPolicy(ctx context.Context, a Actor, p Policy) (_ Policy, err error) {
	defer model.WrapOp(&err, "booking: put policy", "")
	if !a.isStaff() {
		return Policy{}, model.Errorf(model.CodeForbidden, "policies are for operators")
	}
	if p.ReminderLeadByItem == nil {
		p.ReminderLeadByItem = map[string]int{}
	}
	// 0 removes an item's own lead: it follows the platform's again.
	for id, m := range p.ReminderLeadByItem {
		if m == 0 {
			delete(p.ReminderLeadByItem, id)
		}
	}
	if err := p.Validate(); err != nil {
		return p, err
	}
	err = s.write(ctx, "put_policy", func(tx *store.Tx) error { return tx.PutSetting(ctx, SettingPolicy, p, tx.Now()) })
	return p, err
}
