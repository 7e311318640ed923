// Package observe is what operators see of a running node: its Prometheus metrics (served at
// /metrics, listed in docs/operations.md) and the request's identity carried into every
// structured log line written with its context.
package observe

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/homebell/homebell/internal/store"
)

// Delivery outcomes of one off-app delivery attempt.
const (
	OutcomeSent     = "sent"     // the channel took it
	OutcomeFailed   = "failed"   // refused for good (gone subscription, 4xx, bad secret)
	OutcomeRetrying = "retrying" // failed, another attempt is scheduled
	OutcomeGaveUp   = "gave_up"  // failed and its retries are used up
)

// ReminderLateAfter is how late a fired reminder may be and still count as on time.
const ReminderLateAfter = time.Minute

// Metrics are homebell's own metrics. A nil *Metrics records nothing, so services built without
// one (unit tests) need no checks.
type Metrics struct {
	Registry *prometheus.Registry

	notifications    *prometheus.CounterVec
	deliveries       *prometheus.CounterVec
	deliveryLatency  *prometheus.HistogramVec
	streams          *prometheus.GaugeVec
	remindersFired   prometheus.Counter
	remindersLate    prometheus.Counter
	reminderLateness prometheus.Histogram
	txSeconds        prometheus.Histogram
	rateLimited      *prometheus.CounterVec
	webhookPaused    prometheus.Counter
}

// New registers homebell's metrics with reg.
func New(reg *prometheus.Registry) *Metrics {
	m := &Metrics{
		Registry: reg,
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "homebell_notifications_created_total", Help: "Notifications committed to a message center, by kind and category.",
		}, []string{"kind", "category"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "homebell_deliveries_total", Help: "Off-app delivery attempts by channel and outcome (sent, failed, retrying, gave_up).",
		}, []string{"channel", "outcome"}),
		deliveryLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "homebell_delivery_latency_seconds", Help: "From a delivery's being due to this outcome of it, by channel and outcome.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400},
		}, []string{"channel", "outcome"}),
		streams: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "homebell_streams_open", Help: "Realtime streams open on this node, by transport (websocket, sse).",
		}, []string{"transport"}),
		remindersFired: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "homebell_reminders_fired_total", Help: "Service reminders sent (N2).",
		}),
		remindersLate: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "homebell_reminders_late_total", Help: "Service reminders sent more than a minute after they were due.",
		}),
		reminderLateness: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "homebell_reminder_lateness_seconds", Help: "How long after its due time a reminder was sent.",
			Buckets: []float64{.1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900},
		}),
		txSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "homebell_db_transaction_seconds", Help: "Database write transactions, from begin to commit or rollback.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "homebell_rate_limited_total", Help: "Requests refused by a per-person rate limit (429), by class (creating, notifying).",
		}, []string{"class"}),
		webhookPaused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "homebell_webhook_endpoints_paused_total", Help: "Webhook endpoints paused for failing.",
		}),
	}
	for _, t := range []string{"websocket", "sse"} {
		m.streams.WithLabelValues(t) // present at 0 from the start
	}
	for _, c := range []string{"creating", "notifying"} {
		m.rateLimited.WithLabelValues(c)
	}
	reg.MustRegister(m.notifications, m.deliveries, m.deliveryLatency, m.streams, m.remindersFired,
		m.remindersLate, m.reminderLateness, m.txSeconds, m.rateLimited, m.webhookPaused)
	return m
}

// NotificationsCreated counts n committed notifications of kind.
func (m *Metrics) NotificationsCreated(kind, category string, n int) {
	if m != nil {
		m.notifications.WithLabelValues(kind, category).Add(float64(n))
	}
}

// Delivery counts an outcome of an off-app delivery attempt; latency is from when the delivery
// was due (its log row was written) to this outcome.
func (m *Metrics) Delivery(channel, outcome string, latency time.Duration) {
	if m != nil {
		m.deliveries.WithLabelValues(channel, outcome).Inc()
		m.deliveryLatency.WithLabelValues(channel, outcome).Observe(max(latency, 0).Seconds())
	}
}

