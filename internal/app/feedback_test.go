package app_test

import (
	"bytes"
	"encoding/csv"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store/storetest"
)

const fbOther = "c-song" // a second customer

// fbUpload uploads a small PNG as the person and returns its file id.
func fbUpload(w *world, who string, shade uint8) string {
	w.t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = shade
	}
	img.Set(0, 0, color.RGBA{1, 2, 3, 255})
	var pic, body bytes.Buffer
	if err := png.Encode(&pic, img); err != nil {
		w.t.Fatal(err)
	}
	mw := multipart.NewWriter(&body)
	part, _ := mw.CreateFormFile("file", "shot.png")
	part.Write(pic.Bytes())
	mw.Close()
	r := w.s.DoWith("POST", "/v1/files", w.tok(who), body.Bytes(), http.Header{"Content-Type": {mw.FormDataContentType()}})
	return w.want(r, 201).Str("id")
}

func newFeedbackWorld(t *testing.T, dsn string) *world {
	t.Helper()
	w := newOrdWorld(t, dsn, nil)
	return w.people(model.Person{ID: fbOther, Role: model.RoleCustomer, Name: "宋女士"})
}

// TestI4FeedbackSubmitTriageAnswer: a customer submits feedback about their order, an operator
// filters, tags, sets a status and answers; the author is told and sees the status, the answer
// and the history, without the operators' tags.
func TestI4FeedbackSubmitTriageAnswer(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newFeedbackWorld(t, dsn)
		order := w.bookAccepted(ordT0.Add(48 * time.Hour))

		// Validation: topic, text, somebody else's order.
		r := w.want(w.as(ordCustomer, "POST", "/v1/feedback", map[string]any{"topic": "weather", "text": ""}), 400)
		if len(r.JSON["errors"].([]any)) != 2 {
			t.Errorf("want topic and text errors: %s", r)
		}
		w.want(w.as(fbOther, "POST", "/v1/feedback", map[string]any{"topic": "payments", "text": "x", "order_id": order}), 400)
		w.want(w.as(ordCustomer, "POST", "/v1/feedback", map[string]any{"topic": "other", "text": strings.Repeat("长", 2001)}), 400)

		// Images: only the author's own uploads.
		pic := fbUpload(w, ordCustomer, 200)
		other := fbUpload(w, fbOther, 100)
		w.want(w.as(ordCustomer, "POST", "/v1/feedback", map[string]any{"topic": "features", "text": "x", "file_ids": []string{other}}), 400)
		text := "希望能选择\"固定阿姨\",\n每周同一时间上门"
		c := w.want(w.as(ordCustomer, "POST", "/v1/feedback", map[string]any{"topic": "features", "text": text, "order_id": order,
			"file_ids": []string{pic}}), 201)
		// Operators read the image; another customer does not.
		w.want(w.as(ordOp1, "GET", "/v1/files/"+pic, nil), 200)
		w.want(w.as(fbOther, "GET", "/v1/files/"+pic, nil), 404)
		w.want(w.as(ordW1, "GET", "/v1/files/"+pic, nil), 404)
		id := c.Str("id")
		if c.Str("status") != "new" || c.Str("order_id") != order || c.Str("author_id") != ordCustomer {
			t.Fatalf("submitted: %s", c)
		}
		w.want(w.as(ordW1, "POST", "/v1/feedback", map[string]any{"topic": "worker_management", "text": "派单太集中", "order_id": order}), 201)
		w.want(w.as(fbOther, "POST", "/v1/feedback", map[string]any{"topic": "payments", "text": "支付失败两次"}), 201)

		// Operators filter.
		count := func(query string) int {
			t.Helper()
			return len(w.want(w.as(ordOp1, "GET", "/v1/admin/feedback?"+query, nil), 200).Items())
		}
		if n := count(""); n != 3 {
			t.Errorf("all feedback: %d, want 3", n)
		}
		if n := count("topic=features"); n != 1 {
			t.Errorf("topic=features: %d", n)
		}
		if n := count("q=" + url.QueryEscape("支付")); n != 1 {
			t.Errorf("q=支付: %d", n)
		}
		if n := count("q=" + url.QueryEscape("%")); n != 0 {
			t.Errorf("q=%%: %d, want 0 (literal)", n)
		}
		if n := count("from=2026-03-02"); n != 0 {
			t.Errorf("from tomorrow: %d", n)
		}
		if n := count("from=2026-03-01&to=2026-03-01&status=new"); n != 3 {
			t.Errorf("today, new: %d", n)
		}
		p := w.want(w.as(ordOp1, "GET", "/v1/admin/feedback?limit=2", nil), 200)
		if len(p.Items()) != 2 || p.Str("next_cursor") == "" {
			t.Fatalf("page 1: %s", p)
		}
		if n := count("limit=2&cursor=" + p.Str("next_cursor")); n != 1 {
			t.Errorf("page 2: %d", n)
		}
		w.want(w.as(ordOp1, "GET", "/v1/admin/feedback?status=lost", nil), 400)

		// Triage: tags and status, then an answer.
		tr := w.want(w.as(ordOp1, "PATCH", "/v1/admin/feedback/"+id, map[string]any{"tags": []string{"排班", " 排班", "VIP"}, "status": "reviewing"}), 200)
		if tags, _ := tr.JSON["tags"].([]any); len(tags) != 2 {
			t.Errorf("tags: %v", tr.JSON["tags"])
		}
		if n := count("tag=" + url.QueryEscape("排班")); n != 1 {
			t.Errorf("tag filter: %d", n)
		}
		w.none(ordCustomer, notify.KindFeedbackAnswered)
		// A stale version is refused.
		w.want(w.as(ordOp2, "PATCH", "/v1/admin/feedback/"+id, map[string]any{"status": "declined", "version": 1}), 409)
		ans := "已排期，下月上线「固定阿姨」功能。"
		w.want(w.as(ordOp2, "PATCH", "/v1/admin/feedback/"+id, map[string]any{"status": "planned", "answer": ans}), 200)
		n := w.one(ordCustomer, notify.KindFeedbackAnswered, "")
		ordContains(t, "answer notice", n.Body, "固定阿姨")
		if ordData(t, n)["feedback_id"] != id || n.Category != "interaction" {
			t.Errorf("notice: %+v", n)
		}
		// The same answer again tells nobody again.
		w.want(w.as(ordOp2, "PATCH", "/v1/admin/feedback/"+id, map[string]any{"answer": ans}), 200)
		w.one(ordCustomer, notify.KindFeedbackAnswered, "")

		// The author sees status, answer and history; no tags, no operator names.
		mine := w.want(w.as(ordCustomer, "GET", "/v1/me/feedback", nil), 200).Items()
		if len(mine) != 1 || mine[0]["status"] != "planned" || mine[0]["answer"] != ans {
			t.Fatalf("my feedback: %v", mine)
		}
		d := w.want(w.as(ordCustomer, "GET", "/v1/feedback/"+id, nil), 200)
		if tags, _ := d.JSON["tags"].([]any); len(tags) != 0 || d.Str("answered_by") != "" {
			t.Errorf("author sees tags or names: %s", d)
		}
		var types []string
		for _, e := range d.JSON["history"].([]any) {
			ev := e.(map[string]any)
			types = append(types, ev["type"].(string))
			if ev["actor_role"] == "operator" && ev["actor_id"] != nil && ev["actor_id"] != "" {
				t.Errorf("operator id shown to the author: %v", ev)
			}
		}
		if got := strings.Join(types, ","); got != "submitted,status,status,answered" {
			t.Errorf("author history: %s", got)
		}
		full := w.want(w.as(ordOp1, "GET", "/v1/feedback/"+id, nil), 200)
		if len(full.JSON["history"].([]any)) != 5 || full.Str("answered_by") != ordOp2 {
			t.Errorf("operator view: %s", full)
		}

		// CSV export: BOM, text/csv, proper quoting that survives a round trip.
		x := w.want(w.as(ordOp1, "GET", "/v1/admin/feedback/export?topic=features", nil), 200)
		if ct := x.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("content type %q", ct)
		}
		if !strings.HasPrefix(string(x.Body), "\ufeff") {
			t.Fatalf("no BOM: %q", x.Body[:10])
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(x.Body), "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 2 || recs[1][0] != id || recs[1][8] != text || recs[1][10] != ans || recs[1][5] != "planned" {
			t.Errorf("csv: %q", recs)
		}

		// Weekly counts (2026-03-01 is a Sunday: the week starts on Monday 2026-02-23).
		wk := w.want(w.as(ordOp1, "GET", "/v1/admin/feedback/weekly?from=2026-02-16&to=2026-03-01", nil), 200).Items()
		if len(wk) != 2 || wk[1]["week"] != "2026-02-23" || wk[1]["total"] != float64(3) {
			t.Fatalf("weeks: %v", wk)
		}
		if bt := wk[1]["by_topic"].(map[string]any); bt["features"] != float64(1) || bt["payments"] != float64(1) {
			t.Errorf("by topic: %v", bt)
		}
		if bs := wk[1]["by_status"].(map[string]any); bs["planned"] != float64(1) || bs["new"] != float64(2) {
			t.Errorf("by status: %v", bs)
		}
	})
}

