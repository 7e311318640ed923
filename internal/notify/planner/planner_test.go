package planner

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the host's zone database
)

var (
	shanghai = mustLoad("Asia/Shanghai")
	newYork  = mustLoad("America/New_York")
	lordHowe = mustLoad("Australia/Lord_Howe") // 30-minute DST shift
	beirut   = mustLoad("Asia/Beirut")         // falls back at midnight, 00:00 -> 23:00
)

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// cst builds an Asia/Shanghai wall-clock instant.
func cst(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, shanghai)
}

func utc(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
}

func win(start, end string) *ReceivingWindow { return &ReceivingWindow{Start: start, End: end} }

// want is the expected outcome of PlanFor, spelled out per channel.
type want struct {
	inbox       bool
	inboxAlert  AlertStyle
	inboxReason string
	rt          bool
	rtAlert     AlertStyle
	rtReason    string
	off         bool
	offAt       time.Time // zero = expect now
	offAlert    AlertStyle
	offReason   string
}

func checkPlan(t *testing.T, got Plan, now time.Time, w want) {
	t.Helper()
	check := func(name string, d Decision, ch Channel, send bool, alert AlertStyle, reason string, at time.Time) {
		t.Helper()
		if d.Channel != ch || d.Send != send || d.Alert != alert || d.Reason != reason || !d.At.Equal(at) {
			t.Errorf("%s = {ch=%q send=%v alert=%q reason=%q at=%v}, want {ch=%q send=%v alert=%q reason=%q at=%v}",
				name, d.Channel, d.Send, d.Alert, d.Reason, d.At.UTC(), ch, send, alert, reason, at.UTC())
		}
	}
	inboxReason := w.inboxReason
	if inboxReason == "" {
		inboxReason = ReasonOK
	}
	offAt := now
	if !w.offAt.IsZero() {
		offAt = w.offAt
	}
	check("Inbox", got.Inbox, ChannelInbox, w.inbox, w.inboxAlert, inboxReason, now)
	check("Realtime", got.Realtime, ChannelRealtime, w.rt, w.rtAlert, w.rtReason, now)
	check("OffApp", got.OffApp, "", w.off, w.offAlert, w.offReason, offAt)
}

// TestS1CategorySwitches covers every category × category switch × kind
// switch (S1, DESIGN "Preferences"). The overall alert is vibration so that
// muting (badge) is visible.
func TestS1CategorySwitches(t *testing.T) {
	const kind = "some.kind"
	now := cst(2026, 5, 10, 12, 0, 0)
	V, B := AlertVibration, AlertBadge

	delivered := want{inbox: true, inboxAlert: V, rt: true, rtAlert: V, rtReason: ReasonOK, off: true, offAlert: V, offReason: ReasonOK}
	muted := func(reason string) want {
		return want{inbox: true, inboxAlert: B, rt: true, rtAlert: B, rtReason: reason, off: false, offReason: reason}
	}
	dropped := func(reason string) want {
		return want{inboxReason: reason, rtReason: reason, offReason: reason}
	}

	type sw struct {
		name string
		cats map[Category]bool
		kind map[string]bool
	}
	switches := func(c Category) []sw {
		return []sw{
			{"missing", nil, nil},
			{"explicit on", map[Category]bool{c: true}, map[string]bool{kind: true}},
			{"other kind off", nil, map[string]bool{"other.kind": false}},
			{"other category off", map[Category]bool{otherCategory(c): false}, nil},
			{"category off", map[Category]bool{c: false}, nil},
			{"kind off", nil, map[string]bool{kind: false}},
			{"category off kind on", map[Category]bool{c: false}, map[string]bool{kind: true}},
			{"category on kind off", map[Category]bool{c: true}, map[string]bool{kind: false}},
			{"both off", map[Category]bool{c: false}, map[string]bool{kind: false}},
		}
	}
	// Expected outcome per category, in the order of switches().
	expect := map[Category][]want{
		CategoryService: {delivered, delivered, delivered, delivered,
			muted(ReasonCategoryOff), muted(ReasonKindOff), muted(ReasonCategoryOff), muted(ReasonKindOff), muted(ReasonCategoryOff)},
		CategoryException: {delivered, delivered, delivered, delivered,
			muted(ReasonCategoryOff), muted(ReasonKindOff), muted(ReasonCategoryOff), muted(ReasonKindOff), muted(ReasonCategoryOff)},
		CategoryPlatform: {delivered, delivered, delivered, delivered,
			dropped(ReasonCategoryOff), dropped(ReasonKindOff), dropped(ReasonCategoryOff), dropped(ReasonKindOff), dropped(ReasonCategoryOff)},
		CategoryInteraction: {delivered, delivered, delivered, delivered,
			muted(ReasonCategoryOff), muted(ReasonKindOff), muted(ReasonCategoryOff), muted(ReasonKindOff), muted(ReasonCategoryOff)},
	}
	for _, c := range []Category{CategoryService, CategoryException, CategoryPlatform, CategoryInteraction} {
		for i, s := range switches(c) {
			t.Run(string(c)+"/"+s.name, func(t *testing.T) {
				p := Preferences{Categories: s.cats, Kinds: s.kind, Alert: AlertVibration}
				n := Notification{Kind: kind, Category: c, Importance: ImportanceNormal}
				checkPlan(t, PlanFor(n, p, now), now, expect[c][i])
			})
		}
	}
}

