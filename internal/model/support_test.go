package model

import (
	"testing"
	"time"
)

func TestBusinessHoursOpenAndNext(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	b := DefaultBusinessHours()
	b.Days["sun"] = DayHours{} // closed on Sundays (invalid hours count as closed)
	delete(b.Days, "sat")
	b.Closed = []string{"2026-03-03"} // a Tuesday holiday
	at := func(d, hm string) time.Time {
		x, err := time.ParseInLocation("2006-01-02 15:04", d+" "+hm, sh)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	cases := []struct {
		now      time.Time
		open     bool
		nextOpen time.Time
	}{
		{at("2026-03-02", "10:00"), true, at("2026-03-02", "10:00")},  // Monday, open
		{at("2026-03-02", "08:59"), false, at("2026-03-02", "09:00")}, // before opening
		{at("2026-03-02", "21:00"), false, at("2026-03-04", "09:00")}, // closing time; Tuesday is a holiday
		{at("2026-02-28", "12:00"), false, at("2026-03-02", "09:00")}, // Saturday (no hours), Sunday closed
		{at("2026-03-01", "23:30"), false, at("2026-03-02", "09:00")}, // Sunday night
	}
	for _, c := range cases {
		if got := b.IsOpen(c.now); got != c.open {
			t.Errorf("IsOpen(%s) = %v, want %v", c.now, got, c.open)
		}
		if got := b.NextOpen(c.now); !got.Equal(c.nextOpen) {
			t.Errorf("NextOpen(%s) = %s, want %s", c.now, got, c.nextOpen)
		}
	}
	closed := BusinessHours{TimeZone: "Asia/Shanghai", OfflineAfterMinutes: 5}
	if !closed.NextOpen(at("2026-03-02", "10:00")).IsZero() {
		t.Error("never-open hours have a next opening")
	}
}

func TestBusinessHoursValidate(t *testing.T) {
	b := DefaultBusinessHours()
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	b.Days["fri"] = DayHours{Start: "18:00", End: "09:00"}
	b.Days["xyz"] = DayHours{Start: "09:00", End: "10:00"}
	b.TimeZone = "Mars/Base"
	b.OfflineAfterMinutes = 0
	err := b.Validate()
	if e, ok := err.(*Error); !ok || len(e.Fields) != 4 {
		t.Fatalf("want 4 field errors, got %v", err)
	}
}