// StreamOpened counts an open stream until the returned func is called.
func (m *Metrics) StreamOpened(transport string) (closed func()) {
	if m == nil {
		return func() {}
	}
	g := m.streams.WithLabelValues(transport)
	g.Inc()
	return g.Dec
}

// ReminderFired records a reminder sent lateness after it was due.
func (m *Metrics) ReminderFired(lateness time.Duration) {
	if m == nil {
		return
	}
	lateness = max(lateness, 0)
	m.remindersFired.Inc()
	if lateness > ReminderLateAfter {
		m.remindersLate.Inc()
	}
	m.reminderLateness.Observe(lateness.Seconds())
}

// Transaction records one write transaction's duration.
func (m *Metrics) Transaction(d time.Duration) {
	if m != nil {
		m.txSeconds.Observe(d.Seconds())
	}
}

// RateLimited counts a refusal by the rate limit of class.
func (m *Metrics) RateLimited(class string) {
	if m != nil {
		m.rateLimited.WithLabelValues(class).Inc()
	}
}

// WebhookPaused counts an endpoint paused for failing.
func (m *Metrics) WebhookPaused() {
	if m != nil {
		m.webhookPaused.Inc()
	}
}

// WatchStore adds the gauges read from the database at each scrape: the job backlog (due jobs
// and the age of the oldest, by kind) and the webhook endpoints paused now.
func (m *Metrics) WatchStore(st *store.Store, now func() time.Time) {
	m.Registry.MustRegister(&storeCollector{st: st, now: now})
}

// WatchDegraded adds homebell_degraded: 1 while why() says why the node is degraded (as /readyz
// does), else 0.
func (m *Metrics) WatchDegraded(why func() string) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "homebell_degraded", Help: "1 while the node serves degraded (NATS unreachable; /readyz says why), else 0.",
	}, func() float64 {
		if why() != "" {
			return 1
		}
		return 0
	}))
}

var (
	jobsDueDesc = prometheus.NewDesc("homebell_jobs_due",
		"Jobs due and not yet claimed (the backlog), by kind.", []string{"kind"}, nil)
	jobsOldestDesc = prometheus.NewDesc("homebell_jobs_oldest_due_age_seconds",
		"How long the oldest unclaimed due job has been due, by kind (0 when none).", []string{"kind"}, nil)
	pausedDesc = prometheus.NewDesc("homebell_webhook_endpoints_paused",
		"Webhook endpoints paused now (an operator must resume them).", nil, nil)
	scrapeErrDesc = prometheus.NewDesc("homebell_metrics_store_up",
		"1 when the database answered the metrics' queries at this scrape, else 0.", nil, nil)
)

// storeCollector reads its gauges from the database at scrape time.
type storeCollector struct {
	st  *store.Store
	now func() time.Time
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- jobsDueDesc
	ch <- jobsOldestDesc
	ch <- pausedDesc
	ch <- scrapeErrDesc
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := c.now()
	up := 1.0
	backlog, err := c.st.JobBacklog(ctx, now)
	if err != nil {
		up = 0
	}
	for _, b := range backlog {
		ch <- prometheus.MustNewConstMetric(jobsDueDesc, prometheus.GaugeValue, float64(b.Due), b.Kind)
		age := 0.0
		if b.Due > 0 {
			age = max(now.Sub(b.OldestDueAt), 0).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(jobsOldestDesc, prometheus.GaugeValue, age, b.Kind)
	}
	paused, err := c.st.PausedWebhookEndpoints(ctx)
	if err != nil {
		up = 0
	} else {
		ch <- prometheus.MustNewConstMetric(pausedDesc, prometheus.GaugeValue, float64(paused))
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrDesc, prometheus.GaugeValue, up)
}
