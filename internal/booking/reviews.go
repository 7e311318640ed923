package booking

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
)

// Reviews and replies (I2). The customer of a completed order reviews it once; its worker replies
// once and may edit the reply for model.ReplyEditWindow; operators hide an abusive review or reply
// with a reason, and its author is told why. A hidden review is shown only to operators and its
// author; a hidden reply only to operators and the worker who wrote it. A worker's rating counts
// the reviews that are not hidden.

// EventReviewChanged is the event-log entry that tells an open app a review it may show changed
// without a notification of its own (a reply edited, something hidden).
const EventReviewChanged = "review.changed"

// ReviewInput is what the customer writes.
type ReviewInput struct {
	Rating int
	Text   string
	Tags   []string
	Images []string // file ids from POST /v1/files
}

// ReviewView is a review as one caller may see it, with what they may do next.
type ReviewView struct {
	model.Review
	Item ItemRef `json:"item"`
	// CanReply: the caller is the order's worker and may write (or still edit) the reply.
	CanReply bool `json:"can_reply"`
	// CanHide: the caller is an operator.
	CanHide bool `json:"can_hide"`
}

// ReviewTags is the fixed list of tags a review may carry.
func (s *Service) ReviewTags() []model.ReviewTag { return model.ReviewTags }

// reviewForm is what a client needs to open the review form of a completed order (N3 → I2).
func reviewForm(orderID string) map[string]any {
	return map[string]any{"order_id": orderID, "method": "POST", "path": "/v1/orders/" + orderID + "/review",
		"rating_min": 1, "rating_max": 5, "text_max": model.ReviewTextMax, "images_max": model.ReviewImagesMax,
		"tags": model.ReviewTags}
}

// CreateReview records the customer's review of their completed order and tells the worker.
func (s *Service) CreateReview(ctx context.Context, a Actor, orderID string, in ReviewInput) (_ ReviewView, err error) {
	defer model.WrapOp(&err, "booking: create review", orderID)
	if a.Role != model.RoleCustomer {
		return ReviewView{}, model.Errorf(model.CodeForbidden, "only the order's customer reviews it")
	}
	r := model.Review{Rating: in.Rating, Text: strings.TrimSpace(in.Text), Tags: in.Tags, Images: in.Images}
	if r.Tags == nil {
		r.Tags = []string{}
	}
	if r.Images == nil {
		r.Images = []string{}
	}
	var view ReviewView
	err = s.write(ctx, "review", func(tx *store.Tx) error {
		o, err := s.load(ctx, &tx.Queries, a, orderID)
		if err != nil {
			return err
		}
		if o.CustomerID != a.ID {
			return model.Errorf(model.CodeNotFound, "order %q not found", orderID)
		}
		if o.Status != model.OrderCompleted || o.WorkerID == "" {
			return model.Errorf(model.CodeInvalidTransition, "only a completed order can be reviewed; this one is %s", o.Status)
		}
		if err := r.Validate(); err != nil {
			return err
		}
		// Images are files the customer uploaded (POST /v1/files); anyone else's are refused.
		for _, id := range r.Images {
			f, err := tx.File(ctx, id)
			if model.IsCode(err, model.CodeNotFound) || (err == nil && f.UploaderID != a.ID) {
				return model.Invalid(model.FieldError{Field: "images", Message: "must be files you uploaded with POST /v1/files"})
			}
			if err != nil {
				return err
			}
		}
		if _, found, err := tx.ReviewOfOrder(ctx, o.ID); err != nil {
			return err
		} else if found {
			return model.Errorf(model.CodeConflict, "you have reviewed this order already")
		}
		r.OrderID, r.CustomerID, r.WorkerID = o.ID, o.CustomerID, o.WorkerID
		if err := tx.InsertReview(ctx, &r, tx.Now()); err != nil {
			return err
		}
		if err := s.event(ctx, tx, o, "reviewed", a, map[string]any{"review_id": r.ID, "rating": r.Rating}); err != nil {
			return err
		}
		f, err := s.factsOf(ctx, &tx.Queries, o)
		if err != nil {
			return err
		}
		customer, err := tx.Person(ctx, o.CustomerID)
		if err != nil {
			return err
		}
		if err := s.tell(ctx, tx, notify.Event{Kind: notify.KindReviewReceived, Key: r.ID, OrderID: o.ID,
			Recipients: []notify.Recipient{worker(o.WorkerID)},
			Vars:       withVars(f.vars, map[string]any{"customer_name": customer.Name, "rating": r.Rating, "text": r.Text}),
			Data: map[string]any{"review_id": r.ID, "rating": r.Rating, "tags": r.Tags,
				"actions": []map[string]any{{"type": "reply_review", "order_id": o.ID}}}}); err != nil {
			return err
		}
		view = s.reviewView(a, o, f, r)
		return nil
	})
	return view, err
}

