// Package deliver sends notifications off-app (X2): to the recipient's browsers by Web Push and to
// the platform's own gateways (app push, SMS, WeChat) by signed webhooks. notify schedules one
// JobDeliver job per notification at the time the recipient's receiving window allows; its
// handler here writes one delivery-log row per target and one send job per row, keyed by the
// delivery id, so each target is retried on its own schedule and the log says what happened.
package deliver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/homebell/homebell/internal/deliver/webhook"
	"github.com/homebell/homebell/internal/deliver/webpush"
	"github.com/homebell/homebell/internal/jobs"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/observe"
	"github.com/homebell/homebell/internal/store"
)

// Job kinds of one attempt at one delivery.
const (
	JobWebPush = "webpush.send"
	JobWebhook = "webhook.send"
)

// SettingVAPIDKeys is the settings key of the node's VAPID key pair (made on first start).
const SettingVAPIDKeys = "vapid_keys"

// PushMaxAttempts bounds Web Push retries: push services keep messages themselves, and a
// notification's push TTL is at most a day, so a few tries over minutes are enough.
const PushMaxAttempts = 5

// DefaultPauseAfter is how many deliveries in a row may end failed before an endpoint is paused.
const DefaultPauseAfter = 20

// VAPIDKeys is the server's Web Push identity (base64url, as webpush.GenerateVAPIDKeys makes).
type VAPIDKeys struct {
	Public  string `json:"public"`
	Private string `json:"private"`
}

// EnsureVAPIDKeys returns the stored VAPID keys, making and storing them on first start. Nodes
// starting together agree on one pair (InsertSettingIfAbsent).
func EnsureVAPIDKeys(ctx context.Context, st *store.Store, now time.Time) (VAPIDKeys, error) {
	var k VAPIDKeys
	if found, err := st.Setting(ctx, SettingVAPIDKeys, &k); err != nil {
		return k, err
	} else if found && webpush.CheckVAPIDKeys(k.Public, k.Private) == nil {
		return k, nil
	}
	pub, priv, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		return k, err
	}
	k = VAPIDKeys{Public: pub, Private: priv}
	err = st.InTx(ctx, func(tx *store.Tx) error { return tx.InsertSettingIfAbsent(ctx, SettingVAPIDKeys, &k, now) })
	if err != nil {
		return k, fmt.Errorf("deliver: store VAPID keys: %w", err)
	}
	if err := webpush.CheckVAPIDKeys(k.Public, k.Private); err != nil {
		return k, fmt.Errorf("deliver: stored VAPID keys: %w", err)
	}
	return k, nil
}

// Service runs off-app deliveries.
type Service struct {
	Store  *store.Store
	Jobs   *jobs.Runner
	Notify *notify.Service
	Now    func() time.Time
	Log    *slog.Logger
	Push   *webpush.Sender // nil: Web Push deliveries are skipped
	Hooks  *webhook.Sender
	// WeChat, when set, sends notices worth it as mini-program subscribe messages first (Y3).
	WeChat *WeChatChannel
	// BaseURL is where a push notification's click leads (the web app).
	BaseURL string
	// PauseAfter is how many deliveries in a row may end failed before the endpoint is paused
	// (default DefaultPauseAfter). An endpoint is also paused as soon as one delivery has failed
	// for its whole ~24 h retry chain with no success of the endpoint meanwhile.
	PauseAfter int
	// Metrics count each attempt's outcome and its latency; nil counts nothing.
	Metrics *observe.Metrics
	// Lookup, when set, finds the notification a delivery is of when it is not an inbox row: a
	// campaign's push (P1, P2) has no row per person, only the campaign ("campaign:<id>:<person>").
	Lookup func(ctx context.Context, recipientID, id string) (model.Notification, error)
	// Tokens, when set, mints the action tokens a gateway webhook of a notice with actions
	// carries (Y2): single-use and short-lived, for the gateway's callback.
	Tokens func(ctx context.Context, n model.Notification) ([]GatewayAction, error)

	// MarkRead, when set, marks a notice read as the message center does (with campaigns' counts);
	// a gateway's read receipt uses it. Default: Notify.MarkRead.
	MarkRead func(ctx context.Context, personID string, sel notify.ReadSelection) (notify.ReadEvent, error)

	steps map[string]Step // chain steps by name (Y1)
}

