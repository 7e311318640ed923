// Package testkit is the shared kit of homebell's tests: one settable clock, shared by a test and
// the node(s) it starts, and a fluent builder of the test world (people, service items, orders,
// preferences, settings) in the spirit of gotify's testdb:
//
//	clk := testkit.NewClock(t0)
//	s := apptest.Start(t, dsn, apptest.Options{Now: clk.Now, ManualJobs: true})
//	s.World(). // testkit.On(t, s.Store, clk.Now)
//		People(model.Person{ID: "c-lin", Role: model.RoleCustomer, Name: "林晓"}).
//		Items(model.ServiceItem{ID: "daily-cleaning", Name: model.Text{ZH: "日常保洁"}, DurationMinutes: 180, Active: true})
//	…
//	clk.Add(24 * time.Hour) // the node's "now" moves; due jobs run when the test says
//
// It depends on model and store only, so the tests of any package above the store may use it.
package testkit

import (
	"sync"
	"time"
)

// Clock is a settable clock, safe for concurrent use. Inject its Now method wherever the code
// under test takes a func() time.Time; the test moves time with Set and Add.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock that reads start until it is moved.
func NewClock(start time.Time) *Clock { return &Clock{t: start} }

// Now is the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t (backwards too).
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