// Review returns the review of an order as the caller may see it: its customer, its worker (not
// when hidden), operators and the platform. Anyone else, or no review yet: not found.
func (s *Service) Review(ctx context.Context, a Actor, orderID string) (_ ReviewView, err error) {
	defer model.WrapOp(&err, "booking: review", orderID)
	o, r, err := s.loadReview(ctx, &s.Store.Queries, a, orderID)
	if err != nil {
		return ReviewView{}, err
	}
	f, err := s.factsOf(ctx, &s.Store.Queries, o)
	if err != nil {
		return ReviewView{}, err
	}
	return s.reviewView(a, o, f, r), nil
}

// loadReview reads an order's review if the caller may see it.
func (s *Service) loadReview(ctx context.Context, q *store.Queries, a Actor, orderID string) (model.Order, model.Review, error) {
	o, err := s.load(ctx, q, a, orderID)
	if err != nil {
		return o, model.Review{}, err
	}
	if !s.mayReadReviews(o, a) {
		return o, model.Review{}, model.Errorf(model.CodeNotFound, "order %q not found", orderID)
	}
	r, found, err := q.ReviewOfOrder(ctx, o.ID)
	if err != nil {
		return o, r, err
	}
	if !found || (r.Hidden != nil && !a.isStaff() && a.ID != r.CustomerID) {
		return o, model.Review{}, model.Errorf(model.CodeNotFound, "order %q has no review", orderID)
	}
	return o, r, nil
}

// mayReadReviews: the order's customer, its current worker, operators and the platform.
func (s *Service) mayReadReviews(o model.Order, a Actor) bool {
	return a.isStaff() || (a.Role == model.RoleCustomer && o.CustomerID == a.ID) || isWorkerOf(o, a)
}

// reviewView shapes r for the caller: a hidden reply is left out for the customer.
func (s *Service) reviewView(a Actor, o model.Order, f facts, r model.Review) ReviewView {
	if r.Reply != nil && r.Reply.Hidden != nil && !a.isStaff() && a.ID != r.WorkerID {
		r.Reply = nil
	}
	v := ReviewView{Review: r, Item: ItemRef{ID: f.item.ID, Name: f.item.Name}, CanHide: a.isStaff()}
	if isWorkerOf(o, a) && r.Hidden == nil {
		v.CanReply = r.Reply == nil || (r.Reply.Hidden == nil && s.Now().Before(r.Reply.EditableUntil))
	}
	return v
}