// GatewayAction is one action a gateway may run for the recipient by redeeming its token.
type GatewayAction struct {
	Type      string    `json:"type"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// notification reads the notification a delivery carries.
func (s *Service) notification(ctx context.Context, recipientID, id string) (model.Notification, error) {
	if s.Lookup != nil && strings.HasPrefix(id, "campaign:") {
		return s.Lookup(ctx, recipientID, id)
	}
	return s.Store.Notification(ctx, recipientID, id)
}

// Register adds the delivery job handlers to r.
func (s *Service) Register(r *jobs.Runner) {
	r.Handle(notify.JobDeliver, s.deliver)
	r.Handle(JobWebPush, s.sendPush)
	r.Handle(JobWebhook, s.sendHook)
	r.Handle(JobWeChat, s.sendWeChat)
	r.Handle(notify.JobNoticeStep, s.runStep)
	s.registerChain()
}

// sendPayload is the payload of one send job.
type sendPayload struct {
	DeliveryID string `json:"delivery_id"`
	Alert      string `json:"alert"`
	// Escalation marks a chain step's gateway webhook: sms or app_push (Y1).
	Escalation string `json:"escalation,omitempty"`
}

// deliver fans one notification out to the recipient's push subscriptions and the webhook
// endpoints that want its kind.
func (s *Service) deliver(ctx context.Context, j model.Job) error {
	var p notify.DeliverPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return fmt.Errorf("deliver: payload: %w", err)
	}
	var n model.Notification
	var err error
	if p.EventKey != "" {
		n, err = s.Store.NotificationByEventKey(ctx, p.RecipientID, p.EventKey)
	} else {
		n, err = s.Store.Notification(ctx, p.RecipientID, p.NotificationID)
	}
	if model.IsCode(err, model.CodeNotFound) {
		// Purged meanwhile: nothing to send.
		return s.skipPlanned(ctx, nil, p.NotificationID, "notification removed")
	}
	if err != nil {
		return err
	}
	if p.SkipIfRead && n.ReadAt != nil {
		return nil // seen already (live, or in the message center): no push for it
	}
	subs, err := s.Store.PushSubscriptions(ctx, p.RecipientID)
	if err != nil {
		return err
	}
	wanted, err := s.wantedEndpoints(ctx, n.Kind)
	if err != nil {
		return err
	}
	// WeChat first for a notice worth an authorisation; the others when it cannot carry it.
	if handled, err := s.planWeChat(ctx, n, p.Alert, subs, wanted); handled || err != nil {
		return err
	}
	if len(subs) == 0 && len(wanted) == 0 {
		// No browser subscribed and no gateway wants this kind (any more).
		return s.skipPlanned(ctx, nil, n.ID, reasonTargetGone)
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := s.Enqueue(ctx, tx, n, p.Alert, subs, wanted); err != nil {
			return err
		}
		return s.skipPlanned(ctx, tx, n.ID, reasonTargetGone)
	})
}

// reasonTargetGone is why a planned delivery (S2) did not go: its target was gone by then.
const reasonTargetGone = "its subscription or endpoint was gone when the receiving window opened"

// skipPlanned ends the planned deliveries of a notification (S2) that the delivery job did not
// claim — Enqueue claims those whose target is still there — as skipped with reason, inside tx
// or, when tx is nil, in a transaction of its own.
func (s *Service) skipPlanned(ctx context.Context, tx *store.Tx, notificationID, reason string) error {
	if notificationID == "" {
		return nil
	}
	if tx == nil {
		return s.Store.InTx(ctx, func(tx *store.Tx) error { return s.skipPlanned(ctx, tx, notificationID, reason) })
	}
	_, err := tx.SkipPlannedDeliveries(ctx, notificationID, reason, tx.Now())
	return err
}

// Enqueue writes, inside tx, one delivery-log row and one send job per target of n: the person's
// push subscriptions subs and the webhook endpoints eps (which the caller has matched to n.Kind).
// A target that has a row for n already is skipped, so a retried caller sends once.
func (s *Service) Enqueue(ctx context.Context, tx *store.Tx, n model.Notification, alert string, subs []model.PushSubscription, eps []model.WebhookEndpoint) (err error) {
	defer model.WrapOp(&err, "deliver: enqueue", n.ID)
	return s.EnqueueStep(ctx, tx, n, alert, subs, eps, 0, "")
}

// EnqueueStep is Enqueue for step of a notice's chain (0: the first telling); its webhooks carry
// escalation (Y1).
func (s *Service) EnqueueStep(ctx context.Context, tx *store.Tx, n model.Notification, alert string, subs []model.PushSubscription,
	eps []model.WebhookEndpoint, step int, escalation string) (err error) {
	defer model.WrapOp(&err, "deliver: enqueue step", "")
	now := tx.Now()
	add := func(channel, target, kind string, maxAttempts int) error {
		d := model.Delivery{NotificationID: n.ID, RecipientID: n.RecipientID, OrderID: n.OrderID, Kind: n.Kind,
			Channel: channel, Target: target, State: model.DeliveryQueued, NextAttemptAt: &now, Step: step}
		inserted, err := tx.InsertDelivery(ctx, &d, now)
		if err != nil || !inserted {
			return err
		}
		return s.Jobs.Schedule(ctx, tx, kind, "delivery:"+d.ID, now, sendPayload{DeliveryID: d.ID, Alert: alert, Escalation: escalation}, maxAttempts)
	}
	for _, sub := range subs {
		if err := add(model.ChannelWebPush, sub.ID, JobWebPush, PushMaxAttempts); err != nil {
			return err
		}
	}
	for _, ep := range eps {
		if err := add(model.ChannelWebhook, ep.ID, JobWebhook, webhook.MaxAttempts); err != nil {
			return err
		}
	}
	return nil
}

// load reads a send job's delivery; done is true when there is nothing left to do.
func (s *Service) load(ctx context.Context, j model.Job) (sendPayload, model.Delivery, bool, error) {
	var p sendPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return p, model.Delivery{}, true, fmt.Errorf("deliver: payload: %w", err)
	}
	d, err := s.Store.Delivery(ctx, p.DeliveryID)
	if model.IsCode(err, model.CodeNotFound) {
		return p, d, true, nil
	}
	if err != nil {
		return p, d, false, err
	}
	switch d.State {
	case model.DeliverySent, model.DeliveryFailed, model.DeliverySkipped:
		return p, d, true, nil
	}
	return p, d, false, nil
}

func (s *Service) finish(ctx context.Context, d *model.Delivery, state, reason string) error {
	d.State, d.NextAttemptAt = state, nil
	if reason != "" {
		d.LastError = reason
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.UpdateDelivery(ctx, d, tx.Now()); err != nil {
			return err
		}
		if state == model.DeliveryFailed || state == model.DeliverySkipped {
			return s.AdvanceChain(ctx, tx, *d, d.LastError)
		}
		return nil
	})
}

func (s *Service) sendPush(ctx context.Context, j model.Job) error {
	p, d, done, err := s.load(ctx, j)
	if done || err != nil {
		return err
	}
	if s.Push == nil {
		return s.finish(ctx, &d, model.DeliverySkipped, "Web Push is not configured")
	}
	sub, err := s.Store.PushSubscription(ctx, d.Target)
	if model.IsCode(err, model.CodeNotFound) {
		return s.finish(ctx, &d, model.DeliverySkipped, "subscription removed")
	}
	if err != nil {
		return err
	}
	n, err := s.notification(ctx, d.RecipientID, d.NotificationID)
	if model.IsCode(err, model.CodeNotFound) {
		return s.finish(ctx, &d, model.DeliverySkipped, "notification removed")
	}
	if err != nil {
		return err
	}
	var data map[string]any
	_ = json.Unmarshal(n.Data, &data)
	urgency, ttl := webpush.UrgencyFor(n.Importance)
	res := s.Push.Send(ctx, webpush.Subscription{Endpoint: sub.Endpoint, P256dh: sub.P256dh, Auth: sub.Auth},
		webpush.Payload{Title: n.Title, Body: n.Body, Kind: n.Kind, Category: n.Category, Importance: n.Importance,
			Alert: p.Alert, URL: s.BaseURL + pushLink(n), NotificationID: n.ID, Data: data},
		webpush.Options{Urgency: urgency, TTL: ttl})
	now := s.Now()
	d.Attempts++
	d.LastStatus, d.LastError = res.StatusCode, res.Error
	s.count(ctx, d, outcome(res.OK(), res.Retryable && !res.Gone, res.Retryable && !res.Gone && d.Attempts < PushMaxAttempts), now)
	switch {
	case res.OK():
		return s.finish(ctx, &d, model.DeliverySent, "")
	case res.Gone:
		// The browser unsubscribed: forget the subscription so no later notification tries it.
		d.State, d.NextAttemptAt = model.DeliveryFailed, nil
		d.LastError = "subscription gone, removed: " + res.Error
		return s.Store.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.DeletePushSubscription(ctx, "", sub.ID); err != nil && !model.IsCode(err, model.CodeNotFound) {
				return err
			}
			if err := tx.UpdateDelivery(ctx, &d, now); err != nil {
				return err
			}
			return s.AdvanceChain(ctx, tx, d, d.LastError)
		})
	case res.Retryable && d.Attempts < PushMaxAttempts:
		next := now.Add(max(webhook.Backoff(d.Attempts), min(res.RetryAfter, time.Hour)))
		return s.retry(ctx, &d, next, res.Error)
	default:
		return s.finish(ctx, &d, model.DeliveryFailed, "")
	}
}

// outcome names an attempt's result for the metrics: sent, retrying (another attempt comes),
// gave_up (it could have been retried, but the attempts are used up) or failed (refused for good).
func outcome(ok, retryable, again bool) string {
	switch {
	case ok:
		return observe.OutcomeSent
	case again:
		return observe.OutcomeRetrying
	case retryable:
		return observe.OutcomeGaveUp
	}
	return observe.OutcomeFailed
}

// count records an attempt's outcome, and how long after the delivery was due (its row was
// written when the recipient's window allowed) it came.
// A delivery that ends failed is logged with its ids (never the recipient's phone or the target's
// URL, which may hold a token).
func (s *Service) count(ctx context.Context, d model.Delivery, outcome string, now time.Time) {
	s.Metrics.Delivery(d.Channel, outcome, now.Sub(d.CreatedAt))
	if outcome == observe.OutcomeFailed || outcome == observe.OutcomeGaveUp {
		s.Log.WarnContext(ctx, "deliver: delivery failed", "delivery_id", d.ID, "notification_id", d.NotificationID,
			"channel", d.Channel, "outcome", outcome, "attempts", d.Attempts, "status", d.LastStatus, "err", d.LastError)
	}
}

// pushLink is where a click on a push leads in the web app: a campaign's detail, or the
// notification.
func pushLink(n model.Notification) string {
	if id, ok := strings.CutPrefix(n.ID, "campaign:"); ok {
		if i := strings.IndexByte(id, ':'); i > 0 {
			return "/#/campaigns/" + id[:i]
		}
	}
	return "/#/notifications/" + n.ID
}

// retry records a failed attempt and asks the runner for another at next.
func (s *Service) retry(ctx context.Context, d *model.Delivery, next time.Time, reason string) error {
	d.State, d.NextAttemptAt = model.DeliveryRetrying, &next
	if err := s.Store.InTx(ctx, func(tx *store.Tx) error { return tx.UpdateDelivery(ctx, d, tx.Now()) }); err != nil {
		return err
	}
	return jobs.Retry(next, errors.New(reason))
}

// WebhookBody is what a gateway receives. Recipient carries the phone number: the platform's SMS
// gateway needs it, and webhook endpoints are the platform's own systems, registered by operators.
type WebhookBody struct {
	Type         string             `json:"type"` // the notification kind
	DeliveryID   string             `json:"delivery_id"`
	Notification model.Notification `json:"notification"`
	Recipient    WebhookRecipient   `json:"recipient"`
	Alert        string             `json:"alert"`
	Data         json.RawMessage    `json:"data"`
	// Escalation is set on a chain step's webhook (Y1): the notice is unread past its deadline
	// and the gateway should use this channel (sms or app_push). Step is its place in the chain.
	Escalation string `json:"escalation,omitempty"`
	Step       int    `json:"step,omitempty"`
	// Actions the gateway may run for the recipient (Y2): POST /v1/actions/redeem with the token.
	Actions []GatewayAction `json:"actions,omitempty"`
}

// WebhookRecipient is the person a webhook tells the gateway to reach.
type WebhookRecipient struct {
	ID       string     `json:"id"`
	Role     model.Role `json:"role"`
	Name     string     `json:"name"`
	Locale   string     `json:"locale"`
	TimeZone string     `json:"time_zone"`
	Phone    string     `json:"phone"`
}

func (s *Service) sendHook(ctx context.Context, j model.Job) error {
	p, d, done, err := s.load(ctx, j)
	if done || err != nil {
		return err
	}
	ep, err := s.Store.WebhookEndpoint(ctx, d.Target)
	if model.IsCode(err, model.CodeNotFound) {
		return s.finish(ctx, &d, model.DeliverySkipped, "endpoint removed")
	}
	if err != nil {
		return err
	}
	if !ep.Active {
		return s.finish(ctx, &d, model.DeliverySkipped, "endpoint paused")
	}
	n, err := s.notification(ctx, d.RecipientID, d.NotificationID)
	if model.IsCode(err, model.CodeNotFound) {
		return s.finish(ctx, &d, model.DeliverySkipped, "notification removed")
	}
	if err != nil {
		return err
	}
	person, err := s.Store.Person(ctx, d.RecipientID)
	if err != nil {
		return err
	}
	var actions []GatewayAction
	if s.Tokens != nil {
		if actions, err = s.Tokens(ctx, n); err != nil {
			return err
		}
	}
	body, err := model.MarshalJSON(WebhookBody{Type: n.Kind, DeliveryID: d.ID, Notification: n, Alert: p.Alert, Data: n.Data,
		Recipient: WebhookRecipient{ID: person.ID, Role: person.Role, Name: person.Name, Locale: person.Locale,
			TimeZone: person.TimeZone, Phone: person.Phone}, Escalation: p.Escalation, Step: d.Step, Actions: actions})
	if err != nil {
		return fmt.Errorf("deliver: webhook body: %w", err)
	}
	secret, err := webhook.DecodeSecret(ep.Secret)
	if err != nil {
		return s.finish(ctx, &d, model.DeliveryFailed, "endpoint secret: "+err.Error())
	}
	// webhook-id is the delivery id, the same on every retry, so the gateway can drop duplicates.
	res := s.Hooks.Send(ctx, ep.URL, secret, d.ID, body)
	now := s.Now()
	d.Attempts++
	d.LastStatus, d.LastError = res.StatusCode, res.Error
	s.count(ctx, d, outcome(res.OK(), res.Retryable, res.Retryable && !webhook.GiveUpAfter(d.Attempts)), now)
	switch {
	case res.OK():
		d.State, d.NextAttemptAt = model.DeliverySent, nil
		return s.Store.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.UpdateDelivery(ctx, &d, now); err != nil {
				return err
			}
			return tx.WebhookSucceeded(ctx, ep.ID, now)
		})
	case res.Retryable && !webhook.GiveUpAfter(d.Attempts):
		return s.retry(ctx, &d, now.Add(res.NextDelay(d.Attempts)), res.Error)
	}
	// The delivery has failed for good: count it against the endpoint, and pause an endpoint that
	// keeps failing so operators fix it instead of it failing silently.
	d.State, d.NextAttemptAt = model.DeliveryFailed, nil
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.UpdateDelivery(ctx, &d, now); err != nil {
			return err
		}
		if err := s.AdvanceChain(ctx, tx, d, res.Error); err != nil {
			return err
		}
		e, err := tx.WebhookDeliveryFailed(ctx, ep.ID)
		if err != nil {
			return err
		}
		wholeChain := res.Retryable && (e.LastSuccessAt == nil || e.LastSuccessAt.Before(d.CreatedAt))
		if e.FailedDeliveries < s.pauseAfter() && !wholeChain {
			return nil
		}
		paused, err := tx.PauseWebhookEndpoint(ctx, ep.ID, now)
		if err != nil || !paused {
			return err
		}
		s.Log.WarnContext(ctx, "deliver: webhook endpoint paused", "endpoint", ep.ID, "delivery_id", d.ID,
			"failed_deliveries", e.FailedDeliveries, "err", res.Error)
		tx.AfterCommit(s.Metrics.WebhookPaused)
		ops, err := notify.Operators(ctx, &tx.Queries)
		if err != nil {
			return err
		}
		_, err = s.Notify.Notify(ctx, tx, notify.Event{Kind: notify.KindWebhookEndpointPaused,
			Key: ep.ID + ":" + strconv.FormatInt(now.Unix(), 10), Recipients: ops,
			Vars: map[string]any{"endpoint": endpointName(ep), "error": res.Error},
			Data: map[string]any{"endpoint_id": ep.ID}})
		return err
	})
}

func (s *Service) pauseAfter() int {
	if s.PauseAfter > 0 {
		return s.PauseAfter
	}
	return DefaultPauseAfter
}

// endpointName names an endpoint in a notice without its query string, which may hold a token.
func endpointName(ep model.WebhookEndpoint) string {
	name := ep.URL
	if u, err := url.Parse(ep.URL); err == nil {
		name = u.Scheme + "://" + u.Host + u.Path
	}
	if ep.Description != "" {
		name = ep.Description + " (" + name + ")"
	}
	return name
}
