package notify

import (
	"bytes"
	"fmt"
	"sync"
	"text/template"
	"time"

	"github.com/homebell/homebell/internal/model"
)

// Templates are text/template; values come from the event's Vars. Functions:
//
//	when  formats a time (time.Time or RFC 3339 string) in the recipient's zone and language
//	money formats fen (an integer) as yuan: ¥123.45
//
// Output is plain text: clients must render it as text, never as HTML.
var templates = struct {
	sync.RWMutex
	m map[templateKey]*template.Template
}{m: map[templateKey]*template.Template{}}

// templateKey names a parsed template: a struct, so looking one up builds no string.
type templateKey struct{ kind, part, audience, locale, zone string }

func (k templateKey) String() string {
	return k.kind + "|" + k.part + "|" + k.audience + "|" + k.locale + "|" + k.zone
}

// parse returns the template of key parsed from src, with when bound to the locale and zone.
// The functions close over the recipient's language and zone, so the parsed template is kept per
// zone too (a few zones in practice, a few hundred at most): executing a cached template is safe
// from many goroutines, where cloning one per notification was 5 % of the write path's
// allocations.
func parse(key templateKey, src string, loc *time.Location) (*template.Template, error) {
	templates.RLock()
	tt := templates.m[key]
	templates.RUnlock()
	if tt != nil {
		return tt, nil
	}
	locale := key.locale
	funcs := template.FuncMap{
		"when":  func(v any) string { return formatTime(v, locale, loc) },
		"money": formatMoney,
	}
	tt, err := template.New(key.String()).Option("missingkey=zero").Funcs(funcs).Parse(src)
	if err != nil {
		return nil, fmt.Errorf("notify: template %s: %w", key, err)
	}
	templates.Lock()
	defer templates.Unlock()
	if cached := templates.m[key]; cached != nil {
		return cached, nil
	}
	templates.m[key] = tt
	return tt, nil
}

// renderBufs are render's output buffers, reused across renders.
var renderBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render renders one template text for a recipient.
func render(kind, part, audience string, texts map[string]model.Text, vars map[string]any, locale string, loc *time.Location) (string, error) {
	return renderLocal(kind, part, audience, texts, localVars(vars, locale), locale, loc)
}

// renderLocal is render with vars already in the recipient's language (localVars).
func renderLocal(kind, part, audience string, texts map[string]model.Text, vars map[string]any, locale string, loc *time.Location) (string, error) {
	txt, ok := texts[audience]
	if !ok && audience == audienceWatcher {
		txt, ok = texts[audienceCustomer]
	}
	if !ok {
		if txt, ok = texts[audienceAny]; !ok {
			return "", fmt.Errorf("notify: kind %s has no %s template for audience %q", kind, part, audience)
		}
	}
	src := txt.In(locale)
	key := templateKey{kind: kind, part: part, audience: audience, locale: locale, zone: loc.String()}
	tt, err := parse(key, src, loc)
	if err != nil {
		return "", err
	}
	buf := renderBufs.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 {
			buf.Reset()
			renderBufs.Put(buf)
		}
	}()
	buf.Reset()
	if err := tt.Execute(buf, vars); err != nil {
		return "", fmt.Errorf("notify: render %s|%s|%s|%s: %w", kind, part, audience, locale, err)
	}
	out := buf.Bytes()
	if bytes.Contains(out, noValue) {
		out = bytes.ReplaceAll(out, noValue, nil)
	}
	return string(out), nil
}

var noValue = []byte("<no value>")

// localVars is vars as a recipient in locale sees them: a value in both languages (a service
// item's name) is shown in the recipient's. vars itself when it has no such value.
func localVars(vars map[string]any, locale string) map[string]any {
	bilingual := false
	for _, v := range vars {
		if _, ok := v.(model.Text); ok {
			bilingual = true
			break
		}
	}
	if !bilingual {
		return vars
	}
	local := make(map[string]any, len(vars))
	for k, v := range vars {
		if txt, ok := v.(model.Text); ok {
			v = txt.In(locale)
		}
		local[k] = v
	}
	return local
}

func formatTime(v any, locale string, loc *time.Location) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x == nil {
			return ""
		}
		t = *x
	case string:
		p, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return x
		}
		t = p
	default:
		return ""
	}
	if t.IsZero() {
		return ""
	}
	t = t.In(loc)
	// A recipient outside the platform's zone gets the zone's abbreviation, so a time is never
	// ambiguous (on a DST fall-back day 01:30 happens twice: EDT, then EST).
	zone := ""
	if loc.String() != model.DefaultTimeZone {
		zone = " " + zoneAbbrev(t)
	}
	if locale == model.LocaleEN {
		return t.Format("Mon 2 Jan 15:04") + zone
	}
	weekdays := [...]string{"日", "一", "二", "三", "四", "五", "六"}
	return fmt.Sprintf("%d月%d日（周%s）%s%s", int(t.Month()), t.Day(), weekdays[t.Weekday()], t.Format("15:04"), zone)
}

// zoneAbbrev is t's zone abbreviation (EST, JST, CET), or its offset as UTC+08 / UTC+05:30 where
// the zone has none.
func zoneAbbrev(t time.Time) string {
	name, off := t.Zone()
	if name != "" && name[0] != '+' && name[0] != '-' {
		return name
	}
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	if m := off % 3600 / 60; m != 0 {
		return fmt.Sprintf("UTC%s%02d:%02d", sign, off/3600, m)
	}
	return fmt.Sprintf("UTC%s%02d", sign, off/3600)
}

func formatMoney(v any) string {
	var cents int64
	switch x := v.(type) {
	case int64:
		cents = x
	case int:
		cents = int64(x)
	case float64:
		cents = int64(x)
	default:
		return ""
	}
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s¥%d.%02d", sign, cents/100, cents%100)
}

// renderTexts renders a kind's title and body for one recipient in their language, and in the
// other language too (alt): the message center shows each entry in its reader's current
// language, so a switch to English turns older notices English (issue 15 item 11).
func renderTexts(kind Kind, audience string, vars map[string]any, locale string, loc *time.Location) (title, body string, alt model.AltText, err error) {
	local := localVars(vars, locale)
	if title, err = renderLocal(kind.ID, "title", audience, kind.Title, local, locale, loc); err != nil {
		return
	}
	if body, err = renderLocal(kind.ID, "body", audience, kind.Body, local, locale, loc); err != nil {
		return
	}
	alt.Locale = model.LocaleEN
	if locale == model.LocaleEN {
		alt.Locale = model.LocaleZH
	}
	local = localVars(vars, alt.Locale)
	if alt.Title, err = renderLocal(kind.ID, "title", audience, kind.Title, local, alt.Locale, loc); err != nil {
		return
	}
	alt.Body, err = renderLocal(kind.ID, "body", audience, kind.Body, local, alt.Locale, loc)
	return
}
