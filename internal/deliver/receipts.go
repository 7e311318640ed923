package deliver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/homebell/homebell/internal/deliver/webhook"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
)

// Delivery receipts (Y1): a gateway reports what became of a webhook delivery — delivered,
// failed or read — signed like the webhooks it receives (Standard Webhooks, with the endpoint's
// own secret), so nobody else can move a chain. failed runs the chain's next step at once; read
// marks the notice read, which stops its chain.

// Receipt is a gateway's report on one delivery.
type Receipt struct {
	DeliveryID string `json:"delivery_id"`
	Status     string `json:"status"` // delivered, failed, read
	Detail     string `json:"detail,omitempty"`
}

// Receipt statuses.
const (
	ReceiptDelivered = "delivered"
	ReceiptFailed    = "failed"
	ReceiptRead      = "read"
)

// TakeReceipt verifies and applies a gateway's signed receipt (body as received, with its
// webhook-id, webhook-timestamp and webhook-signature headers).
func (s *Service) TakeReceipt(ctx context.Context, h http.Header, body []byte) (_ model.Delivery, err error) {
	defer model.WrapOp(&err, "deliver: take receipt", "")
	var rc Receipt
	if err := json.Unmarshal(body, &rc); err != nil {
		return model.Delivery{}, model.Invalid(model.FieldError{Field: "body", Message: "is not a receipt: " + err.Error()})
	}
	var v model.Validator
	v.Check(rc.DeliveryID != "" && len(rc.DeliveryID) <= 100, "delivery_id", "is required")
	v.Check(rc.Status == ReceiptDelivered || rc.Status == ReceiptFailed || rc.Status == ReceiptRead, "status", "must be delivered, failed or read")
	v.Check(len([]rune(rc.Detail)) <= 500, "detail", "at most 500 characters")
	if err := v.Err(); err != nil {
		return model.Delivery{}, err
	}
	refused := model.Errorf(model.CodeUnauthenticated, "the receipt's signature does not verify for its delivery's endpoint")
	d, err := s.Store.Delivery(ctx, rc.DeliveryID)
	if model.IsCode(err, model.CodeNotFound) {
		return d, refused // say nothing about which delivery ids exist
	}
	if err != nil {
		return d, err
	}
	if d.Channel != model.ChannelWebhook {
		return model.Delivery{}, refused
	}
	ep, err := s.Store.WebhookEndpoint(ctx, d.Target)
	if model.IsCode(err, model.CodeNotFound) {
		return model.Delivery{}, refused
	}
	if err != nil {
		return model.Delivery{}, err
	}
	secret, err := webhook.DecodeSecret(ep.Secret)
	if err != nil {
		return model.Delivery{}, refused
	}
	if err := webhook.Verify(secret, h, body, s.Now(), webhook.DefaultTolerance); err != nil {
		return model.Delivery{}, refused
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		if err := tx.SetDeliveryReceipt(ctx, d.ID, rc.Status, now); err != nil {
			return err
		}
		c, err := tx.NoticeChain(ctx, d.NotificationID)
		if model.IsCode(err, model.CodeNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		detail := strings.TrimSpace(d.Channel + " " + rc.Status + " " + rc.Detail)
		step := model.StepInApp
		if d.Step > 0 && d.Step <= len(c.Steps) {
			step = c.Steps[d.Step-1]
		}
		if err := notify.RecordStep(ctx, tx, c, step, "receipt", detail, now); err != nil {
			return err
		}
		if rc.Status == ReceiptFailed {
			return s.AdvanceChain(ctx, tx, d, "the gateway reported failed")
		}
		return nil
	})
	if err != nil {
		return model.Delivery{}, fmt.Errorf("deliver: receipt: %w", err)
	}
	if rc.Status == ReceiptRead {
		markRead := s.Notify.MarkRead
		if s.MarkRead != nil {
			markRead = s.MarkRead
		}
		if _, err := markRead(ctx, d.RecipientID, notify.ReadSelection{IDs: []string{d.NotificationID}}); err != nil {
			return model.Delivery{}, err
		}
	}
	return s.Store.Delivery(ctx, d.ID)
}
