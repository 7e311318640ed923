package support

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
)

// FeedbackInput is new feedback (I4).
type FeedbackInput struct {
	Topic   model.FeedbackTopic
	Text    string
	FileIDs []string
	OrderID string
}

// SubmitFeedback stores feedback from a signed-in person. An order it names must be one of theirs.
func (s *Service) SubmitFeedback(ctx context.Context, a Actor, in FeedbackInput) (_ model.Feedback, err error) {
	defer model.WrapOp(&err, "support: submit feedback", "")
	if !a.Role.Valid() {
		return model.Feedback{}, model.Errorf(model.CodeForbidden, "only people submit feedback")
	}
	f := model.Feedback{AuthorID: a.ID, AuthorRole: a.Role, Topic: in.Topic, Text: strings.TrimSpace(in.Text),
		FileIDs: in.FileIDs, OrderID: in.OrderID, Status: model.FeedbackNew}
	if f.FileIDs == nil {
		f.FileIDs = []string{}
	}
	if err := f.Validate(); err != nil {
		return f, err
	}
	err = s.write(ctx, "submit feedback", func(tx *store.Tx) error {
		if f.OrderID != "" {
			o, err := tx.Order(ctx, f.OrderID)
			if err != nil && !model.IsCode(err, model.CodeNotFound) {
				return err
			}
			if err != nil || !(o.CustomerID == a.ID || o.WorkerID == a.ID) {
				return model.Invalid(model.FieldError{Field: "order_id", Message: "is not one of your orders"})
			}
		}
		if err := s.checkFiles(ctx, tx, a, f.FileIDs); err != nil {
			return err
		}
		if err := tx.InsertFeedback(ctx, &f, tx.Now()); err != nil {
			return err
		}
		return s.feedbackEvent(ctx, tx, f.ID, model.FeedbackEventSubmitted, a, map[string]any{"topic": f.Topic})
	})
	return f, err
}

