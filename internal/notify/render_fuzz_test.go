package notify

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/homebell/homebell/internal/model"
)

// FuzzRender renders every kind of the catalogue, for every audience and both languages, with
// variables a caller controls (names, reasons, chat text, amounts, times in any zone): rendering
// never fails or panics, never shows "<no value>", and valid text stays valid UTF-8.
func FuzzRender(f *testing.F) {
	f.Add("王阿姨", "堵车，晚点到", "2026-11-30T09:00:00+08:00", int64(12345), "Asia/Shanghai", true)
	f.Add("{{.x}}", "<script>alert(1)</script>", "not a time", int64(-1), "America/New_York", false)
	f.Add("", "", "", int64(0), "UTC", true)
	f.Add("a\x00b", "\xff\xfe", "9999-12-31T23:59:59Z", int64(1)<<62, "Local", false)
	f.Fuzz(func(t *testing.T, name, text, when string, cents int64, zone string, refund bool) {
		loc, err := time.LoadLocation(zone)
		if err != nil || zone == "" || zone == "Local" {
			loc = time.UTC
		}
		at := any(when)
		if tm, err := time.Parse(time.RFC3339, when); err == nil {
			at = tm
		}
		vars := map[string]any{"worker_name": name, "item": name, "address": text, "appointment": at, "old_time": at,
			"new_time": at, "reason": text, "requester_name": name, "refund": refund, "refund_cents": cents, "refund_eta": at,
			"text": text, "title": text, "sender_name": name, "customer_name": name, "rating": cents % 6, "endpoint": text,
			"error": text, "requirements": text, "count": cents}
		valid := utf8.ValidString(name) && utf8.ValidString(text) && utf8.ValidString(when)
		for _, k := range catalogue {
			for aud := range k.Title {
				for _, locale := range []string{"zh-CN", "en"} {
					for part, texts := range map[string]map[string]model.Text{"title": k.Title, "body": k.Body} {
						out, err := render(k.ID, part, aud, texts, vars, locale, loc)
						if err != nil {
							t.Fatalf("%s %s/%s/%s: %v", k.ID, part, aud, locale, err)
						}
						if strings.Contains(out, "<no value>") {
							t.Fatalf("%s %s/%s/%s: %q", k.ID, part, aud, locale, out)
						}
						if valid && !utf8.ValidString(out) {
							t.Fatalf("%s %s/%s/%s: invalid UTF-8 from valid input: %q", k.ID, part, aud, locale, out)
						}
					}
				}
			}
		}
	})
}
