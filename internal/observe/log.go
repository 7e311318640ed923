package observe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
)

// Request is what a log line written with a request's context says about the request: its id
// (X-Request-Id), its route pattern and the person calling. Never a phone number, a token or a
// query string: those stay out of logs.
type Request struct {
	ID       string
	Route    string
	PersonID string // set once the caller is authenticated
}

type requestKey struct{}
type attrsKey struct{}

// WithRequest returns ctx carrying r; the handler adds its fields to every record logged with ctx.
func WithRequest(ctx context.Context, r *Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestFrom returns the request ctx carries, or nil.
func RequestFrom(ctx context.Context) *Request {
	r, _ := ctx.Value(requestKey{}).(*Request)
	return r
}

// WithAttrs returns ctx carrying attrs (a job's id and kind, a delivery's id) added to every
// record logged with it, after those ctx carries already.
func WithAttrs(ctx context.Context, attrs ...slog.Attr) context.Context {
	prev, _ := ctx.Value(attrsKey{}).([]slog.Attr)
	all := make([]slog.Attr, 0, len(prev)+len(attrs))
	all = append(append(all, prev...), attrs...)
	return context.WithValue(ctx, attrsKey{}, all)
}

// NewRequestID makes a request id for a request that came without a valid one.
func NewRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ValidRequestID reports whether a client's X-Request-Id may be used as is: 1 to 128 letters,
// digits and "-._:", so it cannot forge log fields or carry anything but an id.
func ValidRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.', c == '_', c == ':':
		default:
			return false
		}
	}
	return true
}

// contextHandler adds what the context carries (Request, WithAttrs) to every record.
type contextHandler struct{ next slog.Handler }

// NewHandler wraps next so that records logged with a context (logger.InfoContext(ctx, …)) carry
// the request id, route and person, and the job or delivery ids the context holds.
func NewHandler(next slog.Handler) slog.Handler {
	if _, ok := next.(contextHandler); ok {
		return next
	}
	return contextHandler{next: next}
}

func (h contextHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if req := RequestFrom(ctx); req != nil {
		r.AddAttrs(slog.String("request_id", req.ID), slog.String("route", req.Route))
		if req.PersonID != "" {
			r.AddAttrs(slog.String("person_id", req.PersonID))
		}
	}
	if attrs, ok := ctx.Value(attrsKey{}).([]slog.Attr); ok {
		r.AddAttrs(attrs...)
	}
	return h.next.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{next: h.next.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{next: h.next.WithGroup(name)}
}
