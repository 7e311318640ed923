package api

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// TestHandlersOpenNoTransaction keeps the rule of the house (DESIGN.md): handlers parse, call one
// service method and answer; services own every write. No file of this package may open a
// transaction or write through the store.
func TestHandlersOpenNoTransaction(t *testing.T) {
	// idempotent records Idempotency-Key answers; issue #10 moves that into the action's own
	// transaction, after which it too opens none.
	allowed := map[string]bool{"idempotent": true}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil || allowed[fn.Name.Name] {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if ok && (sel.Sel.Name == "InTx" || sel.Sel.Name == "BeginTx") {
					t.Errorf("%s: %s opens a transaction (%s); move the write into a service",
						fset.Position(sel.Pos()), fn.Name.Name, sel.Sel.Name)
				}
				if fl, ok := n.(*ast.FuncLit); ok {
					for _, p := range fl.Type.Params.List {
						if st, ok := p.Type.(*ast.StarExpr); ok {
							if s, ok := st.X.(*ast.SelectorExpr); ok && s.Sel.Name == "Tx" {
								t.Errorf("%s: %s takes a *store.Tx; move the write into a service", fset.Position(fl.Pos()), fn.Name.Name)
							}
						}
					}
				}
				return true
			})
		}
	}
}
