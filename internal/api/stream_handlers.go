package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/homebell/homebell/internal/model"
)

// streamAfter reads ?after=<seq>; -1 (absent) means "from the end of the log".
func streamAfter(r *http.Request) (int64, error) {
	v := r.URL.Query().Get("after")
	if v == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, model.Invalid(model.FieldError{Field: "after", Message: "must be a seq (a non-negative integer)"})
	}
	return n, nil
}

// getStream is the caller's own event log over WebSocket (X1).
func (a *API) getStream(w http.ResponseWriter, r *http.Request) error {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		return model.Errorf(model.CodeInvalid, "GET /v1/stream is a WebSocket; use GET /v1/events for Server-Sent Events")
	}
	after, err := streamAfter(r)
	if err != nil {
		return err
	}
	return a.Hub.ServeWS(w, r, principal(r).ID, after)
}

// getEvents is the caller's own event log as Server-Sent Events (X1).
func (a *API) getEvents(w http.ResponseWriter, r *http.Request) error {
	after, err := streamAfter(r)
	if err != nil {
		return err
	}
	return a.Hub.ServeSSE(w, r, principal(r).ID, after)
}
