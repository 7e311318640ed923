// Package app wires homebell together: config → store → services → HTTP, and shuts it down
// gracefully. Tests start the whole program on :0 through it.
package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/homebell/homebell/internal/actions"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/homebell/homebell/internal/api"
	"github.com/homebell/homebell/internal/auth"
	"github.com/homebell/homebell/internal/booking"
	"github.com/homebell/homebell/internal/campaign"
	"github.com/homebell/homebell/internal/chat"
	"github.com/homebell/homebell/internal/chat/mask"
	"github.com/homebell/homebell/internal/config"
	"github.com/homebell/homebell/internal/deliver"
	"github.com/homebell/homebell/internal/deliver/webhook"
	"github.com/homebell/homebell/internal/deliver/webpush"
	"github.com/homebell/homebell/internal/deliver/wechat"
	"github.com/homebell/homebell/internal/files"
	"github.com/homebell/homebell/internal/hub"
	"github.com/homebell/homebell/internal/idem"
	"github.com/homebell/homebell/internal/jobs"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/observe"
	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/support"
	"github.com/homebell/homebell/web"
)

// Options are what a caller (main or a test) injects besides the config.
type Options struct {
	Now func() time.Time // the clock; time.Now when nil
	Log *slog.Logger     // slog.Default when nil
	// ManualJobs leaves due jobs to the caller (tests call Jobs.RunDue after moving the clock). It
	// also leaves out the daily retention purge; a test that wants it calls App.ScheduleRetention.
	ManualJobs bool
	// Hub tunes realtime streams (heartbeat, poll, write timeout); zero fields take defaults.
	Hub hub.Options
}

// App is one running homebell node.
type App struct {
	Cfg   config.Config
	Store *store.Store
	API   *api.API
	Log   *slog.Logger
	Now   func() time.Time
	// manualJobs: Serve does not run due jobs (see Options.ManualJobs).
	manualJobs bool
	Jobs       *jobs.Runner
	Notify     *notify.Service
	// Booking runs the order lifecycle (N1-N3, E1-E3).
	Booking *booking.Service
	// Support runs the feedback box (I4) and customer service (I3).
	Support *support.Service
	// Chat runs conversations (I1).
	Chat *chat.Service
	// Hub streams event logs to open apps (X1); Deliver sends off-app (X2).
	Hub     *hub.Hub
	Deliver *deliver.Service
	// Files stores uploaded images and decides who may read them.
	Files *files.Service
	// Actions runs a notice's actions from the notice (Y2).
	Actions *actions.Service
	// Campaigns runs promotions and new-service announcements (P1, P2).
	Campaigns *campaign.Service
	hubOpt    hub.Options
	// Metrics are homebell's own metrics, served at /metrics (docs/operations.md).
	Metrics     *observe.Metrics
	metricsAddr atomic.Value // string: where --metrics-addr listens, once Serve has bound it
	// DevSecret is the HS256 secret of development tokens (demo sign-in, `homebell token`).
	DevSecret []byte
}

