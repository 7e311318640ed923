package notify

import (
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
)

// X3 (#11): a time in a notification carries the zone's abbreviation when the recipient's zone
// is not the platform's — so on New York's DST fall-back day the two 01:30s read differently —
// and nothing extra in the platform's zone.
func TestX3TimesCarryTheZoneOutsideThePlatformZone(t *testing.T) {
	load := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Skipf("no tzdata for %s: %v", name, err)
		}
		return loc
	}
	// 2026-11-01 is the fall-back day in New York: 05:30Z is 01:30 EDT, 06:30Z is 01:30 EST.
	first, second := time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC), time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC)
	cases := []struct {
		zone, locale string
		at           time.Time
		want         string
	}{
		{model.DefaultTimeZone, model.LocaleZH, first, "11月1日（周日）13:30"},
		{model.DefaultTimeZone, model.LocaleEN, first, "Sun 1 Nov 13:30"},
		{"America/New_York", model.LocaleEN, first, "Sun 1 Nov 01:30 EDT"},
		{"America/New_York", model.LocaleEN, second, "Sun 1 Nov 01:30 EST"},
		{"America/New_York", model.LocaleZH, second, "11月1日（周日）01:30 EST"},
		{"Asia/Kolkata", model.LocaleEN, first, "Sun 1 Nov 11:00 IST"},
		{"Asia/Dubai", model.LocaleEN, first, "Sun 1 Nov 09:30 UTC+04"},
		{"Asia/Kathmandu", model.LocaleEN, first, "Sun 1 Nov 11:15 UTC+05:45"},
		{"UTC", model.LocaleEN, first, "Sun 1 Nov 05:30 UTC"},
	}
	for _, c := range cases {
		if got := formatTime(c.at, c.locale, load(c.zone)); got != c.want {
			t.Errorf("%s %s %s: %q, want %q", c.zone, c.locale, c.at.Format(time.RFC3339), got, c.want)
		}
	}
	if formatTime(first, model.LocaleEN, load("America/New_York")) == formatTime(second, model.LocaleEN, load("America/New_York")) {
		t.Error("the two 01:30s of the fall-back day read the same")
	}
}
