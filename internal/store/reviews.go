package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/homebell/homebell/internal/model"
)

const reviewCols = `id, order_id, customer_id, worker_id, rating, text, tags, images, hidden_at, hidden_by, hidden_reason,
	reply_text, replied_at, reply_edited_at, reply_hidden_at, reply_hidden_by, reply_hidden_reason, version, created_at, updated_at`

func scanReview(row interface{ Scan(...any) error }) (model.Review, error) {
	var r model.Review
	var tags, images, hiddenBy, hiddenReason, replyText, replyHiddenBy, replyHiddenReason string
	var hiddenAt, repliedAt, editedAt, replyHiddenAt sql.NullTime
	err := row.Scan(&r.ID, &r.OrderID, &r.CustomerID, &r.WorkerID, &r.Rating, &r.Text, &tags, &images, &hiddenAt, &hiddenBy,
		&hiddenReason, &replyText, &repliedAt, &editedAt, &replyHiddenAt, &replyHiddenBy, &replyHiddenReason, &r.Version,
		&r.CreatedAt, &r.UpdatedAt)
	if err != nil {
		return r, err
	}
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	r.Tags, r.Images = []string{}, []string{}
	if err := json.Unmarshal([]byte(tags), &r.Tags); err != nil {
		return r, fmt.Errorf("tags of review %s: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(images), &r.Images); err != nil {
		return r, fmt.Errorf("images of review %s: %w", r.ID, err)
	}
	if at := orderPtrTime(hiddenAt); at != nil {
		r.Hidden = &model.Moderation{At: *at, By: hiddenBy, Reason: hiddenReason}
	}
	if at := orderPtrTime(repliedAt); at != nil {
		r.Reply = &model.ReviewReply{Text: replyText, CreatedAt: *at, EditedAt: orderPtrTime(editedAt),
			EditableUntil: at.Add(model.ReplyEditWindow)}
		if hat := orderPtrTime(replyHiddenAt); hat != nil {
			r.Reply.Hidden = &model.Moderation{At: *hat, By: replyHiddenBy, Reason: replyHiddenReason}
		}
	}
	return r, nil
}

// reviewRow is a review flattened into its columns (after id).
func reviewRow(r *model.Review) ([]any, error) {
	if r.Tags == nil {
		r.Tags = []string{}
	}
	if r.Images == nil {
		r.Images = []string{}
	}
	tags, err := json.Marshal(r.Tags)
	if err != nil {
		return nil, err
	}
	images, err := json.Marshal(r.Images)
	if err != nil {
		return nil, err
	}
	var hiddenAt, repliedAt, editedAt, replyHiddenAt *time.Time
	var hiddenBy, hiddenReason, replyText, replyHiddenBy, replyHiddenReason string
	if r.Hidden != nil {
		hiddenAt, hiddenBy, hiddenReason = &r.Hidden.At, r.Hidden.By, r.Hidden.Reason
	}
	if r.Reply != nil {
		repliedAt, editedAt, replyText = &r.Reply.CreatedAt, r.Reply.EditedAt, r.Reply.Text
		if r.Reply.Hidden != nil {
			replyHiddenAt, replyHiddenBy, replyHiddenReason = &r.Reply.Hidden.At, r.Reply.Hidden.By, r.Reply.Hidden.Reason
		}
	}
	return []any{r.OrderID, r.CustomerID, r.WorkerID, r.Rating, r.Text, string(tags), string(images),
		orderNullTime(hiddenAt), hiddenBy, hiddenReason, replyText, orderNullTime(repliedAt), orderNullTime(editedAt),
		orderNullTime(replyHiddenAt), replyHiddenBy, replyHiddenReason}, nil
}

// InsertReview stores a new review at version 1; a second review of the same order is a conflict.
func (q *Queries) InsertReview(ctx context.Context, r *model.Review, now time.Time) error {
	if r.ID == "" {
		r.ID = model.NewID()
	}
	r.Version, r.CreatedAt, r.UpdatedAt = 1, utc(now), utc(now)
	cols, err := reviewRow(r)
	if err != nil {
		return fmt.Errorf("store: insert review: %w", err)
	}
	args := append(append([]any{r.ID}, cols...), r.Version, r.CreatedAt, r.UpdatedAt)
	q.forgetRatings()
	_, err = q.q.ExecContext(ctx, `INSERT INTO reviews (`+reviewCols+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)`, args...)
	if isUniqueViolation(err) {
		return model.Errorf(model.CodeConflict, "order %s has been reviewed already", r.OrderID)
	}
	if err != nil {
		return fmt.Errorf("store: insert review: %w", err)
	}
	for _, f := range r.Images {
		if _, err := q.q.ExecContext(ctx, `INSERT INTO review_images (review_id, file_id) VALUES ($1, $2)`, r.ID, f); err != nil {
			return fmt.Errorf("store: insert review image: %w", err)
		}
	}
	return nil
}

// ReviewsShowingFile lists the reviews whose images include fileID (for the files access rule).
func (q *Queries) ReviewsShowingFile(ctx context.Context, fileID string) ([]model.Review, error) {
	return queryAll(ctx, q.q, "reviews showing "+fileID, func(r rowScanner) (model.Review, error) { return scanReview(r) },
		`SELECT `+reviewCols+` FROM reviews WHERE id IN (SELECT review_id FROM review_images WHERE file_id = $1) ORDER BY id`, fileID)
}

// UpdateReview writes r's mutable fields (moderation and the reply) if the stored version is still
// r.Version, and bumps it; otherwise it is a conflict (someone changed it first).
func (q *Queries) UpdateReview(ctx context.Context, r *model.Review, now time.Time) error {
	cols, err := reviewRow(r)
	if err != nil {
		return fmt.Errorf("store: update review: %w", err)
	}
	q.forgetRatings()
	res, err := q.q.ExecContext(ctx, `UPDATE reviews SET hidden_at = $3, hidden_by = $4, hidden_reason = $5,
		reply_text = $6, replied_at = $7, reply_edited_at = $8, reply_hidden_at = $9, reply_hidden_by = $10,
		reply_hidden_reason = $11, version = version + 1, updated_at = $12 WHERE id = $1 AND version = $2`,
		r.ID, r.Version, cols[7], cols[8], cols[9], cols[10], cols[11], cols[12], cols[13], cols[14], cols[15], utc(now))
	if err != nil {
		return fmt.Errorf("store: update review %s: %w", r.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return model.Errorf(model.CodeConflict, "review %s was changed by someone else; reload it", r.ID)
	}
	r.Version++
	r.UpdatedAt = utc(now)
	return nil
}

// ReviewOfOrder returns the review of an order; found is false when there is none.
func (q *Queries) ReviewOfOrder(ctx context.Context, orderID string) (r model.Review, found bool, err error) {
	r, err = scanReview(q.q.QueryRowContext(ctx, `SELECT `+reviewCols+` FROM reviews WHERE order_id = $1`, orderID))
	if errors.Is(err, sql.ErrNoRows) {
		return model.Review{}, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("store: review of order %s: %w", orderID, err)
	}
	return r, true, nil
}

// ReviewFilter selects reviews for a list, newest first. Empty fields do not filter.
type ReviewFilter struct {
	WorkerID    string
	CustomerID  string
	VisibleOnly bool   // leave out hidden reviews
	After       string // cursor: the last id of the previous page
	Limit       int
}

// Reviews lists reviews, newest first (by id).
func (q *Queries) Reviews(ctx context.Context, f ReviewFilter) ([]model.Review, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	return queryAll(ctx, q.q, "reviews", func(r rowScanner) (model.Review, error) { return scanReview(r) },
		`SELECT `+reviewCols+` FROM reviews
		WHERE ($1 = '' OR worker_id = $1) AND ($2 = '' OR customer_id = $2) AND ($3 = 0 OR hidden_at IS NULL)
		AND ($4 = '' OR id < $4) ORDER BY id DESC LIMIT $5`,
		f.WorkerID, f.CustomerID, boolInt(f.VisibleOnly), f.After, f.Limit)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// WorkerRating is a worker's average stars over their reviews that are not hidden, rounded to
// one decimal.
func (q *Queries) WorkerRating(ctx context.Context, workerID string) (model.Rating, error) {
	var m map[string]cached[model.Rating]
	if q.rc != nil {
		m = q.rc.ratings
	}
	return cachedRead(q, m, workerID, func() (model.Rating, error) {
		var r model.Rating
		var sum int64
		err := q.q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(rating), 0) FROM reviews
			WHERE worker_id = $1 AND hidden_at IS NULL`, workerID).Scan(&r.Count, &sum)
		if err != nil {
			return r, fmt.Errorf("store: rating of %s: %w", workerID, err)
		}
		if r.Count > 0 {
			r.Average = math.Round(float64(sum)/float64(r.Count)*10) / 10
		}
		return r, nil
	})
}

// forgetRatings drops the cached workers' ratings: a review came or was hidden or shown again.
func (q *Queries) forgetRatings() { q.forget(func() { cacheClear(q.rc, q.rc.ratings) }) }
