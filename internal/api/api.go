// Package api is homebell's HTTP interface: one route table (routes.go), handlers per area that
// call the services, and problem documents for every error.
package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/hex"
	"errors"
	"github.com/homebell/homebell/internal/actions"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/homebell/homebell/internal/auth"
	"github.com/homebell/homebell/internal/booking"
	"github.com/homebell/homebell/internal/campaign"
	"github.com/homebell/homebell/internal/chat"
	"github.com/homebell/homebell/internal/config"
	"github.com/homebell/homebell/internal/deliver"
	"github.com/homebell/homebell/internal/files"
	"github.com/homebell/homebell/internal/hub"
	"github.com/homebell/homebell/internal/idem"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/observe"
	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/support"
)

//go:embed openapi.yaml
var openAPI []byte

// OpenAPIDocument is the API's description (served at /openapi.yaml), the contract every answer
// is checked against in the whole-program tests.
func OpenAPIDocument() []byte { return openAPI }

// API holds what the handlers need. Fields are set by internal/app.
type API struct {
	Cfg      config.Config
	Store    *store.Store
	Verifier *auth.Verifier
	Now      func() time.Time
	Log      *slog.Logger
	Registry *prometheus.Registry
	// Metrics are homebell's own metrics (observe); the API counts rate-limit refusals.
	Metrics *observe.Metrics
	Static  http.Handler // the embedded web app
	// DevSecret signs demo sign-in tokens; nil outside demo mode.
	DevSecret []byte
	// Hub streams people's event logs (X1); VAPIDPublic is the Web Push key browsers subscribe with (X2).
	Hub         *hub.Hub
	VAPIDPublic string
	// Notify is the notification service: preferences as the planner sees them, and Wake to tell
	// open apps about read markers (S1-S5).
	Notify *notify.Service
	// Booking runs the order lifecycle (N1-N3, E1-E3) and owns people and service items.
	Booking *booking.Service
	// Deliver owns push subscriptions and webhook endpoints (X2).
	Deliver *deliver.Service
	// Keys records Idempotency-Keys and their answers.
	Keys *idem.Keys
	// Actions runs what a notice asks from the notice itself (Y2).
	Actions *actions.Service
	// Files takes image uploads and serves them to those allowed to see them.
	Files *files.Service
	// Campaigns runs promotions and new-service announcements (P1, P2), and merges them into the
	// message center.
	Campaigns *campaign.Service
	// Support runs the feedback box (I4) and customer service (I3).
	Support *support.Service

	createLimit, notifyLimit *auth.Limiter
	// Chat runs conversations (I1).
	Chat *chat.Service

	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	mux      *http.ServeMux
}

// handlerFunc is a handler that returns its error; the route wrapper renders it as a problem.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handler builds the HTTP handler from the route table.
func (a *API) Handler() http.Handler {
	a.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "homebell_http_requests_total", Help: "HTTP requests by route and status.",
	}, []string{"route", "status"})
	a.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "homebell_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route"})
	a.Registry.MustRegister(a.requests, a.latency)

	a.createLimit = auth.NewLimiter(a.Cfg.RateCreatePerMinute, a.Cfg.RateCreateBurst)
	a.notifyLimit = auth.NewLimiter(a.Cfg.RateNotifyPerMinute, a.Cfg.RateNotifyBurst)
	mux := http.NewServeMux()
	a.mux = mux
	for _, rt := range a.routes() {
		mux.Handle(rt.Pattern, a.wrap(rt))
	}
	if a.Cfg.MetricsAddr == "" {
		mux.Handle("GET /metrics", a.MetricsHandler())
	} else {
		mux.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, r, a.Log, model.Errorf(model.CodeNotFound, "the metrics are served on --metrics-addr"))
		}))
	}
	if a.Static != nil {
		mux.Handle("/", a.Static)
	}
	return a.requestIDs(a.recoverer(a.securityHeaders(mux)))
}

// MetricsHandler serves the Prometheus metrics: on the main listener, or on --metrics-addr
// alone. With --metrics-token it answers only "Authorization: Bearer <token>".
func (a *API) MetricsHandler() http.Handler {
	h := promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{})
	want := []byte("Bearer " + a.Cfg.MetricsToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.Cfg.MetricsToken != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			writeProblem(w, r, a.Log, model.Errorf(model.CodeUnauthenticated, "the metrics need the metrics token: Authorization: Bearer <token>"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// requestIDs gives every request an id — the client's X-Request-Id when it is a valid one
// (1-128 letters, digits and "-._:"), else a new one —, echoes it in X-Request-Id, and puts it in
// the request's context, so every log line written with that context names it.
func (a *API) requestIDs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !observe.ValidRequestID(id) {
			id = observe.NewRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(observe.WithRequest(r.Context(), &observe.Request{ID: id})))
	})
}

