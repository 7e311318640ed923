package model

import (
	"regexp"
	"sync"
	"time"
	"unicode/utf8"
)

// Role is what a person does on the platform; it decides what they may see and do.
type Role string

// The roles. RolePlatform is never a person: it is a platform backend calling with a service key.
const (
	RoleCustomer Role = "customer"
	RoleWorker   Role = "worker"
	RoleAgent    Role = "agent"
	RoleOperator Role = "operator"
	RolePlatform Role = "platform"
)

// PersonRoles are the roles a person (not a backend) can have.
var PersonRoles = []Role{RoleCustomer, RoleWorker, RoleAgent, RoleOperator}

// Valid reports whether r is a person role.
func (r Role) Valid() bool {
	for _, x := range PersonRoles {
		if r == x {
			return true
		}
	}
	return false
}

// Locales homebell renders text in; the first is the default.
const (
	LocaleZH = "zh-CN"
	LocaleEN = "en"
)

// DefaultTimeZone is where a person is unless they say otherwise.
const DefaultTimeZone = "Asia/Shanghai"

// NormalizeLocale maps any accepted spelling to zh-CN or en.
func NormalizeLocale(s string) string {
	switch s {
	case "en", "en-US", "en-GB", "en_US":
		return LocaleEN
	default:
		return LocaleZH
	}
}

// Person is a customer, worker, agent or operator. Phone is private: it is never shown to other parties.
type Person struct {
	ID        string    `json:"id"`
	Role      Role      `json:"role"`
	Name      string    `json:"name"`
	AvatarURL string    `json:"avatar_url"`
	Bio       string    `json:"bio"`
	Phone     string    `json:"phone,omitempty"`
	Locale    string    `json:"locale"`
	TimeZone  string    `json:"time_zone"`
	Area      string    `json:"area,omitempty"`   // service area (district) for workers and customers; used by bulk cancellation
	Rating    *Rating   `json:"rating,omitempty"` // workers: average stars of their visible reviews (I2); not stored with the person
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Card is what another party may see of a person: no phone, no time zone.
type Card struct {
	ID        string  `json:"id"`
	Role      Role    `json:"role"`
	Name      string  `json:"name"`
	AvatarURL string  `json:"avatar_url"`
	Bio       string  `json:"bio"`
	Rating    *Rating `json:"rating,omitempty"` // workers only (I2)
}

// Card returns the public card of p.
func (p Person) Card() Card {
	return Card{ID: p.ID, Role: p.Role, Name: p.Name, AvatarURL: p.AvatarURL, Bio: p.Bio, Rating: p.Rating}
}

// Location returns p's time zone, falling back to the default.
func (p Person) Location() *time.Location {
	if loc := loadLocation(p.TimeZone); loc != nil && p.TimeZone != "" {
		return loc
	}
	return loadLocation(DefaultTimeZone)
}

// locations caches time.LoadLocation, which reads and parses the zone file on every call (a tenth
// of notify's CPU before). Only valid names are kept.
var locations sync.Map // name -> *time.Location

func loadLocation(name string) *time.Location {
	if v, ok := locations.Load(name); ok {
		return v.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	locations.Store(name, loc) // valid zone names only: a bounded set
	return loc
}

// ValidZone reports whether name is an IANA time zone a person or a setting may name. "Local"
// (the server's own zone, whatever it happens to be) and "" are not.
func ValidZone(name string) bool {
	return name != "" && name != "Local" && loadLocation(name) != nil
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$`)

// ValidID reports whether s can be an external identifier (the platform's own user or item ids).
func ValidID(s string) bool { return idPattern.MatchString(s) }

// Normalize fills defaults.
func (p *Person) Normalize() {
	if p.Locale == "" {
		p.Locale = LocaleZH
	} else {
		p.Locale = NormalizeLocale(p.Locale)
	}
	if p.TimeZone == "" {
		p.TimeZone = DefaultTimeZone
	}
}

// Validate checks a person before it is stored.
func (p Person) Validate() error {
	var v Validator
	v.Check(ValidID(p.ID), "id", "must be 1-64 letters, digits or _.:@- and start with a letter or digit")
	v.Check(p.Role.Valid(), "role", "must be customer, worker, agent or operator")
	v.Check(p.Name != "" && utf8.RuneCountInString(p.Name) <= 80, "name", "is required, at most 80 characters")
	v.Check(len(p.AvatarURL) <= 500, "avatar_url", "at most 500 characters")
	v.Check(utf8.RuneCountInString(p.Bio) <= 500, "bio", "at most 500 characters")
	v.Check(len(p.Phone) <= 32, "phone", "at most 32 characters")
	v.Check(p.Locale == LocaleZH || p.Locale == LocaleEN, "locale", "must be zh-CN or en")
	v.Check(ValidZone(p.TimeZone), "time_zone", "must be an IANA time zone such as Asia/Shanghai")
	v.Check(utf8.RuneCountInString(p.Area) <= 64, "area", "at most 64 characters")
	return v.Err()
}