func otherCategory(c Category) Category {
	if c == CategoryPlatform {
		return CategoryService
	}
	return CategoryPlatform
}

// TestS1UnknownCategory: a caller bug is visible and sends nothing.
func TestS1UnknownCategory(t *testing.T) {
	now := cst(2026, 5, 10, 12, 0, 0)
	got := PlanFor(Notification{Kind: "x", Category: "marketing"}, DefaultPreferences(), now)
	checkPlan(t, got, now, want{inboxReason: ReasonUnknownCategory, rtReason: ReasonUnknownCategory, offReason: ReasonUnknownCategory})
}

type windowCase struct {
	name   string
	w      ReceivingWindow
	loc    *time.Location
	now    time.Time
	inside bool
	next   time.Time // zero = now
}

// windowCases are the hand-checked S2 window cases; each "next" was worked
// out on a calendar, not by the code under test.
func windowCases() []windowCase {
	day := ReceivingWindow{Start: "08:00", End: "22:00"}
	night := ReceivingWindow{Start: "22:00", End: "06:00"}
	ny := newYork
	return []windowCase{
		// Asia/Shanghai, daytime window.
		{"day inside", day, shanghai, cst(2026, 5, 10, 12, 0, 0), true, time.Time{}},
		{"day late evening", day, shanghai, cst(2026, 5, 10, 23, 30, 0), false, cst(2026, 5, 11, 8, 0, 0)},
		{"day early morning", day, shanghai, cst(2026, 5, 10, 6, 0, 0), false, cst(2026, 5, 10, 8, 0, 0)},
		{"day start inclusive", day, shanghai, cst(2026, 5, 10, 8, 0, 0), true, time.Time{}},
		{"day second before start", day, shanghai, cst(2026, 5, 10, 7, 59, 59), false, cst(2026, 5, 10, 8, 0, 0)},
		{"day end exclusive", day, shanghai, cst(2026, 5, 10, 22, 0, 0), false, cst(2026, 5, 11, 8, 0, 0)},
		{"day second before end", day, shanghai, cst(2026, 5, 10, 21, 59, 59), true, time.Time{}},
		{"day across new year", day, shanghai, cst(2026, 12, 31, 23, 0, 0), false, cst(2027, 1, 1, 8, 0, 0)},
		{"day checked from UTC input", day, shanghai, utc(2026, 5, 10, 14, 30), false, utc(2026, 5, 11, 0, 0)},
		// Asia/Shanghai, night-shift window crossing midnight.
		{"night before midnight", night, shanghai, cst(2026, 5, 10, 23, 0, 0), true, time.Time{}},
		{"night after midnight", night, shanghai, cst(2026, 5, 10, 2, 0, 0), true, time.Time{}},
		{"night last second", night, shanghai, cst(2026, 5, 10, 5, 59, 59), true, time.Time{}},
		{"night end exclusive", night, shanghai, cst(2026, 5, 10, 6, 0, 0), false, cst(2026, 5, 10, 22, 0, 0)},
		{"night midday", night, shanghai, cst(2026, 5, 10, 12, 0, 0), false, cst(2026, 5, 10, 22, 0, 0)},
		{"night start inclusive", night, shanghai, cst(2026, 5, 10, 22, 0, 0), true, time.Time{}},
		// End "00:00" means until midnight.
		{"until midnight inside", ReceivingWindow{"08:00", "00:00"}, shanghai, cst(2026, 5, 10, 23, 59, 0), true, time.Time{}},
		{"until midnight at midnight", ReceivingWindow{"08:00", "00:00"}, shanghai, cst(2026, 5, 11, 0, 0, 0), false, cst(2026, 5, 11, 8, 0, 0)},
		// Start == End is all day.
		{"all day", ReceivingWindow{"07:00", "07:00"}, shanghai, cst(2026, 5, 10, 3, 0, 0), true, time.Time{}},
		{"all day at the boundary", ReceivingWindow{"07:00", "07:00"}, ny, utc(2026, 3, 8, 7, 0), true, time.Time{}},
		// nil location means Asia/Shanghai: 00:30Z is 08:30 there (but outside in UTC).
		{"nil loc inside", day, nil, utc(2026, 5, 10, 0, 30), true, time.Time{}},
		{"nil loc outside", day, nil, utc(2026, 5, 10, 14, 30), false, utc(2026, 5, 11, 0, 0)},
		// A malformed window never holds alerts back.
		{"malformed window", ReceivingWindow{"8:00", "22:00"}, shanghai, cst(2026, 5, 10, 23, 0, 0), true, time.Time{}},

		// America/New_York, spring forward 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z).
		// 23:00 EST is 04:00Z; the next 07:00 local is EDT, 11:00Z (now+7h, not +8h).
		{"NY spring day window", day7to22(), ny, utc(2026, 3, 8, 4, 0), false, utc(2026, 3, 8, 11, 0)},
		// 02:30 does not exist that day: the clock jumps from 01:59:59 EST to
		// 03:00 EDT, which is inside 02:30–06:00, so the window opens at 07:00Z.
		{"NY spring start in gap", ReceivingWindow{"02:30", "06:00"}, ny, utc(2026, 3, 8, 5, 0), false, utc(2026, 3, 8, 7, 0)},
		{"NY spring just before gap", ReceivingWindow{"02:30", "06:00"}, ny, time.Date(2026, 3, 8, 6, 59, 59, 0, time.UTC), false, utc(2026, 3, 8, 7, 0)},
		{"NY spring at gap end", ReceivingWindow{"02:30", "06:00"}, ny, utc(2026, 3, 8, 7, 0), true, time.Time{}},
		// A window lying wholly inside the gap is skipped that day: next is
		// 2026-03-09 02:10 EDT = 06:10Z.
		{"NY spring window inside gap", ReceivingWindow{"02:10", "02:40"}, ny, utc(2026, 3, 8, 5, 0), false, utc(2026, 3, 9, 6, 10)},
		{"NY spring night window", night, ny, utc(2026, 3, 8, 6, 59), true, time.Time{}},
		{"NY spring night window after jump", night, ny, utc(2026, 3, 8, 7, 0), true, time.Time{}},
		// 12:00 EDT; 22:00 EDT = 02:00Z next day.
		{"NY spring night window midday", night, ny, utc(2026, 3, 8, 16, 0), false, utc(2026, 3, 9, 2, 0)},

		// America/New_York, fall back 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z).
		// 23:00 EDT is 03:00Z; 07:00 EST is 12:00Z (now+9h, not +8h).
		{"NY fall day window", day7to22(), ny, utc(2026, 11, 1, 3, 0), false, utc(2026, 11, 1, 12, 0)},
		// 01:30 happens twice; from 00:00 EDT the first (EDT, 05:30Z) is next.
		{"NY fall first 01:30", ReceivingWindow{"01:30", "03:00"}, ny, utc(2026, 11, 1, 4, 0), false, utc(2026, 11, 1, 5, 30)},
		// After the first 01:30–01:45 has passed (01:50 EDT), the repeat at
		// 01:30 EST (06:30Z) opens it again.
		{"NY fall second 01:30", ReceivingWindow{"01:30", "01:45"}, ny, utc(2026, 11, 1, 5, 50), false, utc(2026, 11, 1, 6, 30)},
		{"NY fall repeated hour inside (EDT)", ReceivingWindow{"01:00", "02:00"}, ny, utc(2026, 11, 1, 5, 59), true, time.Time{}},
		{"NY fall repeated hour inside (EST)", ReceivingWindow{"01:00", "02:00"}, ny, utc(2026, 11, 1, 6, 0), true, time.Time{}},
		// 02:00 EST = 07:00Z; next 01:00 EST = 2026-11-02 06:00Z.
		{"NY fall repeated hour end", ReceivingWindow{"01:00", "02:00"}, ny, utc(2026, 11, 1, 7, 0), false, utc(2026, 11, 2, 6, 0)},
	}
}