// checkFiles makes sure every attached image exists and was uploaded by the author.
func (s *Service) checkFiles(ctx context.Context, tx *store.Tx, a Actor, ids []string) error {
	for _, id := range ids {
		f, err := tx.File(ctx, id)
		if model.IsCode(err, model.CodeNotFound) || (err == nil && f.UploaderID != a.ID) {
			return model.Invalid(model.FieldError{Field: "file_ids", Message: "each must be an image you uploaded (POST /v1/files)"})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// FeedbackFileReaders is the files access rule of feedback: operators may read the images of any
// feedback (its author uploaded them and reads them as the uploader).
func (s *Service) FeedbackFileReaders(ctx context.Context, personID, fileID string) (_ bool, err error) {
	defer model.WrapOp(&err, "support: feedback file readers", fileID)
	p, err := s.Store.Person(ctx, personID)
	if model.IsCode(err, model.CodeNotFound) {
		return false, nil
	}
	if err != nil || p.Role != model.RoleOperator {
		return false, err
	}
	return s.Store.FeedbackShowsFile(ctx, fileID)
}

func (s *Service) feedbackEvent(ctx context.Context, tx *store.Tx, id, typ string, a Actor, details map[string]any) error {
	raw, err := model.MarshalJSON(details)
	if err != nil {
		return err
	}
	return tx.AppendFeedbackEvent(ctx, &model.FeedbackEvent{FeedbackID: id, Type: typ, ActorID: a.ID, ActorRole: a.Role,
		Details: raw, CreatedAt: tx.Now()})
}

// FeedbackDetail is a piece of feedback with its history.
type FeedbackDetail struct {
	model.Feedback
	History []model.FeedbackEvent `json:"history"`
}

// canReadFeedback: the author and operators (and the platform).
func canReadFeedback(f model.Feedback, a Actor) bool { return a.isStaff() || f.AuthorID == a.ID }

// loadFeedback reads feedback the actor may see; others get not_found.
func (s *Service) loadFeedback(ctx context.Context, q *store.Queries, a Actor, id string) (model.Feedback, error) {
	f, err := q.Feedback(ctx, id)
	if err != nil {
		return f, err
	}
	if !canReadFeedback(f, a) {
		return model.Feedback{}, model.Errorf(model.CodeNotFound, "feedback %q not found", id)
	}
	return f, nil
}

// GetFeedback returns feedback with its history: to its author without the operators' tags and
// names, to operators in full. Anyone else is told it does not exist.
func (s *Service) GetFeedback(ctx context.Context, a Actor, id string) (_ FeedbackDetail, err error) {
	defer model.WrapOp(&err, "support: get feedback", id)
	q := &s.Store.Queries
	f, err := s.loadFeedback(ctx, q, a, id)
	if err != nil {
		return FeedbackDetail{}, err
	}
	hist, err := q.FeedbackEvents(ctx, id)
	if err != nil {
		return FeedbackDetail{}, err
	}
	if a.isStaff() {
		return FeedbackDetail{Feedback: f, History: hist}, nil
	}
	d := FeedbackDetail{Feedback: f.ForAuthor(), History: []model.FeedbackEvent{}}
	for _, e := range hist {
		if e.Type == model.FeedbackEventTagged {
			continue
		}
		if e.ActorID != a.ID {
			e.ActorID = "" // operators stay anonymous to authors
		}
		d.History = append(d.History, e)
	}
	return d, nil
}

// MyFeedback lists the actor's own feedback, newest first; next is the next page's cursor.
func (s *Service) MyFeedback(ctx context.Context, a Actor, cursor string, limit int) (_ []model.Feedback, _ string, err error) {
	defer model.WrapOp(&err, "support: my feedback", "")
	list, err := s.Store.FeedbackList(ctx, store.FeedbackFilter{AuthorID: a.ID, After: cursor, Limit: limit + 1})
	if err != nil {
		return nil, "", err
	}
	list, next := cut(list, limit)
	for i := range list {
		list[i] = list[i].ForAuthor()
	}
	return list, next, nil
}

// cut trims a list fetched with limit+1 rows and returns the next cursor.
func cut(list []model.Feedback, limit int) ([]model.Feedback, string) {
	if len(list) > limit {
		list = list[:limit]
		return list, list[limit-1].ID
	}
	return list, ""
}

// FeedbackQuery is the operators' filter.
type FeedbackQuery struct {
	Topic    model.FeedbackTopic
	Status   model.FeedbackStatus
	Tag      string
	Text     string
	From, To time.Time
	Cursor   string
	Limit    int
}

func (fq FeedbackQuery) validate() error {
	var v model.Validator
	v.Check(fq.Topic == "" || fq.Topic.Valid(), "topic", "must be features, service_quality, worker_management, payments or other")
	v.Check(fq.Status == "" || fq.Status.Valid(), "status", "must be new, reviewing, planned, done or declined")
	v.Check(len(fq.Text) <= 200, "q", "at most 200 characters")
	v.Check(len(fq.Tag) <= 100, "tag", "at most 100 characters")
	v.Check(fq.From.IsZero() || fq.To.IsZero() || fq.From.Before(fq.To), "from", "must be before to")
	return v.Err()
}

func (fq FeedbackQuery) filter() store.FeedbackFilter {
	return store.FeedbackFilter{Topic: fq.Topic, Status: fq.Status, Tag: fq.Tag, Text: fq.Text, From: fq.From, To: fq.To,
		After: fq.Cursor, Limit: fq.Limit}
}

// ListFeedback lists everyone's feedback for operators, newest first, filtered.
func (s *Service) ListFeedback(ctx context.Context, a Actor, fq FeedbackQuery) (_ []model.Feedback, _ string, err error) {
	defer model.WrapOp(&err, "support: list feedback", "")
	if !a.isStaff() {
		return nil, "", model.Errorf(model.CodeForbidden, "only operators triage feedback")
	}
	if err := fq.validate(); err != nil {
		return nil, "", err
	}
	limit := fq.Limit
	fq.Limit++
	list, err := s.Store.FeedbackList(ctx, fq.filter())
	if err != nil {
		return nil, "", err
	}
	list, next := cut(list, limit)
	return list, next, nil
}

// TriageInput changes feedback; nil fields stay as they are. Version, when set, must match.
type TriageInput struct {
	Status  *model.FeedbackStatus
	Tags    *[]string
	Answer  *string
	Version int
}

// TriageFeedback sets the status, tags or answer of feedback. A new answer tells the author
// (feedback.answered) in the same transaction; every change goes into the history.
func (s *Service) TriageFeedback(ctx context.Context, a Actor, id string, in TriageInput) (_ FeedbackDetail, err error) {
	defer model.WrapOp(&err, "support: triage feedback", id)
	if !a.isStaff() {
		return FeedbackDetail{}, model.Errorf(model.CodeForbidden, "only operators triage feedback")
	}
	var v model.Validator
	v.Check(in.Status == nil || in.Status.Valid(), "status", "must be new, reviewing, planned, done or declined")
	if in.Answer != nil {
		n := len([]rune(strings.TrimSpace(*in.Answer)))
		v.Check(n > 0 && n <= model.FeedbackMaxAnswer, "answer", "must be 1-2000 characters")
	}
	v.Check(in.Status != nil || in.Tags != nil || in.Answer != nil, "status", "give status, tags or answer")
	if err := v.Err(); err != nil {
		return FeedbackDetail{}, err
	}
	var tags []string
	if in.Tags != nil {
		var err error
		if tags, err = model.NormalizeTags(*in.Tags); err != nil {
			return FeedbackDetail{}, err
		}
	}
	var f model.Feedback
	err = s.write(ctx, "triage feedback", func(tx *store.Tx) error {
		var err error
		if f, err = tx.Feedback(ctx, id); err != nil {
			return err
		}
		if in.Version != 0 && in.Version != f.Version {
			return model.Errorf(model.CodeConflict, "feedback %s was changed by someone else; reload it", id)
		}
		now := tx.Now()
		changed := false
		if in.Status != nil && *in.Status != f.Status {
			if err := s.feedbackEvent(ctx, tx, id, model.FeedbackEventStatus, a, map[string]any{"from": f.Status, "to": *in.Status}); err != nil {
				return err
			}
			f.Status, changed = *in.Status, true
		}
		if in.Tags != nil && !slices.Equal(tags, f.Tags) {
			if err := s.feedbackEvent(ctx, tx, id, model.FeedbackEventTagged, a, map[string]any{"from": f.Tags, "to": tags}); err != nil {
				return err
			}
			f.Tags, changed = tags, true
		}
		answered := in.Answer != nil && strings.TrimSpace(*in.Answer) != f.Answer
		if answered {
			f.Answer, f.AnsweredBy = strings.TrimSpace(*in.Answer), a.ID
			t := now.UTC()
			f.AnsweredAt, changed = &t, true
			// An answer with no status decision yet moves new feedback to reviewing.
			if f.Status == model.FeedbackNew && in.Status == nil {
				if err := s.feedbackEvent(ctx, tx, id, model.FeedbackEventStatus, a, map[string]any{"from": f.Status, "to": model.FeedbackReviewing}); err != nil {
					return err
				}
				f.Status = model.FeedbackReviewing
			}
			e := model.FeedbackEvent{FeedbackID: id, Type: model.FeedbackEventAnswered, ActorID: a.ID, ActorRole: a.Role, CreatedAt: now}
			raw, _ := json.Marshal(map[string]any{"answer": f.Answer, "status": f.Status})
			e.Details = raw
			if err := tx.AppendFeedbackEvent(ctx, &e); err != nil {
				return err
			}
			if _, err := s.Notify.Notify(ctx, tx, notify.Event{Kind: notify.KindFeedbackAnswered, Key: id + ":" + e.ID,
				Recipients: []notify.Recipient{{PersonID: f.AuthorID}},
				Vars:       map[string]any{"text": f.Answer},
				Data:       map[string]any{"feedback_id": id, "status": f.Status}}); err != nil {
				return err
			}
		}
		if !changed {
			return nil
		}
		return tx.UpdateFeedback(ctx, &f, now)
	})
	if err != nil {
		return FeedbackDetail{}, err
	}
	hist, err := s.Store.FeedbackEvents(ctx, id)
	if err != nil {
		return FeedbackDetail{}, err
	}
	return FeedbackDetail{Feedback: f, History: hist}, nil
}

// ExportLimit is the most rows one CSV export holds.
const ExportLimit = 50000

// ExportFeedback writes the filtered feedback as CSV for spreadsheets: UTF-8 with a byte-order
// mark (so Excel reads Chinese correctly), RFC 4180 quoting, times in the platform's time zone.
func (s *Service) ExportFeedback(ctx context.Context, a Actor, fq FeedbackQuery) (_ []byte, err error) {
	defer model.WrapOp(&err, "support: export feedback", "")
	if !a.isStaff() {
		return nil, model.Errorf(model.CodeForbidden, "only operators export feedback")
	}
	if err := fq.validate(); err != nil {
		return nil, err
	}
	fq.Cursor, fq.Limit = "", ExportLimit
	list, err := s.Store.FeedbackList(ctx, fq.filter())
	if err != nil {
		return nil, err
	}
	loc := platformLocation()
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	_ = w.Write([]string{"id", "created_at", "author_id", "author_role", "topic", "status", "tags", "order_id", "text",
		"images", "answer", "answered_at"})
	for _, f := range list {
		answered := ""
		if f.AnsweredAt != nil {
			answered = f.AnsweredAt.In(loc).Format("2006-01-02 15:04")
		}
		_ = w.Write([]string{f.ID, f.CreatedAt.In(loc).Format("2006-01-02 15:04"), f.AuthorID, string(f.AuthorRole),
			string(f.Topic), string(f.Status), strings.Join(f.Tags, ";"), f.OrderID, csvSafe(f.Text),
			strconv.Itoa(len(f.FileIDs)), csvSafe(f.Answer), answered})
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// csvSafe keeps spreadsheets from running user text as a formula (CSV injection).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// FeedbackWeeks counts feedback created in [from, to) per week (Monday to Sunday in the platform's
// time zone) by topic and status. Zero times mean the last 12 weeks.
func (s *Service) FeedbackWeeks(ctx context.Context, a Actor, from, to time.Time) (_ []model.FeedbackWeek, err error) {
	defer model.WrapOp(&err, "support: feedback weeks", "")
	if !a.isStaff() {
		return nil, model.Errorf(model.CodeForbidden, "only operators see feedback counts")
	}
	loc := platformLocation()
	if to.IsZero() {
		to = s.Now()
	}
	if from.IsZero() {
		from = to.AddDate(0, 0, -7*12)
	}
	if !from.Before(to) || to.Sub(from) > 2*366*24*time.Hour {
		return nil, model.Invalid(model.FieldError{Field: "from", Message: "must be before to, at most two years apart"})
	}
	from = weekStart(from, loc)
	stamps, err := s.Store.FeedbackStamps(ctx, from, to)
	if err != nil {
		return nil, err
	}
	var out []model.FeedbackWeek
	index := map[string]int{}
	for w := from; w.Before(to); w = w.AddDate(0, 0, 7) {
		key := w.Format("2006-01-02")
		index[key] = len(out)
		out = append(out, model.FeedbackWeek{Week: key, ByTopic: map[model.FeedbackTopic]int{},
			ByStatus: map[model.FeedbackStatus]int{}, Cells: map[string]map[string]int{}})
	}
	for _, st := range stamps {
		i, ok := index[weekStart(st.CreatedAt, loc).Format("2006-01-02")]
		if !ok {
			continue
		}
		wk := &out[i]
		wk.Total++
		wk.ByTopic[st.Topic]++
		wk.ByStatus[st.Status]++
		if wk.Cells[string(st.Topic)] == nil {
			wk.Cells[string(st.Topic)] = map[string]int{}
		}
		wk.Cells[string(st.Topic)][string(st.Status)]++
	}
	return out, nil
}

// weekStart is midnight of the Monday on or before t, in loc.
func weekStart(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	d := (int(t.Weekday()) + 6) % 7 // days since Monday
	return time.Date(t.Year(), t.Month(), t.Day()-d, 0, 0, 0, 0, loc)
}
