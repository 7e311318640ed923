package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/homebell/homebell/internal/model"
)

const feedbackCols = `id, author_id, author_role, topic, text, file_ids, order_id, status, tags, answer, answered_by,
	answered_at, version, created_at, updated_at`

func scanFeedback(row interface{ Scan(...any) error }) (model.Feedback, error) {
	var f model.Feedback
	var role, topic, status, files, tags string
	var order sql.NullString
	var answeredAt sql.NullTime
	err := row.Scan(&f.ID, &f.AuthorID, &role, &topic, &f.Text, &files, &order, &status, &tags, &f.Answer, &f.AnsweredBy,
		&answeredAt, &f.Version, &f.CreatedAt, &f.UpdatedAt)
	if err != nil {
		return f, err
	}
	f.AuthorRole, f.Topic, f.Status, f.OrderID = model.Role(role), model.FeedbackTopic(topic), model.FeedbackStatus(status), order.String
	f.CreatedAt, f.UpdatedAt = f.CreatedAt.UTC(), f.UpdatedAt.UTC()
	if answeredAt.Valid {
		t := answeredAt.Time.UTC()
		f.AnsweredAt = &t
	}
	f.FileIDs, f.Tags = []string{}, []string{}
	if err := json.Unmarshal([]byte(files), &f.FileIDs); err != nil {
		return f, fmt.Errorf("file_ids: %w", err)
	}
	if err := json.Unmarshal([]byte(tags), &f.Tags); err != nil {
		return f, fmt.Errorf("tags: %w", err)
	}
	return f, nil
}

func jsonList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// InsertFeedback stores new feedback at version 1.
func (q *Queries) InsertFeedback(ctx context.Context, f *model.Feedback, now time.Time) error {
	if f.ID == "" {
		f.ID = model.NewID()
	}
	if f.FileIDs == nil {
		f.FileIDs = []string{}
	}
	if f.Tags == nil {
		f.Tags = []string{}
	}
	f.Version, f.CreatedAt, f.UpdatedAt = 1, utc(now), utc(now)
	_, err := q.q.ExecContext(ctx, `INSERT INTO feedback (`+feedbackCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)`,
		f.ID, f.AuthorID, string(f.AuthorRole), string(f.Topic), f.Text, jsonList(f.FileIDs), orderNullString(f.OrderID),
		string(f.Status), jsonList(f.Tags), f.Answer, f.AnsweredBy, f.AnsweredAt, f.Version, f.CreatedAt, f.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: insert feedback: %w", err)
	}
	for _, fid := range f.FileIDs {
		if _, err := q.q.ExecContext(ctx, `INSERT INTO feedback_files (file_id, feedback_id) VALUES ($1,$2) ON CONFLICT DO NOTHING`,
			fid, f.ID); err != nil {
			return fmt.Errorf("store: insert feedback file: %w", err)
		}
	}
	return nil
}

// FeedbackShowsFile reports whether some feedback carries the file.
func (q *Queries) FeedbackShowsFile(ctx context.Context, fileID string) (bool, error) {
	var one int
	err := q.q.QueryRowContext(ctx, `SELECT 1 FROM feedback_files WHERE file_id = $1 LIMIT 1`, fileID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: feedback file: %w", err)
	}
	return true, nil
}

// Feedback returns one piece of feedback.
func (q *Queries) Feedback(ctx context.Context, id string) (model.Feedback, error) {
	f, err := scanFeedback(q.q.QueryRowContext(ctx, `SELECT `+feedbackCols+` FROM feedback WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return f, notFound("feedback", id)
	}
	if err != nil {
		return f, fmt.Errorf("store: feedback %s: %w", id, err)
	}
	return f, nil
}