func day7to22() ReceivingWindow { return ReceivingWindow{Start: "07:00", End: "22:00"} }

// TestS2ReceivingWindow checks Contains and NextOpen on hand-checked cases:
// inside/outside, both sides of midnight, start inclusive, end exclusive,
// and both America/New_York DST transitions.
func TestS2ReceivingWindow(t *testing.T) {
	for _, tc := range windowCases() {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.w.Contains(tc.now, tc.loc); got != tc.inside {
				t.Errorf("Contains(%v) = %v, want %v", tc.now.UTC(), got, tc.inside)
			}
			wantNext := tc.next
			if wantNext.IsZero() {
				wantNext = tc.now
			}
			if got := tc.w.NextOpen(tc.now, tc.loc); !got.Equal(wantNext) {
				t.Errorf("NextOpen(%v) = %v (%v), want %v", tc.now.UTC(), got.UTC(), got, wantNext.UTC())
			}
		})
	}
}

// TestS2NextOpenScan cross-checks NextOpen against a minute-by-minute scan of
// Contains around every 2026 DST transition in New York and Lord Howe (whose
// shift is 30 minutes), and in Shanghai, for awkward windows.
func TestS2NextOpenScan(t *testing.T) {
	windows := []ReceivingWindow{
		{"07:00", "22:00"}, {"22:00", "06:00"}, {"02:30", "06:00"}, {"02:10", "02:40"},
		{"01:30", "01:45"}, {"00:00", "00:30"}, {"02:00", "02:15"}, {"23:59", "00:00"},
		{"23:30", "23:45"}, {"23:10", "01:00"},
	}
	spans := []struct {
		loc   *time.Location
		start time.Time
	}{
		{newYork, utc(2026, 3, 7, 0, 0)},
		{newYork, utc(2026, 10, 31, 0, 0)},
		{lordHowe, utc(2026, 4, 3, 0, 0)},  // 2026-04-05 02:00 -> 01:30
		{lordHowe, utc(2026, 10, 2, 0, 0)}, // 2026-10-04 02:00 -> 02:30
		{beirut, utc(2026, 10, 23, 0, 0)},  // 2026-10-25 00:00 -> 2026-10-24 23:00
		{shanghai, utc(2026, 5, 10, 0, 0)},
	}
	step := 37 * time.Minute
	if testing.Short() {
		step = 3 * time.Hour
	}
	for _, sp := range spans {
		for _, w := range windows {
			t.Run(fmt.Sprintf("%s/%s-%s/%s", sp.loc, w.Start, w.End, sp.start.Format("01-02")), func(t *testing.T) {
				for now := sp.start; now.Before(sp.start.Add(72 * time.Hour)); now = now.Add(step) {
					got := w.NextOpen(now, sp.loc)
					want := now
					if !w.Contains(now, sp.loc) {
						want = scanOpen(w, now, sp.loc)
					}
					if !got.Equal(want) {
						t.Fatalf("NextOpen(%v) = %v, scan says %v", now.In(sp.loc), got.In(sp.loc), want.In(sp.loc))
					}
				}
			})
		}
	}
}

