// Package contract checks HTTP answers against homebell's OpenAPI document
// (internal/api/openapi.yaml) with a real OpenAPI 3.1 validator. The whole-program test client
// (internal/app/apptest) runs every answer it receives through it, so an undocumented status, a
// missing header or a body that disagrees with its schema fails the test that saw it.
package contract

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	verrors "github.com/pb33f/libopenapi-validator/errors"

	"github.com/homebell/homebell/internal/api"
)

var (
	once     sync.Once
	mu       sync.Mutex // the validator's caches are not documented as safe for concurrent use
	v        validator.Validator
	buildErr error
)

func load() {
	closed, err := closeSchemas(api.OpenAPIDocument())
	if err != nil {
		buildErr = fmt.Errorf("contract: close openapi.yaml's schemas: %w", err)
		return
	}
	doc, err := libopenapi.NewDocument(closed)
	if err != nil {
		buildErr = fmt.Errorf("contract: parse openapi.yaml: %w", err)
		return
	}
	var errs []error
	v, errs = validator.NewValidator(doc)
	if len(errs) > 0 {
		buildErr = fmt.Errorf("contract: openapi.yaml: %v", errs)
	}
}

// ValidateDocument checks the document itself against the OpenAPI 3.1 schema.
func ValidateDocument() error {
	once.Do(load)
	if buildErr != nil {
		return buildErr
	}
	mu.Lock()
	defer mu.Unlock()
	if ok, errs := v.ValidateDocument(); !ok {
		return describe("openapi.yaml is not a valid OpenAPI 3.1 document", errs)
	}
	return nil
}

// Checked reports whether an answer to this request is described by the document: the API's
// routes, not the web app's static files, and not the streams (a WebSocket upgrade or an endless
// SSE body).
func Checked(method, path string) bool {
	switch {
	case path == "/v1/stream" || path == "/v1/events":
		return false
	case strings.HasPrefix(path, "/v1/"), path == "/healthz", path == "/readyz", path == "/openapi.yaml", path == "/metrics":
		return true
	}
	return false
}

// CheckResponse checks one answer (status, headers, body) against the operation the request
// matched. An answer to a path the document does not have is fine only as a 404 or 405 problem.
func CheckResponse(req *http.Request, status int, header http.Header, body []byte) error {
	if !Checked(req.Method, req.URL.Path) {
		return nil
	}
	once.Do(load)
	if buildErr != nil {
		return buildErr
	}
	res := &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(bytes.NewReader(body)),
		Request: req, ContentLength: int64(len(body))}
	// The validator reads the request's body for nothing here; give it an empty one.
	r2 := req.Clone(req.Context())
	r2.Body = io.NopCloser(bytes.NewReader(nil))
	mu.Lock()
	ok, errs := v.ValidateHttpResponse(r2, res)
	mu.Unlock()
	if ok {
		return nil
	}
	if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
		only := true
		for _, e := range errs {
			if e.ValidationType != "path" {
				only = false
			}
		}
		if only {
			return nil // an unknown route answered with a problem document, as it must
		}
	}
	return describe(fmt.Sprintf("%s %s → %d does not match internal/api/openapi.yaml (document the status, headers and body of this operation)",
		req.Method, req.URL.Path, status), errs)
}

// CheckRequest checks a request the server accepted (answered 2xx) against the operation it
// matched: a body or parameter the server takes must be one the document allows, or clients
// generated from it could not send it. Requests the server refused are not checked — tests send
// bad input on purpose. body is the request's body as sent.
func CheckRequest(req *http.Request, body []byte, status int) error {
	if status < 200 || status > 299 || !Checked(req.Method, req.URL.Path) {
		return nil
	}
	once.Do(load)
	if buildErr != nil {
		return buildErr
	}
	r2 := req.Clone(req.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	mu.Lock()
	ok, errs := v.ValidateHttpRequest(r2)
	mu.Unlock()
	if ok {
		return nil
	}
	return describe(fmt.Sprintf("%s %s was accepted (%d) but the request does not match internal/api/openapi.yaml (document its parameters and body)",
		req.Method, req.URL.Path, status), errs)
}

func describe(what string, errs []*verrors.ValidationError) error {
	var b strings.Builder
	b.WriteString(what)
	for _, e := range errs {
		fmt.Fprintf(&b, "\n  - %s: %s", e.Message, e.Reason)
		for _, se := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n      at %s: %s", se.FieldPath, se.Reason)
		}
	}
	return fmt.Errorf("%s", b.String())
}