// ReplyToReview writes the worker's reply (created true) or edits it within the edit window. The
// customer is told of the first reply (review.replied); an edit reaches their open app live.
func (s *Service) ReplyToReview(ctx context.Context, a Actor, orderID, text string) (view ReviewView, created bool, err error) {
	defer model.WrapOp(&err, "booking: reply to review", orderID)
	if a.Role != model.RoleWorker {
		return ReviewView{}, false, model.Errorf(model.CodeForbidden, "only the order's worker replies to its review")
	}
	text = strings.TrimSpace(text)
	var v model.Validator
	v.Check(text != "" && utf8.RuneCountInString(text) <= model.ReviewReplyMax, "text", "is required, at most 500 characters")
	if err := v.Err(); err != nil {
		return ReviewView{}, false, err
	}
	err = s.write(ctx, "reply", func(tx *store.Tx) error {
		o, r, err := s.loadReview(ctx, &tx.Queries, a, orderID)
		if err != nil {
			return err
		}
		if !isWorkerOf(o, a) {
			return model.Errorf(model.CodeNotFound, "order %q not found", orderID)
		}
		now := tx.Now()
		f, err := s.factsOf(ctx, &tx.Queries, o)
		if err != nil {
			return err
		}
		if r.Reply == nil {
			created = true
			r.Reply = &model.ReviewReply{Text: text, CreatedAt: now, EditableUntil: now.Add(model.ReplyEditWindow)}
			if err := tx.UpdateReview(ctx, &r, now); err != nil {
				return err
			}
			if err := s.event(ctx, tx, o, "review_replied", a, map[string]any{"review_id": r.ID}); err != nil {
				return err
			}
			if err := s.tell(ctx, tx, notify.Event{Kind: notify.KindReviewReplied, Key: r.ID, OrderID: o.ID,
				Recipients: []notify.Recipient{customer(o)}, Vars: withVars(f.vars, map[string]any{"text": text}),
				Data: map[string]any{"review_id": r.ID, "reply": text}}); err != nil {
				return err
			}
		} else {
			switch {
			case r.Reply.Hidden != nil:
				return model.Errorf(model.CodeInvalidTransition, "an operator hid this reply; it can no longer be edited")
			case !now.Before(r.Reply.EditableUntil):
				return model.Errorf(model.CodeInvalidTransition, "a reply can be edited for 24 hours after it was sent; that time is over")
			}
			r.Reply.Text, r.Reply.EditedAt = text, &now
			if err := tx.UpdateReview(ctx, &r, now); err != nil {
				return err
			}
			if err := s.event(ctx, tx, o, "review_reply_edited", a, map[string]any{"review_id": r.ID}); err != nil {
				return err
			}
			if err := s.signal(ctx, tx, EventReviewChanged, map[string]any{"order_id": o.ID, "review_id": r.ID, "change": "reply_edited"},
				o.CustomerID); err != nil {
				return err
			}
		}
		view = s.reviewView(a, o, f, r)
		return nil
	})
	return view, created, err
}

// HideReview hides an abusive review (operators and the platform); its author is told the reason
// and the worker's open app drops it. A hidden review no longer counts in the worker's rating.
func (s *Service) HideReview(ctx context.Context, a Actor, orderID, reason string) (_ ReviewView, err error) {
	defer model.WrapOp(&err, "booking: hide review", orderID)
	return s.hide(ctx, a, orderID, reason, false)
}

// HideReply hides an abusive reply; the worker who wrote it is told the reason.
func (s *Service) HideReply(ctx context.Context, a Actor, orderID, reason string) (_ ReviewView, err error) {
	defer model.WrapOp(&err, "booking: hide reply", orderID)
	return s.hide(ctx, a, orderID, reason, true)
}

func (s *Service) hide(ctx context.Context, a Actor, orderID, reason string, reply bool) (ReviewView, error) {
	if !a.isStaff() {
		return ReviewView{}, model.Errorf(model.CodeForbidden, "only operators hide reviews and replies")
	}
	reason = strings.TrimSpace(reason)
	var v model.Validator
	v.Check(reason != "" && utf8.RuneCountInString(reason) <= model.ReviewReasonMax, "reason", "is required, at most 500 characters")
	if err := v.Err(); err != nil {
		return ReviewView{}, err
	}
	var view ReviewView
	err := s.write(ctx, "hide_review", func(tx *store.Tx) error {
		o, r, err := s.loadReview(ctx, &tx.Queries, a, orderID)
		if err != nil {
			return err
		}
		now := tx.Now()
		mod := &model.Moderation{At: now, By: a.ID, Reason: reason}
		typ, author, audience, other := "review_hidden", r.CustomerID, "customer", r.WorkerID
		if reply {
			if r.Reply == nil {
				return model.Errorf(model.CodeNotFound, "the review of order %q has no reply", orderID)
			}
			if r.Reply.Hidden != nil {
				return model.Errorf(model.CodeInvalidTransition, "this reply is hidden already")
			}
			r.Reply.Hidden = mod
			typ, author, audience, other = "review_reply_hidden", r.WorkerID, "worker", r.CustomerID
		} else {
			if r.Hidden != nil {
				return model.Errorf(model.CodeInvalidTransition, "this review is hidden already")
			}
			r.Hidden = mod
		}
		if err := tx.UpdateReview(ctx, &r, now); err != nil {
			return err
		}
		if err := s.event(ctx, tx, o, typ, a, map[string]any{"review_id": r.ID}); err != nil {
			return err
		}
		f, err := s.factsOf(ctx, &tx.Queries, o)
		if err != nil {
			return err
		}
		if err := s.tell(ctx, tx, notify.Event{Kind: notify.KindReviewHidden, Key: r.ID + ":" + typ, OrderID: o.ID,
			Recipients: []notify.Recipient{{PersonID: author, Audience: audience}},
			Vars:       withVars(f.vars, map[string]any{"reason": reason}),
			Data:       map[string]any{"review_id": r.ID, "what": map[bool]string{false: "review", true: "reply"}[reply], "reason": reason}}); err != nil {
			return err
		}
		if err := s.signal(ctx, tx, EventReviewChanged, map[string]any{"order_id": o.ID, "review_id": r.ID, "change": typ}, other); err != nil {
			return err
		}
		view = s.reviewView(a, o, f, r)
		return nil
	})
	return view, err
}