// route is one line of the route table.
type route struct {
	Pattern string       // ServeMux pattern, "METHOD /path/{param}"
	Roles   []model.Role // who may call; nil = public
	Creates bool         // a creating POST: Idempotency-Key honoured
	Handler handlerFunc
	// Rebuild answers a retry whose action committed from current state (ref: what the first
	// request created, see store.NoteCreated). Routes with it record no answer after commit.
	Rebuild handlerRebuild
	// Limit is the route's rate-limit class: creating routes are limitCreate unless they say
	// limitNotify (they tell other people: changes, cancellations, messages, uploads, feedback).
	Limit limitClass
	// QueryToken lets the route take the bearer token from ?access_token= (browsers cannot set
	// headers on WebSocket or EventSource): the two stream routes only.
	QueryToken bool
}

// limitClass is a class of per-person rate limits (config --rate-create, --rate-notify).
type limitClass int

const (
	limitDefault limitClass = iota // creating routes and authenticated POSTs: limitCreate; others: none
	limitNone
	limitCreate
	limitNotify // tells other people: the tighter bucket, on top of limitCreate
)

// class is the route's effective limit class.
func (rt route) class() limitClass {
	if rt.Limit == limitDefault {
		if rt.Creates || (rt.Roles != nil && strings.HasPrefix(rt.Pattern, "POST ")) {
			return limitCreate
		}
		return limitNone
	}
	return rt.Limit
}

// rateLimit refuses a person's request beyond their bucket with 429 and Retry-After. The
// platform's service keys are not limited: they act for every person of the platform.
func (a *API) rateLimit(w http.ResponseWriter, r *http.Request, rt route) error {
	c := rt.class()
	p, ok := auth.From(r.Context())
	if c == limitNone || !ok || p.Role == model.RolePlatform {
		return nil
	}
	now := a.Now()
	check := func(l *auth.Limiter, name string) error {
		if ok, wait := l.Allow(name+":"+p.ID, now); !ok {
			a.Metrics.RateLimited(name)
			secs := int((wait + time.Second - 1) / time.Second)
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			return model.Errorf(model.CodeRateLimited, "too many %s requests; retry in %d s", name, secs)
		}
		return nil
	}
	if c == limitNotify {
		if err := check(a.notifyLimit, "notifying"); err != nil {
			return err
		}
	}
	return check(a.createLimit, "creating")
}

// handlerRebuild writes the answer of a committed creating request from current state.
type handlerRebuild func(w http.ResponseWriter, r *http.Request, ref string) error

var (
	people    = []model.Role{model.RoleCustomer, model.RoleWorker, model.RoleAgent, model.RoleOperator}
	anyone    = append(append([]model.Role{}, people...), model.RolePlatform)
	operators = []model.Role{model.RoleOperator, model.RolePlatform}
	platform  = []model.Role{model.RolePlatform}
)

func (a *API) wrap(rt route) http.Handler {
	h := rt.Handler
	if rt.Creates {
		h = a.idempotent(rt)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		req := observe.RequestFrom(r.Context())
		if req == nil { // a handler used without Handler's middleware (tests)
			req = &observe.Request{ID: observe.NewRequestID()}
			r = r.WithContext(observe.WithRequest(r.Context(), req))
		}
		req.Route = rt.Pattern
		sw := &statusWriter{ResponseWriter: w, status: 200}
		err := checkURL(r)
		if err == nil {
			r, err = a.authorize(r, rt)
		}
		if err == nil {
			err = a.rateLimit(sw, r, rt)
		}
		if err == nil {
			err = h(sw, r)
		}
		if err != nil {
			if sw.wrote {
				a.Log.ErrorContext(r.Context(), "handler failed after writing", "err", err)
			} else {
				writeProblem(sw, r, a.Log, err)
			}
		}
		took := time.Since(start)
		a.requests.WithLabelValues(rt.Pattern, strconv.Itoa(sw.status)).Inc()
		a.latency.WithLabelValues(rt.Pattern).Observe(took.Seconds())
		// One access line per request: the route pattern, never the path's query (a stream's
		// access_token) or a body.
		a.Log.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("method", r.Method),
			slog.Int("status", sw.status), slog.Float64("duration_ms", float64(took.Microseconds())/1000))
	})
}

