// Package actions runs what a notice asks its recipient to do, from the notice itself (Y2):
// accept or decline a time change, approve or decline a cancellation, acknowledge, rate, reply to
// a review or to a chat message. An action is taken from the message center, from a Web Push
// notification's button (the service worker calls the API with the person's session) or by the
// platform's gateway with a signed, single-use, short-lived action token from the webhook. Every
// action runs through the same service method the app's own screens call, as the notice's
// recipient, so the rules are the app's; an action on a notice that stopped mattering (the
// change was withdrawn, the order cancelled) is refused with notice_stale and changes nothing.
package actions

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/homebell/homebell/internal/booking"
	"github.com/homebell/homebell/internal/chat"
	"github.com/homebell/homebell/internal/deliver"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
)

// Action types a notice may carry (data.actions[].type).
const (
	AcceptTimeChange     = "accept_time_change"
	DeclineTimeChange    = "decline_time_change"
	ApproveCancellation  = "approve_cancellation"
	DeclineCancellation  = "decline_cancellation"
	Acknowledge          = "acknowledge"
	AcknowledgeSOS       = "acknowledge_sos"
	Review               = "review"
	ReplyReview          = "reply_review"
	ReplyChat            = "reply"
	settingTokenKey      = "action_token_key"
	tokenRandomBytes     = 16
	tokenMACBytes        = 16
	defaultTokenLifetime = 30 * time.Minute
)

// runnable are the actions a notice's button or a gateway can run (assign_worker needs a choice
// made on the order page).
var runnable = map[string]bool{AcceptTimeChange: true, DeclineTimeChange: true, ApproveCancellation: true,
	DeclineCancellation: true, Acknowledge: true, AcknowledgeSOS: true, Review: true, ReplyReview: true, ReplyChat: true}

// Service runs actions from notices.
type Service struct {
	Store   *store.Store
	Notify  *notify.Service
	Booking *booking.Service
	Chat    *chat.Service
	Now     func() time.Time
	// MarkRead marks the notice read once its action ran (the message center's, with campaigns).
	MarkRead func(ctx context.Context, personID string, sel notify.ReadSelection) (notify.ReadEvent, error)
	// TokenLifetime is how long a gateway's action token lives (default 30 minutes).
	TokenLifetime time.Duration

	key []byte
}

