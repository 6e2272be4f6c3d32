package rules

import (
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// rewriter turns the names users write into accessor calls, at compile time:
//
//	event                 → $field($ctx, "event")
//	event.userIdentity.x  → $field($ctx, "event", "userIdentity", "x")
//	fields["a-b"]         → $field($ctx, "a-b")
//	fields                → $fields($ctx)
//	tags["k"], tags.k     → $tag($ctx, "k")
//	meta.index            → $meta($ctx, "index")
//
// ast.Walk visits children first, so by the time a member access is seen
// its operand is already a call and the property is folded into the call's
// arguments. A chain of constant properties becomes one call, which walks the
// JSON once.
type rewriter struct {
	locals map[string]bool // names bound by `let`: they shadow fields
}

// newRewriter returns a rewriter for code. It parses code once on its own
// to learn the `let` names; a parse error is left for expr to report.
func newRewriter(code string) *rewriter {
	r := &rewriter{locals: map[string]bool{}}
	if tree, err := parser.Parse(code); err == nil {
		ast.Walk(&tree.Node, letCollector(r.locals))
	}
	return r
}

// letCollector records the names bound by `let`.
type letCollector map[string]bool

func (c letCollector) Visit(node *ast.Node) {
	if n, ok := (*node).(*ast.VariableDeclaratorNode); ok {
		c[n.Name] = true
	}
}

func call(name string, at ast.Node, args ...ast.Node) *ast.CallNode {
	callee := &ast.IdentifierNode{Value: name}
	callee.SetLocation(at.Location())
	ctx := &ast.IdentifierNode{Value: "$ctx"}
	ctx.SetLocation(at.Location())
	n := &ast.CallNode{Callee: callee, Arguments: append([]ast.Node{ctx}, args...)}
	n.SetLocation(at.Location())
	return n
}

func str(s string, at ast.Node) *ast.StringNode {
	n := &ast.StringNode{Value: s}
	n.SetLocation(at.Location())
	return n
}

func (r *rewriter) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.BinaryNode:
		guardDivisor(n)
	case *ast.IdentifierNode:
		if r.locals[n.Value] || n.Value == "$env" || n.Value == "$ctx" || n.Value == fnNonZero {
			return
		}
		switch n.Value {
		case "fields":
			*node = call(fnFields, n)
		case "tags":
			*node = call(fnTags, n)
		case "meta":
			*node = call(fnMetas, n)
		default:
			if !envMembers[n.Value] {
				*node = call(fnField, n, str(n.Value, n))
			}
		}
	case *ast.CallNode:
		// The callee was visited first and, being an identifier, rewritten
		// as a field; a function name is not a field, so undo that.
		if c, ok := n.Callee.(*ast.CallNode); ok && isCall(c, fnField) && len(c.Arguments) == 2 {
			if s, ok := c.Arguments[1].(*ast.StringNode); ok {
				id := &ast.IdentifierNode{Value: s.Value}
				id.SetLocation(c.Location())
				n.Callee = id
			}
		}
	case *ast.MemberNode:
		if n.Method {
			return
		}
		c, ok := n.Node.(*ast.CallNode)
		if !ok {
			return
		}
		callee, ok := c.Callee.(*ast.IdentifierNode)
		if !ok {
			return
		}
		var prop ast.Node
		switch p := n.Property.(type) {
		case *ast.StringNode:
			prop = p
		case *ast.IntegerNode:
			prop = p
		default:
			return // a computed property: leave it to expr's own indexing
		}
		switch callee.Value {
		case fnField:
			c.Arguments = append(c.Arguments, prop)
			c.SetLocation(n.Location())
			*node = c
		case fnFields, fnTags, fnMetas:
			s, ok := prop.(*ast.StringNode)
			if !ok {
				return
			}
			name := map[string]string{fnFields: fnField, fnTags: fnTag, fnMetas: fnMeta}[callee.Value]
			*node = call(name, n, s)
		}
	}
}

func isCall(c *ast.CallNode, name string) bool {
	id, ok := c.Callee.(*ast.IdentifierNode)
	return ok && id.Value == name
}
