package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/support"
)

// supportActor is the caller as the support service knows them.
func supportActor(r *http.Request) support.Actor {
	p := principal(r)
	return support.Actor{ID: p.ID, Role: p.Role, Name: p.Name}
}

type feedbackInput struct {
	Topic   string   `json:"topic"`
	Text    string   `json:"text"`
	FileIDs []string `json:"file_ids"`
	OrderID string   `json:"order_id"`
}

func (a *API) postFeedback(w http.ResponseWriter, r *http.Request) error {
	var in feedbackInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	f, err := a.Support.SubmitFeedback(r.Context(), supportActor(r), support.FeedbackInput{Topic: model.FeedbackTopic(in.Topic),
		Text: in.Text, FileIDs: in.FileIDs, OrderID: in.OrderID})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/feedback/"+f.ID)
	return writeJSON(w, http.StatusCreated, f.ForAuthor())
}

func (a *API) listMyFeedback(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 50, 1, 200)
	if err != nil {
		return err
	}
	items, next, err := a.Support.MyFeedback(r.Context(), supportActor(r), r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page[model.Feedback]{Items: items, NextCursor: next})
}

func (a *API) getFeedback(w http.ResponseWriter, r *http.Request) error {
	d, err := a.Support.GetFeedback(r.Context(), supportActor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

// feedbackQuery reads the operators' filter: topic, status, tag, q (text), from and to (RFC 3339
// times, or dates YYYY-MM-DD in the platform's time zone, to inclusive), cursor and limit.
func feedbackQuery(r *http.Request) (support.FeedbackQuery, error) {
	q := r.URL.Query()
	limit, err := queryInt(r, "limit", 50, 1, 200)
	if err != nil {
		return support.FeedbackQuery{}, err
	}
	fq := support.FeedbackQuery{Topic: model.FeedbackTopic(q.Get("topic")), Status: model.FeedbackStatus(q.Get("status")),
		Tag: strings.TrimSpace(q.Get("tag")), Text: strings.TrimSpace(q.Get("q")), Cursor: q.Get("cursor"), Limit: limit}
	if fq.From, err = parseDay("from", q.Get("from"), false); err != nil {
		return fq, err
	}
	if fq.To, err = parseDay("to", q.Get("to"), true); err != nil {
		return fq, err
	}
	return fq, nil
}

// parseDay reads an RFC 3339 time or a date in the platform's time zone; a date given as the end of
// a range means the end of that day.
func parseDay(field, s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	loc, err := time.LoadLocation(model.DefaultTimeZone)
	if err != nil {
		loc = time.UTC
	}
	d, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil {
		return d, model.Invalid(model.FieldError{Field: field, Message: "must be a date YYYY-MM-DD or an RFC 3339 time"})
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d.UTC(), nil
}

func (a *API) listFeedback(w http.ResponseWriter, r *http.Request) error {
	fq, err := feedbackQuery(r)
	if err != nil {
		return err
	}
	items, next, err := a.Support.ListFeedback(r.Context(), supportActor(r), fq)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page[model.Feedback]{Items: items, NextCursor: next})
}

type triageInput struct {
	Status  *model.FeedbackStatus `json:"status"`
	Tags    *[]string             `json:"tags"`
	Answer  *string               `json:"answer"`
	Version int                   `json:"version"`
}

func (a *API) patchFeedback(w http.ResponseWriter, r *http.Request) error {
	var in triageInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	d, err := a.Support.TriageFeedback(r.Context(), supportActor(r), r.PathValue("id"),
		support.TriageInput{Status: in.Status, Tags: in.Tags, Answer: in.Answer, Version: in.Version})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (a *API) exportFeedback(w http.ResponseWriter, r *http.Request) error {
	fq, err := feedbackQuery(r)
	if err != nil {
		return err
	}
	b, err := a.Support.ExportFeedback(r.Context(), supportActor(r), fq)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="feedback-`+a.Now().Format("20060102")+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(b)
	return err
}

func (a *API) getFeedbackWeeks(w http.ResponseWriter, r *http.Request) error {
	from, err := parseDay("from", r.URL.Query().Get("from"), false)
	if err != nil {
		return err
	}
	to, err := parseDay("to", r.URL.Query().Get("to"), true)
	if err != nil {
		return err
	}
	weeks, err := a.Support.FeedbackWeeks(r.Context(), supportActor(r), from, to)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page[model.FeedbackWeek]{Items: weeks})
}
