package web_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/homebell/homebell/web"
)

func get(t *testing.T, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	web.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec.Result()
}

// TestDeepLinksServeTheApp: a bookmarked screen (/orders/…) loads the app; files keep their types.
func TestDeepLinksServeTheApp(t *testing.T) {
	for path, want := range map[string]string{
		"/":                    "text/html",
		"/orders/123":          "text/html",
		"/js/app.js":           "javascript",
		"/js/views/order.js":   "javascript",
		"/app.css":             "text/css",
		"/avatars/w-wang.svg":  "image/svg+xml",
		"/sw.js":               "javascript",
		"/icons/bell.svg":      "image/svg+xml",
		"/avatars/default.svg": "image/svg+xml",
	} {
		res := get(t, path)
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), want) {
			t.Errorf("GET %s: %d %q, want 200 %s", path, res.StatusCode, res.Header.Get("Content-Type"), want)
		}
	}
	body, _ := io.ReadAll(get(t, "/orders/123").Body)
	if !strings.Contains(string(body), `src="/js/app.js"`) {
		t.Errorf("deep link did not serve index.html: %.200s", body)
	}
}

// TestDemoPeopleHaveAvatars: every seeded person's /avatars/<id>.svg exists.
func TestDemoPeopleHaveAvatars(t *testing.T) {
	for _, id := range []string{"c-lin", "c-emma", "w-wang", "w-zhao", "w-li", "a-chen", "o-zhou"} {
		if res := get(t, "/avatars/"+id+".svg"); res.StatusCode != 200 {
			t.Errorf("avatar of %s: %d", id, res.StatusCode)
		}
	}
}

// staticFiles returns the text of every file under static/ by path.
func staticFiles(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir("static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out[filepath.ToSlash(p)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestNoHTMLInjectionOrInlineCode: user text is rendered as text (no innerHTML, outerHTML,
// insertAdjacentHTML or document.write anywhere), and nothing inline needs a CSP exception
// (no inline <script>, style attributes, or on* attributes in HTML).
func TestNoHTMLInjectionOrInlineCode(t *testing.T) {
	sinks := regexp.MustCompile(`\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(`)
	inline := regexp.MustCompile(`<script(?:[^>]*)>\s*[^<\s]|<style|\sstyle=|\son[a-z]+=`)
	for p, text := range staticFiles(t) {
		switch {
		case strings.HasSuffix(p, ".js"):
			if m := sinks.FindString(text); m != "" {
				t.Errorf("%s uses %q: render text with textContent", p, m)
			}
			if strings.Contains(text, ".style.") || strings.Contains(text, "'style'") {
				t.Errorf("%s sets inline styles, which the CSP (style-src 'self') blocks", p)
			}
		case strings.HasSuffix(p, ".html"):
			if m := inline.FindString(text); m != "" {
				t.Errorf("%s has inline code %q, which the CSP blocks", p, m)
			}
		}
	}
}

// TestEveryRouteHasItsView: each view module the router names exists.
func TestEveryRouteHasItsView(t *testing.T) {
	files := staticFiles(t)
	views := regexp.MustCompile(`view: '\./(views/[a-z]+\.js)'`).FindAllStringSubmatch(files["static/js/app.js"], -1)
	if len(views) < 8 {
		t.Fatalf("found %d routes in app.js, want the whole first slice", len(views))
	}
	for _, v := range views {
		if _, ok := files["static/js/"+v[1]]; !ok {
			t.Errorf("route names %s, which does not exist", v[1])
		}
	}
}

// TestBothLanguagesHaveEveryWord: the zh-CN and English dictionaries have the same keys (X3).
func TestBothLanguagesHaveEveryWord(t *testing.T) {
	src := staticFiles(t)["static/js/i18n.js"]
	zhStart, enStart := strings.Index(src, "const zh = {"), strings.Index(src, "const en = {")
	end := strings.Index(src, "const dicts")
	if zhStart < 0 || enStart < zhStart || end < enStart {
		t.Fatal("i18n.js: dictionaries not found")
	}
	key := regexp.MustCompile(`'([a-zA-Z_.]+)':`)
	keys := func(s string) []string {
		var out []string
		for _, m := range key.FindAllStringSubmatch(s, -1) {
			out = append(out, m[1])
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	zh, en := keys(src[zhStart:enStart]), keys(src[enStart:end])
	for _, k := range zh {
		if !slices.Contains(en, k) {
			t.Errorf("English lacks %q", k)
		}
	}
	for _, k := range en {
		if !slices.Contains(zh, k) {
			t.Errorf("Chinese lacks %q", k)
		}
	}
	if len(zh) < 100 {
		t.Errorf("only %d words; the dictionary was not parsed", len(zh))
	}
}
