package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strings"
)

// typeDocs are the doc comments of one struct type: the type's own and each
// field's by Go field name.
type typeDocs struct {
	doc    string
	fields map[string]string
}

// docIndex reads doc comments from the module's source, one package at a
// time, so the reference says what the code's comments say.
type docIndex struct {
	root, module string
	pkgs         map[string]map[string]*typeDocs // import path → type name → docs
}

func newDocIndex(root string) (*docIndex, error) {
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil, err
	}
	module := ""
	for _, line := range strings.Split(string(mod), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
			module = f[1]
		}
	}
	return &docIndex{root: root, module: module, pkgs: map[string]map[string]*typeDocs{}}, nil
}

// of returns the docs of a named struct type, or empty docs when its source
// is not in this module.
func (x *docIndex) of(t reflect.Type) *typeDocs {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	types, ok := x.pkgs[t.PkgPath()]
	if !ok {
		types = x.load(t.PkgPath())
		x.pkgs[t.PkgPath()] = types
	}
	if d, ok := types[t.Name()]; ok {
		return d
	}
	return &typeDocs{fields: map[string]string{}}
}

func (x *docIndex) load(pkgPath string) map[string]*typeDocs {
	out := map[string]*typeDocs{}
	rel, ok := strings.CutPrefix(pkgPath, x.module)
	if !ok {
		return out
	}
	dir := filepath.Join(x.root, filepath.FromSlash(strings.TrimPrefix(rel, "/")))
	fset := token.NewFileSet()
	ents, err := os.ReadDir(dir)
	if err != nil {
		return out
	}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
		if err != nil {
			continue
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				td := &typeDocs{doc: text(ts.Doc), fields: map[string]string{}}
				if td.doc == "" && len(gd.Specs) == 1 {
					td.doc = text(gd.Doc)
				}
				readFields(fset, st, td)
				out[ts.Name.Name] = td
			}
		}
	}
	return out
}

// readFields records each field's doc comment. A field without one shares
// the comment of the field on the line just above it when that comment
// names it ("Index, Sourcetype, Source and Host are …").
func readFields(fset *token.FileSet, st *ast.StructType, td *typeDocs) {
	prevDoc, prevLine := "", -1
	for _, f := range st.Fields.List {
		d := text(f.Doc)
		if d == "" {
			d = text(f.Comment)
		}
		line := fset.Position(f.Pos()).Line
		for _, n := range f.Names {
			got := d
			if got == "" && line == prevLine+1 && mentions(prevDoc, n.Name) {
				got = prevDoc
			}
			td.fields[n.Name] = got
		}
		if d != "" || line != prevLine+1 {
			prevDoc = d
		}
		prevLine = fset.Position(f.End()).Line
	}
}

// mentions reports whether a doc comment names a Go identifier as a word.
func mentions(doc, name string) bool {
	for _, w := range strings.FieldsFunc(doc, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		if w == name {
			return true
		}
	}
	return false
}

// text flattens a comment group into one paragraph.
func text(cg *ast.CommentGroup) string {
	if cg == nil {
		return ""
	}
	return strings.Join(strings.Fields(cg.Text()), " ")
}

// packageDoc returns the first sentence of the doc comment of t's package.
func (x *docIndex) packageDoc(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	rel, ok := strings.CutPrefix(t.PkgPath(), x.module)
	if !ok {
		return ""
	}
	dir := filepath.Join(x.root, filepath.FromSlash(strings.TrimPrefix(rel, "/")))
	pkgs, err := parser.ParseDir(token.NewFileSet(), dir, func(fi os.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		return ""
	}
	for _, p := range pkgs {
		for _, f := range p.Files {
			if d := text(f.Doc); d != "" {
				if i := strings.Index(d, ". "); i >= 0 {
					d = d[:i+1]
				}
				return d
			}
		}
	}
	return ""
}
