package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

// TestNoStoreTypeInAnswers keeps the store's structs out of the API contract (DESIGN.md: domain
// types live in model, never in store): the package is type-checked, and the static type of every
// value handed to the JSON encoder (writeJSON, jsonEncode) is walked through its fields, elements
// and type arguments; no type declared in internal/store may be reached.
func TestNoStoreTypeInAnswers(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks the package against its dependencies' export data")
	}
	fset := token.NewFileSet()
	files := parseDir(t, fset, ".")
	exports := exportData(t)
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
	conf := types.Config{Importer: imp}
	if _, err := conf.Check("github.com/homebell/homebell/internal/api", fset, files, info); err != nil {
		t.Fatal(err)
	}
	encoders := map[string]int{"writeJSON": 2, "jsonEncode": 1} // function: index of the value
	checked := 0
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			id, ok := call.Fun.(*ast.Ident)
			if !ok {
				return true
			}
			i, ok := encoders[id.Name]
			if !ok || len(call.Args) <= i {
				return true
			}
			checked++
			tv := info.Types[call.Args[i]]
			if path := storeTypeIn(tv.Type, map[types.Type]bool{}); path != "" {
				t.Errorf("%s: the answer (%s) serialises %s; answer with a model type or a response type of the API",
					fset.Position(call.Pos()), types.TypeString(tv.Type, nil), path)
			}
			return true
		})
	}
	if checked < 50 {
		t.Fatalf("found only %d answers to check; has the encoder been renamed?", checked)
	}
}

// storeTypeIn returns the path to a type declared in internal/store reachable from t through what
// encoding/json would write, or "".
func storeTypeIn(t types.Type, seen map[types.Type]bool) string {
	if t == nil || seen[t] {
		return ""
	}
	seen[t] = true
	switch u := t.(type) {
	case *types.Named:
		if p := u.Obj().Pkg(); p != nil && strings.HasSuffix(p.Path(), "/internal/store") {
			return "store." + u.Obj().Name()
		}
		if args := u.TypeArgs(); args != nil {
			for i := range args.Len() {
				if p := storeTypeIn(args.At(i), seen); p != "" {
					return u.Obj().Name() + "[" + p + "]"
				}
			}
		}
		if p := storeTypeIn(u.Underlying(), seen); p != "" {
			return u.Obj().Name() + "." + p
		}
	case *types.Alias:
		return storeTypeIn(types.Unalias(u), seen)
	case *types.Pointer:
		return storeTypeIn(u.Elem(), seen)
	case *types.Slice:
		return storeTypeIn(u.Elem(), seen)
	case *types.Array:
		return storeTypeIn(u.Elem(), seen)
	case *types.Map:
		return storeTypeIn(u.Elem(), seen)
	case *types.Struct:
		for i := range u.NumFields() {
			f := u.Field(i)
			tag := reflect.StructTag(u.Tag(i)).Get("json")
			if tag == "-" || (!f.Exported() && !f.Embedded()) {
				continue
			}
			if p := storeTypeIn(f.Type(), seen); p != "" {
				return f.Name() + "." + p
			}
		}
	}
	return ""
}

// exportData maps each dependency of this package to its compiled export data (go list -export).
func exportData(t *testing.T) map[string]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-export", "-deps", "-json=ImportPath,Export", ".")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list: %v\n%s", err, errb.String())
	}
	m := map[string]string{}
	dec := json.NewDecoder(&out)
	for dec.More() {
		var p struct{ ImportPath, Export string }
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.Export != "" {
			m[p.ImportPath] = p.Export
		}
	}
	return m
}
