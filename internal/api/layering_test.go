package api

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestHandlersOpenNoTransaction keeps the rule of the house (DESIGN.md): handlers parse, call one
// service method and answer; services own every write. No file of this package may open a
// transaction, hold a *store.Tx, put an Idempotency-Key claim in a context, or call a method of
// the store that writes (found by reading internal/store: a method writes when its SQL inserts,
// updates or deletes, when it opens a transaction, or when it calls a method that does).
func TestHandlersOpenNoTransaction(t *testing.T) {
	writes := storeWriteMethods(t)
	// The classification must keep finding what it is meant to find, or this test passes vacuously.
	for name, want := range map[string]bool{"PutSetting": true, "RecordIdempotencyAnswer": true,
		"InsertNotification": true, "Person": false, "IdempotencyKey": false} {
		if writes[name] != want {
			t.Errorf("store method %s classified as write=%v, want %v", name, writes[name], want)
		}
	}
	fset := token.NewFileSet()
	for _, f := range parseDir(t, fset, ".") {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				pos := fset.Position(n.Pos())
				switch {
				case n.Sel.Name == "InTx" || n.Sel.Name == "BeginTx":
					t.Errorf("%s: opens a transaction (%s); move the write into a service", pos, n.Sel.Name)
				case isIdent(n.X, "store") && (n.Sel.Name == "Tx" || n.Sel.Name == "WithIdempotencyClaim"):
					t.Errorf("%s: uses store.%s; move the write into a service", pos, n.Sel.Name)
				case writes[n.Sel.Name] && isStoreValue(n.X):
					t.Errorf("%s: calls the store's write method %s; move the write into a service", pos, n.Sel.Name)
				}
			}
			return true
		})
	}
}

// parseDir parses the non-test Go files of dir.
func parseDir(t *testing.T, fset *token.FileSet, dir string) []*ast.File {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// isStoreValue reports an expression that names the store in this package: a.Store, or
// a.Store.Queries.
func isStoreValue(e ast.Expr) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	if sel.Sel.Name == "Queries" {
		return isStoreValue(sel.X) || isIdent(sel.X, "Store")
	}
	return sel.Sel.Name == "Store"
}

var writeSQL = regexp.MustCompile(`(?is)^\s*(WITH\b.*\b(INSERT|UPDATE|DELETE)\b|INSERT\b|UPDATE\b|DELETE\b|UPSERT\b)`)

// storeWriteMethods reads internal/store and names its methods (on Queries, Store, Tx) that
// write: their own SQL writes, they open a transaction or run a statement with ExecContext, or
// they call another method of the store that writes.
func storeWriteMethods(t *testing.T) map[string]bool {
	fset := token.NewFileSet()
	type method struct {
		direct bool
		calls  []string
	}
	methods := map[string]*method{}
	for _, f := range parseDir(t, fset, filepath.Join("..", "store")) {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			m := &method{}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.BasicLit:
					if n.Kind == token.STRING {
						if s, err := strconv.Unquote(n.Value); err == nil && writeSQL.MatchString(s) {
							m.direct = true
						}
					}
				case *ast.CallExpr:
					switch fun := n.Fun.(type) {
					case *ast.SelectorExpr:
						if fun.Sel.Name == "InTx" || fun.Sel.Name == "ExecContext" || fun.Sel.Name == "begin" {
							m.direct = true
						}
						m.calls = append(m.calls, fun.Sel.Name)
					case *ast.Ident:
						m.calls = append(m.calls, fun.Name)
					}
				}
				return true
			})
			name := fn.Name.Name
			if prev, ok := methods[name]; ok { // the same name on two receivers: either writing counts
				prev.direct = prev.direct || m.direct
				prev.calls = append(prev.calls, m.calls...)
				continue
			}
			methods[name] = m
		}
	}
	writes := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for name, m := range methods {
			if writes[name] {
				continue
			}
			w := m.direct
			for _, c := range m.calls {
				w = w || writes[c]
			}
			if w {
				writes[name], changed = true, true
			}
		}
	}
	return writes
}
