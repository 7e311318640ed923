package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

func init() {
	Register(
		Case{"reviews/one per order; read back with tags, images and times in UTC", reviewsOnePerOrder},
		Case{"reviews/update is compare-and-swap: a reply is written once", reviewsCompareAndSwap},
		Case{"reviews/rating counts reviews that are not hidden; lists by worker and customer", reviewsRatingAndLists},
	)
}

// reviewedOrder stores a completed order of c1 done by w1 and returns it.
func reviewedOrder(t *testing.T, s *store.Store) model.Order {
	t.Helper()
	o := orderFixture(t, s)
	o.WorkerID, o.Status = "w1", model.OrderCompleted
	insertOrder(t, s, &o)
	return o
}

func insertReview(t *testing.T, s *store.Store, r *model.Review) {
	t.Helper()
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.InsertReview(ctx, r, T0) })
}

func reviewsOnePerOrder(t *testing.T, s *store.Store) {
	o := reviewedOrder(t, s)
	r := model.Review{OrderID: o.ID, CustomerID: "c1", WorkerID: "w1", Rating: 4, Text: "很细致", Tags: []string{"thorough", "friendly"},
		Images: []string{"f-1", "f-2"}}
	insertReview(t, s, &r)
	got, found, err := s.ReviewOfOrder(context.Background(), o.ID)
	if err != nil || !found {
		t.Fatalf("review of order: %v %v", found, err)
	}
	wantUTC(t, "created_at", got.CreatedAt, T0)
	if got.ID != r.ID || got.Rating != 4 || got.Text != "很细致" || len(got.Tags) != 2 || got.Tags[1] != "friendly" ||
		len(got.Images) != 2 || got.Hidden != nil || got.Reply != nil || got.Version != 1 {
		t.Errorf("review = %+v", got)
	}
	again := model.Review{OrderID: o.ID, CustomerID: "c1", WorkerID: "w1", Rating: 5}
	err = s.InTx(context.Background(), func(tx *store.Tx) error { return tx.InsertReview(context.Background(), &again, T0) })
	wantCode(t, err, model.CodeConflict)
	if _, found, err := s.ReviewOfOrder(context.Background(), "nope"); found || err != nil {
		t.Errorf("review of an unknown order: %v %v", found, err)
	}
	shows, err := s.ReviewsShowingFile(context.Background(), "f-2")
	if err != nil || len(shows) != 1 || shows[0].ID != r.ID {
		t.Errorf("reviews showing f-2: %v %v", shows, err)
	}
	if none, _ := s.ReviewsShowingFile(context.Background(), "f-3"); len(none) != 0 {
		t.Errorf("reviews showing f-3: %v", none)
	}
}

func reviewsCompareAndSwap(t *testing.T, s *store.Store) {
	o := reviewedOrder(t, s)
	r := model.Review{OrderID: o.ID, CustomerID: "c1", WorkerID: "w1", Rating: 3}
	insertReview(t, s, &r)
	a, b := r, r
	a.Reply = &model.ReviewReply{Text: "谢谢", CreatedAt: at(time.Hour)}
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.UpdateReview(ctx, &a, at(time.Hour)) })
	b.Reply = &model.ReviewReply{Text: "另一个回复", CreatedAt: at(time.Hour)}
	err := s.InTx(context.Background(), func(tx *store.Tx) error { return tx.UpdateReview(context.Background(), &b, at(time.Hour)) })
	wantCode(t, err, model.CodeConflict)
	got, _, _ := s.ReviewOfOrder(context.Background(), o.ID)
	if got.Reply == nil || got.Reply.Text != "谢谢" || got.Version != 2 {
		t.Fatalf("the stale reply won: %+v", got.Reply)
	}
	wantUTC(t, "replied_at", got.Reply.CreatedAt, at(time.Hour))
	wantUTC(t, "editable_until", got.Reply.EditableUntil, at(time.Hour+model.ReplyEditWindow))
	edited := at(2 * time.Hour)
	got.Reply.Text, got.Reply.EditedAt = "谢谢！", &edited
	got.Reply.Hidden = &model.Moderation{At: at(3 * time.Hour), By: "o1", Reason: "联系方式"}
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.UpdateReview(ctx, &got, at(3*time.Hour)) })
	back, _, _ := s.ReviewOfOrder(context.Background(), o.ID)
	if back.Reply.Text != "谢谢！" || back.Reply.EditedAt == nil || back.Reply.Hidden == nil || back.Reply.Hidden.Reason != "联系方式" || back.Hidden != nil {
		t.Errorf("after edit and hiding the reply: %+v %+v", back.Reply, back.Hidden)
	}
	wantUTC(t, "edited_at", *back.Reply.EditedAt, edited)
}

func reviewsRatingAndLists(t *testing.T, s *store.Store) {
	ctx := context.Background()
	var ids []string
	for _, stars := range []int{5, 4, 1} {
		o := orderFixture(t, s) // stores the same people and item again: harmless upserts
		o.WorkerID, o.Status = "w1", model.OrderCompleted
		insertOrder(t, s, &o)
		r := model.Review{OrderID: o.ID, CustomerID: "c1", WorkerID: "w1", Rating: stars}
		insertReview(t, s, &r)
		ids = append(ids, r.ID)
	}
	rating, err := s.WorkerRating(ctx, "w1")
	if err != nil || rating.Count != 3 || rating.Average != 3.3 {
		t.Errorf("rating = %+v %v, want 3.3 of 3", rating, err)
	}
	// Hiding the one-star review lifts the average.
	worst := mustReview(t, s, ids[2])
	worst.Hidden = &model.Moderation{At: at(time.Hour), By: "o1", Reason: "辱骂"}
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.UpdateReview(ctx, &worst, at(time.Hour)) })
	if rating, _ := s.WorkerRating(ctx, "w1"); rating.Count != 2 || rating.Average != 4.5 {
		t.Errorf("rating after hiding = %+v, want 4.5 of 2", rating)
	}
	if none, _ := s.WorkerRating(ctx, "w2"); none.Count != 0 || none.Average != 0 {
		t.Errorf("rating of a worker without reviews = %+v", none)
	}
	all, _ := s.Reviews(ctx, store.ReviewFilter{WorkerID: "w1", Limit: 10})
	visible, _ := s.Reviews(ctx, store.ReviewFilter{WorkerID: "w1", VisibleOnly: true, Limit: 10})
	if len(all) != 3 || len(visible) != 2 || all[0].ID != ids[2] {
		t.Errorf("lists: all %d visible %d, first %s want %s (newest first)", len(all), len(visible), all[0].ID, ids[2])
	}
	page, _ := s.Reviews(ctx, store.ReviewFilter{CustomerID: "c1", After: ids[2], Limit: 1})
	if len(page) != 1 || page[0].ID != ids[1] {
		t.Errorf("second page: %+v", page)
	}
}

// mustReview finds a stored review by id among the worker's.
func mustReview(t *testing.T, s *store.Store, id string) model.Review {
	t.Helper()
	rs, err := s.Reviews(context.Background(), store.ReviewFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("review %s not stored", id)
	return model.Review{}
}