// scanOpen finds the first whole minute after now inside the window. Zone
// transitions fall on whole minutes, so this is the true opening.
func scanOpen(w ReceivingWindow, now time.Time, loc *time.Location) time.Time {
	for t := now.Truncate(time.Minute).Add(time.Minute); t.Before(now.Add(5 * 24 * time.Hour)); t = t.Add(time.Minute) {
		if w.Contains(t, loc) {
			return t
		}
	}
	panic("window never opens")
}

// TestS2ReceivingWindowPlan checks what PlanFor does with the window:
// realtime badge-only outside, off-app deferred to the exact opening, and
// the urgent-before-window exception.
func TestS2ReceivingWindowPlan(t *testing.T) {
	S, B := AlertSound, AlertBadge
	shPrefs := Preferences{Window: win("08:00", "22:00"), TimeZone: "Asia/Shanghai", Alert: AlertSound}
	nyPrefs := Preferences{Window: win("07:00", "22:00"), TimeZone: "America/New_York", Alert: AlertSound}
	nightPrefs := Preferences{Window: win("22:00", "06:00"), TimeZone: "Asia/Shanghai", Alert: AlertVibration}
	evening := cst(2026, 5, 10, 23, 0, 0)
	opens := cst(2026, 5, 11, 8, 0, 0)
	nyEvening := utc(2026, 3, 8, 4, 0) // 2026-03-07 23:00 EST
	nyOpens := utc(2026, 3, 8, 11, 0)  // 2026-03-08 07:00 EDT

	inside := want{inbox: true, inboxAlert: S, rt: true, rtAlert: S, rtReason: ReasonOK, off: true, offAlert: S, offReason: ReasonOK}
	deferred := func(at time.Time, alert AlertStyle) want {
		return want{inbox: true, inboxAlert: B, rt: true, rtAlert: B, rtReason: ReasonOutsideWindow, off: true, offAt: at, offAlert: alert, offReason: ReasonOutsideWindow}
	}
	urgent := want{inbox: true, inboxAlert: B, rt: true, rtAlert: B, rtReason: ReasonOutsideWindow, off: true, offAlert: B, offReason: ReasonUrgentBeforeWindow}

	svc := func(starts time.Time) Notification {
		return Notification{Kind: "order.reminder", Category: CategoryService, Importance: ImportanceHigh, ServiceStartsAt: starts}
	}
	cases := []struct {
		name string
		n    Notification
		p    Preferences
		now  time.Time
		want want
	}{
		{"inside window", svc(time.Time{}), shPrefs, cst(2026, 5, 10, 12, 0, 0), inside},
		{"inside window with service soon", svc(cst(2026, 5, 10, 12, 30, 0)), shPrefs, cst(2026, 5, 10, 12, 0, 0), inside},
		{"outside window deferred", svc(time.Time{}), shPrefs, evening, deferred(opens, S)},
		{"service before window opens goes now", svc(cst(2026, 5, 11, 7, 30, 0)), shPrefs, evening, urgent},
		{"service at window opening goes now", svc(opens), shPrefs, evening, urgent},
		{"service already started goes now", svc(cst(2026, 5, 10, 22, 30, 0)), shPrefs, evening, urgent},
		{"service after window opens is deferred", svc(cst(2026, 5, 11, 8, 1, 0)), shPrefs, evening, deferred(opens, S)},
		{"platform outside window deferred", Notification{Kind: "promo", Category: CategoryPlatform}, shPrefs, evening, deferred(opens, S)},
		{"night-shift worker at midday", svc(time.Time{}), nightPrefs, cst(2026, 5, 10, 12, 0, 0), deferred(cst(2026, 5, 10, 22, 0, 0), AlertVibration)},
		{"night-shift worker after midnight", svc(time.Time{}), nightPrefs, cst(2026, 5, 11, 1, 0, 0),
			want{inbox: true, inboxAlert: AlertVibration, rt: true, rtAlert: AlertVibration, rtReason: ReasonOK, off: true, offAlert: AlertVibration, offReason: ReasonOK}},
		// New York across spring forward: the window opens at 11:00Z, not 12:00Z.
		{"NY deferred to DST-correct opening", svc(time.Time{}), nyPrefs, nyEvening, deferred(nyOpens, S)},
		{"NY service 06:30 EDT is before opening", svc(utc(2026, 3, 8, 10, 30)), nyPrefs, nyEvening, urgent},
		{"NY service 07:30 EDT is after opening", svc(utc(2026, 3, 8, 11, 30)), nyPrefs, nyEvening, deferred(nyOpens, S)},
		// Muting wins over the window: nothing off-app, and the reason is the switch.
		{"muted outside window", svc(cst(2026, 5, 11, 7, 30, 0)),
			Preferences{Window: win("08:00", "22:00"), Categories: map[Category]bool{CategoryService: false}}, evening,
			want{inbox: true, inboxAlert: B, rt: true, rtAlert: B, rtReason: ReasonCategoryOff, offReason: ReasonCategoryOff}},
		{"all-day window", svc(time.Time{}), Preferences{Window: win("07:00", "07:00")}, evening, inside},
		{"no window", svc(time.Time{}), Preferences{}, evening, inside},
		// An unloadable zone falls back to Asia/Shanghai rather than failing.
		{"bad zone falls back to Shanghai", svc(time.Time{}), Preferences{Window: win("08:00", "22:00"), TimeZone: "Mars/Olympus"}, evening, deferred(opens, S)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkPlan(t, PlanFor(tc.n, tc.p, tc.now), tc.now, tc.want)
		})
	}
}

