package deliver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/homebell/homebell/internal/deliver/wechat"
	"github.com/homebell/homebell/internal/jobs"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
)

// The WeChat channel (Y3): a notice worth one of the person's one-time authorisations goes as a
// mini-program subscribe message first; when it cannot (no authorisation left, WeChat refuses it),
// it falls back to the channels deliver has always used — the person's Web Push subscriptions and
// the platform's gateway webhooks — in the same transaction that records why.

// JobWeChat is the job kind of one attempt at a WeChat send.
const JobWeChat = "wechat.send"

// WeChatMaxAttempts bounds retries of a send WeChat could not take for a passing reason (busy,
// network); after them the notice falls back.
const WeChatMaxAttempts = 4

// WeChatChannel is the configured WeChat mini-program.
type WeChatChannel struct {
	Client *wechat.Client
	// State is the mini-program version a tap opens: formal, trial or developer.
	State string
	// Owner names this node in the token lease (unique per process); each refresh adds its own id.
	Owner string
	// TokenWait is how long a node waits for another node's token refresh (default 15 s).
	TokenWait time.Duration
}

// worthWeChat lists the kinds a one-time authorisation may be spent on: action needed,
// time-critical, money. Promotions and platform news never are.
var worthWeChat = map[string]string{
	notify.KindOrderAssigned:         "action",
	notify.KindChangeRequested:       "action",
	notify.KindWorkerChangeRequested: "action",
	notify.KindCancellationRequested: "action",
	notify.KindServiceStartingSoon:   "time",
	notify.KindScheduleChanged:       "time",
	notify.KindChangeDeclined:        "time",
	notify.KindWorkerChanged:         "time",
	notify.KindWorkerRemoved:         "time",
	notify.KindOrderAccepted:         "money",
	notify.KindOrderCancelled:        "money", // only with a refund, see WorthWeChat
	notify.KindRefundSettled:         "money",
}

// WorthWeChat reports whether n may spend a one-time WeChat authorisation, and why not.
func WorthWeChat(n model.Notification) (bool, string) {
	if n.Category == "platform" {
		return false, "platform news and promotions never spend an authorisation"
	}
	if _, ok := worthWeChat[n.Kind]; !ok {
		return false, "not action-needed, time-critical or about money"
	}
	if n.Kind == notify.KindOrderCancelled {
		var d struct {
			Refund struct {
				AmountCents int64 `json:"amount_cents"`
			} `json:"refund"`
		}
		_ = json.Unmarshal(n.Data, &d)
		if d.Refund.AmountCents <= 0 {
			return false, "a cancellation without a refund"
		}
	}
	return true, ""
}

// WorthWeChatKinds lists the kinds WorthWeChat may accept, for the operators' screen.
func WorthWeChatKinds() []string {
	out := make([]string, 0, len(worthWeChat))
	for _, k := range notify.Kinds() {
		if _, ok := worthWeChat[k.ID]; ok {
			out = append(out, k.ID)
		}
	}
	return out
}

// WeChatDetail is what the delivery log shows of a WeChat send.
type WeChatDetail struct {
	TemplateID   string `json:"template_id"`
	OpenID       string `json:"openid,omitempty"`
	LedgerBefore int    `json:"ledger_before"`
	LedgerAfter  int    `json:"ledger_after"`
	ErrCode      *int   `json:"errcode,omitempty"`
	ErrMsg       string `json:"errmsg,omitempty"`
	MsgID        int64  `json:"msgid,omitempty"`
	Field        string `json:"field,omitempty"` // 47003: the field WeChat refused
	FellBack     bool   `json:"fell_back,omitempty"`
	// Data is the fields as sent.
	Data map[string]string `json:"data,omitempty"`
}

func (d WeChatDetail) raw() json.RawMessage {
	b, _ := json.Marshal(d)
	return b
}

