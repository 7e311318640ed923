package model

import (
	"strconv"
	"unicode/utf8"
)

// CheckText refuses text PostgreSQL cannot store or no person should see: invalid UTF-8, NUL and
// the other C0 control characters and DEL. Free text (multiline) may hold newline, carriage
// return and tab; identifiers, query parameters and headers may not.
func CheckText(field, s string, multiline bool) error {
	if !utf8.ValidString(s) {
		return Invalid(FieldError{Field: field, Message: "must be valid UTF-8"})
	}
	for _, r := range s {
		if badRune(r, multiline) {
			return Invalid(FieldError{Field: field, Message: "must not contain control characters (found " + strconv.QuoteRune(r) + ")"})
		}
	}
	return nil
}

func badRune(r rune, multiline bool) bool {
	switch {
	case r == '\n' || r == '\t' || r == '\r':
		return !multiline
	case r < 0x20 || r == 0x7f:
		return true
	}
	return false
}

// CheckJSONText scans a JSON document's bytes, without decoding it, for what CheckText refuses in
// free text: invalid UTF-8, raw DEL, the escapes \b and \f, and \u escapes of control characters
// (raw C0 bytes inside strings are a JSON syntax error already). Every string of a request body
// goes through here, so no handler can forget it.
func CheckJSONText(b []byte) error {
	if !utf8.Valid(b) {
		return Invalid(FieldError{Field: "body", Message: "must be valid UTF-8"})
	}
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case 0x7f:
			return Invalid(FieldError{Field: "body", Message: "must not contain control characters"})
		case '\\':
			if i+1 < len(b) && (b[i+1] == 'b' || b[i+1] == 'f') {
				// The short escapes of backspace and form feed (\n, \r, \t are free text's).
				r := '\b'
				if b[i+1] == 'f' {
					r = '\f'
				}
				return Invalid(FieldError{Field: "body", Message: "must not contain control characters (found " + strconv.QuoteRune(r) + ")"})
			}
			if i+1 < len(b) && b[i+1] == 'u' && i+5 < len(b) {
				if v, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 32); err == nil && badRune(rune(v), true) {
					return Invalid(FieldError{Field: "body", Message: "must not contain control characters (found " + strconv.QuoteRune(rune(v)) + ")"})
				}
			}
			i++ // skip the escaped character (so \\u0000 is a backslash and "u0000")
		}
	}
	return nil
}
