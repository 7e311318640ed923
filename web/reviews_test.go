package web_test

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/model"
)

// TestI2BrowserReviewAndReplyLive: on a completed order the customer rates with real star
// controls (a tap on a star, then the arrow key), picks tag chips and writes a review; the
// worker's "my reviews", open all along, shows it live, and the worker replies; the customer's
// order page shows the reply live, with the worker's rating on the card; an operator hides the
// reply with a reason and it leaves the customer's page live (I2).
func TestI2BrowserReviewAndReplyLive(t *testing.T) {
	s := newStage(t, apptest.Options{Demo: true})
	id := s.order("c-lin", "w-wang", "daily-cleaning", time.Now().Add(20*time.Minute))
	wt := s.srv.Token("w-wang", model.RoleWorker)
	s.startVisit(id, "w-wang")
	if r := s.srv.Do("POST", "/v1/orders/"+id+"/complete", wt, nil); r.Status != 200 {
		t.Fatalf("complete: %s", r)
	}
	customer := s.signIn("c-lin")
	worker := s.signIn("w-wang")
	worker.nav("#/reviews")
	worker.waitText("#main h1", "我的评价")
	customer.openOrder(id)
	customer.waitJS(`document.querySelector('#review-form #review-tag-punctual')`, "the review form with its tags")

	// Five real radio buttons in one group, each with its own label naming the stars.
	var labelled int
	customer.eval(`[...document.querySelectorAll('#review-stars input[type=radio][name="review-rating"]')]
		.filter((r) => r.labels.length === 1 && r.labels[0].textContent.includes(r.value + ' 星')).length`, &labelled)
	if labelled != 5 {
		t.Fatalf("%d labelled star radios, want 5", labelled)
	}
	if legend := customer.text("#review-stars legend"); legend == "" {
		t.Error("the star group has no legend")
	}
	// A finger taps the fourth star; then the keyboard moves to the fifth.
	customer.do(chromedp.Tap(chromedp.CSS(`label[for="review-star-4"]`)))
	customer.waitJS(`document.querySelector('#review-star-4').checked && document.querySelectorAll('#review-stars .star-label.on').length === 4`, "four stars by tap")
	customer.waitText("#star-caption", "满意")
	customer.do(chromedp.Focus(chromedp.CSS("#review-star-4")), chromedp.KeyEvent(kb.ArrowRight))
	customer.waitJS(`document.querySelector('#review-star-5').checked && document.querySelectorAll('#review-stars .star-label.on').length === 5`, "five stars by keyboard")
	customer.waitText("#star-caption", "非常满意")
	// Tags are checkboxes.
	customer.do(chromedp.Tap(chromedp.CSS(`label[for="review-tag-punctual"]`)))
	customer.click(`label[for="review-tag-thorough"]`)
	customer.waitJS(`document.querySelector('#review-tag-punctual').checked && document.querySelector('#review-tag-thorough').checked && !document.querySelector('#review-tag-friendly').checked`, "two tags checked")
	customer.fill("#review-text", "王阿姨非常细致，厨房焕然一新")
	// A photo from the gallery, uploaded to POST /v1/files.
	customer.do(chromedp.SetUploadFiles(chromedp.CSS("#review-images"), []string{samplePNG(t)}))
	customer.waitText("#review-photos", "kitchen.png")
	customer.axe("the review form")
	customer.quietShot("i2-01-customer-review-form")
	customer.click("#review-submit")
	customer.waitJS(`document.querySelector('#review .review-stars')?.dataset.rating === '5'`, "the sent review")
	customer.waitText("#review", "王阿姨非常细致")
	customer.waitText("#review .review-tags", "准时")
	customer.waitText("#review .review-tags", "细致")
	customer.waitJS(`document.querySelector('#review img.review-image')?.src.startsWith('blob:')`, "the review's photo")

	// The worker's list shows it live, with their rating, and the worker replies.
	worker.waitText("#reviews-list", "王阿姨非常细致，厨房焕然一新")
	worker.waitText("#my-rating", "5.0")
	worker.waitJS(`document.querySelector('#reviews-list img.review-image')?.src.startsWith('blob:')`, "the photo for the worker")
	worker.fill("#reviews-list .reply-input", "谢谢林女士，下次见！")
	worker.axe("my reviews")
	worker.quietShot("i2-02-worker-my-reviews")
	worker.click("#reviews-list .reply-submit")
	worker.waitText("#reviews-list .review-reply", "谢谢林女士，下次见！")

	// The customer's page shows the reply live, and the worker's card their rating.
	customer.waitText("#review-reply", "谢谢林女士，下次见！")
	customer.waitText(".people-card .rating-badge", "5.0")
	customer.quietShot("i2-03-customer-sees-reply")

	// An operator hides the reply with a reason: it leaves the customer's page live.
	op := s.signIn("o-zhou")
	op.openOrder(id)
	op.waitJS(`document.querySelector('#hide-reply-reason')`, "the hide forms")
	op.axe("the operator's review")
	op.fill("#hide-reply-reason", "包含联系方式")
	op.click("#hide-reply-submit")
	op.waitText("#reply-hidden", "包含联系方式")
	customer.waitJS(`document.querySelector('#review') && !document.querySelector('#review-reply')`, "the hidden reply gone")
	worker.waitText("#reviews-list .reply-hidden", "包含联系方式")

	for _, p := range []*page{customer, worker, op} {
		p.sameDocument()
		p.clean()
	}
}

// samplePNG writes a small PNG named kitchen.png and returns its path.
func samplePNG(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kitchen.png")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
