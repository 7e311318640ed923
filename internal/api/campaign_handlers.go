package api

import (
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/homebell/homebell/internal/campaign"
	"github.com/homebell/homebell/internal/model"
)

// Campaigns (P1, P2): operators and the platform write them; customers read them through their
// message center and GET /v1/campaigns/{id}.

// campaignInput is a campaign as a writer sends it.
type campaignInput struct {
	Kind           string                `json:"kind"`
	Title          model.Text            `json:"title"`
	Body           model.Text            `json:"body"`
	ImageFileID    string                `json:"image_file_id"`
	ServiceItemIDs []string              `json:"service_item_ids"`
	Rules          []model.PromotionRule `json:"rules"`
	Audience       model.Audience        `json:"audience"`
	SendAt         *time.Time            `json:"send_at"`
	StartsAt       *time.Time            `json:"starts_at"`
	EndsAt         *time.Time            `json:"ends_at"`
}

func (in campaignInput) campaign() model.Campaign {
	c := model.Campaign{Kind: in.Kind, Title: in.Title, Body: in.Body, ImageFileID: in.ImageFileID,
		ServiceItemIDs: in.ServiceItemIDs, Rules: in.Rules, Audience: in.Audience, StartsAt: utcPtr(in.StartsAt),
		EndsAt: utcPtr(in.EndsAt)}
	if in.SendAt != nil {
		c.SendAt = in.SendAt.UTC()
	}
	return c
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

func (a *API) postCampaign(w http.ResponseWriter, r *http.Request) error {
	var in campaignInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	c, err := a.Campaigns.Create(r.Context(), principal(r), in.campaign())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}

func (a *API) putCampaign(w http.ResponseWriter, r *http.Request) error {
	var in campaignInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	c, err := a.Campaigns.Update(r.Context(), principal(r), r.PathValue("id"), in.campaign())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (a *API) cancelCampaign(w http.ResponseWriter, r *http.Request) error {
	c, err := a.Campaigns.Cancel(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (a *API) getCampaign(w http.ResponseWriter, r *http.Request) error {
	d, err := a.Campaigns.Get(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (a *API) listCampaigns(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 20, 1, 100)
	if err != nil {
		return err
	}
	var at time.Time
	var id string
	if c := r.URL.Query().Get("cursor"); c != "" {
		raw, err := base64.RawURLEncoding.DecodeString(c)
		ts, cid, ok := strings.Cut(string(raw), "|")
		if err == nil && ok {
			at, err = time.Parse(time.RFC3339Nano, ts)
		}
		if err != nil || !ok || cid == "" {
			return model.Invalid(model.FieldError{Field: "cursor", Message: "is not a next_cursor of this list"})
		}
		id = cid
	}
	items, err := a.Campaigns.List(r.Context(), principal(r), at, id, limit+1)
	if err != nil {
		return err
	}
	out := page[campaign.Summary]{Items: items}
	if len(items) > limit {
		out.Items = items[:limit]
		last := items[limit-1]
		out.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(last.CreatedAt.Format(time.RFC3339Nano) + "|" + last.ID))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) estimateCampaign(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Kind     string         `json:"kind"`
		Audience model.Audience `json:"audience"`
	}
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	e, err := a.Campaigns.Estimate(r.Context(), principal(r), in.Audience, in.Kind)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, e)
}

func (a *API) announceServiceItem(w http.ResponseWriter, r *http.Request) error {
	var in campaignInput
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
			return err
		}
	}
	c, err := a.Campaigns.Announce(r.Context(), principal(r), r.PathValue("id"), in.campaign())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}

func (a *API) getFrequencyCap(w http.ResponseWriter, r *http.Request) error {
	f, err := a.Campaigns.FrequencyCap(r.Context(), &a.Store.Queries)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, f)
}

func (a *API) putFrequencyCap(w http.ResponseWriter, r *http.Request) error {
	var in model.FrequencyCap
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	f, err := a.Campaigns.SetFrequencyCap(r.Context(), principal(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, f)
}
