package store

import (
	"fmt"
	"time"
)

// Times of a long list, read without the SQLite driver's parsing. The driver turns the text of
// a column declared TIMESTAMP into a time.Time by trying a time.String layout first and then its
// own layouts, in time.Parse each, allocating an error for every miss: for the support queue's
// page of 200 rows that was a third of its 14,000 allocations. A query that selects a time
// column as an expression (sqliteTimeCol) gets the stored text, and timeScan/nullTimeScan parse the one form
// the store writes (_time_format=sqlite, "2006-01-02 15:04:05.999999999-07:00") without
// allocating; PostgreSQL's driver gives a time.Time, which it takes as it is.

// sqliteTimeCol is col for a query on d whose row scans it with timeScan: on SQLite the column
// as an expression (the no-op unary plus), which the driver does not parse.
func sqliteTimeCol(d Dialect, col string) string {
	if d == SQLite {
		return "+" + col
	}
	return col
}

// timeScan scans a NOT NULL time column into *T, in UTC; nullTimeScan a column that may be
// NULL into *P (nil for NULL). Each is one pointer, so passing it to Scan allocates nothing.
type timeScan struct{ T *time.Time }

type nullTimeScan struct{ P **time.Time }

func (s timeScan) Scan(src any) error {
	if src == nil {
		return fmt.Errorf("NULL in a NOT NULL time column")
	}
	t, err := scannedTime(src)
	*s.T = t
	return err
}

func (s nullTimeScan) Scan(src any) error {
	if src == nil {
		*s.P = nil
		return nil
	}
	t, err := scannedTime(src)
	if err != nil {
		return err
	}
	*s.P = &t
	return nil
}

func scannedTime(src any) (time.Time, error) {
	switch v := src.(type) {
	case time.Time:
		return v.UTC(), nil
	case string:
		return parseStoredTime(v)
	case []byte:
		return parseStoredTime(string(v))
	}
	return time.Time{}, fmt.Errorf("cannot scan %T into a time", src)
}

// storedTimeLayouts are what parseStoredTime falls back to for any text its fast path does not
// take: PostgreSQL's to_char in UTC (RFC 3339) and the layouts the SQLite driver reads, in its order.
var storedTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseStoredTime reads a time as the SQLite driver hands over a column it does not parse (an
// expression, a subquery's column: "2006-01-02 15:04:05.999999999-07:00") or PostgreSQL's to_char
// in UTC (RFC 3339), in UTC: "YYYY-MM-DD HH:MM:SS" with an optional fraction and an optional zone
// (Z or ±HH:MM) without allocating, any other text through storedTimeLayouts.
func parseStoredTime(s string) (time.Time, error) {
	if t, ok := parseStoredTimeFast(s); ok {
		return t, nil
	}
	for _, l := range storedTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unreadable time %q", s)
}

func parseStoredTimeFast(s string) (time.Time, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(a, b int) (int, bool) {
		n := 0
		for i := a; i < b; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 7)
	d, ok3 := num(8, 10)
	h, ok4 := num(11, 13)
	mi, ok5 := num(14, 16)
	sec, ok6 := num(17, 19)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	i, ns := 19, 0
	if i < len(s) && s[i] == '.' {
		i++
		digits := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if digits < 9 {
				ns = ns*10 + int(s[i]-'0')
				digits++
			} else {
				return time.Time{}, false // more precision than time.Time has: let time.Parse decide
			}
			i++
		}
		if digits == 0 {
			return time.Time{}, false
		}
		for ; digits < 9; digits++ {
			ns *= 10
		}
	}
	off := 0
	switch rest := s[i:]; {
	case rest == "" || rest == "Z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, okh := num(i+1, i+3)
		om, okm := num(i+4, i+6)
		if !okh || !okm || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		off = oh*3600 + om*60
		if rest[0] == '-' {
			off = -off
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC)
	if t.Day() != d { // 31 February and the like: time.Parse refuses them
		return time.Time{}, false
	}
	return t.Add(-time.Duration(off) * time.Second), true
}
