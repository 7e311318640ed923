package model

import (
	"io"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// TimeLayout is the one form of every timestamp in homebell's answers, stream frames and the
// JSON it stores (#11): RFC 3339 in UTC with exactly six fractional digits — the stores keep
// microseconds, so nothing is lost and every timestamp has the same width, whether it came
// fresh from the clock or back from the database.
const TimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// FormatTime writes t in TimeLayout.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// jsonOptions encode as encoding/json does (the v1 semantics), except that every time.Time —
// a field, a pointer, a value in a map — is written in TimeLayout.
var jsonOptions = jsonv2.JoinOptions(jsonv1.DefaultOptionsV1(),
	jsonv2.WithMarshalers(jsonv2.MarshalToFunc(func(enc *jsontext.Encoder, t time.Time) error {
		// Formatted into the encoder's own buffer, not a new string per time (a page of 200
		// support conversations has 1,000 of them). TimeLayout has nothing JSON must escape.
		b := append(enc.AvailableBuffer(), '"')
		b = t.UTC().AppendFormat(b, TimeLayout)
		return enc.WriteValue(append(b, '"'))
	})))

// MarshalJSON is json.Marshal with every time.Time in TimeLayout. Use it (or EncodeJSON) for
// anything a client reads: answers, stream frames, and JSON stored to be shown later.
func MarshalJSON(v any) ([]byte, error) { return jsonv2.Marshal(v, jsonOptions) }

// EncodeJSON writes v as json.Encoder.Encode does (one line, newline-terminated), with every
// time.Time in TimeLayout. It streams into w rather than building the whole text first (a page of
// 50 notifications: about 3 KB allocated instead of encoding/json's 5 KB, or 30–130 KB for a
// marshal-then-write), so on an error — a value JSON cannot carry — part of v may have been written.
func EncodeJSON(w io.Writer, v any) error {
	if err := jsonv2.MarshalWrite(w, v, jsonOptions); err != nil {
		return err
	}
	_, err := w.Write(newline)
	return err
}

var newline = []byte{'\n'}
