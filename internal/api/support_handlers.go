package api

import (
	"net/http"

	"github.com/homebell/homebell/internal/model"
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