// UpdateFeedback writes the triage fields (status, tags, answer) if the stored version is still
// f.Version, and bumps it; otherwise it returns a conflict (two operators at once).
func (q *Queries) UpdateFeedback(ctx context.Context, f *model.Feedback, now time.Time) error {
	var answeredAt any
	if f.AnsweredAt != nil {
		answeredAt = utc(*f.AnsweredAt)
	}
	res, err := q.q.ExecContext(ctx, `UPDATE feedback SET status = $3, tags = $4, answer = $5, answered_by = $6,
		answered_at = $7, version = version + 1, updated_at = $8 WHERE id = $1 AND version = $2`,
		f.ID, f.Version, string(f.Status), jsonList(f.Tags), f.Answer, f.AnsweredBy, answeredAt, utc(now))
	if err != nil {
		return fmt.Errorf("store: update feedback %s: %w", f.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return model.Errorf(model.CodeConflict, "feedback %s was changed by someone else; reload it", f.ID)
	}
	f.Version++
	f.UpdatedAt = utc(now)
	return nil
}

// FeedbackFilter selects feedback for a list. Empty fields do not filter.
type FeedbackFilter struct {
	AuthorID string
	Topic    model.FeedbackTopic
	Status   model.FeedbackStatus
	Tag      string
	Text     string    // a case-insensitive substring of the text or the answer
	From, To time.Time // created in [From, To)
	After    string    // cursor: the last id of the previous page
	Limit    int       // 0 = no limit (exports)
}

// where builds the WHERE clause of f with its arguments.
func (f FeedbackFilter) where() (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		conds = append(conds, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.AuthorID != "" {
		add("author_id = ?", f.AuthorID)
	}
	if f.Topic != "" {
		add("topic = ?", string(f.Topic))
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
	}
	if f.Tag != "" {
		// tags is a JSON array of strings; match the quoted element.
		b, _ := json.Marshal(f.Tag)
		add(`tags LIKE ? ESCAPE '\'`, "%"+likeEscape(string(b))+"%")
	}
	if f.Text != "" {
		add(`(LOWER(text) LIKE LOWER(?) ESCAPE '\'`, "%"+likeEscape(f.Text)+"%")
		conds[len(conds)-1] += " OR LOWER(answer) LIKE LOWER($" + strconv.Itoa(len(args)) + `) ESCAPE '\')`
	}
	if !f.From.IsZero() {
		add("created_at >= ?", utc(f.From))
	}
	if !f.To.IsZero() {
		add("created_at < ?", utc(f.To))
	}
	if f.After != "" {
		add("id < ?", f.After)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// FeedbackList lists feedback, newest first.
func (q *Queries) FeedbackList(ctx context.Context, f FeedbackFilter) ([]model.Feedback, error) {
	where, args := f.where()
	query := `SELECT ` + feedbackCols + ` FROM feedback` + where + ` ORDER BY id DESC`
	if f.Limit > 0 {
		args = append(args, f.Limit)
		query += " LIMIT $" + strconv.Itoa(len(args))
	}
	return queryAll(ctx, q.q, "feedback list", func(r rowScanner) (model.Feedback, error) { return scanFeedback(r) }, query, args...)
}

// FeedbackStamp is the topic, status and time of one piece of feedback, for weekly counts.
type FeedbackStamp struct {
	Topic     model.FeedbackTopic
	Status    model.FeedbackStatus
	CreatedAt time.Time
}

// FeedbackStamps lists the topic, status and creation time of feedback created in [from, to).
func (q *Queries) FeedbackStamps(ctx context.Context, from, to time.Time) ([]FeedbackStamp, error) {
	return queryAll(ctx, q.q, "feedback stamps", func(r rowScanner) (FeedbackStamp, error) {
		var s FeedbackStamp
		var topic, status string
		if err := r.Scan(&topic, &status, &s.CreatedAt); err != nil {
			return s, err
		}
		s.Topic, s.Status, s.CreatedAt = model.FeedbackTopic(topic), model.FeedbackStatus(status), s.CreatedAt.UTC()
		return s, nil
	}, `SELECT topic, status, created_at FROM feedback
		WHERE created_at >= $1 AND created_at < $2`, utc(from), utc(to))
}

// AppendFeedbackEvent adds a line to a feedback's history.
func (q *Queries) AppendFeedbackEvent(ctx context.Context, e *model.FeedbackEvent) error {
	if e.ID == "" {
		e.ID = model.NewID()
	}
	if len(e.Details) == 0 {
		e.Details = json.RawMessage("{}")
	}
	e.CreatedAt = utc(e.CreatedAt)
	_, err := q.q.ExecContext(ctx, `INSERT INTO feedback_events (id, feedback_id, type, actor_id, actor_role, details, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7)`, e.ID, e.FeedbackID, e.Type, e.ActorID, string(e.ActorRole), string(e.Details), e.CreatedAt)
	if err != nil {
		return fmt.Errorf("store: feedback event: %w", err)
	}
	return nil
}

// FeedbackEvents lists a feedback's history, oldest first.
func (q *Queries) FeedbackEvents(ctx context.Context, feedbackID string) ([]model.FeedbackEvent, error) {
	return queryAll(ctx, q.q, "feedback events", func(r rowScanner) (model.FeedbackEvent, error) {
		var e model.FeedbackEvent
		var role, details string
		if err := r.Scan(&e.ID, &e.FeedbackID, &e.Type, &e.ActorID, &role, &details, &e.CreatedAt); err != nil {
			return e, err
		}
		e.ActorRole, e.Details, e.CreatedAt = model.Role(role), json.RawMessage(details), e.CreatedAt.UTC()
		return e, nil
	}, `SELECT id, feedback_id, type, actor_id, actor_role, details, created_at
		FROM feedback_events WHERE feedback_id = $1 ORDER BY created_at, id`, feedbackID)
}
