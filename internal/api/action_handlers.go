package api

import (
	"net/http"

	"github.com/homebell/homebell/internal/actions"
	"github.com/homebell/homebell/internal/model"
)

// Act from the notice (Y2): a notice's action from the message center or a Web Push
// notification's button (the person's session), or from a gateway's callback (a single-use token).

// postNoticeAction: POST /v1/me/inbox/{id}/actions/{action}.
func (a *API) postNoticeAction(w http.ResponseWriter, r *http.Request) error {
	var in actions.Input
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
			return err
		}
	}
	if err := checkActionInput(in); err != nil {
		return err
	}
	out, err := a.Actions.Do(r.Context(), actor(r), r.PathValue("id"), r.PathValue("action"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

type redeemInput struct {
	Token string `json:"token"`
	actions.Input
}

// postRedeemAction: POST /v1/actions/redeem — the platform's gateway runs an action with a token.
func (a *API) postRedeemAction(w http.ResponseWriter, r *http.Request) error {
	var in redeemInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	if in.Token == "" || len(in.Token) > 200 {
		return model.Invalid(model.FieldError{Field: "token", Message: "is required, at most 200 characters"})
	}
	if err := checkActionInput(in.Input); err != nil {
		return err
	}
	out, err := a.Actions.Redeem(r.Context(), in.Token, in.Input)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func checkActionInput(in actions.Input) error {
	var v model.Validator
	v.Check(len([]rune(in.Reason)) <= 200, "reason", "at most 200 characters")
	v.Check(len([]rune(in.Text)) <= 2000, "text", "at most 2000 characters")
	v.Check(in.Rating >= 0 && in.Rating <= 5, "rating", "1 to 5")
	v.Check(len(in.Tags) <= 10, "tags", "at most 10")
	v.Check(len(in.ClientID) <= 100, "client_id", "at most 100 characters")
	return v.Err()
}
