package api

import (
	"net/http"
	"strconv"

	"github.com/homebell/homebell/internal/chat"
	"github.com/homebell/homebell/internal/model"
)

// Conversations (I1): transport only; the chat service checks membership and every rule.

// Who may call the conversation routes (chat checks membership on top). Agents reach only the
// conversations they are members of (support, later); for an order's chat they are strangers.
var chatParties = []model.Role{model.RoleCustomer, model.RoleWorker, model.RoleAgent, model.RoleOperator, model.RolePlatform}

func (a *API) getOrderConversation(w http.ResponseWriter, r *http.Request) error {
	v, err := a.Chat.OrderConversation(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (a *API) getConversation(w http.ResponseWriter, r *http.Request) error {
	v, err := a.Chat.Get(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// querySeq reads an optional message seq parameter.
func querySeq(r *http.Request, name string) (*int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return nil, model.Invalid(model.FieldError{Field: name, Message: "must be a message seq (an integer ≥ 0)"})
	}
	return &n, nil
}

func (a *API) listMessages(w http.ResponseWriter, r *http.Request) error {
	after, err := querySeq(r, "after")
	if err != nil {
		return err
	}
	before, err := querySeq(r, "before")
	if err != nil {
		return err
	}
	if after != nil && before != nil {
		return model.Invalid(model.FieldError{Field: "after", Message: "send after or before, not both"})
	}
	limit, err := queryInt(r, "limit", 50, 1, 200)
	if err != nil {
		return err
	}
	p, err := a.Chat.Messages(r.Context(), actor(r), r.PathValue("id"), chat.MessagesQuery{After: after, Before: before, Limit: limit})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (a *API) postMessage(w http.ResponseWriter, r *http.Request) error {
	var in chat.SendInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	res, err := a.Chat.Send(r.Context(), actor(r), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if res.Duplicate {
		status = http.StatusOK
	}
	return writeJSON(w, status, res)
}

// rebuildMessage answers a retry of a committed send with the message as it is now (chat.Sent).
func (a *API) rebuildMessage(w http.ResponseWriter, r *http.Request, ref string) error {
	res, dup, err := a.Chat.Sent(r.Context(), actor(r), r.PathValue("id"), ref)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if dup {
		status = http.StatusOK
	}
	return writeJSON(w, status, res)
}

func (a *API) postConversationRead(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Seq int64 `json:"seq"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
			return err
		}
	}
	v, err := a.Chat.MarkRead(r.Context(), actor(r), r.PathValue("id"), in.Seq)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (a *API) postTyping(w http.ResponseWriter, r *http.Request) error {
	if err := a.Chat.Typing(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) putMute(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Muted *bool `json:"muted"`
	}
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	if in.Muted == nil {
		return model.Invalid(model.FieldError{Field: "muted", Message: "is required: true or false"})
	}
	v, err := a.Chat.SetMuted(r.Context(), actor(r), r.PathValue("id"), *in.Muted)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (a *API) listMyConversations(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 20, 1, 100)
	if err != nil {
		return err
	}
	qs := r.URL.Query()
	items, next, err := a.Chat.Mine(r.Context(), actor(r), chat.ListQuery{Kind: qs.Get("kind"), Cursor: qs.Get("cursor"), Limit: limit})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page[chat.View]{Items: items, NextCursor: next})
}
