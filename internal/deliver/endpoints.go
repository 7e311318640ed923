package deliver

import (
	"context"
	"fmt"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

// The people's and operators' delivery endpoints (X2): Web Push subscriptions and webhook
// endpoints. The API validates their shape; these methods own the writes.

// SavePushSubscription stores sub for its person (a browser re-subscribing replaces its keys) and
// reports whether it was new.
func (s *Service) SavePushSubscription(ctx context.Context, sub *model.PushSubscription) (created bool, err error) {
	defer model.WrapOp(&err, "deliver: save push subscription", "")
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		created, err = tx.PutPushSubscription(ctx, sub, tx.Now())
		return err
	})
	if err != nil {
		return false, fmt.Errorf("deliver: save push subscription: %w", err)
	}
	return created, nil
}

// DeletePushSubscription removes one of personID's subscriptions; anyone else's is "not found".
func (s *Service) DeletePushSubscription(ctx context.Context, personID, id string) (err error) {
	defer model.WrapOp(&err, "deliver: delete push subscription", personID)
	return s.Store.InTx(ctx, func(tx *store.Tx) error { return tx.DeletePushSubscription(ctx, personID, id) })
}

// CreateWebhookEndpoint registers ep (its secret already made by the caller).
func (s *Service) CreateWebhookEndpoint(ctx context.Context, ep *model.WebhookEndpoint) (err error) {
	defer model.WrapOp(&err, "deliver: create webhook endpoint", "")
	if err := s.checkWebhookURL(ctx, ep.URL); err != nil {
		return err
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error { return tx.InsertWebhookEndpoint(ctx, ep, tx.Now()) })
}

// WebhookPatch changes the fields that are set.
type WebhookPatch struct {
	URL         *string
	Kinds       *[]string
	Description *string
	Active      *bool
}

// UpdateWebhookEndpoint applies p to endpoint id and returns it as stored.
func (s *Service) UpdateWebhookEndpoint(ctx context.Context, id string, p WebhookPatch) (_ model.WebhookEndpoint, err error) {
	defer model.WrapOp(&err, "deliver: update webhook endpoint", id)
	var ep model.WebhookEndpoint
	if p.URL != nil {
		if err := s.checkWebhookURL(ctx, *p.URL); err != nil {
			return ep, err
		}
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if ep, err = tx.WebhookEndpoint(ctx, id); err != nil {
			return err
		}
		if p.URL != nil {
			ep.URL = *p.URL
		}
		if p.Kinds != nil {
			ep.Kinds = *p.Kinds
		}
		if p.Description != nil {
			ep.Description = *p.Description
		}
		if p.Active != nil {
			ep.Active = *p.Active
		}
		return tx.UpdateWebhookEndpoint(ctx, &ep, tx.Now())
	})
	return ep, err
}

// DeleteWebhookEndpoint removes endpoint id.
func (s *Service) DeleteWebhookEndpoint(ctx context.Context, id string) (err error) {
	defer model.WrapOp(&err, "deliver: delete webhook endpoint", id)
	return s.Store.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteWebhookEndpoint(ctx, id) })
}

// checkWebhookURL refuses an endpoint inside a private network (issue 10, defect 6).
func (s *Service) checkWebhookURL(ctx context.Context, raw string) error {
	if s.Hooks == nil || s.Hooks.Guard == nil {
		return nil
	}
	if err := s.Hooks.Guard.CheckURL(ctx, raw); err != nil {
		return model.Invalid(model.FieldError{Field: "url", Message: err.Error()})
	}
	return nil
}