// Input is what some actions need besides the notice: a reason (decline), a rating and text
// (review), a text (replies).
type Input struct {
	Reason   string   `json:"reason,omitempty"`
	Rating   int      `json:"rating,omitempty"`
	Text     string   `json:"text,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	ClientID string   `json:"client_id,omitempty"` // a chat reply's client-chosen id (sending is idempotent)
}

// Result is what an action did: the notice, the action and the changed thing (a time change, a
// cancellation, a review, a message, an acknowledgement).
type Result struct {
	NotificationID string `json:"notification_id"`
	Action         string `json:"action"`
	Result         any    `json:"result"`
}

// Start loads (or makes, once for all nodes) the key that signs action tokens.
func (s *Service) Start(ctx context.Context) (err error) {
	defer model.WrapOp(&err, "actions: start", "")
	var k string
	if found, err := s.Store.Setting(ctx, settingTokenKey, &k); err != nil {
		return err
	} else if !found || k == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		k = base64.RawURLEncoding.EncodeToString(b)
		if err := s.Store.InTx(ctx, func(tx *store.Tx) error { return tx.InsertSettingIfAbsent(ctx, settingTokenKey, &k, tx.Now()) }); err != nil {
			return fmt.Errorf("actions: store the token key: %w", err)
		}
		if _, err := s.Store.Setting(ctx, settingTokenKey, &k); err != nil {
			return err
		}
	}
	key, err := base64.RawURLEncoding.DecodeString(k)
	if err != nil || len(key) < 32 {
		return fmt.Errorf("actions: stored token key is malformed")
	}
	s.key = key
	return nil
}

// actionOf finds the action of type typ in a notice's data.
func actionOf(n model.Notification, typ string) (map[string]any, bool) {
	var d struct {
		Actions []map[string]any `json:"actions"`
	}
	_ = json.Unmarshal(n.Data, &d)
	for _, a := range d.Actions {
		if a["type"] == typ {
			return a, true
		}
	}
	return nil, false
}

func str(a map[string]any, k string) string {
	v, _ := a[k].(string)
	return v
}

// Do runs action typ of the notice notificationID for its recipient p.
func (s *Service) Do(ctx context.Context, p booking.Actor, notificationID, typ string, in Input) (_ Result, err error) {
	defer model.WrapOp(&err, "actions: do", notificationID)
	n, err := s.Store.Notification(ctx, p.ID, notificationID)
	if err != nil {
		return Result{}, err
	}
	act, ok := actionOf(n, typ)
	if !ok {
		return Result{}, model.Invalid(model.FieldError{Field: "action", Message: fmt.Sprintf("the notice carries no %q action", typ)})
	}
	if !runnable[typ] {
		return Result{}, model.Invalid(model.FieldError{Field: "action", Message: fmt.Sprintf("%q is done on the order page, not from the notice", typ)})
	}
	if typ != Acknowledge && s.Notify.Stale != nil {
		reason, err := s.Notify.Stale(ctx, &s.Store.Queries, n)
		if err != nil {
			return Result{}, err
		}
		if reason != "" {
			return Result{}, model.Errorf(model.CodeNoticeStale, "this notice is out of date: %s; nothing was changed", reason)
		}
	}
	out, err := s.run(ctx, p, n, act, typ, in)
	if err != nil {
		// The matter moved on between the check and the action (answered on another device):
		// the service refused it, so nothing changed.
		var refused *model.Error
		if errors.As(err, &refused) && refused.Code == model.CodeInvalidTransition {
			// The service's refusal, not where it was wrapped on the way.
			return Result{}, model.Errorf(model.CodeNoticeStale, "this notice is out of date: %s; nothing was changed", refused.Error())
		}
		return Result{}, err
	}
	if typ != Acknowledge {
		if err := s.markDone(ctx, n, typ); err != nil {
			return Result{}, err
		}
		if s.MarkRead != nil {
			if _, err := s.MarkRead(ctx, p.ID, notify.ReadSelection{IDs: []string{n.ID}}); err != nil {
				return Result{}, err
			}
		}
	}
	return Result{NotificationID: n.ID, Action: typ, Result: out}, nil
}

// markDone records on the notice which of its actions ran (data.done_action, data.done_at), so
// every device shows what was done instead of the buttons.
func (s *Service) markDone(ctx context.Context, n model.Notification, typ string) error {
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		cur, err := tx.Notification(ctx, n.RecipientID, n.ID)
		if err != nil {
			return err
		}
		var data map[string]any
		_ = json.Unmarshal(cur.Data, &data)
		if data == nil {
			data = map[string]any{}
		}
		data["done_action"], data["done_at"] = typ, tx.Now().UTC()
		raw, err := model.MarshalJSON(data)
		if err != nil {
			return err
		}
		return tx.SetNotificationData(ctx, n.RecipientID, n.ID, raw)
	})
}

func (s *Service) run(ctx context.Context, p booking.Actor, n model.Notification, act map[string]any, typ string, in Input) (any, error) {
	orderID := str(act, "order_id")
	if orderID == "" {
		orderID = n.OrderID
	}
	switch typ {
	case AcceptTimeChange, DeclineTimeChange:
		return s.Booking.AnswerTimeChange(ctx, p, orderID, str(act, "change_id"), typ == AcceptTimeChange, in.Reason)
	case ApproveCancellation, DeclineCancellation:
		return s.Booking.DecideCancellation(ctx, p, orderID, typ == ApproveCancellation, in.Reason)
	case Acknowledge:
		return s.Notify.Acknowledge(ctx, p.ID, n.ID)
	case AcknowledgeSOS:
		return s.Booking.AcknowledgeSOS(ctx, p, str(act, "sos_id"))
	case Review:
		return s.Booking.CreateReview(ctx, p, orderID, booking.ReviewInput{Rating: in.Rating, Text: in.Text, Tags: in.Tags})
	case ReplyReview:
		v, _, err := s.Booking.ReplyToReview(ctx, p, orderID, in.Text)
		return v, err
	case ReplyChat:
		clientID := in.ClientID
		if clientID == "" {
			clientID = "notice-" + model.NewID()
		}
		return s.Chat.Send(ctx, p, str(act, "conversation_id"), chat.SendInput{ClientID: clientID, Text: in.Text})
	}
	return nil, model.Invalid(model.FieldError{Field: "action", Message: "unknown action"})
}

// Tokens mints one action token per runnable action of n for a gateway's webhook: single-use,
// short-lived, bound to the notice, its recipient and the action.
func (s *Service) Tokens(ctx context.Context, n model.Notification) (_ []deliver.GatewayAction, err error) {
	defer model.WrapOp(&err, "actions: tokens", n.ID)
	var d struct {
		Actions []map[string]any `json:"actions"`
	}
	_ = json.Unmarshal(n.Data, &d)
	if len(d.Actions) == 0 || strings.HasPrefix(n.ID, "campaign:") {
		return nil, nil
	}
	now := s.Now()
	exp := now.Add(s.lifetime()).UTC().Truncate(time.Second)
	var out []deliver.GatewayAction
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		for _, a := range d.Actions {
			typ := str(a, "type")
			if !runnable[typ] {
				continue
			}
			raw := make([]byte, tokenRandomBytes)
			if _, err := rand.Read(raw); err != nil {
				return err
			}
			t := model.ActionToken{ID: tokenID(raw), NotificationID: n.ID, RecipientID: n.RecipientID, Action: typ, ExpiresAt: exp}
			if err := tx.InsertActionToken(ctx, &t, now); err != nil {
				return err
			}
			out = append(out, deliver.GatewayAction{Type: typ, Token: s.sign(raw), ExpiresAt: exp})
		}
		return nil
	})
	return out, err
}

func (s *Service) lifetime() time.Duration {
	if s.TokenLifetime > 0 {
		return s.TokenLifetime
	}
	return defaultTokenLifetime
}

// sign makes the token a gateway gets: the random part and its MAC under the node's key.
func (s *Service) sign(raw []byte) string {
	return base64.RawURLEncoding.EncodeToString(raw) + "." + base64.RawURLEncoding.EncodeToString(s.mac(raw))
}

func (s *Service) mac(raw []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("homebell-action-token:"))
	m.Write(raw)
	return m.Sum(nil)[:tokenMACBytes]
}

// tokenID is what is stored of a token: a hash, so a database reader cannot use it.
func tokenID(raw []byte) string {
	h := sha256.Sum256(raw)
	return hex.EncodeToString(h[:])
}

// Redeem runs the action a gateway's token names, as the notice's recipient. A forged,
// expired or already used token is refused (action_token_refused) and nothing runs.
func (s *Service) Redeem(ctx context.Context, token string, in Input) (_ Result, err error) {
	defer model.WrapOp(&err, "actions: redeem", "")
	refuse := func(why string) (Result, error) {
		return Result{}, model.Errorf(model.CodeActionTokenRefused, "the action token is %s", why)
	}
	rawPart, macPart, ok := strings.Cut(token, ".")
	raw, err1 := base64.RawURLEncoding.DecodeString(rawPart)
	mac, err2 := base64.RawURLEncoding.DecodeString(macPart)
	if !ok || err1 != nil || err2 != nil || len(raw) != tokenRandomBytes || subtle.ConstantTimeCompare(mac, s.mac(raw)) != 1 {
		return refuse("not one homebell issued")
	}
	var t model.ActionToken
	var used bool
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		t, used, err = tx.UseActionToken(ctx, tokenID(raw), tx.Now())
		return err
	})
	switch {
	case model.IsCode(err, model.CodeNotFound):
		// Its MAC says homebell issued it: the row was purged after it expired.
		return refuse("expired")
	case err != nil:
		return Result{}, err
	case !used && t.UsedAt != nil:
		return refuse("used already")
	case !used:
		return refuse("expired")
	}
	p, err := s.Store.Person(ctx, t.RecipientID)
	if err != nil {
		return Result{}, err
	}
	return s.Do(ctx, booking.Actor{ID: p.ID, Role: p.Role, Name: p.Name}, t.NotificationID, t.Action, in)
}