// planWeChat decides, inside deliver, whether n goes to WeChat first. handled is true when it
// wrote what is needed (a WeChat send job, or a skipped WeChat row and the fall-back deliveries);
// false leaves n to the other channels as before.
func (s *Service) planWeChat(ctx context.Context, n model.Notification, alert string, subs []model.PushSubscription, eps []model.WebhookEndpoint) (handled bool, err error) {
	if s.WeChat == nil || n.ReadAt != nil {
		return false, nil
	}
	// WeChat is a step of the notice's chain (Y1): the authorisation is kept for the moment the
	// notice is still unread at its deadline, rather than spent on the first telling.
	c, err := s.Store.NoticeChain(ctx, n.ID)
	if err != nil && !model.IsCode(err, model.CodeNotFound) {
		return false, err
	}
	if err == nil && slices.Contains(c.Steps, model.StepWeChat) {
		return false, nil
	}
	b, tpl, bal, why, err := s.wechatTarget(ctx, &s.Store.Queries, n)
	if why != "" || err != nil {
		return false, err
	}
	now := s.Now()
	d := model.Delivery{NotificationID: n.ID, RecipientID: n.RecipientID, OrderID: n.OrderID, Kind: n.Kind,
		Channel: model.ChannelWeChat, Target: b.OpenID, State: model.DeliveryQueued, NextAttemptAt: &now}
	return true, s.Store.InTx(ctx, func(tx *store.Tx) error {
		if bal <= 0 {
			// Nothing to spend: the log says so, and the next channel carries it.
			d.State, d.NextAttemptAt = model.DeliverySkipped, nil
			d.LastError = "no WeChat authorisation left for the template; fell back to the next channel"
			d.Detail = WeChatDetail{TemplateID: tpl.TemplateID, OpenID: b.OpenID, FellBack: true}.raw()
			if _, err := tx.InsertDelivery(ctx, &d, now); err != nil {
				return err
			}
			if err := s.Enqueue(ctx, tx, n, alert, subs, eps); err != nil {
				return err
			}
			return s.skipPlanned(ctx, tx, n.ID, reasonTargetGone)
		}
		d.Detail = WeChatDetail{TemplateID: tpl.TemplateID, OpenID: b.OpenID, LedgerBefore: bal, LedgerAfter: bal}.raw()
		inserted, err := tx.InsertDelivery(ctx, &d, now)
		if err != nil || !inserted {
			return err
		}
		// The deliveries planned for the window on the other channels (S2) give way to WeChat;
		// should it fall back, those channels get rows of their own then.
		if err := tx.DropPlannedDeliveries(ctx, n.ID); err != nil {
			return err
		}
		return s.Jobs.Schedule(ctx, tx, JobWeChat, "delivery:"+d.ID, now, sendPayload{DeliveryID: d.ID, Alert: alert}, WeChatMaxAttempts)
	})
}

// wechatTarget finds where n goes on WeChat: the recipient's binding, the kind's active template
// and the authorisations left for it. why says why n cannot go (not worth an authorisation, not
// bound, no template); a balance of 0 is not a why, callers decide.
func (s *Service) wechatTarget(ctx context.Context, q *store.Queries, n model.Notification) (b model.WeChatBinding, tpl model.WeChatTemplate, bal int, why string, err error) {
	if ok, why := WorthWeChat(n); !ok {
		return b, tpl, 0, why, nil
	}
	b, err = q.WeChatBinding(ctx, n.RecipientID)
	if model.IsCode(err, model.CodeNotFound) {
		return b, tpl, 0, "the person is not bound to WeChat", nil
	}
	if err != nil {
		return b, tpl, 0, "", err
	}
	tpl, err = q.WeChatTemplateForKind(ctx, n.Kind)
	if model.IsCode(err, model.CodeNotFound) || (err == nil && !tpl.Active) {
		return b, tpl, 0, "no active WeChat template for the kind", nil
	}
	if err != nil {
		return b, tpl, 0, "", err
	}
	bal, err = q.WeChatBalance(ctx, n.RecipientID, tpl.TemplateID)
	return b, tpl, bal, "", err
}

