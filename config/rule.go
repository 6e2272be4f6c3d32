package config

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/forwarder/forwarder/internal/detail"
	"github.com/forwarder/forwarder/rules"
)

// Rule is a `rule "NAME" { … }` block, as rules.Spec plus ranges.
type Rule struct {
	Spec      rules.Spec
	NameRange hcl.Range
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
