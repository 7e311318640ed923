package api

import (
	"net/http"

	"github.com/homebell/homebell/internal/booking"
	"github.com/homebell/homebell/internal/model"
)

// The household (Y5): a customer's watchers, the platform's invites, and the orders a person watches.
var (
	householdManagers = []model.Role{model.RoleCustomer, model.RolePlatform}
	householdReaders  = []model.Role{model.RoleCustomer, model.RoleOperator, model.RolePlatform}
)

type watcherInput struct {
	CustomerID       string `json:"customer_id"`
	PersonID         string `json:"person_id"`
	Phone            string `json:"phone"`
	OrderID          string `json:"order_id"`
	CanChat          bool   `json:"can_chat"`
	CanAnswerChanges bool   `json:"can_answer_changes"`
}

func (a *API) listWatchers(w http.ResponseWriter, r *http.Request) error {
	items, err := a.Booking.Household(r.Context(), actor(r), r.URL.Query().Get("customer_id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (a *API) postWatcher(w http.ResponseWriter, r *http.Request) error {
	var in watcherInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	v, err := a.Booking.AddWatcher(r.Context(), actor(r), booking.WatcherInput{CustomerID: in.CustomerID, PersonID: in.PersonID,
		Phone: in.Phone, OrderID: in.OrderID, CanChat: in.CanChat, CanAnswerChanges: in.CanAnswerChanges})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/household/watchers/"+v.ID)
	return writeJSON(w, http.StatusCreated, v)
}

func (a *API) rebuildWatcher(w http.ResponseWriter, r *http.Request, ref string) error {
	v, err := a.Booking.Watcher(r.Context(), actor(r), ref)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, v)
}

func (a *API) patchWatcher(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		CanChat          *bool `json:"can_chat"`
		CanAnswerChanges *bool `json:"can_answer_changes"`
	}
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	v, err := a.Booking.UpdateWatcher(r.Context(), actor(r), r.PathValue("id"),
		booking.WatcherPatch{CanChat: in.CanChat, CanAnswerChanges: in.CanAnswerChanges})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (a *API) deleteWatcher(w http.ResponseWriter, r *http.Request) error {
	if err := a.Booking.RemoveWatcher(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listInvites(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 100, 1, 500)
	if err != nil {
		return err
	}
	items, err := a.Booking.Invites(r.Context(), actor(r), limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (a *API) resolveInvite(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		PersonID string `json:"person_id"`
	}
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	v, err := a.Booking.ResolveInvite(r.Context(), actor(r), r.PathValue("id"), in.PersonID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (a *API) listWatching(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 50, 1, 200)
	if err != nil {
		return err
	}
	items, next, err := a.Booking.Watching(r.Context(), actor(r), r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page[booking.OrderView]{Items: items, NextCursor: next})
}
