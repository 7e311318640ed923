package web_test

// Browser tests: a real homebell node (apptest, demo data) and Debian's chromium driven by
// chromedp. Each person has their own browser context (own localStorage, own stream), and the
// tests assert what each one sees live, without reloading. Screenshots at phone size (390x844,
// zh-CN) go to $HOMEBELL_SCREENSHOTS or a temporary directory named in the log.

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/store/storetest"
)

// chromePath is $HOMEBELL_TEST_CHROME (e.g. /usr/bin/chromium). Without it the browser tests skip,
// unless HOMEBELL_TEST_REQUIRE=1.
func chromePath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("HOMEBELL_TEST_CHROME")
	if p != "" {
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
		if os.Getenv("HOMEBELL_TEST_REQUIRE") == "1" {
			t.Fatalf("HOMEBELL_TEST_CHROME=%s is not an executable", p)
		}
		t.Skipf("HOMEBELL_TEST_CHROME=%s is not an executable; browser tests skipped", p)
	}
	if os.Getenv("HOMEBELL_TEST_REQUIRE") == "1" {
		t.Fatal("browser tests need Chromium: set HOMEBELL_TEST_CHROME=/usr/bin/chromium (apt install chromium); HOMEBELL_TEST_REQUIRE=1 is set")
	}
	t.Skip("browser tests skipped: set HOMEBELL_TEST_CHROME=/usr/bin/chromium (apt install chromium) to run them")
	return ""
}

var (
	shotsOnce sync.Once
	shotsDir  string
)

// screenshotDir is where screenshots go: $HOMEBELL_SCREENSHOTS, or one temporary directory per run.
func screenshotDir(t *testing.T) string {
	shotsOnce.Do(func() {
		shotsDir = os.Getenv("HOMEBELL_SCREENSHOTS")
		if shotsDir == "" {
			shotsDir, _ = os.MkdirTemp("", "homebell-screens-")
		}
		_ = os.MkdirAll(shotsDir, 0o755)
	})
	return shotsDir
}

// stage is one test's world: a homebell node and one chromium with a context per person.
type stage struct {
	t   *testing.T
	srv *apptest.Server
	ctx context.Context // the browser's first context
}

// browser is the one chromium of the test binary, started by the first browser test and stopped
// by TestMain; every person of every test gets a browser context of their own in it.
var browser struct {
	once   sync.Once
	ctx    context.Context
	err    error
	cancel func()
}

// TestMain stops the shared chromium after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	os.Exit(code)
}

func startBrowser(exe string) (context.Context, error) {
	browser.once.Do(func() {
		dir, err := os.MkdirTemp("", "homebell-chromium-")
		if err != nil {
			browser.err = err
			return
		}
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath(exe),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("disable-background-timer-throttling", true),
			chromedp.Flag("disable-renderer-backgrounding", true),
			chromedp.Flag("disable-backgrounding-occluded-windows", true),
			chromedp.Flag("lang", "zh-CN"),
			chromedp.UserDataDir(dir),
			chromedp.WindowSize(390, 844),
		)
		bctx, cancelBrowser := chromedp.NewContext(allocCtx)
		browser.cancel = func() { cancelBrowser(); cancelAlloc(); _ = os.RemoveAll(dir) }
		browser.ctx = bctx
		browser.err = chromedp.Do(bctx)
	})
	return browser.ctx, browser.err
}

// newStage starts a homebell node for the test (opt.Demo for the demo people) and makes sure
// chromium runs.
func newStage(t *testing.T, opt apptest.Options) *stage {
	t.Helper()
	exe := chromePath(t)
	srv := apptest.Start(t, storetest.MigratedSQLitePath(t), opt)
	bctx, err := startBrowser(exe)
	if err != nil {
		t.Fatalf("start chromium %s: %v", exe, err)
	}
	return &stage{t: t, srv: srv, ctx: bctx}
}

// page is one person's browser tab, in a browser context of its own.
type page struct {
	t    *testing.T
	name string
	ctx  context.Context
	mu   sync.Mutex
	errs []string // uncaught exceptions and console errors
}

