package api

import (
	"net/http"
	"time"

	"github.com/homebell/homebell/internal/booking"
	"github.com/homebell/homebell/internal/model"
)

// actor is the caller as the booking service knows them.
func actor(r *http.Request) booking.Actor {
	p := principal(r)
	return booking.Actor{ID: p.ID, Role: p.Role, Name: p.Name}
}

// orderInput is a new booking.
type orderInput struct {
	CustomerID      string `json:"customer_id"`
	ServiceItemID   string `json:"service_item_id"`
	Address         string `json:"address"`
	Area            string `json:"area"`
	AppointmentAt   string `json:"appointment_at"`
	Requirements    string `json:"requirements"`
	AmountPaidCents *int64 `json:"amount_paid_cents"`
}

// checkFields: the order's own rules that need neither the database nor the clock. The
// customer is the caller unless the platform books (the service checks that).
func (in orderInput) checkFields(v *model.Validator) {
	at, err := parseTime("appointment_at", in.AppointmentAt)
	v.Add(err)
	if err != nil {
		at = time.Unix(1, 0) // reported above; not "required" again
	}
	o := model.Order{CustomerID: "c", ServiceItemID: in.ServiceItemID, Address: in.Address, Area: in.Area,
		AppointmentAt: at, Requirements: in.Requirements}
	if in.AmountPaidCents != nil {
		o.AmountPaidCents = *in.AmountPaidCents
	}
	v.Add(o.Validate(), "customer_id")
}

// parseTime reads an RFC 3339 field; "" is the zero time (the service reports it missing).
func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, model.Invalid(model.FieldError{Field: field, Message: "must be an RFC 3339 time, e.g. 2026-03-01T09:30:00+08:00"})
	}
	return t.UTC(), nil
}

func (a *API) postOrder(w http.ResponseWriter, r *http.Request) error {
	var in orderInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	at, err := parseTime("appointment_at", in.AppointmentAt)
	if err != nil {
		return err
	}
	// The answer is built in the booking's transaction: nothing is read again after it commits.
	v, err := a.Booking.CreateView(r.Context(), actor(r), booking.CreateInput{CustomerID: in.CustomerID, ServiceItemID: in.ServiceItemID,
		Address: in.Address, Area: in.Area, AppointmentAt: at, Requirements: in.Requirements, AmountPaidCents: in.AmountPaidCents})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/orders/"+v.ID)
	return writeJSON(w, http.StatusCreated, v)
}

func (a *API) listOrders(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 50, 1, 200)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	from, err := parseTime("from", q.Get("from"))
	if err != nil {
		return err
	}
	to, err := parseTime("to", q.Get("to"))
	if err != nil {
		return err
	}
	counts := false
	switch q.Get("counts") {
	case "", "false":
	case "true":
		counts = true
	default:
		return model.Invalid(model.FieldError{Field: "counts", Message: "must be true or false"})
	}
	list, err := a.Booking.List(r.Context(), actor(r), booking.ListQuery{Status: model.OrderStatus(q.Get("status")),
		ServiceItemID: q.Get("service_item_id"), Area: q.Get("area"), From: from, To: to, Search: q.Get("q"),
		Sort: q.Get("sort"), Cursor: q.Get("cursor"), Limit: limit, Counts: counts})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (a *API) listOpenOrders(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 50, 1, 200)
	if err != nil {
		return err
	}
	items, err := a.Booking.Open(r.Context(), actor(r), limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page[booking.OrderView]{Items: items})
}

