package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/homebell/homebell/internal/model"
)

// fieldChecker is a request input that knows its own field rules (required members, lengths,
// formats). decodeJSON runs them on every body, beside the decoding faults, so one answer names
// every bad field at once (issue #11: an unknown member used to hide a missing name). Rules that
// need the database or the clock stay in the services.
type fieldChecker interface {
	checkFields(v *model.Validator)
}

// decodeFields decodes body, a JSON object, into the struct dst points to, member by member, and
// returns a field error for each unknown member and each member of the wrong type. ok is false
// when dst is not a pointer to a plain struct (the caller then decodes it whole).
func decodeFields(body []byte, dst any) (faults []model.FieldError, ok bool, err error) {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return nil, false, nil
	}
	if _, custom := dst.(json.Unmarshaler); custom {
		return nil, false, nil
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			return nil, true, model.Errorf(model.CodeInvalid, "the body must be a JSON object")
		}
		return nil, true, err
	}
	if members == nil { // the body was null
		return nil, true, model.Errorf(model.CodeInvalid, "the body must be a JSON object")
	}
	fields := jsonFields(rv.Elem().Type())
	names := make([]string, 0, len(members))
	for name := range members {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		index, known := fields[name]
		if !known {
			faults = append(faults, model.FieldError{Field: name, Message: "unknown field"})
			continue
		}
		f := rv.Elem().FieldByIndex(index)
		if err := json.Unmarshal(members[name], f.Addr().Interface()); err != nil {
			f.SetZero()
			faults = append(faults, model.FieldError{Field: name, Message: typeMessage(err)})
		}
	}
	return faults, true, nil
}

// typeMessage says what a member should have been.
func typeMessage(err error) string {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		if typ.Field != "" {
			return "must be " + jsonKind(typ.Type) + " at " + typ.Field
		}
		return "must be " + jsonKind(typ.Type)
	}
	var me *model.Error
	if errors.As(err, &me) {
		if len(me.Fields) == 1 {
			return me.Fields[0].Message
		}
		return me.Message
	}
	return "is not valid: " + strings.TrimPrefix(err.Error(), "json: ")
}

// jsonKind names a Go type as a client sees it.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return t.String()
}

var fieldCache sync.Map // reflect.Type → map[string][]int

// jsonFields maps each JSON member name of a struct type to its field's index path, following
// embedded structs as encoding/json does.
func jsonFields(t reflect.Type) map[string][]int {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string][]int)
	}
	out := map[string][]int{}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			index := append(append([]int(nil), prefix...), i)
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type, index)
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, taken := out[name]; !taken || len(prefix) == 0 {
				out[name] = index
			}
		}
	}
	walk(t, nil)
	fieldCache.Store(t, out)
	return out
}

// mergeFields adds the input's own rule faults to the decoding faults, one per field (the
// decoding fault wins: a member of the wrong type was zeroed and would read as missing).
func mergeFields(faults []model.FieldError, dst any) []model.FieldError {
	fc, ok := dst.(fieldChecker)
	if !ok {
		return faults
	}
	var v model.Validator
	fc.checkFields(&v)
	seen := map[string]bool{}
	for _, f := range faults {
		seen[f.Field] = true
	}
	for _, f := range v.Fields() {
		if !seen[f.Field] {
			faults = append(faults, f)
			seen[f.Field] = true
		}
	}
	return faults
}

// trailingData reports whether anything but white space follows the first JSON value.
func trailingData(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	var skip json.RawMessage
	if err := dec.Decode(&skip); err != nil {
		return false
	}
	return dec.More()
}
