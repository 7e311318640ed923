package api

import (
	"io"
	"net/http"
	"strconv"

	"github.com/homebell/homebell/internal/model"
)

// jsonEncode writes an answer; every timestamp in it has the one form of model.TimeLayout.
func jsonEncode(w io.Writer, v any) error { return model.EncodeJSON(w, v) }

// queryInt reads an integer query parameter within [min, max], def when absent.
func queryInt(r *http.Request, name string, def, min, max int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		return 0, model.Invalid(model.FieldError{Field: name, Message: "must be an integer from " + strconv.Itoa(min) + " to " + strconv.Itoa(max)})
	}
	return n, nil
}

// page is the envelope of every list: items and the cursor of the next page ("" at the end).
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}
