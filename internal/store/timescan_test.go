package store

import (
	"testing"
	"time"
)

// parseStoredTime agrees with time.Parse in the driver's layouts on every form the store and
// the driver write, and refuses what time.Parse refuses.
func TestParseStoredTime(t *testing.T) {
	for _, s := range []string{
		"2026-11-30 01:35:02.123456789+00:00",
		"2026-11-30 01:35:02.123456+00:00",
		"2026-11-30 01:35:02+00:00",
		"2026-11-30 09:35:02.5+08:00",
		"2026-11-29 20:35:02.000001-05:30",
		"2026-11-30T01:35:02.123456Z",
		"2026-11-30T01:35:02.123456+08:00",
		"2026-11-30 01:35:02.123456Z",
		"2026-11-30 01:35:02",
		"2026-11-30 01:35:02.120",
		"2024-02-29 23:59:59.999999+00:00",
		"2026-11-30 01:35",
		"2026-11-30",
	} {
		got, err := parseStoredTime(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		var want time.Time
		for _, l := range storedTimeLayouts {
			if w, err := time.Parse(l, s); err == nil {
				want = w
				break
			}
		}
		if !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("%q: got %v, want %v", s, got, want)
		}
	}
	for _, s := range []string{"", "2026-02-30 01:35:02", "2026-13-01 00:00:00", "2026-11-30 01:35:02.+00:00", "yesterday", "2026-11-30 01:35:02+0000"} {
		if got, err := parseStoredTime(s); err == nil {
			t.Errorf("%q: got %v, want an error", s, got)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = parseStoredTime("2026-11-30 01:35:02.123456+00:00") }); n != 0 {
		t.Errorf("parseStoredTime allocates %v times, want 0", n)
	}
}
