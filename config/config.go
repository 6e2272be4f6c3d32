// Package config loads forwarder's HCL files into a Config: the blocks as
// written, with source ranges and no behaviour. Component bodies (sources,
// sinks) stay undecoded here; plan decodes them against their
// factory's schema. Every problem is a diagnostic with a source range.
package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/forwarder/forwarder/internal/detail"
	"github.com/forwarder/forwarder/rules"
)

// Config is every block of a configuration, in file order.
type Config struct {
	Sources []*Component
	Sinks   []*Component
	Rules   []*Rule
	Routes  []*Route
	Tests   []*Test
	// Files maps file names to parsed files, for rendering snippets.
	Files map[string]*hcl.File
	// Paths are the files read, sorted.
	Paths []string
	// Checksum is a hash of every file's bytes: equal checksums mean nothing
	// changed, so a reload can be skipped.
	Checksum string
	// Dir is the directory relative paths in file() resolve against, and
	// the one directory file() may read by default.
	Dir string
	// Unparsed lists the files with syntax errors. Their blocks are not
	// decoded, and plan adds no semantic diagnostics to such a
	// configuration: "undeclared" or "unused" about a half-read file only
	// mislead.
	Unparsed []string
	// FileDirs are further directories file() may read (SetFileDirs).
	FileDirs []string
}

// Component is a source or sink block: `source "TYPE" "NAME" { … }`.
type Component struct {
	Type, Name           string
	Body                 hcl.Body
	DefRange             hcl.Range
	TypeRange, NameRange hcl.Range
}

// Key is "TYPE.NAME", unique among blocks of one kind.
func (c *Component) Key() string { return c.Type + "." + c.Name }

// Rule is a `rule "NAME" { … }` block, as rules.Spec plus ranges.
type Rule struct {
	Spec      rules.Spec
	NameRange hcl.Range
}

// Route is a `route "NAME" { … }` block. References stay traversals until
// plan resolves them.
type Route struct {
	Name       string
	From       []hcl.Traversal
	Rules      []hcl.Traversal
	To         []hcl.Traversal
	DeadLetter hcl.Traversal
	DefRange   hcl.Range
	NameRange  hcl.Range
	// ToRange is the range of the `to` attribute (for "empty to").
	ToRange hcl.Range
}

// Test is a `test "NAME" { … }` block: an input event run through a route,
// with what must come out.
type Test struct {
	Name          string
	Route         hcl.Traversal
	Input         map[string]cty.Value
	Expect        map[string]cty.Value
	ExpectMeta    map[string]string
	ExpectDropped bool
	ExpectDead    bool
	DefRange      hcl.Range
}

var rootSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "source", LabelNames: []string{"type", "name"}},
		{Type: "sink", LabelNames: []string{"type", "name"}},
		{Type: "rule", LabelNames: []string{"name"}},
		{Type: "route", LabelNames: []string{"name"}},
		{Type: "test", LabelNames: []string{"name"}},
	},
}

// Load reads the given files and directories (their *.hcl files, sorted)
// and returns the merged configuration. Diagnostics cover every file; the
// Config is usable only when they have no errors.
func Load(paths ...string) (*Config, hcl.Diagnostics) {
	files, diags := expand(paths)
	if diags.HasErrors() {
		return nil, diags
	}
	p := hclparse.NewParser()
	cfg := &Config{Files: map[string]*hcl.File{}, Paths: files, FileDirs: currentFileDirs()}
	if len(paths) > 0 {
		if st, err := os.Stat(paths[0]); err == nil && st.IsDir() {
			cfg.Dir = paths[0]
		} else {
			cfg.Dir = filepath.Dir(paths[0])
		}
	}
	sum := sha256.New()
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read configuration file", Detail: err.Error() + "."})
			continue
		}
		fmt.Fprintf(sum, "%s\x00%d\x00", name, len(src))
		sum.Write(src)
		f, d := p.ParseHCL(src, name)
		diags = append(diags, d...)
		if f != nil {
			cfg.Files[name] = f
		}
		if f == nil || d.HasErrors() {
			cfg.Unparsed = append(cfg.Unparsed, name)
			continue
		}
		diags = append(diags, cfg.decodeFile(f, src)...)
	}
	cfg.Checksum = hex.EncodeToString(sum.Sum(nil))
	return cfg, diags
}

// Files lists the .hcl files that Load would read for paths, sorted.
func Files(paths ...string) ([]string, hcl.Diagnostics) { return expand(paths) }