// TestI4FeedbackAccess: nobody but the author and operators sees feedback; only operators triage.
func TestI4FeedbackAccess(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newFeedbackWorld(t, dsn)
		id := w.want(w.as(ordCustomer, "POST", "/v1/feedback", map[string]any{"topic": "service_quality", "text": "阿姨很准时"}), 201).Str("id")
		for _, who := range []string{fbOther, ordW1} {
			w.want(w.as(who, "GET", "/v1/feedback/"+id, nil), 404)
			if n := len(w.want(w.as(who, "GET", "/v1/me/feedback", nil), 200).Items()); n != 0 {
				t.Errorf("%s sees %d feedback", who, n)
			}
			w.want(w.as(who, "GET", "/v1/admin/feedback", nil), 403)
			w.want(w.as(who, "PATCH", "/v1/admin/feedback/"+id, map[string]any{"status": "done"}), 403)
			w.want(w.as(who, "GET", "/v1/admin/feedback/export", nil), 403)
		}
		w.want(w.as(ordCustomer, "PATCH", "/v1/admin/feedback/"+id, map[string]any{"answer": "self"}), 403)
		w.want(w.as(ordOp1, "GET", "/v1/feedback/"+id, nil), 200)
		w.want(w.as("platform", "GET", "/v1/admin/feedback", nil), 200)
		w.want(w.as(ordOp1, "PATCH", "/v1/admin/feedback/nope", map[string]any{"status": "done"}), 404)
	})
}