// stepWeChat is the wechat step of a notice's chain (Y1, Y3): a notice still unread at its
// deadline goes out as a subscribe message, spending one authorisation when the send job runs.
// With nowhere to go (WeChat not worth it for the kind, the person not bound, no template, no
// authorisation left) the chain moves to its next step at once; a send WeChat refuses moves it on
// from the send job (fallBack).
func (s *Service) stepWeChat(ctx context.Context, tx *store.Tx, c model.NoticeChain, n model.Notification, step int) (bool, string, error) {
	b, tpl, bal, why, err := s.wechatTarget(ctx, &tx.Queries, n)
	if why != "" || err != nil {
		return false, why, err
	}
	if bal <= 0 {
		return false, "no WeChat authorisation left for template " + tpl.TemplateID, nil
	}
	now := tx.Now()
	d := model.Delivery{NotificationID: n.ID, RecipientID: n.RecipientID, OrderID: n.OrderID, Kind: n.Kind,
		Channel: model.ChannelWeChat, Target: b.OpenID, State: model.DeliveryQueued, NextAttemptAt: &now, Step: step,
		Detail: WeChatDetail{TemplateID: tpl.TemplateID, OpenID: b.OpenID, LedgerBefore: bal, LedgerAfter: bal}.raw()}
	inserted, err := tx.InsertDelivery(ctx, &d, now)
	if err != nil {
		return false, "", err
	}
	if inserted {
		if err := s.Jobs.Schedule(ctx, tx, JobWeChat, "delivery:"+d.ID, now, sendPayload{DeliveryID: d.ID, Alert: "sound"}, WeChatMaxAttempts); err != nil {
			return false, "", err
		}
	}
	return true, fmt.Sprintf("template %s, %d authorisation(s) left", tpl.TemplateID, bal), nil
}

// seen reports whether the recipient has seen n, so a WeChat send of it is pointless: read in the
// app, or — for a chain's step — the chain ended (read, acknowledged, moot). A notice that must be
// acknowledged still goes out when merely opened.
func (s *Service) seen(ctx context.Context, d model.Delivery, n model.Notification) (bool, error) {
	if d.Step <= 0 {
		return n.ReadAt != nil, nil
	}
	c, err := s.Store.NoticeChain(ctx, d.NotificationID)
	if model.IsCode(err, model.CodeNotFound) {
		return n.ReadAt != nil, nil
	}
	if err != nil {
		return false, err
	}
	return c.State != model.ChainActive || (n.ReadAt != nil && !c.AckRequired), nil
}

