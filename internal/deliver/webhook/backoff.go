package webhook

import "time"

// schedule is the wait after each failed attempt. It sums to about 23h43m, so a delivery is
// tried for roughly a day, densely at first (a gateway restarting) and then sparsely (a
// gateway down for the night).
var schedule = [...]time.Duration{
	5 * time.Second,
	30 * time.Second,
	2 * time.Minute,
	10 * time.Minute,
	30 * time.Minute,
	1 * time.Hour,
	2 * time.Hour,
	4 * time.Hour,
	8 * time.Hour,
	8 * time.Hour,
}

// MaxAttempts is how many times one delivery is tried, the first attempt included: one, then one
// after each step of the Backoff schedule, about 24 hours in all. Give it to the job queue as
// the job's maximum attempts.
const MaxAttempts = len(schedule) + 1

// Backoff is how long to wait after the attempt-th failed attempt (1 for the first) before
// trying again. It counts the way River's job.Attempt does. Values below 1 count as 1; values past
// the schedule get its last step.
func Backoff(attempt int) time.Duration {
	i := min(max(attempt, 1), len(schedule)) - 1
	return schedule[i]
}

// GiveUpAfter reports whether a delivery whose attempt-th attempt just failed is finished: the
// runner marks the delivery failed in the delivery log and counts one failure against the
// endpoint (so a gateway that stays down can be flagged and paused by its operator) instead of
// scheduling another attempt. It is true from MaxAttempts on, about 24 hours after the first try.
func GiveUpAfter(attempt int) bool {
	return attempt >= MaxAttempts
}
