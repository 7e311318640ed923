package app_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store/storetest"
)

// completedBy books an order, lets worker accept, start and complete it, and returns its id.
func (w *world) completedBy(worker string, at time.Time) string {
	w.t.Helper()
	id := w.book(at)
	w.want(w.as(worker, "POST", "/v1/orders/"+id+"/accept", nil), 200)
	w.startAs(worker, id)
	w.want(w.as(worker, "POST", "/v1/orders/"+id+"/complete", nil), 200)
	return id
}

// rating reads the rating on a card-like JSON object.
func ratingOf(t *testing.T, card any) (avg float64, count int) {
	t.Helper()
	m, _ := card.(map[string]any)
	r, ok := m["rating"].(map[string]any)
	if !ok {
		t.Fatalf("no rating on %v", card)
	}
	a, _ := r["average"].(float64)
	c, _ := r["count"].(float64)
	return a, int(c)
}

// I2: the customer reviews a completed order once; the worker sees it and replies once, editable
// for 24 hours; the customer is told of the reply; operators hide a reply and a review and their
// authors are told why; the worker's rating on their card counts only visible reviews.
func TestI2ReviewReplyAndModeration(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		// Not before the service is done.
		early := w.bookAccepted(ordT0.Add(3 * time.Hour))
		wantProblem(t, w.as(ordCustomer, "POST", "/v1/orders/"+early+"/review", map[string]any{"rating": 5}), 409, model.CodeInvalidTransition)

		id := w.completedBy(ordW1, ordSoon)
		path := "/v1/orders/" + id + "/review"
		// N3's notification carries what the form needs.
		done := w.one(ordCustomer, notify.KindServiceCompleted, id)
		form, _ := ordData(t, done)["review_form"].(map[string]any)
		if form["path"] != path || form["method"] != "POST" || form["rating_max"] != float64(5) || form["images_max"] != float64(6) {
			t.Errorf("review_form: %v", form)
		}
		if tags, _ := form["tags"].([]any); len(tags) < 5 {
			t.Errorf("review_form tags: %v", form["tags"])
		}
		tags := w.want(w.as(ordCustomer, "GET", "/v1/review-tags", nil), 200).Items()
		if len(tags) < 5 || tags[0]["id"] != "punctual" || fmt.Sprint(tags[0]["label"]) != fmt.Sprint(map[string]any{"zh-CN": "准时", "en": "On time"}) {
			t.Errorf("tags: %v", tags)
		}
		wantProblem(t, w.as(ordCustomer, "GET", path, nil), 404, model.CodeNotFound) // none yet

		// Every bad field is named at once.
		images := []string{"f1", "f2", "f3", "f4", "f5", "f6", "f7"}
		wantFields(t, w.as(ordCustomer, "POST", path, map[string]any{"rating": 6, "text": strings.Repeat("好", 501),
			"tags": []string{"punctual", "rude"}, "images": images}), "rating", "text", "tags", "images")
		wantFields(t, w.as(ordCustomer, "POST", path, map[string]any{"text": "没打星"}), "rating")

		r := w.want(w.as(ordCustomer, "POST", path, map[string]any{"rating": 4, "text": "厨房很干净，稍微迟到了几分钟",
			"tags": []string{"thorough", "friendly"}}), 201)
		if r.Str("order_id") != id || r.JSON["rating"] != float64(4) || r.Str("worker_id") != ordW1 || r.JSON["reply"] != nil {
			t.Fatalf("review: %s", r)
		}
		// Once.
		wantProblem(t, w.as(ordCustomer, "POST", path, map[string]any{"rating": 5}), 409, model.CodeConflict)

		// The worker is told, and sees it in "my reviews" with a reply to write.
		n := w.one(ordW1, notify.KindReviewReceived, id)
		ordContains(t, "review.received body", n.Body, "林晓", "4", "厨房很干净")
		if n.Category != "interaction" || ordData(t, n)["review_id"] != r.Str("id") {
			t.Errorf("review.received: %+v %s", n, n.Data)
		}
		mine := w.want(w.as(ordW1, "GET", "/v1/me/reviews", nil), 200).Items()
		if len(mine) != 1 || mine[0]["order_id"] != id || mine[0]["can_reply"] != true {
			t.Fatalf("my reviews: %v", mine)
		}
		if got := w.want(w.as(ordW1, "GET", path, nil), 200); got.JSON["can_reply"] != true || got.JSON["can_hide"] != false {
			t.Errorf("worker's view: %s", got)
		}

		// Rating on the worker's card, everywhere it is shown.
		avg, count := ratingOf(t, w.want(w.as(ordCustomer, "GET", "/v1/people/"+ordW1, nil), 200).JSON)
		if avg != 4 || count != 1 {
			t.Errorf("person card rating %v/%d", avg, count)
		}
		if avg, count := ratingOf(t, w.want(w.as(ordCustomer, "GET", "/v1/orders/"+id, nil), 200).JSON["worker"]); avg != 4 || count != 1 {
			t.Errorf("order worker rating %v/%d", avg, count)
		}
		next := w.bookAccepted(ordT0.Add(48 * time.Hour))
		if avg, count := ratingOf(t, ordData(t, w.one(ordCustomer, notify.KindOrderAccepted, next))["worker"]); avg != 4 || count != 1 {
			t.Errorf("order.accepted card rating %v/%d", avg, count)
		}
		w.want(w.as(ordOp1, "POST", "/v1/orders/"+next+"/assign", map[string]any{"worker_id": ordW2, "reason": "调整"}), 200)
		w.want(w.as(ordOp1, "POST", "/v1/orders/"+next+"/assign", map[string]any{"worker_id": ordW1, "reason": "换回"}), 200)
		changed := w.inbox(ordCustomer, notify.KindWorkerChanged)
		if len(changed) != 2 {
			t.Fatalf("worker.changed: %d", len(changed))
		}
		if avg, count := ratingOf(t, ordData(t, changed[1])["worker"]); avg != 4 || count != 1 {
			t.Errorf("worker.changed card rating %v/%d", avg, count)
		}
		if _, count := ratingOf(t, ordData(t, changed[0])["worker"]); count != 0 {
			t.Errorf("unreviewed worker's count %d", count)
		}

		// The worker replies once; the customer is told.
		wantFields(t, w.as(ordW1, "PUT", path+"/reply", map[string]any{"text": "  "}), "text")
		rep := w.want(w.as(ordW1, "PUT", path+"/reply", map[string]any{"text": "谢谢您！下次一定准时。"}), 201)
		reply, _ := rep.JSON["reply"].(map[string]any)
		if reply["text"] != "谢谢您！下次一定准时。" || reply["edited_at"] != nil {
			t.Fatalf("reply: %s", rep)
		}
		told := w.one(ordCustomer, notify.KindReviewReplied, id)
		ordContains(t, "review.replied body", told.Body, "王阿姨", "下次一定准时")
		seen := w.want(w.as(ordCustomer, "GET", path, nil), 200)
		if rp, _ := seen.JSON["reply"].(map[string]any); rp["text"] != "谢谢您！下次一定准时。" || seen.JSON["can_reply"] != false {
			t.Errorf("customer's view of the reply: %s", seen)
		}
		// Editable for 24 hours, then refused; an edit tells nobody twice.
		w.clk.Add(23 * time.Hour)
		ed := w.want(w.as(ordW1, "PUT", path+"/reply", map[string]any{"text": "谢谢您！已改进路线，下次一定准时。"}), 200)
		if rp, _ := ed.JSON["reply"].(map[string]any); rp["text"] != "谢谢您！已改进路线，下次一定准时。" || rp["edited_at"] == nil {
			t.Errorf("edited reply: %s", ed)
		}
		w.one(ordCustomer, notify.KindReviewReplied, id)
		w.clk.Add(time.Hour)
		wantProblem(t, w.as(ordW1, "PUT", path+"/reply", map[string]any{"text": "再改一次"}), 409, model.CodeInvalidTransition)
		if got := w.want(w.as(ordW1, "GET", path, nil), 200); got.JSON["can_reply"] != false {
			t.Errorf("can_reply after 24 h: %s", got)
		}

		// An operator hides the reply: the worker is told why; the customer no longer sees it.
		wantFields(t, w.as(ordOp1, "POST", path+"/reply/hide", map[string]any{"reason": ""}), "reason")
		w.want(w.as(ordOp1, "POST", path+"/reply/hide", map[string]any{"reason": "包含联系方式"}), 200)
		hid := w.one(ordW1, notify.KindReviewHidden, id)
		ordContains(t, "review.hidden to worker", hid.Title+hid.Body, "回复", "包含联系方式")
		if got := w.want(w.as(ordCustomer, "GET", path, nil), 200); got.JSON["reply"] != nil {
			t.Errorf("the customer still sees the hidden reply: %s", got)
		}
		if got := w.want(w.as(ordW1, "GET", path, nil), 200); got.JSON["reply"] == nil {
			t.Errorf("the worker no longer sees their own hidden reply: %s", got)
		}
		wantProblem(t, w.as(ordOp1, "POST", path+"/reply/hide", map[string]any{"reason": "again"}), 409, model.CodeInvalidTransition)

		// An operator hides the review: the customer is told why; the worker no longer sees it and
		// the rating drops it.
		w.want(w.as(ordOp2, "POST", path+"/hide", map[string]any{"reason": "人身攻击"}), 200)
		hc := w.one(ordCustomer, notify.KindReviewHidden, id)
		ordContains(t, "review.hidden to customer", hc.Title+hc.Body, "评价", "人身攻击")
		wantProblem(t, w.as(ordW1, "GET", path, nil), 404, model.CodeNotFound)
		if mine := w.want(w.as(ordW1, "GET", "/v1/me/reviews", nil), 200).Items(); len(mine) != 0 {
			t.Errorf("the worker still lists a hidden review: %v", mine)
		}
		own := w.want(w.as(ordCustomer, "GET", path, nil), 200)
		if h, _ := own.JSON["hidden"].(map[string]any); h["reason"] != "人身攻击" {
			t.Errorf("the author's view of the hidden review: %s", own)
		}
		if got := w.want(w.as(ordOp1, "GET", path, nil), 200); got.JSON["hidden"] == nil || got.JSON["reply"] == nil || got.JSON["can_hide"] != true {
			t.Errorf("the operator's view: %s", got)
		}
		if _, count := ratingOf(t, w.want(w.as(ordCustomer, "GET", "/v1/people/"+ordW1, nil), 200).JSON); count != 0 {
			t.Errorf("a hidden review still counts: %d", count)
		}
		wantProblem(t, w.as(ordOp1, "POST", path+"/hide", map[string]any{"reason": "again"}), 409, model.CodeInvalidTransition)

		// The order's timeline records each step.
		var evs []string
		for _, e := range w.want(w.as(ordOp1, "GET", "/v1/orders/"+id+"/timeline", nil), 200).Items() {
			if e["type"] == "transition" {
				evs = append(evs, fmt.Sprint(e["event"]))
			}
		}
		ordContains(t, "timeline", strings.Join(evs, ","), "reviewed,review_replied,review_reply_edited,review_reply_hidden,review_hidden")
	})
}