// TestS3AlertStyle: per-category override, then overall, then sound; muting
// and being outside the window force badge on the live channels.
func TestS3AlertStyle(t *testing.T) {
	now := cst(2026, 5, 10, 12, 0, 0)
	evening := cst(2026, 5, 10, 23, 0, 0)
	cases := []struct {
		name     string
		cat      Category
		p        Preferences
		now      time.Time
		rt, off  AlertStyle
		offDefer bool
	}{
		{"zero preferences are sound", CategoryService, Preferences{}, now, AlertSound, AlertSound, false},
		{"defaults are sound", CategoryInteraction, DefaultPreferences(), now, AlertSound, AlertSound, false},
		{"overall vibration", CategoryService, Preferences{Alert: AlertVibration}, now, AlertVibration, AlertVibration, false},
		{"overall badge", CategoryPlatform, Preferences{Alert: AlertBadge}, now, AlertBadge, AlertBadge, false},
		{"category override", CategoryService,
			Preferences{Alert: AlertSound, CategoryAlert: map[Category]AlertStyle{CategoryService: AlertBadge}}, now, AlertBadge, AlertBadge, false},
		{"override of another category ignored", CategoryPlatform,
			Preferences{Alert: AlertSound, CategoryAlert: map[Category]AlertStyle{CategoryService: AlertBadge}}, now, AlertSound, AlertSound, false},
		{"override louder than overall", CategoryInteraction,
			Preferences{Alert: AlertBadge, CategoryAlert: map[Category]AlertStyle{CategoryInteraction: AlertVibration}}, now, AlertVibration, AlertVibration, false},
		{"empty override falls back to overall", CategoryException,
			Preferences{Alert: AlertVibration, CategoryAlert: map[Category]AlertStyle{CategoryException: ""}}, now, AlertVibration, AlertVibration, false},
		{"invalid overall falls back to sound", CategoryService, Preferences{Alert: "loud"}, now, AlertSound, AlertSound, false},
		{"invalid override falls back to overall", CategoryService,
			Preferences{Alert: AlertVibration, CategoryAlert: map[Category]AlertStyle{CategoryService: "loud"}}, now, AlertVibration, AlertVibration, false},
		{"outside window: realtime badge, deferred off-app keeps style", CategoryException,
			Preferences{Alert: AlertVibration, Window: win("08:00", "22:00")}, evening, AlertBadge, AlertVibration, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := PlanFor(Notification{Kind: "k", Category: tc.cat}, tc.p, tc.now)
			if got.Realtime.Alert != tc.rt || got.Inbox.Alert != tc.rt {
				t.Errorf("realtime/inbox alert = %q/%q, want %q", got.Realtime.Alert, got.Inbox.Alert, tc.rt)
			}
			if got.OffApp.Alert != tc.off || !got.OffApp.Send {
				t.Errorf("off-app = send %v alert %q, want send alert %q", got.OffApp.Send, got.OffApp.Alert, tc.off)
			}
			wantAt := tc.now
			if tc.offDefer {
				wantAt = cst(2026, 5, 11, 8, 0, 0)
			}
			if !got.OffApp.At.Equal(wantAt) {
				t.Errorf("off-app At = %v, want %v", got.OffApp.At, wantAt)
			}
		})
	}

	// Muted: a per-category "sound" does not survive the switch.
	t.Run("muted beats override", func(t *testing.T) {
		p := Preferences{
			Alert:         AlertVibration,
			CategoryAlert: map[Category]AlertStyle{CategoryService: AlertSound},
			Kinds:         map[string]bool{"order.accepted": false},
		}
		got := PlanFor(Notification{Kind: "order.accepted", Category: CategoryService}, p, now)
		if got.Realtime.Alert != AlertBadge || !got.Realtime.Send || got.Realtime.Reason != ReasonKindOff {
			t.Errorf("realtime = %+v, want badge, sent, kind_off", got.Realtime)
		}
		if got.OffApp.Send || got.OffApp.Alert != "" {
			t.Errorf("off-app = %+v, want not sent, no alert", got.OffApp)
		}
	})
}