// checkURL refuses control characters and invalid UTF-8 in the path and the query, for every
// route in one place (PostgreSQL cannot store NUL; no id or parameter holds a control character).
func checkURL(r *http.Request) error {
	if err := model.CheckText("path", r.URL.Path, false); err != nil {
		return err
	}
	for name, vs := range r.URL.Query() {
		if err := model.CheckText(name, name, false); err != nil {
			return err
		}
		for _, v := range vs {
			if err := model.CheckText(name, v, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// authorize authenticates the request and checks its role; the returned request carries the
// principal in its context.
func (a *API) authorize(r *http.Request, rt route) (*http.Request, error) {
	roles := rt.Roles
	if roles == nil {
		return r, nil
	}
	p, err := a.authenticate(r, rt.QueryToken)
	if err != nil {
		return r, err
	}
	if !p.Is(roles...) {
		return r, model.Errorf(model.CodeForbidden, "role %s may not do this", p.Role)
	}
	if req := observe.RequestFrom(r.Context()); req != nil {
		req.PersonID = p.ID
	}
	return r.WithContext(auth.WithPrincipal(r.Context(), p)), nil
}

func (a *API) authenticate(r *http.Request, queryToken bool) (auth.Principal, error) {
	token := ""
	if h := r.Header.Get("Authorization"); h != "" {
		t, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return auth.Principal{}, model.Errorf(model.CodeUnauthenticated, "use Authorization: Bearer <token>")
		}
		token = strings.TrimSpace(t)
	} else if t := r.URL.Query().Get("access_token"); t != "" {
		// Browsers cannot set headers on EventSource or WebSocket: the stream routes (and only
		// they) take the token here. Anywhere else a token in a URL ends up in proxies and logs.
		if !queryToken || r.Method != http.MethodGet {
			return auth.Principal{}, model.Errorf(model.CodeUnauthenticated, "access_token is accepted only on the stream routes; send Authorization: Bearer <token>")
		}
		token = t
	}
	if token == "" {
		return auth.Principal{}, model.Errorf(model.CodeUnauthenticated, "no credentials: send a bearer token or service key")
	}
	if id, secret, ok := auth.SplitServiceKey(token); ok {
		k, err := a.Store.ServiceKey(r.Context(), id)
		if err != nil || k.RevokedAt != nil || !auth.SecretMatches(secret, k.SecretHash) {
			return auth.Principal{}, model.Errorf(model.CodeUnauthenticated, "unknown or revoked service key")
		}
		return auth.Principal{ID: "key:" + k.ID, Role: model.RolePlatform, Name: k.Name}, nil
	}
	p, err := a.Verifier.Verify(token)
	if err != nil {
		return p, err
	}
	person, err := a.Store.Person(r.Context(), p.ID)
	if model.IsCode(err, model.CodeNotFound) {
		return p, model.Errorf(model.CodeUnauthenticated, "person %q is not known to homebell; the platform must sync it first", p.ID)
	}
	if err != nil {
		return p, err
	}
	if person.Role != p.Role {
		return p, model.Errorf(model.CodeForbidden, "the token's role %s does not match the person's role %s", p.Role, person.Role)
	}
	p.Name = person.Name
	return p, nil
}

// principal returns the caller; routes with roles always have one.
func principal(r *http.Request) auth.Principal {
	p, _ := auth.From(r.Context())
	return p
}

// idempotent honours Idempotency-Key on creating POSTs: the same key with the same request answers
// the first answer without a second effect; with a different request it is refused (422).
//
// The key's record is written by the store inside the action's own transaction (idem.Keys.Claim
// puts the claim in the request's context, where store.InTx finds it), so it exists exactly when the action committed: a
// request that never committed leaves no key behind and its retry runs; a concurrent duplicate
// finds the record, rolls back and answers with the first request's answer. The answer is
// recorded right after the commit, except on routes that can rebuild it from current state
// (route.Rebuild): those cost no second commit. A retry whose action committed but whose answer
// was never recorded (the node died in between) is answered by Rebuild, never by running the
// action again. Refusals (4xx) are recorded and replayed as the same problem.
func (a *API) idempotent(rt route) handlerFunc {
	next := rt.Handler
	return func(w http.ResponseWriter, r *http.Request) error {
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			return next(w, r)
		}
		if len(key) > 255 {
			return model.Invalid(model.FieldError{Field: "Idempotency-Key", Message: "at most 255 characters"})
		}
		if err := model.CheckText("Idempotency-Key", key, false); err != nil {
			return err
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.Cfg.MaxBodyBytes))
		if err != nil {
			return model.Errorf(model.CodeTooLarge, "the body exceeds %d bytes", a.Cfg.MaxBodyBytes)
		}
		sum := sha256.Sum256(body)
		request := r.Method + " " + r.URL.Path + " " + hex.EncodeToString(sum[:])
		who := principal(r).ID
		// A retry of a request that committed (or was refused) answers from its record.
		if rec, found, err := a.Keys.Find(r.Context(), who, key); err != nil {
			return err
		} else if found {
			return a.replay(w, r, rt, request, rec)
		}
		ctx, claim := a.Keys.Claim(r.Context(), who, key, request)
		r = r.WithContext(ctx)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rw := &recorder{header: http.Header{}, status: 200}
		herr := next(rw, r)
		ctx = context.WithoutCancel(r.Context())
		if errors.Is(herr, idem.ErrDuplicate) {
			// Another request with this key committed (or is committing, in the same group commit)
			// while this one ran: answer with its answer once it is visible.
			for range 100 {
				rec, found, err := a.Keys.Find(ctx, who, key)
				if err != nil {
					return err
				}
				if found {
					return a.replay(w, r, rt, request, rec)
				}
				time.Sleep(20 * time.Millisecond)
			}
			return model.Errorf(model.CodeIdempotencyPending, "the first request with this key has not finished; retry shortly")
		}
		var e *model.Error
		switch {
		case herr == nil && rw.status < 400:
			if !claim.Committed() || rt.Rebuild == nil {
				if _, err := a.Keys.Finish(ctx, claim, rw.status, rw.body.Bytes()); err != nil {
					// The action committed: a retry rebuilds or reports the answer.
					a.Log.Error("idempotency: record answer", "route", rt.Pattern, "person", who, "key", key,
						"status", rw.status, "err", err)
				}
			}
		case herr != nil && errors.As(herr, &e) && e.Code.Status() < 500:
			// A refused request is an answer too: replay the same refusal. If a concurrent request
			// with the key committed first, this one answers with that instead.
			p := problemFor(herr)
			p.Instance = r.URL.Path
			var buf bytes.Buffer
			_ = jsonEncode(&buf, p)
			rec, err := a.Keys.Finish(ctx, claim, p.Status, buf.Bytes())
			if err != nil {
				// The refusal stands; a retry runs the request again and is refused again.
				a.Log.Error("idempotency: record refusal", "route", rt.Pattern, "person", who, "key", key,
					"status", p.Status, "err", err)
			}
			if err == nil && rec.Request == request && (rec.Status != p.Status || !bytes.Equal(rec.Response, buf.Bytes())) {
				return a.replay(w, r, rt, request, rec)
			}
			return herr
		default:
			// A failure: nothing committed leaves no key (the retry runs); if the action did commit
			// before the failure, its record stays and the retry rebuilds the answer.
			if herr != nil {
				return herr
			}
		}
		for k, v := range rw.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rw.status)
		_, err = w.Write(rw.body.Bytes())
		return err
	}
}