// I2 access: on every review endpoint a stranger, another customer, another worker, the removed
// worker, an agent and an anonymous caller are refused; roles cannot do each other's part.
func TestI2ReviewAccess(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		other := w.s.AddPerson(model.Person{ID: "c-other", Role: model.RoleCustomer, Name: "路人甲"})
		agent := w.s.AddPerson(model.Person{ID: "a-kf", Role: model.RoleAgent, Name: "客服小美"})
		otherWorker := w.s.AddPerson(model.Person{ID: "w-other", Role: model.RoleWorker, Name: "孙阿姨"})
		stranger := w.s.Token("nobody", model.RoleCustomer) // not known to homebell
		// W2 accepted first and was replaced by W1, who did the work: W2 is the removed worker.
		id := w.book(ordSoon)
		w.want(w.as(ordW2, "POST", "/v1/orders/"+id+"/accept", nil), 200)
		w.want(w.as(ordOp1, "POST", "/v1/orders/"+id+"/assign", map[string]any{"worker_id": ordW1, "reason": "客户要求"}), 200)
		w.startAs(ordW1, id)
		w.want(w.as(ordW1, "POST", "/v1/orders/"+id+"/complete", nil), 200)
		path := "/v1/orders/" + id + "/review"

		type call struct{ method, path string }
		calls := []call{{"POST", path}, {"GET", path}, {"PUT", path + "/reply"}, {"POST", path + "/hide"}, {"POST", path + "/reply/hide"}}
		body := map[string]any{"rating": 5, "text": "x", "reason": "x"}
		refuse := func(when string) {
			t.Helper()
			for who, tok := range map[string]string{"stranger": stranger, "other customer": other, "other worker": otherWorker,
				"removed worker": w.tok(ordW2), "agent": agent, "anonymous": ""} {
				for _, c := range calls {
					b := any(body)
					if c.method == "PUT" {
						b = map[string]any{"text": "x"}
					} else if c.method == "GET" {
						b = nil
					} else if strings.HasSuffix(c.path, "hide") {
						b = map[string]any{"reason": "x"}
					} else {
						b = map[string]any{"rating": 5}
					}
					r := w.s.Do(c.method, c.path, tok, b)
					if r.Status != 401 && r.Status != 403 && r.Status != 404 {
						t.Errorf("%s: %s %s as %s → %s", when, c.method, c.path, who, r)
					}
				}
				if tok != "" && who != "removed worker" && who != "other customer" && who != "other worker" {
					continue
				}
				if r := w.s.Do("GET", "/v1/me/reviews", tok, nil); r.Status == 200 && len(r.Items()) != 0 {
					t.Errorf("%s: %s lists reviews: %s", when, who, r)
				}
			}
		}
		refuse("before the review")
		// The worker and operators cannot review; only the customer can.
		wantProblem(t, w.as(ordW1, "POST", path, map[string]any{"rating": 5}), 403, model.CodeForbidden)
		wantProblem(t, w.as(ordOp1, "POST", path, map[string]any{"rating": 5}), 403, model.CodeForbidden)
		w.want(w.as(ordCustomer, "POST", path, map[string]any{"rating": 2, "text": "换人了"}), 201)
		refuse("after the review")
		// The customer cannot reply or hide; the worker cannot hide.
		wantProblem(t, w.as(ordCustomer, "PUT", path+"/reply", map[string]any{"text": "我自己回复"}), 403, model.CodeForbidden)
		wantProblem(t, w.as(ordCustomer, "POST", path+"/hide", map[string]any{"reason": "后悔了"}), 403, model.CodeForbidden)
		wantProblem(t, w.as(ordW1, "POST", path+"/hide", map[string]any{"reason": "不公平"}), 403, model.CodeForbidden)
		wantProblem(t, w.s.Do("GET", "/v1/me/reviews", agent, nil), 403, model.CodeForbidden)
		// The removed worker is not told of the review and does not list it; the worker who did the work is.
		w.none(ordW2, notify.KindReviewReceived)
		w.one(ordW1, notify.KindReviewReceived, id)
		w.want(w.as(ordW1, "PUT", path+"/reply", map[string]any{"text": "抱歉，会改进"}), 201)
		refuse("after the reply")
		// The platform may read and moderate.
		w.want(w.as("platform", "GET", path, nil), 200)
		w.want(w.as("platform", "POST", path+"/reply/hide", map[string]any{"reason": "平台审核"}), 200)
	})
}

