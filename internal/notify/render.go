package notify

import (
	"bytes"
	"fmt"
	"strings"
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
var templates sync.Map // kind|part|audience|locale|zone -> *template.Template

// parse returns the template of key parsed from src, with when bound to the locale and zone.
// The functions close over the recipient's language and zone, so the parsed template is kept per
// zone too (a few zones in practice, a few hundred at most): executing a cached template is safe
// from many goroutines, where cloning one per notification was 5 % of the write path's
// allocations.
func parse(key, src string, locale string, loc *time.Location) (*template.Template, error) {
	key += "|" + loc.String()
	if cached, ok := templates.Load(key); ok {
		return cached.(*template.Template), nil
	}
	funcs := template.FuncMap{
		"when":  func(v any) string { return formatTime(v, locale, loc) },
		"money": formatMoney,
	}
	tt, err := template.New(key).Option("missingkey=zero").Funcs(funcs).Parse(src)
	if err != nil {
		return nil, fmt.Errorf("notify: template %s: %w", key, err)
	}
	cached, _ := templates.LoadOrStore(key, tt)
	return cached.(*template.Template), nil
}

// render renders one template text for a recipient.
func render(kind, part, audience string, texts map[string]model.Text, vars map[string]any, locale string, loc *time.Location) (string, error) {
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
	key := kind + "|" + part + "|" + audience + "|" + locale
	tt, err := parse(key, src, locale, loc)
	if err != nil {
		return "", err
	}
	// A value in both languages (a service item's name) is shown in the recipient's.
	local := make(map[string]any, len(vars))
	for k, v := range vars {
		if txt, ok := v.(model.Text); ok {
			v = txt.In(locale)
		}
		local[k] = v
	}
	var buf bytes.Buffer
	if err := tt.Execute(&buf, local); err != nil {
		return "", fmt.Errorf("notify: render %s: %w", key, err)
	}
	return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
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
	if title, err = render(kind.ID, "title", audience, kind.Title, vars, locale, loc); err != nil {
		return
	}
	if body, err = render(kind.ID, "body", audience, kind.Body, vars, locale, loc); err != nil {
		return
	}
	alt.Locale = model.LocaleEN
	if locale == model.LocaleEN {
		alt.Locale = model.LocaleZH
	}
	if alt.Title, err = render(kind.ID, "title", audience, kind.Title, vars, alt.Locale, loc); err != nil {
		return
	}
	alt.Body, err = render(kind.ID, "body", audience, kind.Body, vars, alt.Locale, loc)
	return
}