// open starts a tab for name in a fresh browser context at phone size and loads the app.
func (s *stage) open(name string) *page {
	s.t.Helper()
	ctx, cancel := chromedp.NewContext(s.ctx, chromedp.WithNewBrowserContext())
	s.t.Cleanup(cancel)
	p := &page{t: s.t, name: name, ctx: ctx}
	if err := chromedp.Do(ctx); err != nil {
		s.t.Fatalf("%s: new tab: %v", name, err)
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg := e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
			p.mu.Lock()
			p.errs = append(p.errs, msg)
			p.mu.Unlock()
		case *runtime.EventConsoleAPICalled:
			if e.Type == "error" {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				p.mu.Lock()
				p.errs = append(p.errs, "console.error: "+strings.Join(parts, " "))
				p.mu.Unlock()
			}
		}
	}); err != nil {
		s.t.Fatalf("%s: listen: %v", name, err)
	}
	// The people of the demo live in Shanghai: the browser does too, so times read the same in
	// the app and in the server-rendered notification text.
	shanghai := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Shanghai"})
		return err
	})
	p.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch),
		shanghai, chromedp.Navigate(s.srv.URL+"/"))
	return p
}

// signIn opens the app as a demo person by clicking their card on the sign-in page.
func (s *stage) signIn(personID string) *page {
	s.t.Helper()
	p := s.open(personID)
	p.click(fmt.Sprintf(`[data-person=%q]`, personID))
	p.waitJS(`document.querySelector('#main .view[data-ready]')`, "the app after sign-in")
	// A marker that only survives if the page is never reloaded.
	p.eval(`window.__sameDocument = true`, nil)
	// Toasts go by themselves after a few seconds; a loaded test machine may look later than a
	// person would, so in tests they stay until replaced, dismissed or navigated away from.
	p.eval(`homebell.toastMs = { note: 600000, ok: 600000, error: 600000 }`, nil)
	return p
}

func (p *page) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v%s", p.name, err, p.diagnose())
	}
}

// eval runs JavaScript in the page and decodes its value into out (may be nil).
func (p *page) eval(js string, out any) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](js, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s: eval %s: %v%s", p.name, js, err, p.diagnose())
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			p.t.Fatalf("%s: eval %s: decode %s: %v", p.name, js, raw, err)
		}
	}
}

// waitJS waits until the expression is truthy (polled every 50ms, up to 15s).
func (p *page) waitJS(expr, what string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { try { return !!(`+expr+`); } catch { return false; } })()`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
	if err != nil {
		p.t.Fatalf("%s: waiting for %s: %v%s", p.name, what, err, p.diagnose())
	}
}

// js quotes a Go string as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// waitText waits until the element matching sel contains text.
func (p *page) waitText(sel, text string) {
	p.t.Helper()
	p.waitJS(fmt.Sprintf(`[...document.querySelectorAll(%s)].some((e) => e.textContent.includes(%s))`, js(sel), js(text)),
		fmt.Sprintf("%q in %s", text, sel))
}

// text returns the text of the first element matching sel ("" when there is none).
func (p *page) text(sel string) string {
	p.t.Helper()
	var s string
	p.eval(fmt.Sprintf(`(document.querySelector(%s)?.textContent || '')`, js(sel)), &s)
	return s
}

// click waits for an enabled element and clicks it.
func (p *page) click(sel string) {
	p.t.Helper()
	p.waitJS(fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e && !e.disabled && e.offsetParent !== null; })()`, js(sel)), "clickable "+sel)
	p.eval(fmt.Sprintf(`document.querySelector(%s).click()`, js(sel)), nil)
}

// fill sets a form control's value as typing would.
func (p *page) fill(sel, value string) {
	p.t.Helper()
	p.waitJS(fmt.Sprintf(`document.querySelector(%s)`, js(sel)), sel)
	p.eval(fmt.Sprintf(`(() => { const e = document.querySelector(%s); e.value = %s; e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); })()`, js(sel), js(value)), nil)
}

