package config

import "github.com/hashicorp/hcl/v2"

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
