package auth

import (
	"math"
	"sync"
	"time"
)

// Limiter is a set of token buckets, one per key (a person and a class of requests): each holds
// up to Burst tokens and refills at PerMinute tokens a minute; a request takes one. Buckets live
// in this node's memory: with several nodes behind a load balancer a person gets the limit on
// each node they reach, which bounds abuse just as well without a shared write per request.
type Limiter struct {
	PerMinute float64
	Burst     float64

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewLimiter makes a limiter; perMinute <= 0 makes one that allows everything.
func NewLimiter(perMinute, burst int64) *Limiter {
	if burst < 1 {
		burst = 1
	}
	return &Limiter{PerMinute: float64(perMinute), Burst: float64(burst), buckets: map[string]*bucket{}}
}

// Allow takes a token from key's bucket at now. When it is empty it answers false and how long
// until a token is back.
func (l *Limiter) Allow(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	if l == nil || l.PerMinute <= 0 {
		return true, 0
	}
	rate := l.PerMinute / 60 // tokens per second
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now, rate)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.Burst, at: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.at).Seconds(); elapsed > 0 {
		b.tokens = math.Min(l.Burst, b.tokens+elapsed*rate)
	}
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / rate * float64(time.Second))
	return false, max(wait, time.Second)
}

// sweep forgets buckets that are full again (they are the same as no bucket), at most once a minute.
func (l *Limiter) sweep(now time.Time, rate float64) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*rate >= l.Burst {
			delete(l.buckets, k)
		}
	}
}
