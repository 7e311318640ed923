package contract

import (
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/homebell/homebell/internal/api"
)

// TestX6DocumentIsValidOpenAPI validates the document with a real OpenAPI 3.1 validator.
func TestX6DocumentIsValidOpenAPI(t *testing.T) {
	if err := ValidateDocument(); err != nil {
		t.Fatal(err)
	}
}

// TestX6DocumentHasNoStrayKeys catches the YAML slip a validator may let through: an unquoted
// comma inside a flow mapping ({description: a, b}) makes "b" a key with no value, silently
// truncating the text.
func TestX6DocumentHasNoStrayKeys(t *testing.T) {
	var doc any
	if err := yaml.Unmarshal(api.OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(x any, path string)
	walk = func(x any, path string) {
		switch x := x.(type) {
		case map[string]any:
			for k, v := range x {
				if v == nil {
					t.Errorf("openapi.yaml: %s/%s has no value (an unquoted comma in a flow mapping?)", path, k)
				}
				walk(v, path+"/"+k)
			}
		case []any:
			for _, v := range x {
				walk(v, path+"/-")
			}
		}
	}
	walk(doc, "")
}

// TestX6EveryOperationHasAUniqueIDAndASummary: client generators name their methods after
// operationId, so every operation has one, camelCase, shared by no other; and a summary.
func TestX6EveryOperationHasAUniqueIDAndASummary(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(api.OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	methods := []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}
	camel := regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)
	seen := map[string]string{}
	n := 0
	for path, item := range doc.Paths {
		for _, m := range methods {
			raw, ok := item[m]
			if !ok {
				continue
			}
			n++
			op, _ := raw.(map[string]any)
			name := strings.ToUpper(m) + " " + path
			if s, _ := op["summary"].(string); strings.TrimSpace(s) == "" {
				t.Errorf("%s has no summary", name)
			}
			id, _ := op["operationId"].(string)
			switch {
			case id == "":
				t.Errorf("%s has no operationId", name)
			case !camel.MatchString(id):
				t.Errorf("%s: operationId %q is not camelCase", name, id)
			case seen[id] != "":
				t.Errorf("%s and %s share the operationId %q", seen[id], name, id)
			default:
				seen[id] = name
			}
		}
	}
	if n < 100 {
		t.Fatalf("found only %d operations under paths: (the document's shape changed?)", n)
	}
}

// TestX6EverySuccessAnswerHasASchema: a success answer with a body says what the body is, so a
// generated client gets a type for it and the contract check can hold the answer to it (issue
// #11 found 15 that said only "{token, person}" in prose). 204 has no body.
func TestX6EverySuccessAnswerHasASchema(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(api.OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for path, item := range doc.Paths {
		for method, op := range item {
			opm, ok := op.(map[string]any)
			if method == "parameters" || !ok {
				continue
			}
			responses, _ := opm["responses"].(map[string]any)
			for code, res := range responses {
				resm, _ := res.(map[string]any)
				if !strings.HasPrefix(code, "2") || code == "204" || resm["$ref"] != nil {
					continue
				}
				n++
				content, _ := resm["content"].(map[string]any)
				if len(content) == 0 {
					t.Errorf("%s %s → %s has no content: document the body's schema", strings.ToUpper(method), path, code)
				}
				for media, c := range content {
					cm, _ := c.(map[string]any)
					if s, _ := cm["schema"].(map[string]any); len(s) == 0 {
						t.Errorf("%s %s → %s %s has no schema", strings.ToUpper(method), path, code, media)
					}
				}
			}
		}
	}
	if n < 50 {
		t.Fatalf("only %d success answers found: the document's shape changed under this test", n)
	}
}