// MyReviews lists the reviews of a worker's orders, newest first, hidden ones left out. next is
// the cursor of the next page ("" at the end).
func (s *Service) MyReviews(ctx context.Context, a Actor, cursor string, limit int) (items []ReviewView, next string, err error) {
	defer model.WrapOp(&err, "booking: my reviews", "")
	f := store.ReviewFilter{After: cursor, Limit: limit}
	switch a.Role {
	case model.RoleWorker:
		f.WorkerID, f.VisibleOnly = a.ID, true
	case model.RoleCustomer:
		f.CustomerID = a.ID
	default:
		return nil, "", model.Errorf(model.CodeForbidden, "only workers and customers have reviews of their own")
	}
	rs, err := s.Store.Reviews(ctx, f)
	if err != nil {
		return nil, "", err
	}
	items = make([]ReviewView, 0, len(rs))
	for _, r := range rs {
		o, err := s.Store.Order(ctx, r.OrderID)
		if err != nil {
			return nil, "", err
		}
		if a.Role == model.RoleWorker && !isWorkerOf(o, a) {
			continue // reviews follow the order's current worker
		}
		fa, err := s.factsOf(ctx, &s.Store.Queries, o)
		if err != nil {
			return nil, "", err
		}
		items = append(items, s.reviewView(a, o, fa, r))
	}
	if limit > 0 && len(rs) == limit {
		next = rs[len(rs)-1].ID
	}
	return items, next, nil
}

// signal appends an event to each person's log in tx and wakes their open apps after commit, so
// streams that resume by seq miss nothing.
func (s *Service) signal(ctx context.Context, tx *store.Tx, typ string, data any, personIDs ...string) error {
	events := map[string][]model.Event{}
	var woken []string
	for _, id := range personIDs {
		if id == "" {
			continue
		}
		e, err := tx.AppendEventRecord(ctx, id, typ, data, tx.Now())
		if err != nil {
			return err
		}
		events[id] = append(events[id], e)
		woken = append(woken, id)
	}
	switch n := s.Notify; {
	case len(woken) == 0:
	case n.Publish != nil:
		tx.AfterCommit(func() { n.Publish(events) })
	case n.Wake != nil:
		tx.AfterCommit(func() { n.Wake(woken...) })
	}
	return nil
}

// MayReadReviewImage is the files access rule for review images (I2): a file shown by a review
// may be read by whoever may read that review — the order's customer, its worker while the review
// is not hidden, and operators. Unknown people and anything in doubt: false.
func (s *Service) MayReadReviewImage(ctx context.Context, personID, fileID string) (_ bool, err error) {
	defer model.WrapOp(&err, "booking: may read review image", fileID)
	rs, err := s.Store.ReviewsShowingFile(ctx, fileID)
	if err != nil || len(rs) == 0 {
		return false, err
	}
	p, err := s.Store.Person(ctx, personID)
	if model.IsCode(err, model.CodeNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	a := Actor{ID: p.ID, Role: p.Role}
	for _, r := range rs {
		o, err := s.Store.Order(ctx, r.OrderID)
		if err != nil {
			return false, err
		}
		if !s.mayReadReviews(o, a) || (r.Hidden != nil && !a.isStaff() && a.ID != r.CustomerID) {
			continue
		}
		return true, nil
	}
	return false, nil
}
