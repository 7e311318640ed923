package api

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/homebell/homebell/internal/deliver"
	"github.com/homebell/homebell/internal/deliver/webhook"
	"github.com/homebell/homebell/internal/deliver/webpush"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
)

func (a *API) getVAPIDPublicKey(w http.ResponseWriter, r *http.Request) error {
	if a.VAPIDPublic == "" {
		return model.Errorf(model.CodeUnavailable, "Web Push is not configured on this server")
	}
	return writeJSON(w, http.StatusOK, map[string]string{"public_key": a.VAPIDPublic})
}

// pushSubscriptionInput is PushSubscription.toJSON() as the browser gives it.
type pushSubscriptionInput struct {
	Endpoint string `json:"endpoint"`
	Keys     struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

func (a *API) postPushSubscription(w http.ResponseWriter, r *http.Request) error {
	var in pushSubscriptionInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	var v model.Validator
	v.Check(len(in.Endpoint) <= 2048, "endpoint", "at most 2048 characters")
	if err := (webpush.Subscription{Endpoint: in.Endpoint, P256dh: in.Keys.P256dh, Auth: in.Keys.Auth}).Validate(); err != nil {
		v.Check(false, "endpoint", strings.TrimPrefix(err.Error(), "webpush: "))
	} else if u, _ := url.Parse(in.Endpoint); !a.Cfg.PushHostAllowed(u.Hostname()) {
		v.Check(false, "endpoint", "not a known push service: "+u.Hostname())
	}
	if err := v.Err(); err != nil {
		return err
	}
	sub := model.PushSubscription{PersonID: principal(r).ID, Endpoint: in.Endpoint, P256dh: in.Keys.P256dh, Auth: in.Keys.Auth}
	created, err := a.Deliver.SavePushSubscription(r.Context(), &sub)
	if err != nil {
		return err
	}
	return writeUpserted(w, created, sub)
}

func (a *API) listPushSubscriptions(w http.ResponseWriter, r *http.Request) error {
	subs, err := a.Store.PushSubscriptions(r.Context(), principal(r).ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page[model.PushSubscription]{Items: subs})
}

func (a *API) deletePushSubscription(w http.ResponseWriter, r *http.Request) error {
	// Only the owner's own subscription: anyone else's is "not found".
	if err := a.Deliver.DeletePushSubscription(r.Context(), principal(r).ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// webhookInput is an endpoint as operators register or change it.
type webhookInput struct {
	URL         *string   `json:"url"`
	Kinds       *[]string `json:"kinds"`
	Description *string   `json:"description"`
	Active      *bool     `json:"active"`
}

func (in webhookInput) validate() error {
	var v model.Validator
	if in.URL != nil {
		u, err := url.Parse(*in.URL)
		v.Check(err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil && len(*in.URL) <= 2048,
			"url", "must be an http or https URL without user info, at most 2048 characters")
	}
	if in.Kinds != nil {
		v.Check(len(*in.Kinds) <= 100, "kinds", "at most 100 kinds")
		for _, k := range *in.Kinds {
			_, ok := notify.KindByID(k)
			v.Check(ok, "kinds", "unknown notification kind "+k)
		}
	}
	if in.Description != nil {
		v.Check(len(*in.Description) <= 500, "description", "at most 500 characters")
	}
	return v.Err()
}

// webhookCreated is a new endpoint with its signing secret, shown this once.
type webhookCreated struct {
	model.WebhookEndpoint
	Secret string `json:"secret"`
}

func (a *API) postWebhook(w http.ResponseWriter, r *http.Request) error {
	var in webhookInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	if in.URL == nil {
		return model.Invalid(model.FieldError{Field: "url", Message: "required"})
	}
	if err := in.validate(); err != nil {
		return err
	}
	secret, err := webhook.NewSecret()
	if err != nil {
		return err
	}
	ep := model.WebhookEndpoint{URL: *in.URL, Secret: secret, Active: in.Active == nil || *in.Active}
	if in.Kinds != nil {
		ep.Kinds = *in.Kinds
	}
	if in.Description != nil {
		ep.Description = *in.Description
	}
	if err := a.Deliver.CreateWebhookEndpoint(r.Context(), &ep); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, webhookCreated{WebhookEndpoint: ep, Secret: secret})
}

func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	eps, err := a.Store.WebhookEndpoints(r.Context(), false)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page[model.WebhookEndpoint]{Items: eps})
}

func (a *API) patchWebhook(w http.ResponseWriter, r *http.Request) error {
	var in webhookInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	if err := in.validate(); err != nil {
		return err
	}
	ep, err := a.Deliver.UpdateWebhookEndpoint(r.Context(), r.PathValue("id"),
		deliver.WebhookPatch{URL: in.URL, Kinds: in.Kinds, Description: in.Description, Active: in.Active})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ep)
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := a.Deliver.DeleteWebhookEndpoint(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.DeliveryFilter{NotificationID: q.Get("notification_id"), OrderID: q.Get("order_id"), State: q.Get("state"),
		Before: q.Get("cursor")}
	switch f.State {
	case "", model.DeliveryQueued, model.DeliverySent, model.DeliveryFailed, model.DeliveryRetrying, model.DeliverySkipped:
	default:
		return model.Invalid(model.FieldError{Field: "state", Message: "must be queued, sent, failed, retrying or skipped"})
	}
	limit, err := queryInt(r, "limit", 50, 1, 200)
	if err != nil {
		return err
	}
	f.Limit = limit
	ds, err := a.Store.Deliveries(r.Context(), f)
	if err != nil {
		return err
	}
	next := ""
	if len(ds) == limit {
		next = ds[len(ds)-1].ID
	}
	return writeJSON(w, http.StatusOK, page[model.Delivery]{Items: ds, NextCursor: next})
}

// orderDeliveries is the off-app part of an order's timeline (X4): every delivery for operators and
// the platform; for a customer or worker, only the deliveries made to them.
func (a *API) orderDeliveries(r *http.Request) ([]model.Delivery, error) {
	ds, err := a.Store.DeliveriesForOrder(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	p := principal(r)
	if p.Is(operators...) {
		return ds, nil
	}
	mine := []model.Delivery{}
	for _, d := range ds {
		if d.RecipientID == p.ID {
			mine = append(mine, d)
		}
	}
	return mine, nil
}
