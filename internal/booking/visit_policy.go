package booking

import (
	"time"

	"github.com/homebell/homebell/internal/model"
)

// VisitPolicy is the operators' rules of the visit (Y4). A zero field means its default, so a
// policy stored before these rules existed (or a client that leaves them out) keeps working.
type VisitPolicy struct {
	// StartEarlyMinutes: check-in and start are possible from this long before the appointment
	// (default 30) …
	StartEarlyMinutes int `json:"start_early_minutes"`
	// StartLateMinutes: … until this long after it (default 240).
	StartLateMinutes int `json:"start_late_minutes"`
	// NudgeLeadMinutes: a worker not on the way this long before the appointment is nudged
	// (default 30). Still not on the way at the appointment, the operators are told. A worker on
	// the way is nudged relative to their own estimate instead: when it is past by SlipMargin
	// without a check-in.
	NudgeLeadMinutes int `json:"nudge_lead_minutes"`
	// SlipMarginMinutes: the customer is told a new arrival estimate only when it is later than
	// the one they were last told by more than this (default 10); a worker whose estimate is past
	// by this much without a check-in is nudged …
	SlipMarginMinutes int `json:"slip_margin_minutes"`
	// SlipGapMinutes: … and at least this long after they were last told (default 5): a slip
	// inside the gap is told when it ends, as the estimate is then.
	SlipGapMinutes int `json:"slip_gap_minutes"`
	// StartCodeAttempts: wrong start codes allowed before only an operator can start (default 5).
	StartCodeAttempts int `json:"start_code_attempts"`
}

func orDefault(v, d int) time.Duration {
	if v <= 0 {
		v = d
	}
	return time.Duration(v) * time.Minute
}

func (p VisitPolicy) startEarly() time.Duration { return orDefault(p.StartEarlyMinutes, 30) }
func (p VisitPolicy) startLate() time.Duration  { return orDefault(p.StartLateMinutes, 240) }
func (p VisitPolicy) nudgeLead() time.Duration  { return orDefault(p.NudgeLeadMinutes, 30) }
func (p VisitPolicy) slipMargin() time.Duration { return orDefault(p.SlipMarginMinutes, 10) }
func (p VisitPolicy) slipGap() time.Duration    { return orDefault(p.SlipGapMinutes, 5) }

func (p VisitPolicy) codeAttempts() int {
	if p.StartCodeAttempts <= 0 {
		return 5
	}
	return p.StartCodeAttempts
}

// StartWindow is when a visit to an appointment at may begin (check-in and start).
func (p VisitPolicy) StartWindow(at time.Time) (from, until time.Time) {
	return at.Add(-p.startEarly()), at.Add(p.startLate())
}

func (p VisitPolicy) check(v *model.Validator) {
	const day = 24 * 60
	v.Check(p.StartEarlyMinutes >= 0 && p.StartEarlyMinutes <= day, "visit.start_early_minutes", "must be 0..1440 (0: the default, 30)")
	v.Check(p.StartLateMinutes >= 0 && p.StartLateMinutes <= day, "visit.start_late_minutes", "must be 0..1440 (0: the default, 240)")
	v.Check(p.NudgeLeadMinutes >= 0 && p.NudgeLeadMinutes <= day, "visit.nudge_lead_minutes", "must be 0..1440 (0: the default, 30)")
	v.Check(p.SlipMarginMinutes >= 0 && p.SlipMarginMinutes <= day, "visit.slip_margin_minutes", "must be 0..1440 (0: the default, 10)")
	v.Check(p.SlipGapMinutes >= 0 && p.SlipGapMinutes <= day, "visit.slip_gap_minutes", "must be 0..1440 (0: the default, 5)")
	v.Check(p.StartCodeAttempts >= 0 && p.StartCodeAttempts <= 20, "visit.start_code_attempts", "must be 0..20 (0: the default, 5)")
}

// checkStartWindow refuses a check-in or start outside the window around the appointment.
func checkStartWindow(p Policy, o model.Order, now time.Time, what string) error {
	from, until := p.Visit.StartWindow(o.AppointmentAt)
	if now.Before(from) {
		return &model.Error{Code: model.CodeOutsideStartWindow, Message: "too early to " + what + ": the service can start from " +
			from.UTC().Format(time.RFC3339) + " (" + p.Visit.startEarly().String() + " before the appointment)"}
	}
	if now.After(until) {
		return &model.Error{Code: model.CodeOutsideStartWindow, Message: "too late to " + what + ": the window closed at " +
			until.UTC().Format(time.RFC3339) + "; ask for a new time"}
	}
	return nil
}