// New opens the store, applies migrations and builds the services.
func New(ctx context.Context, cfg config.Config, opt Options) (*App, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	// Records logged with a request's or a job's context carry its ids (observe).
	opt.Log = slog.New(observe.NewHandler(opt.Log.Handler()))
	st, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	st.Now = opt.Now // one clock: each transaction's Now is read from it when it begins
	a := &App{Cfg: cfg, Store: st, Log: opt.Log, Now: opt.Now, manualJobs: opt.ManualJobs, hubOpt: opt.Hub}
	if err := a.init(ctx); err != nil {
		if a.Hub != nil {
			a.Hub.Close()
		}
		st.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) init(ctx context.Context) error {
	if err := a.Store.Migrate(ctx); err != nil {
		return err
	}
	secret, err := a.tokenSecret(ctx)
	if err != nil {
		return err
	}
	var pem []byte
	if a.Cfg.JWTPublicKey != "" {
		if pem, err = os.ReadFile(a.Cfg.JWTPublicKey); err != nil {
			return fmt.Errorf("app: %w", err)
		}
	}
	verifier, err := auth.NewVerifier(secret, pem, a.Now)
	if err != nil {
		return err
	}
	verifier.MaxLifetime = a.Cfg.MaxTokenLifetime
	a.DevSecret = secret
	a.Jobs = jobs.New(a.Store, a.Now, a.Log)
	if a.Cfg.Node != "" {
		a.Jobs.SetNode(a.Cfg.Node)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.Metrics = observe.New(reg)
	a.Metrics.WatchStore(a.Store, a.Now)
	a.Store.ObserveTx = a.Metrics.Transaction
	// The realtime hub (X1) first: the services it wakes take it when they are made.
	if err := a.initHub(); err != nil {
		return err
	}
	h := a.Hub
	// OffApp: off-app delivery jobs are scheduled; initDelivery registers their handlers before
	// anything is served.
	a.Notify = &notify.Service{Store: a.Store, Jobs: a.Jobs, Now: a.Now, Metrics: a.Metrics,
		Wake: h.Wake, Publish: h.Publish, OffApp: true}
	a.API = &api.API{Cfg: a.Cfg, Store: a.Store, Verifier: verifier, Now: a.Now, Log: a.Log, Registry: reg,
		Metrics: a.Metrics, Static: web.Handler(), Keys: &idem.Keys{Store: a.Store, Now: a.Now}}
	if a.Cfg.Demo {
		a.API.DevSecret = secret
	}
	a.Booking = &booking.Service{Store: a.Store, Jobs: a.Jobs, Notify: a.Notify, Now: a.Now, Metrics: a.Metrics,
		Publish: h.Publish}
	a.Jobs.Handle(booking.JobReminder, a.Booking.RunReminder)
	a.Jobs.Handle(booking.JobVisitNudge, a.Booking.RunVisitNudge)
	a.Jobs.Handle(booking.JobVisitLate, a.Booking.RunVisitLate)
	a.Jobs.Handle(booking.JobVisitETA, a.Booking.RunVisitETA)
	a.Jobs.Handle(booking.JobVisitOverdue, a.Booking.RunVisitOverdue)
	a.Jobs.Handle(booking.JobEscalation, a.Booking.RunEscalation)
	// Notices that must land (Y1): a chain stops when its notice stops mattering; SOS pages.
	a.Notify.Stale = a.Booking.NoticeStale
	a.Jobs.Handle(booking.JobSOSPage, a.Booking.RunSOSPage)
	a.API.Booking = a.Booking
	a.Support = &support.Service{Store: a.Store, Jobs: a.Jobs, Notify: a.Notify, Now: a.Now, Publish: h.Publish}
	a.API.Support = a.Support
	// Conversations (I1): order chat opens and follows worker changes in booking's transactions.
	a.Chat = &chat.Service{Store: a.Store, Notify: a.Notify, Now: a.Now, Mask: maskContacts, Publish: h.Publish}
	a.Booking.WorkerChanged = a.Chat.WorkerChanged
	a.Booking.HouseholdChanged = a.Chat.HouseholdChanged
	a.API.Chat = a.Chat
	// Customer service (I3) on the same conversations: support's hook runs in Send's transaction.
	a.Support.Chat, a.Support.Booking = a.Chat, a.Booking
	a.Chat.KindOf = map[string]string{model.ConversationSupport: notify.KindSupportMessage}
	a.Chat.OnSent = map[string]chat.SentHook{model.ConversationSupport: a.Support.Sent}
	a.Jobs.Handle(support.JobAgentOffline, a.Support.RunAgentOffline)
	// Message center and settings (S1-S5): preferences through notify, and the daily purge.
	a.API.Notify = a.Notify
	if err := a.initRetention(ctx); err != nil {
		return err
	}
	a.initFiles()
	a.Files.AllowReaders(a.Support.FeedbackFileReaders)
	// Chat images: a message carries only its sender's uploads; its members (and operators) read them.
	a.Chat.CheckFiles = a.Files.CheckOwned
	a.Files.AllowReaders(a.Chat.CanReadFile)
	a.Files.AllowReaders(a.Support.MayReadFile)
	if err := a.initDelivery(ctx); err != nil {
		return err
	}
	a.initCampaigns()
	return a.Actions.Start(ctx)
}

// initCampaigns wires promotions and new-service announcements (P1, P2): the message center merges
// them on read, the hub broadcasts their going live, and deliver sends their batched pushes.
func (a *App) initCampaigns() {
	a.Campaigns = &campaign.Service{Store: a.Store, Jobs: a.Jobs, Notify: a.Notify, Deliver: a.Deliver,
		Files: a.Files, Broadcast: a.Hub.Broadcast, Now: a.Now}
	a.Campaigns.Register(a.Jobs)
	a.Files.AllowReaders(a.Campaigns.MayReadFile)
	a.Deliver.Lookup = a.Campaigns.Lookup
	// The message center (notify) merges campaigns into every list, count and read mark.
	a.Notify.Broadcasts = a.Campaigns
	a.Deliver.MarkRead = a.Notify.MarkRead
	// Act from the notice (Y2): the same services the app's screens call; gateways get tokens.
	a.Actions = &actions.Service{Store: a.Store, Notify: a.Notify, Booking: a.Booking, Chat: a.Chat, Now: a.Now,
		MarkRead: a.Notify.MarkRead}
	a.Deliver.Tokens = a.Actions.Tokens
	a.API.Actions = a.Actions
	a.API.Campaigns = a.Campaigns
}

// initFiles wires image uploads. Services whose people may see others' images (chat: members of a
// conversation that shows one) register their rule with a.Files.AllowReaders.
func (a *App) initFiles() {
	a.Files = &files.Service{Store: a.Store, Dir: a.Cfg.FilesDirectory(), MaxBytes: a.Cfg.MaxUploadBytes,
		MaxPixels: a.Cfg.MaxImagePixels, Now: a.Now}
	a.API.Files = a.Files
	// Review photos (I2): the order's customer, its worker while the review shows, operators.
	a.Files.AllowReaders(a.Booking.MayReadReviewImage)
	// Proof-of-service photos (Y4): the order's customer, its current worker, operators.
	a.Files.AllowReaders(a.Booking.MayReadVisitPhoto)
}

// initHub makes the realtime hub (X1), with NATS between nodes when configured.
func (a *App) initHub() error {
	var broker hub.Broker
	if a.Cfg.NATS != "" {
		b, err := hub.NewNATS(a.Cfg.NATS, a.Cfg.NATSPrefix, a.Log)
		if err != nil {
			return err
		}
		broker = b
	}
	a.hubOpt.Metrics = a.Metrics
	if a.hubOpt.Now == nil {
		a.hubOpt.Now = a.Now
	}
	// Streams send unread.changed with the counts the message center shows (campaigns included);
	// a.Notify and its broadcasts are wired below, before anything is served.
	a.hubOpt.Unread = func(ctx context.Context, personID string) (any, error) {
		return a.Notify.Unread(ctx, personID)
	}
	// A commit that tells several people here (a bulk cancellation's chunk) has all their counts
	// read with one call rather than one per stream.
	a.hubOpt.UnreadMany = func(ctx context.Context, personIDs []string) (map[string]any, error) {
		m, err := a.Notify.UnreadMany(ctx, personIDs)
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, len(m))
		for id, c := range m {
			out[id] = c
		}
		return out, nil
	}
	h, err := hub.New(a.Store, broker, a.Log, a.hubOpt)
	if err != nil {
		if broker != nil {
			broker.Close()
		}
		return err
	}
	a.Hub = h
	a.Metrics.WatchDegraded(h.Degraded)
	return nil
}

// initDelivery wires agents' presence from the realtime streams (I3) and off-app delivery (X2)
// into notify and the API.
func (a *App) initDelivery(ctx context.Context) error {
	h := a.Hub
	allowNets, err := a.Cfg.WebhookAllowedNets()
	if err != nil {
		return err
	}
	// Agents' presence (I3): applied one at a time, each time with the hub's state as it is then
	// (the hook's goroutines may run out of order).
	var presence sync.Mutex
	h.OnPresence(func(personID string, _ bool) {
		presence.Lock()
		defer presence.Unlock()
		if err := a.Support.Presence(context.Background(), personID, h.Online(personID)); err != nil {
			a.Log.Error("support: presence", "person", personID, "err", err)
		}
	})
	if a.Store.Dialect() == store.SQLite {
		// One node owns a SQLite file: after a restart nobody has a stream open.
		if err := a.Support.Restarted(ctx); err != nil {
			return err
		}
	}
	keys, err := deliver.EnsureVAPIDKeys(ctx, a.Store, a.Now())
	if err != nil {
		return err
	}
	a.Deliver = &deliver.Service{Store: a.Store, Jobs: a.Jobs, Notify: a.Notify, Now: a.Now, Log: a.Log, Metrics: a.Metrics,
		Push:  &webpush.Sender{VAPIDPublic: keys.Public, VAPIDPrivate: keys.Private, Subscriber: a.Cfg.VAPIDSubject},
		Hooks: &webhook.Sender{Now: a.Now, Guard: &webhook.Guard{Allow: allowNets}}, BaseURL: a.Cfg.BaseURL}
	if a.Cfg.WeChatAppID != "" {
		// WeChat subscribe messages (Y3) through the platform's mini-program.
		a.Deliver.WeChat = &deliver.WeChatChannel{State: a.Cfg.WeChatState, Owner: a.Jobs.Life,
			Client: &wechat.Client{BaseURL: a.Cfg.WeChatAPI, AppID: a.Cfg.WeChatAppID, Secret: a.Cfg.WeChatSecret}}
		a.Notify.WeChat = true
	}
	a.Deliver.Register(a.Jobs)
	a.API.Hub, a.API.VAPIDPublic, a.API.Deliver = h, keys.Public, a.Deliver
	return nil
}

// tokenSecret is the configured HS256 secret, or — when the platform configured neither a secret
// nor a public key — a development secret made once and kept in the database, so `homebell token`
// and the demo sign-in work out of the box.
func (a *App) tokenSecret(ctx context.Context) ([]byte, error) {
	if a.Cfg.JWTSecret != "" {
		return []byte(a.Cfg.JWTSecret), nil
	}
	if a.Cfg.JWTPublicKey != "" {
		return nil, nil
	}
	if !a.Cfg.Dev && !a.Cfg.Demo {
		// A development secret (demo keeps one in the database) must never sign in anyone on a
		// real deployment by accident.
		return nil, errors.New("app: no --jwt-secret or --jwt-public-key: configure the platform's token key, or pass --dev to run with a development secret")
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	s := base64.RawURLEncoding.EncodeToString(b)
	if err := a.Store.InTx(ctx, func(tx *store.Tx) error {
		return tx.InsertSettingIfAbsent(ctx, "dev_jwt_secret", &s, tx.Now())
	}); err != nil {
		return nil, err
	}
	if !a.Cfg.Demo {
		a.Log.Warn("--dev: using a development secret stored in the database; configure --jwt-secret or --jwt-public-key for production")
	}
	return []byte(s), nil
}

// Serve answers HTTP on ln until ctx is cancelled, then drains in-flight requests for up to
// the shutdown timeout.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.API.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		// In-flight requests keep their context through shutdown; streams are closed by the hub.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	// Streams are long-lived: Shutdown does not wait for them but closes them, so their clients
	// reconnect (to another node) and resume by seq.
	srv.RegisterOnShutdown(a.Hub.Shutdown)
	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	jobsDone := make(chan struct{})
	go func() {
		defer close(jobsDone)
		if !a.manualJobs {
			a.Jobs.Run(jobsCtx)
		}
	}()
	defer func() { stopJobs(); <-jobsDone }()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.Log.Info("homebell serving", "addr", ln.Addr().String(), "db", a.Store.Dialect())
	if a.Cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", a.Cfg.MetricsAddr)
		if err != nil {
			_ = srv.Close()
			<-errc
			return fmt.Errorf("app: metrics listener: %w", err)
		}
		msrv := &http.Server{Handler: a.metricsMux(), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = msrv.Serve(mln) }()
		defer msrv.Close()
		a.metricsAddr.Store(mln.Addr().String())
		a.Log.Info("metrics serving", "addr", mln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.Cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	<-errc
	return err
}

// MetricsAddr is the address /metrics listens on with --metrics-addr, once Serve has bound it
// ("" before, or without --metrics-addr).
func (a *App) MetricsAddr() string {
	s, _ := a.metricsAddr.Load().(string)
	return s
}

// metricsMux serves /metrics alone, for --metrics-addr.
func (a *App) metricsMux() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.API.MetricsHandler())
	return mux
}

// Close stops the realtime hub and releases the store.
func (a *App) Close() error {
	var err error
	if a.Hub != nil {
		err = a.Hub.Close()
	}
	return errors.Join(err, a.Store.Close())
}

// maskContacts is contact masking (X5) as chat takes it: the visible text and what was hidden.
func maskContacts(text string) chat.Masked {
	r := mask.Mask(text)
	out := chat.Masked{Text: r.Text}
	seen := map[mask.Kind]bool{}
	for _, m := range r.Matches {
		if !seen[m.Kind] {
			seen[m.Kind] = true
			out.Kinds = append(out.Kinds, string(m.Kind))
		}
	}
	return out
}