// pendingGrace is how long a committed action's answer may take to be recorded: a retry within
// it, on a route that cannot rebuild its answer, is asked to retry shortly.
const pendingGrace = 10 * time.Second

// replay answers a request whose key has a record.
func (a *API) replay(w http.ResponseWriter, r *http.Request, rt route, request string, rec store.IdempotencyRecord) error {
	if rec.Request != request {
		return model.Errorf(model.CodeIdempotencyReused, "Idempotency-Key %q was used for a different request", r.Header.Get("Idempotency-Key"))
	}
	if rec.Status == 0 {
		// The action committed; its answer was not recorded.
		if rt.Rebuild != nil {
			rw := &recorder{header: http.Header{}, status: 200}
			if err := rt.Rebuild(rw, r, rec.Ref); err != nil {
				return err
			}
			for k, v := range rw.header {
				w.Header()[k] = v
			}
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(rw.status)
			_, err := w.Write(rw.body.Bytes())
			return err
		}
		if a.Now().Sub(rec.CreatedAt) < pendingGrace {
			// The first request is most likely recording its answer right now: wait a little.
			for range 100 {
				select {
				case <-r.Context().Done():
					return r.Context().Err()
				case <-time.After(20 * time.Millisecond):
				}
				next, found, err := a.Keys.Find(r.Context(), principal(r).ID, r.Header.Get("Idempotency-Key"))
				if err != nil {
					return err
				}
				if found && next.Status != 0 {
					return a.replay(w, r, rt, request, next)
				}
			}
			return model.Errorf(model.CodeIdempotencyPending, "the first request with this key has not finished; retry shortly")
		}
		w.Header().Set("Idempotent-Replayed", "true")
		return writeJSON(w, http.StatusOK, committedAnswer{Status: "committed", ID: rec.Ref,
			Detail: "the first request with this key took effect, but its answer was lost; read the resource for its current state"})
	}
	// Refusals are stored as problem documents and replayed as such.
	if rec.Status >= 400 {
		w.Header().Set("Content-Type", "application/problem+json")
	} else {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(rec.Status)
	_, err := w.Write(rec.Response)
	return err
}

// committedAnswer is the answer to a retry whose first request committed but whose answer was
// lost, on a route that cannot rebuild it.
type committedAnswer struct {
	Status string `json:"status"`
	ID     string `json:"id,omitempty"`
	Detail string `json:"detail"`
}

// recorder buffers a response so it can be stored for replay.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(s int) {
	if !r.wrote {
		r.status, r.wrote = s, true
	}
}
func (r *recorder) Write(b []byte) (int, error) { r.wrote = true; return r.body.Write(b) }

