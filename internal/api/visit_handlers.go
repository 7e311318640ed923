package api

import (
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/homebell/homebell/internal/booking"
	"github.com/homebell/homebell/internal/model"
)

// The visit (Y4): on the way, check-in, start by code or override, completion with photos.

// onTheWayInput is the worker's arrival estimate: a time, or minutes from now.
type onTheWayInput struct {
	ETA     string `json:"eta"`
	Minutes *int   `json:"minutes"`
}

func (a *API) postOnTheWay(w http.ResponseWriter, r *http.Request) error {
	var in onTheWayInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	var eta time.Time
	minutes := 0
	switch {
	case in.ETA != "" && in.Minutes != nil:
		return model.Invalid(model.FieldError{Field: "eta", Message: "give eta or minutes, not both"})
	case in.Minutes != nil:
		if *in.Minutes < 1 || *in.Minutes > 24*60 {
			return model.Invalid(model.FieldError{Field: "minutes", Message: "must be 1..1440"})
		}
		minutes = *in.Minutes
	case in.ETA != "":
		var err error
		if eta, err = parseTime("eta", in.ETA); err != nil {
			return err
		}
	default:
		return model.Invalid(model.FieldError{Field: "eta", Message: "is required (or minutes): when you expect to arrive"})
	}
	o, err := a.Booking.OnTheWay(r.Context(), actor(r), r.PathValue("id"), eta, minutes)
	return a.writeOrder(w, r, o, err)
}

func (a *API) postCheckIn(w http.ResponseWriter, r *http.Request) error {
	v, err := a.Booking.CheckInView(r.Context(), actor(r), r.PathValue("id"))
	return writeView(w, v, err)
}

// startInput proves a start: the worker's start code, or an operator's override with a reason.
type startInput struct {
	Code           string `json:"code"`
	OverrideReason string `json:"override_reason"`
}

func (a *API) startOrder(w http.ResponseWriter, r *http.Request) error {
	var in startInput
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
			return err
		}
	}
	var v model.Validator
	v.Check(len(in.Code) <= 16, "code", "at most 16 characters")
	v.Check(utf8.RuneCountInString(in.OverrideReason) <= 500, "override_reason", "at most 500 characters")
	if err := v.Err(); err != nil {
		return err
	}
	o, err := a.Booking.StartView(r.Context(), actor(r), r.PathValue("id"), booking.StartInput{Code: in.Code, OverrideReason: in.OverrideReason})
	return writeView(w, o, err)
}

// completeInput is the proof of service: up to 9 photos, after (default) or before the work.
type completeInput struct {
	Photos []struct {
		FileID string `json:"file_id"`
		Phase  string `json:"phase"`
	} `json:"photos"`
}

func (a *API) completeOrder(w http.ResponseWriter, r *http.Request) error {
	var in completeInput
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
			return err
		}
	}
	photos := make([]booking.PhotoInput, 0, len(in.Photos))
	for _, p := range in.Photos {
		photos = append(photos, booking.PhotoInput{FileID: p.FileID, Phase: p.Phase})
	}
	o, err := a.Booking.CompleteView(r.Context(), actor(r), r.PathValue("id"), photos)
	return writeView(w, o, err)
}