// sendWeChat is one attempt at a WeChat send.
func (s *Service) sendWeChat(ctx context.Context, j model.Job) error {
	p, d, done, err := s.load(ctx, j)
	if done || err != nil {
		return err
	}
	var det WeChatDetail
	_ = json.Unmarshal(d.Detail, &det)
	n, err := s.notification(ctx, d.RecipientID, d.NotificationID)
	if model.IsCode(err, model.CodeNotFound) {
		return s.finish(ctx, &d, model.DeliverySkipped, "notification removed")
	}
	if err != nil {
		return err
	}
	if seen, err := s.seen(ctx, d, n); err != nil || seen {
		if err != nil {
			return err
		}
		// Seen in the app already: an authorisation is not spent on it, and nothing else is sent.
		d.State, d.NextAttemptAt, d.LastError = model.DeliverySkipped, nil, "read in the app before it went out"
		return s.Store.InTx(ctx, func(tx *store.Tx) error { return tx.UpdateDelivery(ctx, &d, tx.Now()) })
	}
	if s.WeChat == nil {
		return s.fallBack(ctx, &d, &det, n, p.Alert, model.DeliverySkipped, "WeChat is not configured on this node", nil)
	}
	b, err := s.Store.WeChatBinding(ctx, d.RecipientID)
	if model.IsCode(err, model.CodeNotFound) {
		return s.fallBack(ctx, &d, &det, n, p.Alert, model.DeliverySkipped, "the person is no longer bound to WeChat", nil)
	}
	if err != nil {
		return err
	}
	tpl, err := s.Store.WeChatTemplateForKind(ctx, n.Kind)
	if model.IsCode(err, model.CodeNotFound) || (err == nil && !tpl.Active) {
		return s.fallBack(ctx, &d, &det, n, p.Alert, model.DeliverySkipped, "no active WeChat template for the kind", nil)
	}
	if err != nil {
		return err
	}
	person, err := s.Store.Person(ctx, d.RecipientID)
	if err != nil {
		return err
	}
	msg, err := s.wechatMessage(ctx, n, tpl, b.OpenID, person)
	if err != nil {
		return err
	}
	det = WeChatDetail{TemplateID: tpl.TemplateID, OpenID: b.OpenID, Data: map[string]string{}}
	for k, v := range msg.Data {
		det.Data[k] = v.Value
	}
	// Spend first, in its own transaction: a crash after WeChat took the message must not hand
	// the authorisation back. The ref makes a re-run of this attempt find its spend.
	ref := d.ID + "#" + strconv.Itoa(d.Attempts)
	var spend store.LedgerChange
	if err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		spend, err = tx.ChangeWeChatBalance(ctx, d.RecipientID, tpl.TemplateID, model.LedgerSpent, ref, -1, tx.Now())
		return err
	}); err != nil {
		return err
	}
	det.LedgerBefore, det.LedgerAfter = spend.Before, spend.After
	if !spend.Applied && !spend.Duplicate {
		return s.fallBack(ctx, &d, &det, n, p.Alert, model.DeliverySkipped,
			"no WeChat authorisation left for the template; fell back to the next channel", nil)
	}
	ans, sendErr := s.WeChatSend(ctx, msg)
	d.Attempts++
	unspend := func(tx *store.Tx) error {
		c, err := tx.ChangeWeChatBalance(ctx, d.RecipientID, tpl.TemplateID, model.LedgerReturned, ref, 1, tx.Now())
		if err == nil {
			det.LedgerAfter = c.After
		}
		return err
	}
	if sendErr != nil {
		d.LastError = sendErr.Error()
		if d.Attempts < WeChatMaxAttempts {
			next := s.Now().Add(webhookBackoff(d.Attempts))
			d.State, d.NextAttemptAt = model.DeliveryRetrying, &next
			if err := s.Store.InTx(ctx, func(tx *store.Tx) error {
				if err := unspend(tx); err != nil {
					return err
				}
				d.Detail = det.raw()
				return tx.UpdateDelivery(ctx, &d, tx.Now())
			}); err != nil {
				return err
			}
			return jobs.Retry(next, sendErr)
		}
		return s.fallBack(ctx, &d, &det, n, p.Alert, model.DeliveryFailed, "WeChat unreachable: "+sendErr.Error(), unspend)
	}
	code := ans.ErrCode
	det.ErrCode, det.ErrMsg, det.MsgID = &code, ans.ErrMsg, ans.MsgID
	d.LastStatus = 200
	switch code {
	case 0:
		d.State, d.NextAttemptAt, d.LastError = model.DeliverySent, nil, ""
		d.Detail = det.raw()
		return s.Store.InTx(ctx, func(tx *store.Tx) error { return tx.UpdateDelivery(ctx, &d, tx.Now()) })
	case wechat.ErrNoAuthorisation:
		// WeChat says the person has none: our count was wrong (they used them elsewhere or
		// WeChat dropped them), so it is zeroed, not merely given this one back.
		revoke := func(tx *store.Tx) error {
			c, err := tx.ChangeWeChatBalance(ctx, d.RecipientID, tpl.TemplateID, model.LedgerRevoked, ref, 0, tx.Now())
			if err == nil {
				det.LedgerAfter = c.After
			}
			return err
		}
		return s.fallBack(ctx, &d, &det, n, p.Alert, model.DeliveryFailed,
			fmt.Sprintf("WeChat %d (no authorisation): ledger zeroed, fell back to the next channel", code), revoke)
	case wechat.ErrBadField:
		det.Field = badField(ans.ErrMsg)
		s.Log.Warn("deliver: WeChat refused a template field", "delivery", d.ID, "kind", n.Kind,
			"template", tpl.TemplateID, "field", det.Field, "errmsg", ans.ErrMsg)
		return s.fallBack(ctx, &d, &det, n, p.Alert, model.DeliveryFailed,
			fmt.Sprintf("WeChat %d: field %s refused (%s)", code, det.Field, ans.ErrMsg), unspend)
	case wechat.ErrBusy:
		if d.Attempts < WeChatMaxAttempts {
			next := s.Now().Add(webhookBackoff(d.Attempts))
			d.State, d.NextAttemptAt, d.LastError = model.DeliveryRetrying, &next, "WeChat busy"
			if err := s.Store.InTx(ctx, func(tx *store.Tx) error {
				if err := unspend(tx); err != nil {
					return err
				}
				d.Detail = det.raw()
				return tx.UpdateDelivery(ctx, &d, tx.Now())
			}); err != nil {
				return err
			}
			return jobs.Retry(next, errors.New("WeChat busy"))
		}
	}
	return s.fallBack(ctx, &d, &det, n, p.Alert, model.DeliveryFailed, fmt.Sprintf("WeChat %d: %s", code, ans.ErrMsg), unspend)
}