// go navigates inside the app (a hash change, never a reload).
func (p *page) nav(hash string) {
	p.t.Helper()
	p.eval(fmt.Sprintf(`location.hash = %s`, js(hash)), nil)
	p.waitJS(fmt.Sprintf(`location.hash === %s && document.querySelector('#main .view[data-ready]')`, js(hash)), "view "+hash)
}

// badge is the unread count in the header.
func (p *page) badge() int {
	p.t.Helper()
	var n int
	p.eval(`Number(document.querySelector('#unread-badge')?.dataset.count || 0)`, &n)
	return n
}

// sameDocument fails the test if the page was reloaded since sign-in.
func (p *page) sameDocument() {
	p.t.Helper()
	var ok bool
	p.eval(`window.__sameDocument === true`, &ok)
	if !ok {
		p.t.Fatalf("%s: the page was reloaded; live updates must not need a reload", p.name)
	}
}

// clean fails the test on uncaught exceptions or CSP violations in the page.
func (p *page) clean() {
	p.t.Helper()
	var csp []string
	p.eval(`globalThis.homebell?.cspViolations || []`, &csp)
	if len(csp) > 0 {
		p.t.Errorf("%s: Content-Security-Policy violations: %v", p.name, csp)
	}
	var junk string
	p.eval(`(document.body.innerText.match(/\b(null|undefined|NaN|\[object Object\])\b/) || [''])[0]`, &junk)
	if junk != "" {
		p.t.Errorf("%s: the page shows %q: a value was rendered without a check%s", p.name, junk, p.diagnose())
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.errs {
		if strings.Contains(e, "Failed to load resource") {
			continue // 4xx answers the app handles (shown as problems) are logged by the browser
		}
		p.t.Errorf("%s: script error: %s", p.name, e)
	}
}

// quietShot is shot without the live toasts covering the screen.
func (p *page) quietShot(name string) {
	p.t.Helper()
	p.eval(`document.querySelectorAll('.toast').forEach((e) => e.remove())`, nil)
	p.shot(name)
}

// shot writes a screenshot of the viewport as name.png.
func (p *page) shot(name string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	img, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("%s: screenshot: %v", p.name, err)
	}
	path := filepath.Join(screenshotDir(p.t), name+".png")
	if err := os.WriteFile(path, img, 0o644); err != nil {
		p.t.Fatalf("write screenshot: %v", err)
	}
	p.t.Logf("screenshot %s", path)
}

// diagnose describes the page for a failure message.
func (p *page) diagnose() string {
	ctx, cancel := context.WithTimeout(p.ctx, 3*time.Second)
	defer cancel()
	body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.hash + '\n' + (document.body?.innerText || '').slice(0, 1500)`))
	p.mu.Lock()
	defer p.mu.Unlock()
	return fmt.Sprintf("\n--- %s sees ---\n%s\n--- script errors: %v", p.name, body, p.errs)
}

func itoa(n int) string { return fmt.Sprint(n) }

// axeSource is axe-core (testdata/README.md says which version and how to update it).
//
//go:embed testdata/axe.min.js
var axeSource string

// axeFinding is one rule axe-core found broken, with the elements at fault.
type axeFinding struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axe runs axe-core on what the page shows now (screen names it in the failure) and fails the
// test on every critical or serious finding. The first call in a tab injects axe-core; toasts are
// part of the screen and are checked too.
func (p *page) axe(screen string) {
	p.t.Helper()
	var loaded bool
	p.eval(`typeof globalThis.axe === 'object'`, &loaded)
	if !loaded {
		ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](axeSource+"\n;true")); err != nil {
			p.t.Fatalf("%s: inject axe-core: %v", p.name, err)
		}
	}
	var found []axeFinding
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
		r.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious').map((v) => ({
			id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.slice(0, 6).map((n) => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 240)),
		})))`, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s: axe-core on %s: %v", p.name, screen, err)
	}
	if err := json.Unmarshal(raw, &found); err != nil {
		p.t.Fatalf("%s: axe-core result %s: %v", p.name, raw, err)
	}
	for _, f := range found {
		p.t.Errorf("%s: accessibility (axe-core) on %s: %s %s — %s\n    %s", p.name, screen, f.Impact, f.ID, f.Help, strings.Join(f.Nodes, "\n    "))
	}
}
