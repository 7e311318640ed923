// Package model holds homebell's plain domain types, their validation, and the one catalogue of
// error codes that the API turns into problem documents.
package model

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Code is a stable, machine-readable error code. Clients may switch on it; it never changes meaning.
type Code string

// The error catalogue. Add new codes here, with their HTTP status and title in codeInfo.
const (
	CodeInvalid            Code = "invalid"                // the request is malformed or fails validation
	CodeUnauthenticated    Code = "unauthenticated"        // no credentials, or bad ones
	CodeForbidden          Code = "forbidden"              // authenticated, but the role or ownership does not allow it
	CodeNotFound           Code = "not_found"              // the thing does not exist (or the caller may not know it does)
	CodeConflict           Code = "conflict"               // the state changed under the caller (e.g. another worker accepted)
	CodeInvalidTransition  Code = "invalid_transition"     // the order's state does not allow this step
	CodeIdempotencyReused  Code = "idempotency_key_reused" // same Idempotency-Key with a different request
	CodeIdempotencyPending Code = "idempotency_in_progress"
	CodeTooLarge           Code = "payload_too_large"
	CodeUnsupportedMedia   Code = "unsupported_media_type"
	CodeImageTooLarge      Code = "image_too_large" // an image's pixel count is over the limit (decompression bombs)
	CodeMethodNotAllowed   Code = "method_not_allowed"
	CodeRateLimited        Code = "rate_limited"
	CodeUnavailable        Code = "unavailable"
	CodeInternal           Code = "internal"
	// The visit (Y4).
	CodeOutsideStartWindow Code = "outside_start_window" // check-in or start before (or long after) the appointment's window
	CodeStartCodeWrong     Code = "start_code_wrong"     // the start code typed is not the customer's
	CodeStartCodeLocked    Code = "start_code_locked"    // too many wrong codes: only an operator can start the order
	// CodeNoticeStale: an action on a notice whose matter changed (the change was withdrawn, the
	// order cancelled); nothing was done.
	CodeNoticeStale Code = "notice_stale"
	// CodeActionTokenRefused: a gateway's action token is forged, expired or used already.
	CodeActionTokenRefused Code = "action_token_refused"
)

type codeInfo struct {
	status int
	title  string
}

var codes = map[Code]codeInfo{
	CodeInvalid:            {http.StatusBadRequest, "Invalid request"},
	CodeUnauthenticated:    {http.StatusUnauthorized, "Authentication required"},
	CodeForbidden:          {http.StatusForbidden, "Not allowed"},
	CodeNotFound:           {http.StatusNotFound, "Not found"},
	CodeConflict:           {http.StatusConflict, "Conflict"},
	CodeInvalidTransition:  {http.StatusConflict, "Not possible in the current state"},
	CodeIdempotencyReused:  {http.StatusUnprocessableEntity, "Idempotency-Key reused with a different request"},
	CodeIdempotencyPending: {http.StatusConflict, "A request with this Idempotency-Key is in progress"},
	CodeTooLarge:           {http.StatusRequestEntityTooLarge, "Payload too large"},
	CodeUnsupportedMedia:   {http.StatusUnsupportedMediaType, "Unsupported media type"},
	CodeImageTooLarge:      {http.StatusUnprocessableEntity, "Image dimensions too large"},
	CodeMethodNotAllowed:   {http.StatusMethodNotAllowed, "Method not allowed"},
	CodeRateLimited:        {http.StatusTooManyRequests, "Too many requests"},
	CodeUnavailable:        {http.StatusServiceUnavailable, "Temporarily unavailable"},
	CodeNoticeStale:        {http.StatusConflict, "The notice is out of date"},
	CodeActionTokenRefused: {http.StatusForbidden, "Action token refused"},
	CodeInternal:           {http.StatusInternalServerError, "Internal error"},
	CodeOutsideStartWindow: {http.StatusConflict, "Outside the start window"},
	CodeStartCodeWrong:     {http.StatusUnprocessableEntity, "Wrong start code"},
	CodeStartCodeLocked:    {http.StatusConflict, "Start code locked"},
}

// Codes lists every code in the catalogue (for documentation and tests).
func Codes() []Code {
	out := make([]Code, 0, len(codes))
	for c := range codes {
		out = append(out, c)
	}
	return out
}

// Status is the HTTP status for a code; unknown codes are internal errors.
func (c Code) Status() int {
	if i, ok := codes[c]; ok {
		return i.status
	}
	return http.StatusInternalServerError
}

// Title is the short human title for a code.
func (c Code) Title() string {
	if i, ok := codes[c]; ok {
		return i.title
	}
	return codes[CodeInternal].title
}

// FieldError names one invalid field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is a domain error with a stable code. Services return it; the API layer alone renders it.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
}

func (e *Error) Error() string {
	if e.Message == "" {
		return string(e.Code)
	}
	return string(e.Code) + ": " + e.Message
}

// Errorf makes an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid makes a validation error naming the fields at fault.
func Invalid(fields ...FieldError) *Error {
	msg := "the request has invalid fields"
	if len(fields) == 1 {
		msg = fields[0].Field + ": " + fields[0].Message
	}
	return &Error{Code: CodeInvalid, Message: msg, Fields: fields}
}

// ErrorCode extracts the code of err, CodeInternal if it carries none.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// IsCode reports whether err carries code.
func IsCode(err error, code Code) bool { return err != nil && ErrorCode(err) == code }

// Validator collects field errors so a request reports all its faults at once.
type Validator struct{ fields []FieldError }

// Check records msg for field unless ok.
func (v *Validator) Check(ok bool, field, msg string) {
	if !ok {
		v.fields = append(v.fields, FieldError{Field: field, Message: msg})
	}
}

// Add records the field faults of err (a validation error from another check), leaving out the
// fields named in except; an error naming no field is recorded under "".
func (v *Validator) Add(err error, except ...string) {
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		v.fields = append(v.fields, FieldError{Message: err.Error()})
		return
	}
next:
	for _, f := range e.Fields {
		for _, x := range except {
			if f.Field == x {
				continue next
			}
		}
		v.fields = append(v.fields, f)
	}
}

// Fields are the faults recorded so far.
func (v *Validator) Fields() []FieldError { return v.fields }

// Err is nil when every check passed.
func (v *Validator) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return Invalid(v.fields...)
}

// WrapOp wraps *errp, when set, with what was being done ("booking: accept 0190…: …"): op is the
// package and the action, id what it was done to ("" for nothing in particular). A service's
// exported methods defer it on their named error result, so every error they return says where it
// came from and errors.Is and errors.As still find what it wraps (the API maps codes by those). An
// error that already names op's package is left as it is (one method of a service calling
// another), so an error is wrapped once per package.
func WrapOp(errp *error, op, id string) {
	err := *errp
	if err == nil {
		return
	}
	if pkg, _, _ := strings.Cut(op, ":"); strings.HasPrefix(err.Error(), pkg+": ") {
		return
	}
	if id == "" {
		*errp = fmt.Errorf("%s: %w", op, err)
		return
	}
	*errp = fmt.Errorf("%s %s: %w", op, id, err)
}
