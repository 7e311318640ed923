// Package planner decides, for one notification to one recipient, which
// channels carry it, when, and with which alert style (SPEC S1–S3, DESIGN
// "Preferences"). It is pure: no I/O, no clock, no globals beyond a cache of
// loaded time zones, so the notify service can call it inside its write
// transaction and tests can pin every instant.
package planner

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Category groups notification kinds by what the person may switch off (S1).
type Category string

// The four categories of DESIGN "Preferences".
const (
	CategoryService     Category = "service"
	CategoryException   Category = "exception"
	CategoryPlatform    Category = "platform"
	CategoryInteraction Category = "interaction"
)

// Valid reports whether c is one of the four known categories.
func (c Category) Valid() bool {
	switch c {
	case CategoryService, CategoryException, CategoryPlatform, CategoryInteraction:
		return true
	}
	return false
}

// Importance ranks a kind for the message center's "by importance" order
// (S4, DESIGN "Importance"). The planner does not use it: the rules tie
// delivery to category, switches and the receiving window only.
type Importance string

// The four importance levels, highest first.
const (
	ImportanceCritical Importance = "critical"
	ImportanceHigh     Importance = "high"
	ImportanceNormal   Importance = "normal"
	ImportanceLow      Importance = "low"
)

// Rank orders importance numerically (critical=3 … low=0) so stores can sort
// by an integer column; unknown values rank -1, below everything real.
func (i Importance) Rank() int {
	switch i {
	case ImportanceCritical:
		return 3
	case ImportanceHigh:
		return 2
	case ImportanceNormal:
		return 1
	case ImportanceLow:
		return 0
	}
	return -1
}

// ParseImportance reads an importance from operator or catalog input; case
// and surrounding spaces are forgiven because operators type these by hand.
func ParseImportance(s string) (Importance, error) {
	i := Importance(strings.ToLower(strings.TrimSpace(s)))
	if i.Rank() < 0 {
		return "", fmt.Errorf("unknown importance %q: want critical, high, normal or low", s)
	}
	return i, nil
}

// AlertStyle is how an arriving notification announces itself (S3).
type AlertStyle string

// The three alert styles; badge is the silent one.
const (
	AlertSound     AlertStyle = "sound"
	AlertVibration AlertStyle = "vibration"
	AlertBadge     AlertStyle = "badge"
)

// Valid reports whether a is one of the three known styles ("" is not).
func (a AlertStyle) Valid() bool {
	switch a {
	case AlertSound, AlertVibration, AlertBadge:
		return true
	}
	return false
}

// Channel names a delivery path for a notification.
type Channel string

// The delivery channels; webpush and webhook share the OffApp decision.
const (
	ChannelInbox    Channel = "inbox"
	ChannelRealtime Channel = "realtime"
	ChannelWebPush  Channel = "webpush"
	ChannelWebhook  Channel = "webhook"
)

// Machine-readable reasons carried in Decision.Reason, stable so the audit
// trail (X4) and tests can match on them.
const (
	ReasonOK                 = "ok"
	ReasonCategoryOff        = "category_off"
	ReasonKindOff            = "kind_off"
	ReasonOutsideWindow      = "outside_window"
	ReasonUrgentBeforeWindow = "urgent_before_window"
	ReasonUnknownCategory    = "unknown_category"
	ReasonUnknownChannel     = "unknown_channel"
)

// DefaultTimeZone is the zone assumed when a person has not set one; the
// product's users are in mainland China.
const DefaultTimeZone = "Asia/Shanghai"

// ErrInvalidPreferences is wrapped by every Validate error so the API layer
// can map them all to one problem code with errors.Is.
var ErrInvalidPreferences = errors.New("invalid preferences")

// ReceivingWindow is when alerts may reach the person (S2): local wall-clock
// "HH:MM" start and end in the person's IANA zone. End < Start crosses
// midnight (a night-shift worker's "22:00"–"06:00"); Start == End means all
// day. Start is inclusive and End exclusive, so adjacent windows never
// overlap.
type ReceivingWindow struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Validate reports whether both ends are well-formed "HH:MM" clock times.
func (w ReceivingWindow) Validate() error {
	_, _, err := w.minutes()
	return err
}

// minutes parses both ends into minutes after local midnight.
func (w ReceivingWindow) minutes() (start, end int, err error) {
	start, errS := parseClock(w.Start)
	end, errE := parseClock(w.End)
	if errS != nil {
		errS = fmt.Errorf("%w: window start: %v", ErrInvalidPreferences, errS)
	}
	if errE != nil {
		errE = fmt.Errorf("%w: window end: %v", ErrInvalidPreferences, errE)
	}
	return start, end, errors.Join(errS, errE)
}

