package contract

import (
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