// fallBack ends a WeChat delivery in state with reason and, in the same transaction, runs change
// (a ledger entry) and hands the notice to the person's other channels — or, for a chain's step,
// to the chain's next step, at once.
func (s *Service) fallBack(ctx context.Context, d *model.Delivery, det *WeChatDetail, n model.Notification, alert, state, reason string, change func(tx *store.Tx) error) error {
	if d.Step > 0 {
		return s.Store.InTx(ctx, func(tx *store.Tx) error {
			if change != nil {
				if err := change(tx); err != nil {
					return err
				}
			}
			det.FellBack = true
			d.State, d.NextAttemptAt, d.LastError, d.Detail = state, nil, reason, det.raw()
			if err := tx.UpdateDelivery(ctx, d, tx.Now()); err != nil {
				return err
			}
			return s.AdvanceChain(ctx, tx, *d, reason)
		})
	}
	subs, err := s.Store.PushSubscriptions(ctx, n.RecipientID)
	if err != nil {
		return err
	}
	eps, err := s.wantedEndpoints(ctx, n.Kind)
	if err != nil {
		return err
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		if change != nil {
			if err := change(tx); err != nil {
				return err
			}
		}
		det.FellBack = true
		d.State, d.NextAttemptAt, d.LastError, d.Detail = state, nil, reason, det.raw()
		if err := tx.UpdateDelivery(ctx, d, tx.Now()); err != nil {
			return err
		}
		return s.Enqueue(ctx, tx, n, alert, subs, eps)
	})
}

// wantedEndpoints lists the active webhook endpoints that take kind.
func (s *Service) wantedEndpoints(ctx context.Context, kind string) ([]model.WebhookEndpoint, error) {
	eps, err := s.Store.WebhookEndpoints(ctx, true)
	if err != nil {
		return nil, err
	}
	var wanted []model.WebhookEndpoint // not eps[:0]: the active list is the read cache's, shared
	for _, ep := range eps {
		if ep.Wants(kind) {
			wanted = append(wanted, ep)
		}
	}
	return wanted, nil
}

var reBadField = regexp.MustCompile(`data\.([A-Za-z_]+[0-9]+)`)

// badField names the field of a 47003 answer ("argument invalid! data.thing1.value …").
func badField(errmsg string) string {
	if m := reBadField.FindStringSubmatch(errmsg); m != nil {
		return m[1]
	}
	return ""
}

func webhookBackoff(attempt int) time.Duration {
	return time.Duration(attempt*attempt) * 30 * time.Second
}

// WeChatSend posts msg with the shared token (the send job's path; exported for tests and tools); when WeChat calls the token invalid (40001, 42001:
// another node refreshed it, or it expired early) the token is refreshed once and the send tried
// once more.
func (s *Service) WeChatSend(ctx context.Context, msg wechat.Message) (_ wechat.Answer, err error) {
	defer model.WrapOp(&err, "deliver: wechat send", "")
	tok, err := s.wechatToken(ctx)
	if err != nil {
		return wechat.Answer{}, err
	}
	ans, err := s.WeChat.Client.Send(ctx, tok, msg)
	if err != nil || (ans.ErrCode != wechat.ErrInvalidToken && ans.ErrCode != wechat.ErrTokenExpired) {
		return ans, err
	}
	if err := s.Store.InTx(ctx, func(tx *store.Tx) error { return tx.ExpireWeChatToken(ctx, tok, tx.Now()) }); err != nil {
		return ans, err
	}
	if tok, err = s.wechatToken(ctx); err != nil {
		return wechat.Answer{}, err
	}
	return s.WeChat.Client.Send(ctx, tok, msg)
}