func TestPlanFor(t *testing.T) {
	now := cst(2026, 5, 10, 23, 0, 0)
	p := PlanFor(Notification{Kind: "k", Category: CategoryService}, Preferences{Window: win("08:00", "22:00")}, now)
	opens := cst(2026, 5, 11, 8, 0, 0)
	for _, tc := range []struct {
		ch     Channel
		send   bool
		at     time.Time
		reason string
	}{
		{ChannelInbox, true, now, ReasonOK},
		{ChannelRealtime, true, now, ReasonOutsideWindow},
		{ChannelWebPush, true, opens, ReasonOutsideWindow},
		{ChannelWebhook, true, opens, ReasonOutsideWindow},
		{"sms", false, now, ReasonUnknownChannel},
	} {
		d := p.For(tc.ch)
		if d.Channel != tc.ch || d.Send != tc.send || !d.At.Equal(tc.at) || d.Reason != tc.reason {
			t.Errorf("For(%q) = %+v, want channel %q send %v at %v reason %q", tc.ch, d, tc.ch, tc.send, tc.at, tc.reason)
		}
	}
	if p.OffApp.Channel != "" {
		t.Errorf("OffApp.Channel = %q, want empty (it stands for webpush and webhook)", p.OffApp.Channel)
	}
}

func TestS1S3PreferencesValidate(t *testing.T) {
	if err := DefaultPreferences().Validate(); err != nil {
		t.Fatalf("DefaultPreferences().Validate() = %v", err)
	}
	if err := (Preferences{}).Validate(); err != nil {
		t.Fatalf("zero Preferences.Validate() = %v", err)
	}
	good := Preferences{
		Categories:    map[Category]bool{CategoryPlatform: false},
		Kinds:         map[string]bool{"order.accepted": false},
		Window:        win("22:00", "06:00"),
		TimeZone:      "America/New_York",
		Alert:         AlertVibration,
		CategoryAlert: map[Category]AlertStyle{CategoryService: AlertBadge, CategoryPlatform: ""},
	}
	if err := good.Validate(); err != nil {
		t.Fatalf("good.Validate() = %v", err)
	}

	cases := []struct {
		name string
		p    Preferences
		msgs []string
	}{
		{"bad category", Preferences{Categories: map[Category]bool{"promo": false}}, []string{`unknown category "promo" in categories`}},
		{"empty kind", Preferences{Kinds: map[string]bool{" ": false}}, []string{"empty kind id"}},
		{"bad alert", Preferences{Alert: "loud"}, []string{`unknown alert style "loud"`}},
		{"bad category alert key", Preferences{CategoryAlert: map[Category]AlertStyle{"news": AlertBadge}}, []string{`unknown category "news" in category_alert`}},
		{"bad category alert value", Preferences{CategoryAlert: map[Category]AlertStyle{CategoryService: "flash"}}, []string{`unknown alert style "flash" for category "service"`}},
		{"bad zone", Preferences{TimeZone: "Mars/Olympus"}, []string{`time zone "Mars/Olympus"`}},
		{"Local zone", Preferences{TimeZone: "Local"}, []string{`time zone "Local"`}},
		{"window missing zero", Preferences{Window: win("8:00", "22:00")}, []string{`window start: "8:00" is not HH:MM`}},
		{"window bad hour", Preferences{Window: win("08:00", "24:00")}, []string{`window end: "24:00" is not a time of day`}},
		{"window bad minute", Preferences{Window: win("08:60", "22:00")}, []string{`window start: "08:60" is not a time of day`}},
		{"window empty", Preferences{Window: &ReceivingWindow{}}, []string{`window start: "" is not HH:MM`, `window end: "" is not HH:MM`}},
		{"window no colon", Preferences{Window: win("0800", "22-00")}, []string{`"0800" is not HH:MM`, `"22-00" is not HH:MM`}},
		{"several at once", Preferences{Alert: "loud", TimeZone: "Nowhere/City", Categories: map[Category]bool{"x": true}},
			[]string{`unknown category "x"`, `unknown alert style "loud"`, `time zone "Nowhere/City"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			if err == nil {
				t.Fatal("Validate() = nil, want error")
			}
			if !errors.Is(err, ErrInvalidPreferences) {
				t.Errorf("error %v does not wrap ErrInvalidPreferences", err)
			}
			for _, m := range tc.msgs {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

func TestS2ReceivingWindowValidate(t *testing.T) {
	for _, w := range []ReceivingWindow{{"00:00", "23:59"}, {"22:00", "06:00"}, {"07:00", "07:00"}, {"08:00", "00:00"}} {
		if err := w.Validate(); err != nil {
			t.Errorf("%+v.Validate() = %v, want nil", w, err)
		}
	}
	for _, w := range []ReceivingWindow{{"", "06:00"}, {"7:00", "08:00"}, {"07:00", "8:00"}, {"24:00", "06:00"}, {"07:0a", "08:00"}, {"07:00 ", "08:00"}, {"-1:00", "08:00"}} {
		if err := w.Validate(); !errors.Is(err, ErrInvalidPreferences) {
			t.Errorf("%+v.Validate() = %v, want ErrInvalidPreferences", w, err)
		}
	}
}

func TestImportance(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Importance
		rank int
	}{
		{"critical", ImportanceCritical, 3},
		{"high", ImportanceHigh, 2},
		{"normal", ImportanceNormal, 1},
		{"low", ImportanceLow, 0},
		{" High ", ImportanceHigh, 2},
		{"CRITICAL", ImportanceCritical, 3},
	} {
		got, err := ParseImportance(tc.in)
		if err != nil || got != tc.want || got.Rank() != tc.rank {
			t.Errorf("ParseImportance(%q) = %q (rank %d), %v; want %q (rank %d)", tc.in, got, got.Rank(), err, tc.want, tc.rank)
		}
	}
	for _, in := range []string{"", "urgent", "medium"} {
		if got, err := ParseImportance(in); err == nil {
			t.Errorf("ParseImportance(%q) = %q, want error", in, got)
		}
	}
	if r := Importance("bogus").Rank(); r != -1 {
		t.Errorf("unknown Rank() = %d, want -1", r)
	}
}

func TestValidEnums(t *testing.T) {
	for _, c := range []Category{CategoryService, CategoryException, CategoryPlatform, CategoryInteraction} {
		if !c.Valid() {
			t.Errorf("%q.Valid() = false", c)
		}
	}
	for _, c := range []Category{"", "Service", "marketing"} {
		if c.Valid() {
			t.Errorf("%q.Valid() = true", c)
		}
	}
	for _, a := range []AlertStyle{AlertSound, AlertVibration, AlertBadge} {
		if !a.Valid() {
			t.Errorf("%q.Valid() = false", a)
		}
	}
	for _, a := range []AlertStyle{"", "Sound", "silent"} {
		if a.Valid() {
			t.Errorf("%q.Valid() = true", a)
		}
	}
}

// TestDefaultZone: a nil location and an empty TimeZone both mean
// Asia/Shanghai.
func TestDefaultZone(t *testing.T) {
	if got := orDefault(nil).String(); got != DefaultTimeZone {
		t.Errorf("orDefault(nil) = %q, want %q", got, DefaultTimeZone)
	}
	if got := (Preferences{}).location().String(); got != DefaultTimeZone {
		t.Errorf("zero Preferences zone = %q, want %q", got, DefaultTimeZone)
	}
}
