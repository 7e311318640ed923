package app_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/store/storetest"
)

// TestX3MessageCenterFollowsReadersLanguage: notifications are kept in both languages, so after
// a customer switches to English their older notices read English in the message center (and
// can be searched in either language), and Chinese again after switching back (X3; issue 15
// item 11).
func TestX3MessageCenterFollowsReadersLanguage(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		w := newOrdWorld(t, dsn, nil)
		w.bookAccepted(ordT0.Add(48 * time.Hour))
		titles := func(q string) []string {
			t.Helper()
			path := "/v1/me/inbox"
			if q != "" {
				path += "?q=" + url.QueryEscape(q)
			}
			var out []string
			for _, it := range w.want(w.as(ordCustomer, "GET", path, nil), 200).Items() {
				out = append(out, it["title"].(string))
			}
			return out
		}
		has := func(got []string, want string) bool {
			for _, s := range got {
				if strings.Contains(s, want) {
					return true
				}
			}
			return false
		}
		if got := titles(""); !has(got, "订单已被接单") {
			t.Fatalf("message center in Chinese: %q", got)
		}
		w.want(w.as(ordCustomer, "PATCH", "/v1/me", map[string]any{"locale": "en"}), 200)
		got := titles("")
		if !has(got, "Your booking was accepted") || has(got, "订单已被接单") {
			t.Errorf("after switching to English the older notice reads %q", got)
		}
		if got := titles("booking was accepted"); len(got) != 1 {
			t.Errorf("search in English: %q", got)
		}
		if got := titles("已被接单"); len(got) != 1 || got[0] != "Your booking was accepted" {
			t.Errorf("search in Chinese, shown in English: %q", got)
		}
		w.want(w.as(ordCustomer, "PATCH", "/v1/me", map[string]any{"locale": "zh-CN"}), 200)
		if got := titles(""); !has(got, "订单已被接单") || has(got, "Your booking was accepted") {
			t.Errorf("back in Chinese: %q", got)
		}
	})
}
