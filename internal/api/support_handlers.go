package api

import (
	"net/http"
	"time"

	"github.com/homebell/homebell/internal/booking"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/support"
)

var (
	agents      = []model.Role{model.RoleAgent}
	supportDesk = []model.Role{model.RoleAgent, model.RoleOperator, model.RolePlatform}
)

func (a *API) getSupportMe(w http.ResponseWriter, r *http.Request) error {
	me, err := a.Support.Me(r.Context(), supportActor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, me)
}

func (a *API) putSupportMe(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Away *bool `json:"away"`
	}
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	me, err := a.Support.SetAway(r.Context(), supportActor(r), in.Away)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, me)
}

func (a *API) listCannedReplies(w http.ResponseWriter, r *http.Request) error {
	items, err := a.Support.CannedReplies(r.Context(), supportActor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page[model.CannedReply]{Items: items})
}

type cannedInput struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

func (a *API) postCannedReply(w http.ResponseWriter, r *http.Request) error {
	var in cannedInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	c, err := a.Support.PutCannedReply(r.Context(), supportActor(r), "", model.CannedReply{Title: in.Title, Text: in.Text})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}

func (a *API) putCannedReply(w http.ResponseWriter, r *http.Request) error {
	var in cannedInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	c, err := a.Support.PutCannedReply(r.Context(), supportActor(r), r.PathValue("id"), model.CannedReply{Title: in.Title, Text: in.Text})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (a *API) deleteCannedReply(w http.ResponseWriter, r *http.Request) error {
	if err := a.Support.DeleteCannedReply(r.Context(), supportActor(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listSupportAgents(w http.ResponseWriter, r *http.Request) error {
	items, err := a.Support.Agents(r.Context(), supportActor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (a *API) putSupportAgent(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Capacity int `json:"capacity"`
	}
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	ag, err := a.Support.SetCapacity(r.Context(), supportActor(r), r.PathValue("id"), in.Capacity)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ag)
}

func (a *API) getBusinessHours(w http.ResponseWriter, r *http.Request) error {
	b, err := a.Support.BusinessHours(r.Context(), &a.Store.Queries)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, b)
}

func (a *API) putBusinessHours(w http.ResponseWriter, r *http.Request) error {
	var in model.BusinessHours
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	b, err := a.Support.PutBusinessHours(r.Context(), supportActor(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, b)
}

// Support conversations (I3): transport only; the support service checks roles, ownership and
// every rule. Messages, receipts and typing are the conversation routes'.

var requesters = []model.Role{model.RoleCustomer, model.RoleWorker}

func (a *API) postSupportConversation(w http.ResponseWriter, r *http.Request) error {
	var in support.OpenInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	v, err := a.Support.Open(r.Context(), supportActor(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, v)
}

func (a *API) listSupportConversations(w http.ResponseWriter, r *http.Request) error {
	items, err := a.Support.List(r.Context(), supportActor(r), r.URL.Query().Get("status"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page[support.ThreadView]{Items: items})
}

func (a *API) getSupportQueue(w http.ResponseWriter, r *http.Request) error {
	items, err := a.Support.Queue(r.Context(), supportActor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page[support.ThreadView]{Items: items})
}

func (a *API) getSupportAvailability(w http.ResponseWriter, r *http.Request) error {
	v, err := a.Support.Availability(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (a *API) getSupportConversation(w http.ResponseWriter, r *http.Request) error {
	v, err := a.Support.Get(r.Context(), supportActor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (a *API) claimSupportConversation(w http.ResponseWriter, r *http.Request) error {
	v, err := a.Support.Claim(r.Context(), supportActor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (a *API) releaseSupportConversation(w http.ResponseWriter, r *http.Request) error {
	v, err := a.Support.Release(r.Context(), supportActor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (a *API) transferSupportConversation(w http.ResponseWriter, r *http.Request) error {
	var in support.TransferInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	v, err := a.Support.Transfer(r.Context(), supportActor(r), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (a *API) putSupportStatus(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Status model.SupportStatus `json:"status"`
	}
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	v, err := a.Support.SetStatus(r.Context(), supportActor(r), r.PathValue("id"), in.Status)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (a *API) postSupportNote(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Text string `json:"text"`
	}
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	n, err := a.Support.AddNote(r.Context(), supportActor(r), r.PathValue("id"), in.Text)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, n)
}

func (a *API) postSupportRating(w http.ResponseWriter, r *http.Request) error {
	var in support.RateInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	rt, err := a.Support.Rate(r.Context(), supportActor(r), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, rt)
}

func (a *API) getSupportOrders(w http.ResponseWriter, r *http.Request) error {
	items, err := a.Support.Orders(r.Context(), supportActor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page[booking.OrderView]{Items: items})
}

func (a *API) getSupportOrderTimeline(w http.ResponseWriter, r *http.Request) error {
	items, err := a.Support.OrderTimeline(r.Context(), supportActor(r), r.PathValue("id"), r.PathValue("order_id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (a *API) getSupportCanned(w http.ResponseWriter, r *http.Request) error {
	items, err := a.Support.CannedFor(r.Context(), supportActor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page[model.CannedReply]{Items: items})
}

func (a *API) getDeskAgents(w http.ResponseWriter, r *http.Request) error {
	items, err := a.Support.DeskAgents(r.Context(), supportActor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (a *API) getSatisfaction(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	from, err := parseDay("from", q.Get("from"), false)
	if err != nil {
		return err
	}
	to, err := parseDay("to", q.Get("to"), true)
	if err != nil {
		return err
	}
	if to.IsZero() {
		to = a.Now().UTC().Add(time.Second) // up to now, inclusive
	}
	if from.IsZero() {
		from = to.AddDate(0, 0, -30)
	}
	v, err := a.Support.SatisfactionOverview(r.Context(), supportActor(r), from, to)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}
