package api

import (
	"net/http"

	"github.com/homebell/homebell/internal/booking"
	"github.com/homebell/homebell/internal/model"
)

// Reviews and replies (I2): transport only; the booking service checks roles, ownership and state.

type reviewInput struct {
	Rating int      `json:"rating"`
	Text   string   `json:"text"`
	Tags   []string `json:"tags"`
	Images []string `json:"images"`
}

type replyInput struct {
	Text string `json:"text"`
}

func (a *API) listReviewTags(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, page[model.ReviewTag]{Items: a.Booking.ReviewTags()})
}

func (a *API) postReview(w http.ResponseWriter, r *http.Request) error {
	var in reviewInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	v, err := a.Booking.CreateReview(r.Context(), actor(r), r.PathValue("id"),
		booking.ReviewInput{Rating: in.Rating, Text: in.Text, Tags: in.Tags, Images: in.Images})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/orders/"+v.OrderID+"/review")
	return writeJSON(w, http.StatusCreated, v)
}

func (a *API) getReview(w http.ResponseWriter, r *http.Request) error {
	v, err := a.Booking.Review(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (a *API) putReviewReply(w http.ResponseWriter, r *http.Request) error {
	var in replyInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	v, created, err := a.Booking.ReplyToReview(r.Context(), actor(r), r.PathValue("id"), in.Text)
	if err != nil {
		return err
	}
	return writeUpserted(w, created, v)
}

func (a *API) hideReview(w http.ResponseWriter, r *http.Request) error {
	reason, err := a.decodeReason(w, r)
	if err != nil {
		return err
	}
	v, err := a.Booking.HideReview(r.Context(), actor(r), r.PathValue("id"), reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (a *API) hideReviewReply(w http.ResponseWriter, r *http.Request) error {
	reason, err := a.decodeReason(w, r)
	if err != nil {
		return err
	}
	v, err := a.Booking.HideReply(r.Context(), actor(r), r.PathValue("id"), reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (a *API) listMyReviews(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 20, 1, 100)
	if err != nil {
		return err
	}
	items, next, err := a.Booking.MyReviews(r.Context(), actor(r), r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page[booking.ReviewView]{Items: items, NextCursor: next})
}

// Who may call the review routes (the booking service checks ownership on top).
var (
	customers     = []model.Role{model.RoleCustomer}
	reviewParties = []model.Role{model.RoleCustomer, model.RoleWorker, model.RoleOperator, model.RolePlatform}
	reviewAuthors = []model.Role{model.RoleCustomer, model.RoleWorker}
)
