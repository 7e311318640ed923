package api

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"sort"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
)

// Notices that must land (Y1): acknowledgement, SOS, the escalations board, per-kind deadlines
// and chains, and gateways' delivery receipts.

// raisers are who raise an SOS from an order: its customer or its current worker.
var raisers = []model.Role{model.RoleCustomer, model.RoleWorker}

// operatorsOnly are people who run the platform (an SOS is acknowledged by a person, not a key).
var operatorsOnly = []model.Role{model.RoleOperator}

// postAcknowledge: POST /v1/me/inbox/{id}/acknowledge — "收到" on a notice.
func (a *API) postAcknowledge(w http.ResponseWriter, r *http.Request) error {
	out, err := a.Notify.Acknowledge(r.Context(), principal(r).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// postOrderAcknowledge: POST /v1/orders/{id}/acknowledge — the worker's "收到" on the order page.
func (a *API) postOrderAcknowledge(w http.ResponseWriter, r *http.Request) error {
	out, err := a.Notify.AcknowledgeOrder(r.Context(), principal(r).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

type sosInput struct {
	Text string `json:"text"`
}

// postSOS: POST /v1/orders/{id}/sos.
func (a *API) postSOS(w http.ResponseWriter, r *http.Request) error {
	var in sosInput
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
			return err
		}
	}
	out, err := a.Booking.RaiseSOS(r.Context(), actor(r), r.PathValue("id"), in.Text)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// postSOSAcknowledge: POST /v1/sos/{id}/acknowledge.
func (a *API) postSOSAcknowledge(w http.ResponseWriter, r *http.Request) error {
	out, err := a.Booking.AcknowledgeSOS(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// getEscalations: GET /v1/admin/escalations — the live board.
func (a *API) getEscalations(w http.ResponseWriter, r *http.Request) error {
	chains, err := a.Notify.Escalations(r.Context())
	if err != nil {
		return err
	}
	sos, err := a.Booking.OpenSOS(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": chains, "sos": sos})
}

// getNoticeChains: GET /v1/admin/notice-chains.
func (a *API) getNoticeChains(w http.ResponseWriter, r *http.Request) error {
	rules, err := a.Notify.ChainRules(r.Context(), &a.Store.Queries)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"rules": rules, "steps": a.chainSteps()})
}

// chainSteps lists the steps operators may put in a chain, in the order a chain runs them best:
// WeChat (when configured) after the browsers and before the gateway's SMS, which costs money.
func (a *API) chainSteps() []string {
	out := append([]string{}, notify.ChainSteps...)
	var extra []string
	for name := range a.Notify.ExtraSteps {
		if !a.Notify.KnownStep(name) || contains(out, name) {
			continue
		}
		extra = append(extra, name)
	}
	sort.Strings(extra)
	if i := slices.Index(out, model.StepGateway); i >= 0 {
		return slices.Insert(out, i, extra...)
	}
	return append(out, extra...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

type noticeChainsInput struct {
	Rules []model.ChainRule `json:"rules"`
}

// putNoticeChains: PUT /v1/admin/notice-chains — per-kind deadlines and chains.
func (a *API) putNoticeChains(w http.ResponseWriter, r *http.Request) error {
	var in noticeChainsInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	if len(in.Rules) > 200 {
		return model.Invalid(model.FieldError{Field: "rules", Message: "at most 200 rules"})
	}
	rules, err := a.Notify.SaveChainRules(r.Context(), in.Rules)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"rules": rules, "steps": a.chainSteps()})
}

// postReceipt: POST /v1/deliveries/receipts — a gateway's signed receipt.
func (a *API) postReceipt(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return model.Errorf(model.CodeTooLarge, "the body exceeds %d bytes", 64<<10)
	} else if err != nil {
		return model.Errorf(model.CodeInvalid, "cannot read the body")
	}
	if err := model.CheckJSONText(body); err != nil {
		return err
	}
	d, err := a.Deliver.TakeReceipt(r.Context(), r.Header, body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}
