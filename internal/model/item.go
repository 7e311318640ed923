package model

import (
	"time"
	"unicode/utf8"
)

// Text is a string in both of homebell's languages.
type Text struct {
	ZH string `json:"zh-CN"`
	EN string `json:"en"`
}

// In returns the text in locale, falling back to the other language when one is empty.
func (t Text) In(locale string) string {
	if locale == LocaleEN && t.EN != "" {
		return t.EN
	}
	if t.ZH != "" {
		return t.ZH
	}
	return t.EN
}

// ServiceItem is one bookable service of the catalogue (daily cleaning, nanny, elder care, …).
type ServiceItem struct {
	ID          string `json:"id"`
	Name        Text   `json:"name"`
	Description Text   `json:"description"`
	// What a new service offers (P2): its features (特点), advantages (优势) and when it fits (适用场景).
	Features        Text      `json:"features"`
	Advantages      Text      `json:"advantages"`
	Suits           Text      `json:"suits"`
	DurationMinutes int       `json:"duration_minutes"`
	PriceCents      int64     `json:"price_cents"` // in fen (CNY cents)
	Active          bool      `json:"active"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// Validate checks an item before it is stored.
func (it ServiceItem) Validate() error {
	var v Validator
	v.Check(ValidID(it.ID), "id", "must be 1-64 letters, digits or _.:@-")
	v.Check(it.Name.ZH != "" || it.Name.EN != "", "name", "needs at least one language")
	v.Check(utf8.RuneCountInString(it.Name.ZH) <= 80 && utf8.RuneCountInString(it.Name.EN) <= 80, "name", "at most 80 characters")
	v.Check(utf8.RuneCountInString(it.Description.ZH) <= 2000 && utf8.RuneCountInString(it.Description.EN) <= 2000, "description", "at most 2000 characters")
	for f, t := range map[string]Text{"features": it.Features, "advantages": it.Advantages, "suits": it.Suits} {
		v.Check(utf8.RuneCountInString(t.ZH) <= 1000 && utf8.RuneCountInString(t.EN) <= 1000, f, "at most 1000 characters")
	}
	v.Check(it.DurationMinutes > 0 && it.DurationMinutes <= 24*60, "duration_minutes", "must be 1..1440")
	v.Check(it.PriceCents >= 0 && it.PriceCents <= 100_000_000, "price_cents", "must be 0..100000000")
	return v.Err()
}
