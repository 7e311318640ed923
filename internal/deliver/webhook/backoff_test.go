package webhook

import (
	"testing"
	"time"
)

func TestX2BackoffCoversADay(t *testing.T) {
	var total time.Duration
	prev := time.Duration(0)
	for attempt := 1; attempt < MaxAttempts; attempt++ {
		d := Backoff(attempt)
		if d < prev {
			t.Errorf("Backoff(%d) = %s, shorter than Backoff(%d) = %s", attempt, d, attempt-1, prev)
		}
		if GiveUpAfter(attempt) {
			t.Errorf("GiveUpAfter(%d) = true before MaxAttempts %d", attempt, MaxAttempts)
		}
		prev = d
		total += d
	}
	if total < 23*time.Hour || total > 25*time.Hour {
		t.Fatalf("retries span %s, want about 24h", total)
	}
	if !GiveUpAfter(MaxAttempts) {
		t.Fatalf("GiveUpAfter(MaxAttempts) = false")
	}
	if Backoff(1) > 10*time.Second {
		t.Errorf("first retry after %s, want seconds", Backoff(1))
	}
	if Backoff(0) != Backoff(1) || Backoff(100) != Backoff(MaxAttempts-1) {
		t.Errorf("Backoff out of range: 0→%s, 100→%s", Backoff(0), Backoff(100))
	}
}

func TestX2NextDelayHonoursRetryAfter(t *testing.T) {
	if got := (Result{RetryAfter: time.Minute}).NextDelay(1); got != time.Minute {
		t.Errorf("Retry-After longer than backoff: %s", got)
	}
	if got := (Result{RetryAfter: time.Second}).NextDelay(3); got != Backoff(3) {
		t.Errorf("Retry-After shorter than backoff: %s", got)
	}
	if got := (Result{RetryAfter: 72 * time.Hour}).NextDelay(1); got != 8*time.Hour {
		t.Errorf("huge Retry-After not capped: %s", got)
	}
}
