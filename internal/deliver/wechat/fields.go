package wechat

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// FieldType is the type of a template field, named by its key without the trailing number
// ("thing1" is a thing). Each type has WeChat's own limit on length and characters.
type FieldType string

// The field types of subscribe-message templates.
const (
	Thing           FieldType = "thing"            // ≤ 20 characters of any kind
	ShortThing      FieldType = "short_thing"      // ≤ 5 characters of any kind
	Number          FieldType = "number"           // ≤ 32 digits, may have decimals
	Letter          FieldType = "letter"           // ≤ 32 letters
	Symbol          FieldType = "symbol"           // ≤ 5 symbols
	CharacterString FieldType = "character_string" // ≤ 32 digits, letters or symbols
	Time            FieldType = "time"             // 15:01, or 2019年10月1日 15:01
	Date            FieldType = "date"             // 2019年10月1日, or 2019年10月1日 15:01
	Amount          FieldType = "amount"           // one currency sign, ≤ 10 digits, decimals, may end in 元
	PhoneNumber     FieldType = "phone_number"     // ≤ 17 digits and symbols
	CarNumber       FieldType = "car_number"       // ≤ 8 characters
	Name            FieldType = "name"             // ≤ 10 Chinese characters, or ≤ 20 letters
	Phrase          FieldType = "phrase"           // ≤ 5 Chinese characters only
)

// FieldTypes lists every type, for screens and validation.
var FieldTypes = []FieldType{Thing, ShortThing, Number, Letter, Symbol, CharacterString, Time, Date, Amount,
	PhoneNumber, CarNumber, Name, Phrase}

// TypeOfKey returns the type a field key names ("thing12" → thing); ok is false for a key that
// names no known type.
func TypeOfKey(key string) (FieldType, bool) {
	base := strings.TrimRightFunc(key, func(r rune) bool { return r >= '0' && r <= '9' })
	if base == key || base == "" {
		return "", false
	}
	for _, t := range FieldTypes {
		if string(t) == base {
			return t, true
		}
	}
	return "", false
}

// Ellipsis ends a shortened thing.
const Ellipsis = "…"

// Fit makes s fit a field of type t: whitespace runs become one space, text is cut by character
// (rune), never inside one, and characters the type does not allow are dropped. A thing longer
// than its limit keeps limit-1 characters and an ellipsis; names and codes are cut short without
// one. Times, dates and amounts are formatted by the caller (see FormatTime, FormatAmount) and
// only trimmed here.
func Fit(t FieldType, s string) string {
	s = strings.Join(strings.Fields(s), " ")
	switch t {
	case Thing:
		return cut(s, 20, true)
	case ShortThing:
		return cut(s, 5, true)
	case Number:
		return cut(keep(s, func(r rune) bool { return r >= '0' && r <= '9' || r == '.' || r == '-' }), 32, false)
	case Letter:
		return cut(keep(s, func(r rune) bool { return r < utf8.RuneSelf && unicode.IsLetter(r) }), 32, false)
	case Symbol:
		return cut(keep(s, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) }), 5, false)
	case CharacterString:
		return cut(keep(s, func(r rune) bool { return r > ' ' && r < utf8.RuneSelf }), 32, false)
	case PhoneNumber:
		return cut(keep(s, func(r rune) bool { return r >= '0' && r <= '9' || strings.ContainsRune("+-() ", r) }), 17, false)
	case CarNumber:
		return cut(strings.ReplaceAll(s, " ", ""), 8, false)
	case Name:
		if ascii(s) {
			return cut(s, 20, false)
		}
		return cut(s, 10, false)
	case Phrase:
		return cut(keep(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }), 5, false)
	}
	return s
}

// Limit is the most characters a field of type t takes (0: a format, not a length).
func Limit(t FieldType) int {
	switch t {
	case Thing:
		return 20
	case ShortThing, Symbol, Phrase:
		return 5
	case Number, Letter, CharacterString:
		return 32
	case PhoneNumber:
		return 17
	case CarNumber:
		return 8
	case Name:
		return 10
	}
	return 0
}

func cut(s string, n int, ellipsis bool) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	if ellipsis {
		return strings.TrimRight(string(r[:n-1]), " ") + Ellipsis
	}
	return strings.TrimRight(string(r[:n]), " ")
}

func keep(s string, ok func(rune) bool) string {
	return strings.Map(func(r rune) rune {
		if ok(r) {
			return r
		}
		return -1
	}, s)
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// FormatTime writes an instant for a field of type t in loc: a date ("2026年3月9日"), a time with
// its date ("2026年3月9日 15:04"), or for other types the short "3月9日 15:04".
func FormatTime(t FieldType, at time.Time, loc *time.Location) string {
	at = at.In(loc)
	switch t {
	case Date:
		return at.Format("2006年1月2日")
	case Time:
		return at.Format("2006年1月2日 15:04")
	}
	return at.Format("1月2日 15:04")
}

// FormatAmount writes an amount in fen (cents) as WeChat's amount type wants it: "¥150.00".
func FormatAmount(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s¥%d.%02d", sign, cents/100, cents%100)
}