// uploadPNG uploads a small PNG as a browser's FormData does and returns the file id.
func uploadPNG(t *testing.T, s *apptest.Server, token string, shade uint8) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = shade
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "kitchen.png")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(b.Bytes())
	mw.Close()
	r := s.DoWith("POST", "/v1/files", token, body.Bytes(), http.Header{"Content-Type": {mw.FormDataContentType()}})
	if r.Status != 201 || r.Str("id") == "" {
		t.Fatalf("upload: %s", r)
	}
	return r.Str("id")
}

// I2 photos: a review shows only photos its customer uploaded; the order's worker and operators
// may then see them (files access rule), nobody else — and the worker no longer once the review
// is hidden.
func TestI2ReviewPhotosReadableByTheOrderOnly(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		other := w.s.AddPerson(model.Person{ID: "c-other", Role: model.RoleCustomer, Name: "路人甲"})
		id := w.completedBy(ordW1, ordSoon)
		path := "/v1/orders/" + id + "/review"
		mine := uploadPNG(t, w.s, w.tok(ordCustomer), 200)
		theirs := uploadPNG(t, w.s, other, 90)
		wantFields(t, w.as(ordCustomer, "POST", path, map[string]any{"rating": 5, "images": []string{mine, theirs}}), "images")
		wantFields(t, w.as(ordCustomer, "POST", path, map[string]any{"rating": 5, "images": []string{"no-such-file"}}), "images")
		r := w.want(w.as(ordCustomer, "POST", path, map[string]any{"rating": 5, "text": "见图", "images": []string{mine}}), 201)
		if imgs, _ := r.JSON["images"].([]any); len(imgs) != 1 || imgs[0] != mine {
			t.Fatalf("images: %s", r)
		}
		read := func(who string, tok string, want int) {
			t.Helper()
			for _, p := range []string{"/v1/files/" + mine, "/v1/files/" + mine + "/thumbnail"} {
				if got := w.s.Do("GET", p, tok, nil); got.Status != want {
					t.Errorf("%s GET %s → %d, want %d", who, p, got.Status, want)
				}
			}
		}
		read("customer", w.tok(ordCustomer), 200)
		read("worker", w.tok(ordW1), 200)
		read("operator", w.tok(ordOp1), 200)
		read("another worker", w.tok(ordW2), 404)
		read("another customer", other, 404)
		w.want(w.as(ordOp1, "POST", path+"/hide", map[string]any{"reason": "照片含隐私"}), 200)
		read("worker after hiding", w.tok(ordW1), 404)
		read("customer after hiding", w.tok(ordCustomer), 200)
		read("operator after hiding", w.tok(ordOp1), 200)
	})
}