// expand turns paths into a sorted list of .hcl files.
func expand(paths []string) ([]string, hcl.Diagnostics) {
	var out []string
	var diags hcl.Diagnostics
	if len(paths) == 0 {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No configuration given", Detail: "Name a .hcl file or a directory of .hcl files."}}
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read configuration", Detail: err.Error() + "."})
			continue
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read configuration directory", Detail: err.Error() + "."})
			continue
		}
		n := 0
		for _, e := range ents {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".hcl") && !strings.HasPrefix(e.Name(), ".") {
				out = append(out, filepath.Join(p, e.Name()))
				n++
			}
		}
		if n == 0 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No configuration files", Detail: fmt.Sprintf("Directory %s holds no .hcl file.", p)})
		}
	}
	sort.Strings(out)
	return out, diags
}

func (cfg *Config) decodeFile(f *hcl.File, src []byte) hcl.Diagnostics {
	content, diags := f.Body.Content(rootSchema)
	for _, b := range content.Blocks {
		switch b.Type {
		case "source", "sink":
			c := &Component{Type: b.Labels[0], Name: b.Labels[1], Body: b.Body, DefRange: b.DefRange, TypeRange: b.LabelRanges[0], NameRange: b.LabelRanges[1]}
			diags = append(diags, checkName(b.Labels[1], b.LabelRanges[1])...)
			if b.Type == "source" {
				cfg.Sources = append(cfg.Sources, c)
			} else {
				cfg.Sinks = append(cfg.Sinks, c)
			}
		case "rule":
			r, d := decodeRule(b, src)
			diags = append(diags, d...)
			if r != nil {
				cfg.Rules = append(cfg.Rules, r)
			}
		case "route":
			r, d := decodeRoute(b)
			diags = append(diags, d...)
			if r != nil {
				cfg.Routes = append(cfg.Routes, r)
			}
		case "test":
			t, d := decodeTest(b)
			diags = append(diags, d...)
			if t != nil {
				cfg.Tests = append(cfg.Tests, t)
			}
		}
	}
	return diags
}

// checkName requires block names to be identifiers, so they can be
// referenced as sink.TYPE.NAME.
func checkName(name string, rng hcl.Range) hcl.Diagnostics {
	if hclsyntax.ValidIdentifier(name) {
		return nil
	}
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid block name", Detail: fmt.Sprintf("%q is not a valid name: use letters, digits, underscores and dashes, starting with a letter.", name), Subject: rng.Ptr()}}
}

var ruleSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "filter"}, {Name: "decode_json"}, {Name: "set"}, {Name: "delete"}, {Name: "meta"}, {Name: "on_error"}, {Name: "description"},
}}

func decodeRule(b *hcl.Block, src []byte) (*Rule, hcl.Diagnostics) {
	content, diags := b.Body.Content(ruleSchema)
	diags = append(diags, checkName(b.Labels[0], b.LabelRanges[0])...)
	r := &Rule{Spec: rules.Spec{Name: b.Labels[0], DefRange: b.DefRange}, NameRange: b.LabelRanges[0]}
	if a, ok := content.Attributes["filter"]; ok {
		e, d := exprOf(a.Expr, src)
		diags = append(diags, d...)
		r.Spec.Filter = e
	}
	for _, name := range []string{"decode_json", "delete"} {
		a, ok := content.Attributes[name]
		if !ok {
			continue
		}
		var list []string
		d := gohcl.DecodeExpression(a.Expr, nil, &list)
		diags = append(diags, d...)
		if name == "decode_json" {
			r.Spec.DecodeJSON = list
		} else {
			r.Spec.Delete = list
		}
	}
	for _, name := range []string{"set", "meta"} {
		a, ok := content.Attributes[name]
		if !ok {
			continue
		}
		pairs, d := hcl.ExprMap(a.Expr)
		diags = append(diags, d...)
		var out []rules.Assign
		for _, kv := range pairs {
			key, d := keyString(kv.Key)
			diags = append(diags, d...)
			e, d := exprOf(kv.Value, src)
			diags = append(diags, d...)
			if key != "" && e != nil {
				out = append(out, rules.Assign{Key: key, KeyRange: kv.Key.Range(), Value: *e})
			}
		}
		if name == "set" {
			r.Spec.Set = out
		} else {
			r.Spec.Meta = out
		}
	}
	if a, ok := content.Attributes["on_error"]; ok {
		var s string
		d := gohcl.DecodeExpression(a.Expr, nil, &s)
		diags = append(diags, d...)
		if !d.HasErrors() {
			oe, err := rules.ParseOnError(s)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid on_error", Detail: detail.FromError(err), Subject: a.Expr.Range().Ptr()})
			}
			r.Spec.OnError = oe
		}
	}
	return r, diags
}

