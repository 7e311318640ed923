package api

import (
	"bufio"
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/homebell/homebell/internal/model"
)

var (
	openAPIPath   = regexp.MustCompile(`^  (/\S*):\s*$`)
	openAPIMethod = regexp.MustCompile(`^    (get|put|post|patch|delete):`)
)

// openAPIOperations reads "METHOD /path" for every operation of the document, with a tiny
// line-based reader: paths are the two-space-indented keys under "paths:", methods the
// four-space-indented keys under a path.
func openAPIOperations(t *testing.T, doc []byte) []string {
	t.Helper()
	var ops []string
	inPaths, path := false, ""
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for sc.Scan() {
		line := sc.Text()
		if line != "" && line[0] != ' ' && line[0] != '#' {
			inPaths = line == "paths:"
			continue
		}
		if !inPaths {
			continue
		}
		if m := openAPIPath.FindStringSubmatch(line); m != nil {
			path = m[1]
		} else if m := openAPIMethod.FindStringSubmatch(line); m != nil {
			if path == "" {
				t.Fatalf("openapi.yaml: method %q outside a path", line)
			}
			ops = append(ops, strings.ToUpper(m[1])+" "+path)
		}
	}
	if len(ops) == 0 {
		t.Fatal("openapi.yaml: no operations found under paths:")
	}
	return ops
}

// routeOperation turns a ServeMux pattern into "METHOD /path" as OpenAPI writes it:
// {name...} is {name}, a trailing {$} is dropped. ok is false for patterns without a method.
func routeOperation(pattern string) (string, bool) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		return "", false
	}
	path = strings.TrimSuffix(path, "{$}")
	path = strings.ReplaceAll(path, "...}", "}")
	return method + " " + path, true
}

func TestOpenAPIListsEveryRouteAndNothingElse(t *testing.T) {
	a := &API{}
	var table []string
	for _, rt := range a.routes() {
		if rt.Pattern == "/v1/" { // the catch-all that answers unknown API paths with 404
			continue
		}
		op, ok := routeOperation(rt.Pattern)
		if !ok {
			t.Errorf("route %q has no method; only the /v1/ catch-all may omit it", rt.Pattern)
			continue
		}
		if slices.Contains(table, op) {
			t.Errorf("route %s is in the table twice", op)
		}
		table = append(table, op)
	}
	doc := openAPIOperations(t, openAPI)
	for _, op := range table {
		if !slices.Contains(doc, op) {
			t.Errorf("route %s is missing from internal/api/openapi.yaml", op)
		}
	}
	for _, op := range doc {
		if op == "GET /metrics" { // served by the mux itself (Prometheus), outside the route table
			continue
		}
		if !slices.Contains(table, op) {
			t.Errorf("openapi.yaml documents %s, which is not in the route table (routes.go)", op)
		}
	}
}

func TestRouteTableStatesRolesForEveryAPIRoute(t *testing.T) {
	public := map[string]bool{
		"GET /healthz": true, "GET /readyz": true, "GET /openapi.yaml": true,
		"GET /v1/demo/people": true, "POST /v1/demo/sign-in": true, "/v1/": true,
		// Y1: a gateway's receipt carries no credential; its signature (the endpoint's secret) is it.
		"POST /v1/deliveries/receipts": true,
	}
	for _, rt := range (&API{}).routes() {
		if rt.Roles == nil && !public[rt.Pattern] {
			t.Errorf("route %s admits everyone: list its roles, or add it to the public list here on purpose", rt.Pattern)
		}
		if rt.Creates && !strings.HasPrefix(rt.Pattern, "POST ") {
			t.Errorf("route %s honours Idempotency-Key but is not a POST", rt.Pattern)
		}
	}
}

func TestErrorCatalogue(t *testing.T) {
	enum := problemCodeEnum(t, openAPI)
	titles := map[string]model.Code{}
	for _, c := range model.Codes() {
		if s := c.Status(); s < 400 || s > 599 {
			t.Errorf("code %s has status %d, want 4xx or 5xx", c, s)
		}
		if c != model.CodeInternal && c.Status() == 500 {
			t.Errorf("code %s maps to 500 like an unknown code would", c)
		}
		if c.Title() == "" {
			t.Errorf("code %s has no title", c)
		}
		if other, ok := titles[c.Title()]; ok {
			t.Errorf("codes %s and %s share the title %q", c, other, c.Title())
		}
		titles[c.Title()] = c
		if !slices.Contains(enum, string(c)) {
			t.Errorf("code %s is missing from the Problem.code enum of openapi.yaml", c)
		}
		// The problem document a client receives carries the same code, status and title.
		p := problemFor(&model.Error{Code: c, Message: "m"})
		if p.Code != c || p.Status != c.Status() || p.Title != c.Title() || p.Type != "urn:homebell:problem:"+string(c) {
			t.Errorf("problem for %s = %+v", c, p)
		}
	}
	for _, e := range enum {
		if !slices.Contains(model.Codes(), model.Code(e)) {
			t.Errorf("openapi.yaml lists code %q, which is not in the catalogue (internal/model/errors.go)", e)
		}
	}
	if got := model.Code("no_such_code").Status(); got != 500 {
		t.Errorf("an unknown code maps to %d, want 500", got)
	}
	// An error without a code is internal, and its text is never shown.
	if p := problemFor(bytes.ErrTooLarge); p.Code != model.CodeInternal || strings.Contains(p.Detail, "too large") {
		t.Errorf("problem for a plain error = %+v", p)
	}
}

// problemCodeEnum reads components.schemas.Problem.properties.code.enum, a one-line flow list.
func problemCodeEnum(t *testing.T, doc []byte) []string {
	t.Helper()
	lines := strings.Split(string(doc), "\n")
	i := slices.Index(lines, "    Problem:")
	for ; i >= 0 && i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) == "code:" {
			break
		}
	}
	for ; i >= 0 && i < len(lines); i++ {
		if l := strings.TrimSpace(lines[i]); strings.HasPrefix(l, "enum: [") && strings.HasSuffix(l, "]") {
			var out []string
			for _, c := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(l, "enum: ["), "]"), ",") {
				out = append(out, strings.TrimSpace(c))
			}
			return out
		}
	}
	t.Fatal("openapi.yaml: no components.schemas.Problem code enum found")
	return nil
}