// statusWriter remembers the status for metrics and whether anything was written.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(s int) {
	if !w.wrote {
		w.status, w.wrote = s, true
	}
	w.ResponseWriter.WriteHeader(s)
}
func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush and Hijack (SSE and WebSocket need them).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (a *API) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				a.Log.ErrorContext(r.Context(), "panic", "panic", v)
				writeProblem(w, r, a.Log, errors.New("panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (a *API) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["X-Content-Type-Options"] = hdrNosniff
		h["Referrer-Policy"] = hdrNoReferrer
		h["Content-Security-Policy"] = hdrCSP
		next.ServeHTTP(w, r)
	})
}

// The values of headers every response has, shared by all (Header.Set allocates a slice per
// call). Each has capacity 1, so Header.Add copies rather than appends into it; nothing writes
// into a header's values in place.
var (
	hdrNosniff    = fixedHeader("nosniff")
	hdrNoReferrer = fixedHeader("no-referrer")
	hdrCSP        = fixedHeader("default-src 'self'; img-src 'self' data: blob: https:; connect-src 'self'; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	hdrJSON       = fixedHeader("application/json; charset=utf-8")
	hdrNoStore    = fixedHeader("no-store")
)

func fixedHeader(v string) []string { return []string{v}[:1:1] }

func (a *API) openapi(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml")
	_, err := w.Write(openAPI)
	return err
}

func (a *API) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (a *API) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.Store.Ping(ctx); err != nil {
		a.Log.Warn("not ready", "err", err)
		return model.Errorf(model.CodeUnavailable, "the database does not answer")
	}
	cur, want, err := a.Store.SchemaVersions(ctx)
	if err != nil || cur != want {
		a.Log.Warn("not ready: schema", "at", cur, "want", want, "err", err)
		return model.Errorf(model.CodeUnavailable, "the database schema is at version %d, this binary needs %d; run homebell migrate", cur, want)
	}
	// The node serves without NATS, but its commits wake other nodes' streams only by their poll:
	// ready (the load balancer keeps it), but degraded for whoever watches.
	if a.Hub != nil {
		if why := a.Hub.Degraded(); why != "" {
			return writeJSON(w, http.StatusOK, readiness{Status: "degraded", Degraded: []string{why}})
		}
	}
	return writeJSON(w, http.StatusOK, readiness{Status: "ready"})
}

// readiness is the answer of /readyz.
type readiness struct {
	Status   string   `json:"status"` // ready, degraded
	Degraded []string `json:"degraded,omitempty"`
}

// notFoundRoute answers unknown /v1 paths with a problem document instead of the web app: 405
// with Allow when the path exists for other methods, 404 otherwise.
func (a *API) notFoundRoute(w http.ResponseWriter, r *http.Request) error {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := a.mux.Handler(probe); pattern != "" && pattern != "/v1/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return model.Errorf(model.CodeMethodNotAllowed, "%s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allow, ", "))
	}
	return model.Errorf(model.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path)
}
