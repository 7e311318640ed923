package booking

import (
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
)

// The start window (Y4, issue 15 item 7): from start_early_minutes before the appointment to
// start_late_minutes after it, defaults 30 and 240.
func TestY4StartWindowTable(t *testing.T) {
	at := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC) // 14:00 in Shanghai
	o := model.Order{AppointmentAt: at}
	custom := DefaultPolicy()
	custom.Visit = VisitPolicy{StartEarlyMinutes: 60, StartLateMinutes: 30}
	for _, c := range []struct {
		name string
		p    Policy
		now  time.Time
		ok   bool
	}{
		{"two days early", DefaultPolicy(), at.Add(-48 * time.Hour), false},
		{"31 minutes early", DefaultPolicy(), at.Add(-31 * time.Minute), false},
		{"30 minutes early", DefaultPolicy(), at.Add(-30 * time.Minute), true},
		{"on time", DefaultPolicy(), at, true},
		{"four hours late", DefaultPolicy(), at.Add(4 * time.Hour), true},
		{"past the window", DefaultPolicy(), at.Add(4*time.Hour + time.Second), false},
		{"policy: an hour early", custom, at.Add(-60 * time.Minute), true},
		{"policy: 31 minutes late", custom, at.Add(31 * time.Minute), false},
	} {
		err := checkStartWindow(c.p, o, c.now, "start")
		if (err == nil) != c.ok || (err != nil && !model.IsCode(err, model.CodeOutsideStartWindow)) {
			t.Errorf("%s: %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

// Proof-of-service photos (Y4): at most 9, distinct, phase after (default) or before, at least
// one after.
func TestY4PhotoRules(t *testing.T) {
	id := func(n int) string { return model.NewID() + string(rune('a'+n)) }
	nine := make([]PhotoInput, 9)
	for i := range nine {
		nine[i] = PhotoInput{FileID: id(i)}
	}
	same := model.NewID()
	for _, c := range []struct {
		name   string
		photos []PhotoInput
		ok     bool
	}{
		{"none", nil, true},
		{"nine after", nine, true},
		{"ten", append(append([]PhotoInput{}, nine...), PhotoInput{FileID: id(9)}), false},
		{"before and after", []PhotoInput{{FileID: id(0), Phase: "before"}, {FileID: id(1)}}, true},
		{"only before", []PhotoInput{{FileID: id(0), Phase: "before"}}, false},
		{"twice the same", []PhotoInput{{FileID: same}, {FileID: same}}, false},
		{"unknown phase", []PhotoInput{{FileID: id(0), Phase: "during"}}, false},
		{"no id", []PhotoInput{{}}, false},
	} {
		if err := checkPhotos(c.photos); (err == nil) != c.ok {
			t.Errorf("%s: %v, want ok=%v", c.name, err, c.ok)
		}
	}
}
