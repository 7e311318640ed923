package model

// Retention is how many days notifications of each category are kept (S5); operators set it.
type Retention struct {
	ServiceDays     int `json:"service_days"`
	ExceptionDays   int `json:"exception_days"`
	PlatformDays    int `json:"platform_days"`
	InteractionDays int `json:"interaction_days"`
}

// DefaultRetention keeps the service record and conversations half a year, platform news a month.
func DefaultRetention() Retention {
	return Retention{ServiceDays: 180, ExceptionDays: 180, PlatformDays: 30, InteractionDays: 180}
}

// ByCategory lists the retention of every category, by category name.
func (r Retention) ByCategory() map[string]int {
	return map[string]int{"service": r.ServiceDays, "exception": r.ExceptionDays, "platform": r.PlatformDays,
		"interaction": r.InteractionDays}
}

// Longest is the longest retention of any category (the event log is kept that long).
func (r Retention) Longest() int {
	return max(r.ServiceDays, r.ExceptionDays, r.PlatformDays, r.InteractionDays)
}