// parseClock accepts exactly "HH:MM" (00:00–23:59). It is strict so that what
// the settings screen shows is exactly what the planner obeys; "24:00" is not
// needed because an End of "00:00" already means "until midnight".
func parseClock(s string) (int, error) {
	if len(s) != 5 || s[2] != ':' || !isDigit(s[0]) || !isDigit(s[1]) || !isDigit(s[3]) || !isDigit(s[4]) {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if h > 23 || m > 59 {
		return 0, fmt.Errorf("%q is not a time of day (00:00–23:59)", s)
	}
	return h*60 + m, nil
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// Contains reports whether now falls inside the window on the person's wall
// clock in loc (nil means DefaultTimeZone). The test is on the local wall
// clock, not on elapsed time, because "08:00" means what the person's clock
// shows, on DST days too. A malformed window counts as always open: it must
// never hold alerts back for ever, and Validate rejects it on save.
func (w ReceivingWindow) Contains(now time.Time, loc *time.Location) bool {
	start, end, err := w.minutes()
	if err != nil || start == end {
		return true
	}
	return containsMinute(start, end, now.In(orDefault(loc)))
}

// containsMinute tests the local wall-clock minute of t against [start, end),
// wrapping past midnight when end < start.
func containsMinute(start, end int, t time.Time) bool {
	m := t.Hour()*60 + t.Minute()
	if start < end {
		return m >= start && m < end
	}
	return m >= start || m < end
}

// NextOpen returns the first instant at or after now at which Contains is
// true: now itself when inside, otherwise the next time the wall clock in loc
// (nil means DefaultTimeZone) enters the window.
//
// Adding hours to now would drift by the DST shift, and time.Date alone is not
// enough either: for a wall time inside a spring-forward gap it returns an
// instant before the gap (02:30 becomes 01:30 EST), still outside the window.
// So the opening is found as the earliest of two kinds of candidate in the
// next few days: every real occurrence of the start wall time (none in a gap,
// two in a fall-back overlap), and every zone transition, where the clock may
// jump into the window. All loops are bounded by a fixed horizon.
func (w ReceivingWindow) NextOpen(now time.Time, loc *time.Location) time.Time {
	loc = orDefault(loc)
	start, end, err := w.minutes()
	if err != nil || start == end || containsMinute(start, end, now.In(loc)) {
		return now
	}

	// Four days covers any real zone: a window opens every day except when its
	// whole span sits inside a gap, and gaps happen at most once a day.
	horizon := now.Add(4 * 24 * time.Hour)
	var best time.Time
	consider := func(t time.Time) {
		if t.After(now) && !t.After(horizon) && containsMinute(start, end, t.In(loc)) &&
			(best.IsZero() || t.Before(best)) {
			best = t
		}
	}

	// Collect the UTC offsets in force around the horizon and try each zone
	// transition as a candidate. Starting two days back catches the offset that
	// applied to yesterday's date.
	offsets := map[int]bool{}
	t := now.Add(-48 * time.Hour)
	for range 32 {
		_, off := t.In(loc).Zone()
		offsets[off] = true
		_, zoneEnd := t.In(loc).ZoneBounds()
		if zoneEnd.IsZero() || zoneEnd.After(horizon) {
			break
		}
		consider(zoneEnd)
		t = zoneEnd
	}

	// Each local date's start wall time, read under every offset seen; only
	// readings whose instant really shows that wall time in loc are kept.
	local := now.In(loc)
	for day := -1; day <= 4; day++ {
		wall := time.Date(local.Year(), local.Month(), local.Day()+day, start/60, start%60, 0, 0, time.UTC)
		for off := range offsets {
			c := wall.Add(-time.Duration(off) * time.Second)
			if sameWall(c.In(loc), wall) {
				consider(c)
			}
		}
	}

	if best.IsZero() {
		// Unreachable for real zones; the next day's start beats looping or
		// sending at night.
		return time.Date(local.Year(), local.Month(), local.Day()+1, start/60, start%60, 0, 0, loc)
	}
	return best.In(loc)
}

// sameWall compares the wall-clock reading of a (in its location) with the
// UTC-coded wall time w, to the minute.
func sameWall(a, w time.Time) bool {
	return a.Year() == w.Year() && a.Month() == w.Month() && a.Day() == w.Day() &&
		a.Hour() == w.Hour() && a.Minute() == w.Minute()
}

// Preferences are one person's notification settings (S1–S3). The zero value
// is usable and means "everything on, any time, sound, Asia/Shanghai".
type Preferences struct {
	// Categories switches whole categories; false = off, missing = on.
	Categories map[Category]bool `json:"categories"`
	// Kinds switches single kinds by catalog id ("order.accepted"); false =
	// off, missing = on.
	Kinds map[string]bool `json:"kinds"`
	// Window limits when alerts may arrive; nil = any time.
	Window *ReceivingWindow `json:"window"`
	// TimeZone is the IANA zone the window is read in; "" = DefaultTimeZone.
	TimeZone string `json:"time_zone"`
	// Alert is the overall alert style; "" = sound.
	Alert AlertStyle `json:"alert"`
	// CategoryAlert overrides Alert per category; an empty value means unset.
	CategoryAlert map[Category]AlertStyle `json:"category_alert"`
}

// DefaultPreferences returns the settings of a person who has changed
// nothing, spelled out so a settings screen can show every switch.
func DefaultPreferences() Preferences {
	return Preferences{
		Categories: map[Category]bool{
			CategoryService:     true,
			CategoryException:   true,
			CategoryPlatform:    true,
			CategoryInteraction: true,
		},
		Kinds:         map[string]bool{},
		TimeZone:      DefaultTimeZone,
		Alert:         AlertSound,
		CategoryAlert: map[Category]AlertStyle{},
	}
}

// Validate reports every problem at once (joined), each wrapping
// ErrInvalidPreferences, so a settings form can show them together.
// Map keys are checked in sorted order to keep messages deterministic.
func (p Preferences) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidPreferences}, args...)...))
	}
	for _, c := range sortedKeys(p.Categories) {
		if !c.Valid() {
			bad("unknown category %q in categories", c)
		}
	}
	for _, k := range sortedKeys(p.Kinds) {
		if strings.TrimSpace(k) == "" {
			bad("empty kind id in kinds")
		}
	}
	if p.Alert != "" && !p.Alert.Valid() {
		bad("unknown alert style %q: want sound, vibration or badge", p.Alert)
	}
	for _, c := range sortedKeys(p.CategoryAlert) {
		if !c.Valid() {
			bad("unknown category %q in category_alert", c)
		}
		if a := p.CategoryAlert[c]; a != "" && !a.Valid() {
			bad("unknown alert style %q for category %q: want sound, vibration or badge", a, c)
		}
	}
	if p.TimeZone != "" {
		if _, err := loadZone(p.TimeZone); err != nil {
			bad("time zone %q: %v", p.TimeZone, err)
		}
	}
	if p.Window != nil {
		if err := p.Window.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// location resolves the person's zone; an unloadable zone falls back to the
// default because planning cannot fail and Validate rejects it on save.
func (p Preferences) location() *time.Location {
	if p.TimeZone != "" {
		if loc, err := loadZone(p.TimeZone); err == nil {
			return loc
		}
	}
	return orDefault(nil)
}

// alertFor applies S3: the category override, else the overall style, else
// sound. Invalid stored values are skipped rather than sent to devices.
func (p Preferences) alertFor(c Category) AlertStyle {
	if a := p.CategoryAlert[c]; a.Valid() {
		return a
	}
	if p.Alert.Valid() {
		return p.Alert
	}
	return AlertSound
}

// switchedOff returns the reason the person has switched n off, or "" if
// not. The category switch is reported first because it is the broader one.
func (p Preferences) switchedOff(n Notification) string {
	if on, ok := p.Categories[n.Category]; ok && !on {
		return ReasonCategoryOff
	}
	if on, ok := p.Kinds[n.Kind]; ok && !on {
		return ReasonKindOff
	}
	return ""
}

// zones caches loaded locations: LoadLocation reads and parses a file on
// every call, and campaign fan-out plans for many recipients in a row.
var zones sync.Map // string -> *time.Location

// loadZone loads an IANA zone, refusing "Local" because it would make a
// person's window depend on which server happens to plan the notification.
func loadZone(name string) (*time.Location, error) {
	if v, ok := zones.Load(name); ok {
		return v.(*time.Location), nil
	}
	if name == "Local" {
		return nil, errors.New(`"Local" is not an IANA zone name`)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}

// orDefault replaces a nil location with DefaultTimeZone. If the host has no
// zone database, China's fixed UTC+8 (no DST since 1991) is exact anyway.
func orDefault(loc *time.Location) *time.Location {
	if loc != nil {
		return loc
	}
	if l, err := loadZone(DefaultTimeZone); err == nil {
		return l
	}
	return time.FixedZone(DefaultTimeZone, 8*60*60)
}

// Notification is what the planner needs to know about one notification to
// one recipient.
type Notification struct {
	// Kind is the catalog id, matched against Preferences.Kinds.
	Kind string
	// Category decides which switches may silence or drop it.
	Category Category
	// Importance is carried for callers; planning does not depend on it.
	Importance Importance
	// ServiceStartsAt is the start of the service the notification is about,
	// zero if it is not about an upcoming service. It lets a notice beat the
	// receiving window when waiting would make it useless.
	ServiceStartsAt time.Time
}

// Decision is the plan for one channel.
type Decision struct {
	// Channel is the channel decided for; empty in Plan.OffApp, which stands
	// for webpush and webhook alike (Plan.For fills it in).
	Channel Channel
	// Send is false when the channel must not carry the notification at all.
	Send bool
	// At is when to send; it equals now for immediate delivery.
	At time.Time
	// Alert is the style the delivery carries; empty when Send is false.
	Alert AlertStyle
	// Reason is one of the Reason* constants, for the audit trail.
	Reason string
}

// Plan is the decision for every channel of one notification to one person.
type Plan struct {
	// Inbox is always At now; its Alert mirrors Realtime's, the style the
	// row arrived with.
	Inbox Decision
	// Realtime is the event to open apps, always At now when sent.
	Realtime Decision
	// OffApp applies to webpush and webhook alike.
	OffApp Decision
}

// For returns the decision for channel c, with Channel set, so delivery code
// can loop over concrete channels. An unknown channel is never sent.
func (p Plan) For(c Channel) Decision {
	var d Decision
	switch c {
	case ChannelInbox:
		d = p.Inbox
	case ChannelRealtime:
		d = p.Realtime
	case ChannelWebPush, ChannelWebhook:
		d = p.OffApp
	default:
		return Decision{Channel: c, At: p.Inbox.At, Reason: ReasonUnknownChannel}
	}
	d.Channel = c
	return d
}

// PlanFor decides how notification n reaches a person with preferences p at
// instant now (DESIGN "Preferences"):
//
//   - service and exception always reach the inbox and realtime (they are the
//     service record); switching them off only mutes them: realtime becomes
//     badge-only and nothing goes off-app.
//   - platform switched off (category or kind) is not sent anywhere:
//     marketing needs consent.
//   - interaction switched off still reaches inbox and realtime (the
//     conversation is the record), badge-only, and nothing goes off-app.
//   - outside the receiving window realtime still goes now but badge-only, and
//     off-app waits for the window to open, unless the notice is about a
//     service starting at or before that opening: then off-app goes now,
//     badge-only, because a deferred reminder would arrive too late.
//
// An unknown category is a caller bug; rather than guess whether it is a
// record or marketing, nothing is sent and the reason says why.
func PlanFor(n Notification, p Preferences, now time.Time) Plan {
	plan := Plan{
		Inbox:    Decision{Channel: ChannelInbox, At: now},
		Realtime: Decision{Channel: ChannelRealtime, At: now},
		OffApp:   Decision{At: now},
	}
	if !n.Category.Valid() {
		plan.Inbox.Reason = ReasonUnknownCategory
		plan.Realtime.Reason = ReasonUnknownCategory
		plan.OffApp.Reason = ReasonUnknownCategory
		return plan
	}

	if off := p.switchedOff(n); off != "" {
		plan.OffApp.Reason = off
		if n.Category == CategoryPlatform {
			plan.Inbox.Reason = off
			plan.Realtime.Reason = off
			return plan
		}
		// Muted, not dropped: the record still arrives, silently.
		plan.Inbox = Decision{Channel: ChannelInbox, Send: true, At: now, Alert: AlertBadge, Reason: ReasonOK}
		plan.Realtime = Decision{Channel: ChannelRealtime, Send: true, At: now, Alert: AlertBadge, Reason: off}
		return plan
	}

	alert := p.alertFor(n.Category)
	if p.Window == nil || p.Window.Contains(now, p.location()) {
		plan.Inbox = Decision{Channel: ChannelInbox, Send: true, At: now, Alert: alert, Reason: ReasonOK}
		plan.Realtime = Decision{Channel: ChannelRealtime, Send: true, At: now, Alert: alert, Reason: ReasonOK}
		plan.OffApp = Decision{Send: true, At: now, Alert: alert, Reason: ReasonOK}
		return plan
	}

	// Outside the window: an open app still shows it, but quietly.
	plan.Inbox = Decision{Channel: ChannelInbox, Send: true, At: now, Alert: AlertBadge, Reason: ReasonOK}
	plan.Realtime = Decision{Channel: ChannelRealtime, Send: true, At: now, Alert: AlertBadge, Reason: ReasonOutsideWindow}
	open := p.Window.NextOpen(now, p.location())
	if !n.ServiceStartsAt.IsZero() && !n.ServiceStartsAt.After(open) {
		plan.OffApp = Decision{Send: true, At: now, Alert: AlertBadge, Reason: ReasonUrgentBeforeWindow}
		return plan
	}
	// Deferred delivery arrives inside the window, so it keeps the chosen style.
	plan.OffApp = Decision{Send: true, At: open, Alert: alert, Reason: ReasonOutsideWindow}
	return plan
}