func (a *API) getOrder(w http.ResponseWriter, r *http.Request) error {
	v, err := a.Booking.Get(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// rebuildOrder answers a retry of an order action that committed with the order's view as it is
// now (an order action's answer is its order's view): ref is the order POST /v1/orders created,
// else the path names it.
func (a *API) rebuildOrder(status int) handlerRebuild {
	return func(w http.ResponseWriter, r *http.Request, ref string) error {
		id := r.PathValue("id")
		if id == "" {
			id = ref
		}
		v, err := a.Booking.Get(r.Context(), actor(r), id)
		if err != nil {
			return err
		}
		if status == http.StatusCreated {
			w.Header().Set("Location", "/v1/orders/"+id)
		}
		return writeJSON(w, status, v)
	}
}

// rebuildTimeChange answers a retry of a committed time-change request or answer with the change
// as it is now: ref is the change POST …/time-changes created, else the path names it.
func (a *API) rebuildTimeChange(status int) handlerRebuild {
	return func(w http.ResponseWriter, r *http.Request, ref string) error {
		id := r.PathValue("change_id")
		if id == "" {
			id = ref
		}
		c, err := a.Booking.TimeChange(r.Context(), actor(r), r.PathValue("id"), id)
		if err != nil {
			return err
		}
		return writeJSON(w, status, c)
	}
}

// rebuildCancellation answers a retry of a committed cancellation step with the order's latest
// cancellation as it is now (202 while it waits for an operator, as the first answer said).
func (a *API) rebuildCancellation(w http.ResponseWriter, r *http.Request, _ string) error {
	c, err := a.Booking.Cancellation(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if r.URL.Path == "/v1/orders/"+r.PathValue("id")+"/cancel" && c.Status == model.CancellationPendingApproval {
		status = http.StatusAccepted
	}
	return writeJSON(w, status, c)
}

// writeOrder answers a transition with the order's view.
func (a *API) writeOrder(w http.ResponseWriter, r *http.Request, o model.Order, err error) error {
	if err != nil {
		return err
	}
	v, err := a.Booking.View(r.Context(), &a.Store.Queries, o)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// writeView answers a transition with the order's view its transaction built.
func writeView(w http.ResponseWriter, v booking.OrderView, err error) error {
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (a *API) acceptOrder(w http.ResponseWriter, r *http.Request) error {
	v, err := a.Booking.AcceptView(r.Context(), actor(r), r.PathValue("id"))
	return writeView(w, v, err)
}

type assignInput struct {
	WorkerID string `json:"worker_id"`
	Reason   string `json:"reason"`
}

func (a *API) assignOrder(w http.ResponseWriter, r *http.Request) error {
	var in assignInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	var v model.Validator
	v.Check(in.WorkerID != "", "worker_id", "is required")
	v.Check(len(in.Reason) <= 2000, "reason", "at most 500 characters")
	if err := v.Err(); err != nil {
		return err
	}
	o, err := a.Booking.Assign(r.Context(), actor(r), r.PathValue("id"), in.WorkerID, in.Reason)
	return a.writeOrder(w, r, o, err)
}

type timeChangeInput struct {
	NewTime string `json:"new_time"`
	Reason  string `json:"reason"`
}

func (a *API) postTimeChange(w http.ResponseWriter, r *http.Request) error {
	var in timeChangeInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	t, err := parseTime("new_time", in.NewTime)
	if err != nil {
		return err
	}
	c, err := a.Booking.RequestTimeChange(r.Context(), actor(r), r.PathValue("id"), t, in.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}

// reasonInput is an optional or required reason.
type reasonInput struct {
	Reason string `json:"reason"`
}

// decodeReason reads {reason} from the body; an empty body is no reason.
func (a *API) decodeReason(w http.ResponseWriter, r *http.Request) (string, error) {
	var in reasonInput
	if r.ContentLength == 0 {
		return "", nil
	}
	err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in)
	return in.Reason, err
}

func (a *API) answerTimeChange(accept bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		reason, err := a.decodeReason(w, r)
		if err != nil {
			return err
		}
		c, err := a.Booking.AnswerTimeChange(r.Context(), actor(r), r.PathValue("id"), r.PathValue("change_id"), accept, reason)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, c)
	}
}

func (a *API) postWorkerChange(w http.ResponseWriter, r *http.Request) error {
	reason, err := a.decodeReason(w, r)
	if err != nil {
		return err
	}
	out, err := a.Booking.RequestWorkerChange(r.Context(), actor(r), r.PathValue("id"), reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

func (a *API) getCancellationQuote(w http.ResponseWriter, r *http.Request) error {
	q, err := a.Booking.Quote(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, q)
}

func (a *API) cancelOrder(w http.ResponseWriter, r *http.Request) error {
	reason, err := a.decodeReason(w, r)
	if err != nil {
		return err
	}
	c, err := a.Booking.Cancel(r.Context(), actor(r), r.PathValue("id"), reason)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if c.Status == model.CancellationPendingApproval {
		status = http.StatusAccepted
	}
	return writeJSON(w, status, c)
}

func (a *API) decideCancellation(approve bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		reason, err := a.decodeReason(w, r)
		if err != nil {
			return err
		}
		c, err := a.Booking.DecideCancellation(r.Context(), actor(r), r.PathValue("id"), approve, reason)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, c)
	}
}

type bulkCancelInput struct {
	Area   string `json:"area"`
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason"`
}

func (a *API) cancelBulk(w http.ResponseWriter, r *http.Request) error {
	var in bulkCancelInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	from, err := parseTime("from", in.From)
	if err != nil {
		return err
	}
	to, err := parseTime("to", in.To)
	if err != nil {
		return err
	}
	out, err := a.Booking.CancelBulk(r.Context(), actor(r), in.Area, from, to, in.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// previewBulk answers what a bulk cancellation would cancel (GET …/cancel-bulk/preview).
func (a *API) previewBulk(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	from, err := parseTime("from", q.Get("from"))
	if err != nil {
		return err
	}
	to, err := parseTime("to", q.Get("to"))
	if err != nil {
		return err
	}
	out, err := a.Booking.PreviewBulk(r.Context(), actor(r), q.Get("area"), from, to)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) refundSettled(w http.ResponseWriter, r *http.Request) error {
	c, err := a.Booking.RefundSettled(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (a *API) getOrderTimeline(w http.ResponseWriter, r *http.Request) error {
	items, err := a.Booking.Timeline(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	deliveries, err := a.orderDeliveries(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"order_id": r.PathValue("id"), "items": items, "deliveries": deliveries})
}

func (a *API) getApprovals(w http.ResponseWriter, r *http.Request) error {
	out, err := a.Booking.PendingApprovals(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) getPolicies(w http.ResponseWriter, r *http.Request) error {
	p, err := a.Booking.Policy(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (a *API) putPolicies(w http.ResponseWriter, r *http.Request) error {
	// Fields left out keep their current value.
	in, err := booking.LoadPolicy(r.Context(), &a.Store.Queries)
	if err != nil {
		return err
	}
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	p, err := a.Booking.PutPolicy(r.Context(), actor(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

// Who may call the order routes (the booking service checks ownership on top).
var (
	orderBookers = []model.Role{model.RoleCustomer, model.RolePlatform}
	orderParties = []model.Role{model.RoleCustomer, model.RoleWorker, model.RoleOperator, model.RolePlatform}
	orderWorkers = []model.Role{model.RoleWorker, model.RoleOperator, model.RolePlatform}
	workers      = []model.Role{model.RoleWorker}
)