// keyString reads a map key: a bare word or a quoted string.
func keyString(e hcl.Expression) (string, hcl.Diagnostics) {
	if k := hcl.ExprAsKeyword(e); k != "" {
		return k, nil
	}
	var s string
	d := gohcl.DecodeExpression(e, nil, &s)
	return s, d
}

// exprOf reads a rule expression: a literal string or heredoc, evaluated with
// no variables or functions (rules are pure). It records the range of the
// text itself so expr errors can point inside it.
func exprOf(e hcl.Expression, src []byte) (*rules.Expr, hcl.Diagnostics) {
	v, diags := e.Value(nil)
	if diags.HasErrors() {
		return nil, diags
	}
	if v.IsNull() || !v.IsKnown() {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid expression", Detail: "An expression must be a string.", Subject: e.Range().Ptr()}}
	}
	sv, err := convert.Convert(v, cty.String)
	if err != nil || v.Type() != cty.String {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid expression", Detail: "An expression must be written as a string: quote it, or use a heredoc.", Subject: e.Range().Ptr()}}
	}
	code := sv.AsString()
	out := &rules.Expr{Code: code, Range: e.Range()}
	if t, ok := e.(*hclsyntax.TemplateExpr); ok && len(t.Parts) > 0 {
		first, last := t.Parts[0].Range(), t.Parts[len(t.Parts)-1].Range()
		out.Range = hcl.Range{Filename: first.Filename, Start: first.Start, End: last.End}
		out.Pos = textPositions(src, t, code)
	}
	return out, nil
}

var routeSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "from", Required: true}, {Name: "rules"}, {Name: "to", Required: true}, {Name: "dead_letter"}, {Name: "description"},
}}

func decodeRoute(b *hcl.Block) (*Route, hcl.Diagnostics) {
	content, diags := b.Body.Content(routeSchema)
	diags = append(diags, checkName(b.Labels[0], b.LabelRanges[0])...)
	r := &Route{Name: b.Labels[0], DefRange: b.DefRange, NameRange: b.LabelRanges[0]}
	list := func(name string) []hcl.Traversal {
		a, ok := content.Attributes[name]
		if !ok {
			return nil
		}
		exprs, d := hcl.ExprList(a.Expr)
		diags = append(diags, d...)
		var out []hcl.Traversal
		for _, e := range exprs {
			t, d := hcl.AbsTraversalForExpr(e)
			diags = append(diags, d...)
			if !d.HasErrors() {
				out = append(out, t)
			}
		}
		return out
	}
	r.From, r.Rules, r.To = list("from"), list("rules"), list("to")
	if a, ok := content.Attributes["to"]; ok {
		r.ToRange = a.Expr.Range()
	}
	if a, ok := content.Attributes["dead_letter"]; ok {
		t, d := hcl.AbsTraversalForExpr(a.Expr)
		diags = append(diags, d...)
		r.DeadLetter = t
	}
	return r, diags
}

var testSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "route", Required: true}, {Name: "input", Required: true}, {Name: "expect"}, {Name: "expect_meta"},
	{Name: "expect_dropped"}, {Name: "expect_dead_letter"}, {Name: "description"},
}}

func decodeTest(b *hcl.Block) (*Test, hcl.Diagnostics) {
	content, diags := b.Body.Content(testSchema)
	t := &Test{Name: b.Labels[0], DefRange: b.DefRange}
	if a, ok := content.Attributes["route"]; ok {
		tr, d := hcl.AbsTraversalForExpr(a.Expr)
		diags = append(diags, d...)
		t.Route = tr
	}
	obj := func(name string) map[string]cty.Value {
		a, ok := content.Attributes[name]
		if !ok {
			return nil
		}
		v, d := a.Expr.Value(nil)
		diags = append(diags, d...)
		if d.HasErrors() {
			return nil
		}
		if !v.Type().IsObjectType() && !v.Type().IsMapType() {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid " + name, Detail: "Must be an object: { key = value, … }.", Subject: a.Expr.Range().Ptr()})
			return nil
		}
		return v.AsValueMap()
	}
	t.Input = obj("input")
	t.Expect = obj("expect")
	if m := obj("expect_meta"); m != nil {
		t.ExpectMeta = map[string]string{}
		for k, v := range m {
			if v.Type() == cty.String {
				t.ExpectMeta[k] = v.AsString()
			}
		}
	}
	for name, dst := range map[string]*bool{"expect_dropped": &t.ExpectDropped, "expect_dead_letter": &t.ExpectDead} {
		if a, ok := content.Attributes[name]; ok {
			diags = append(diags, gohcl.DecodeExpression(a.Expr, nil, dst)...)
		}
	}
	return t, diags
}
