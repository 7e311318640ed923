package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

// Problem is an RFC 9457 problem document. Code is homebell's stable error code.
type Problem struct {
	Type     string             `json:"type"`
	Title    string             `json:"title"`
	Status   int                `json:"status"`
	Detail   string             `json:"detail,omitempty"`
	Instance string             `json:"instance,omitempty"`
	Code     model.Code         `json:"code"`
	Errors   []model.FieldError `json:"errors,omitempty"`
}

// problemFor turns any error into a problem document. Errors without a code are internal: their
// text is logged, never shown.
func problemFor(err error) Problem {
	var e *model.Error
	switch {
	case errors.As(err, &e):
	case store.IsUnavailable(err):
		e = &model.Error{Code: model.CodeUnavailable, Message: "the database is out of reach; retry shortly"}
	default:
		e = &model.Error{Code: model.CodeInternal, Message: "something went wrong; it has been logged"}
	}
	return Problem{
		Type:   "urn:homebell:problem:" + string(e.Code),
		Title:  e.Code.Title(),
		Status: e.Code.Status(),
		Detail: e.Message,
		Code:   e.Code,
		Errors: e.Fields,
	}
}

func writeProblem(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	p := problemFor(err)
	p.Instance = r.URL.Path
	switch {
	case p.Status < 500:
	case r.Context().Err() != nil && errors.Is(err, context.Canceled):
		// The client went away (closed the connection, gave up waiting): nothing failed here.
		log.InfoContext(r.Context(), "request abandoned by the client", "method", r.Method, "err", err)
	default:
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "err", err)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	if p.Status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "5")
	}
	w.WriteHeader(p.Status)
	_ = model.EncodeJSON(w, p)
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	buf := answerBufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledAnswer {
			answerBufs.Put(buf)
		}
	}()
	// The answer is encoded whole, then written once: streamed, a page of 200 support
	// conversations (about 150 KB) went out in 4 KB writes, one system call each. A value JSON
	// cannot carry now fails before anything is written, so the caller answers a problem.
	if err := model.EncodeJSON(buf, v); err != nil {
		return err
	}
	h := w.Header()
	h["Content-Type"] = hdrJSON
	h["Cache-Control"] = hdrNoStore
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// answerBufs holds the buffers writeJSON encodes into; one grown past maxPooledAnswer (a rare
// big answer) is left to the collector rather than kept.
var answerBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledAnswer = 1 << 20

// writeUpserted answers a create-or-update: 201 when it created, 200 when it updated.
func writeUpserted(w http.ResponseWriter, created bool, v any) error {
	if created {
		return writeJSON(w, http.StatusCreated, v)
	}
	return writeJSON(w, http.StatusOK, v)
}

// decodeJSON reads one JSON object from the body into v: the media type must be JSON, unknown
// fields and trailing data are refused, and the body is limited to max bytes. Every fault of a
// body decoded into a struct is named at once: each unknown member, each member of the wrong
// type, and the input's own field rules (fieldChecker) — one validation path for every body.
func decodeJSON(w http.ResponseWriter, r *http.Request, max int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return model.Errorf(model.CodeUnsupportedMedia, "send application/json, not %q", ct)
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return model.Errorf(model.CodeTooLarge, "the body exceeds %d bytes", max)
	} else if err != nil {
		return model.Errorf(model.CodeInvalid, "cannot read the body")
	}
	// Every string of every request body: no NUL or other control characters, valid UTF-8.
	if err := model.CheckJSONText(body); err != nil {
		return err
	}
	if depth := jsonDepth(body); depth > maxJSONDepth {
		return model.Errorf(model.CodeInvalid, "the body nests deeper than %d levels", maxJSONDepth)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return model.Errorf(model.CodeInvalid, "the body is empty; send a JSON object")
	}
	if faults, ok, err := decodeFields(body, v); ok {
		var syntax *json.SyntaxError
		switch {
		case errors.As(err, &syntax) && trailingData(body):
			return model.Errorf(model.CodeInvalid, "the body must hold exactly one JSON object")
		case errors.As(err, &syntax):
			return model.Errorf(model.CodeInvalid, "malformed JSON at byte %d", syntax.Offset)
		case err != nil:
			return err
		}
		if faults = mergeFields(faults, v); len(faults) > 0 {
			return model.Invalid(faults...)
		}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return model.Errorf(model.CodeInvalid, "the body is empty; send a JSON object")
		case errors.As(err, &syntax):
			return model.Errorf(model.CodeInvalid, "malformed JSON at byte %d", syntax.Offset)
		case errors.As(err, &typ):
			return model.Invalid(model.FieldError{Field: typ.Field, Message: "must be " + typ.Type.String()})
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return model.Invalid(model.FieldError{Field: strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), Message: "unknown field"})
		default:
			return model.Errorf(model.CodeInvalid, "cannot read the body: %v", err)
		}
	}
	if dec.More() {
		return model.Errorf(model.CodeInvalid, "the body must hold exactly one JSON object")
	}
	return nil
}

// maxJSONDepth bounds how deeply a request body may nest; no request of homebell nests deeper.
const maxJSONDepth = 32

// jsonDepth is the deepest nesting of objects and arrays in a JSON document (strings skipped).
func jsonDepth(b []byte) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}