// tokenMargin: a token this close to its expiry is refreshed rather than used.
const tokenMargin = 5 * time.Minute

// wechatToken returns the access token every node shares. When it is missing or near its end, one
// node (the holder of a lease in the database) fetches a new one while the others wait and read
// it: WeChat invalidates the old token on every fetch, so nodes refreshing on their own would
// keep knocking each other's token out.
func (s *Service) wechatToken(ctx context.Context) (string, error) {
	wait := s.WeChat.TokenWait
	if wait <= 0 {
		wait = 15 * time.Second
	}
	deadline := time.Now().Add(wait)
	owner := s.WeChat.Owner + "#" + model.NewID() // one per call: sends run concurrently on a node
	for {
		now := s.Now()
		t, err := s.Store.WeChatToken(ctx)
		if err != nil {
			return "", err
		}
		if t.AppID == s.WeChat.Client.AppID && t.AccessToken != "" && t.ExpiresAt != nil && now.Add(tokenMargin).Before(*t.ExpiresAt) {
			return t.AccessToken, nil
		}
		var taken bool
		if err := s.Store.InTx(ctx, func(tx *store.Tx) (err error) {
			// Only if nobody refreshed it since it was read here: else the loop reads the new one.
			taken, err = tx.TakeWeChatTokenLease(ctx, owner, t.Refreshes, now, now.Add(wait))
			return err
		}); err != nil {
			return "", err
		}
		if taken {
			return s.refreshWeChatToken(ctx, owner)
		}
		if time.Now().After(deadline) {
			return "", errors.New("wechat: another node is refreshing the access token; try again")
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (s *Service) refreshWeChatToken(ctx context.Context, owner string) (string, error) {
	tok, err := s.WeChat.Client.FetchToken(ctx)
	if err != nil {
		_ = s.Store.InTx(context.WithoutCancel(ctx), func(tx *store.Tx) error {
			return tx.ReleaseWeChatTokenLease(ctx, owner)
		})
		return "", err
	}
	now := s.Now()
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		return tx.PutWeChatToken(ctx, owner, s.WeChat.Client.AppID, tok.AccessToken, now.Add(tok.ExpiresIn), now)
	})
	if err != nil {
		return "", err
	}
	s.Log.Info("deliver: WeChat access token refreshed", "by", owner)
	return tok.AccessToken, nil
}

// wechatMessage builds the subscribe message of n for the template's mapping.
func (s *Service) wechatMessage(ctx context.Context, n model.Notification, tpl model.WeChatTemplate, openid string, person model.Person) (wechat.Message, error) {
	v := &noticeVars{n: n, locale: person.Locale, loc: person.Location()}
	if n.OrderID != "" {
		o, err := s.Store.Order(ctx, n.OrderID)
		if err != nil && !model.IsCode(err, model.CodeNotFound) {
			return wechat.Message{}, err
		}
		if err == nil {
			v.order = &o
			if it, err := s.Store.ServiceItem(ctx, o.ServiceItemID); err == nil {
				v.item = it.Name.In(person.Locale)
			}
			if o.WorkerID != "" {
				if w, err := s.Store.Person(ctx, o.WorkerID); err == nil {
					v.worker = w.Name
				}
			}
			if c, err := s.Store.Person(ctx, o.CustomerID); err == nil {
				v.customer = c.Name
			}
		}
	}
	m := wechat.Message{ToUser: openid, TemplateID: tpl.TemplateID, MiniprogramState: s.WeChat.State,
		Lang: wechat.Lang(person.Locale), Data: map[string]wechat.Value{}}
	if tpl.Page != "" {
		m.Page = strings.NewReplacer("{order_id}", n.OrderID, "{notification_id}", n.ID).Replace(tpl.Page)
	}
	for _, f := range tpl.Fields {
		t, _ := wechat.TypeOfKey(f.Key)
		m.Data[f.Key] = wechat.Value{Value: v.value(f.Source, t)}
	}
	return m, nil
}
