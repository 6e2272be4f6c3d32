package config

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"
)

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
