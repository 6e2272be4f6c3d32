package rules

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// Filter push-down: the leading filters of a route, translated into an SLS
// SPL condition that keeps a superset of the events the route does not
// filter out locally. Whatever cannot be translated exactly becomes "true"
// for that part, so SLS never drops an event the local rules would deliver
// or dead-letter; local evaluation always stays.
//
// Each boolean expression e is translated into three SPL conditions, each a
// superset ("may be true when"):
//
//	P(e): e is true      N(e): e is false      E(e): evaluating e fails
//
// composed with expr's short-circuit evaluation:
//
//	P(a && b) = P(a) ∧ P(b)      N(a && b) = N(a) ∨ N(b)      E(a && b) = E(a) ∨ (P(a) ∧ E(b))
//	P(a || b) = P(a) ∨ P(b)      N(a || b) = N(a) ∧ N(b)      E(a || b) = E(a) ∨ (N(a) ∧ E(b))
//	P(!a) = N(a)                 N(!a) = P(a)                 E(!a) = E(a)
//
// A filter lets an event on when it is true or when it fails (on_error
// keep goes on, dead_letter and drop stop the route but must still see the
// event), so a rule contributes P ∨ E. Negation is never emitted around a
// sub-condition: N replaces it, so SQL's null semantics cannot turn a kept
// event into a dropped one. The SPL subset used (=, !=, is [not] null,
// like, json_extract_scalar, json_extract, and, or) and the references for
// its semantics are listed in README.md ("Filter push-down").

// PushDown returns the SPL condition for a route's rules: an SLS `where`
// condition true for every event the rules do not filter out. ok is false
// when no condition narrower than "true" could be derived (no rules, the
// first rule has no filter, or nothing translatable).
func PushDown(rs []*Rule) (cond string, ok bool) {
	c := survive(rs)
	if c.op == cTrue {
		return "", false
	}
	return c.render(), true
}

// survive is the condition under which an event is not filtered out by rs,
// built back to front: S_i = (P_i ∨ E_i) ∧ S_i+1 for on_error keep, and
// (P_i ∧ S_i+1) ∨ E_i otherwise (a failing filter ends the route there).
// The chain stops after a rule that changes events and may fail with a
// policy other than keep; fields changed by earlier rules are not
// translated in later filters.
func survive(rs []*Rule) *cnode {
	type step struct {
		p, e *cnode
		keep bool
	}
	var steps []step
	mutated := map[string]bool{}
	for _, r := range rs {
		if r.filterSrc != "" {
			t := &translator{mutated: mutated}
			p, _, e := t.translate(parseFilter(r.filterSrc))
			steps = append(steps, step{p: p, e: e, keep: r.onError == Keep})
		}
		if !r.Mutates() {
			continue
		}
		if r.onError != Keep {
			break
		}
		for _, k := range r.decode {
			mutated["f:"+k] = true
		}
		for _, s := range r.sets {
			mutated["f:"+s.key] = true
		}
		for _, k := range r.deletes {
			if tag, ok := cutTag(k); ok {
				mutated["t:"+tag] = true
			} else {
				mutated["f:"+k] = true
			}
		}
	}
	s := cconst(true)
	for i := len(steps) - 1; i >= 0; i-- {
		st := steps[i]
		if st.keep {
			s = cand(cor(st.p, st.e), s)
		} else {
			s = cor(cand(st.p, s), st.e)
		}
	}
	return s
}

// parseFilter parses a filter and applies the same name rewrite as Compile,
// so fields appear as $field calls. A parse error yields nil (untranslated).
func parseFilter(code string) ast.Node {
	tree, err := parser.Parse(code)
	if err != nil {
		return nil
	}
	ast.Walk(&tree.Node, newRewriter(code))
	return tree.Node
}

// cnode is an SPL condition: a constant, an atom, or and/or of children.
type cnode struct {
	op   cop
	atom string
	kids []*cnode
}

type cop uint8

const (
	cTrue cop = iota
	cFalse
	cAtom
	cAnd
	cOr
)

var (
	trueNode  = &cnode{op: cTrue}
	falseNode = &cnode{op: cFalse}
)

func cconst(b bool) *cnode {
	if b {
		return trueNode
	}
	return falseNode
}

func catom(s string) *cnode { return &cnode{op: cAtom, atom: s} }

func cand(a, b *cnode) *cnode {
	switch {
	case a.op == cFalse || b.op == cFalse:
		return falseNode
	case a.op == cTrue:
		return b
	case b.op == cTrue:
		return a
	}
	var kids []*cnode
	seen := map[string]bool{}
	for _, k := range append(conjuncts(a), conjuncts(b)...) {
		if r := k.render(); !seen[r] {
			seen[r] = true
			kids = append(kids, k)
		}
	}
	if len(kids) == 1 {
		return kids[0]
	}
	return &cnode{op: cAnd, kids: kids}
}

// cor simplifies as it builds: x ∨ x = x, x ∨ (x ∧ y) = x, and
// (x ∧ y) ∨ (x ∧ z) = x ∧ (y ∨ z), which keeps the conditions the P ∨ E
// composition produces short.
func cor(a, b *cnode) *cnode {
	switch {
	case a.op == cTrue || b.op == cTrue:
		return trueNode
	case a.op == cFalse:
		return b
	case b.op == cFalse:
		return a
	}
	ca, cb := conjuncts(a), conjuncts(b)
	inB := map[string]bool{}
	for _, k := range cb {
		inB[k.render()] = true
	}
	var common, restA, restB []*cnode
	isCommon := map[string]bool{}
	for _, k := range ca {
		if inB[k.render()] {
			common = append(common, k)
			isCommon[k.render()] = true
		} else {
			restA = append(restA, k)
		}
	}
	if len(common) == 0 {
		return &cnode{op: cOr, kids: flatten(cOr, a, b)}
	}
	for _, k := range cb {
		if !isCommon[k.render()] {
			restB = append(restB, k)
		}
	}
	if len(restA) == 0 || len(restB) == 0 {
		return andAll(common) // absorption
	}
	return cand(andAll(common), cor(andAll(restA), andAll(restB)))
}

func conjuncts(n *cnode) []*cnode {
	if n.op == cAnd {
		return n.kids
	}
	return []*cnode{n}
}

func andAll(ns []*cnode) *cnode {
	out := trueNode
	for _, n := range ns {
		out = cand(out, n)
	}
	return out
}

func flatten(op cop, a, b *cnode) []*cnode {
	var out []*cnode
	for _, n := range []*cnode{a, b} {
		if n.op == op {
			out = append(out, n.kids...)
		} else {
			out = append(out, n)
		}
	}
	return out
}

func (n *cnode) render() string {
	switch n.op {
	case cTrue:
		return "true"
	case cFalse:
		return "false"
	case cAtom:
		return n.atom
	}
	sep := " and "
	if n.op == cOr {
		sep = " or "
	}
	parts := make([]string, len(n.kids))
	for i, k := range n.kids {
		parts[i] = k.render()
		if k.op == cAnd || k.op == cOr {
			parts[i] = "(" + parts[i] + ")"
		}
	}
	return strings.Join(parts, sep)
}

// unknown is an untranslated part: it may be true, false or fail.
func unknown() (p, n, e *cnode) { return trueNode, trueNode, trueNode }

type translator struct {
	mutated map[string]bool // "f:KEY" fields, "t:KEY" tags changed by earlier rules
}

func (t *translator) translate(node ast.Node) (p, n, e *cnode) {
	switch x := node.(type) {
	case *ast.BoolNode:
		return cconst(x.Value), cconst(!x.Value), falseNode
	case *ast.UnaryNode:
		if x.Operator != "!" && x.Operator != "not" {
			return unknown()
		}
		p, n, e := t.translate(x.Node)
		return n, p, e
	case *ast.BinaryNode:
		switch x.Operator {
		case "&&", "and":
			pa, na, ea := t.translate(x.Left)
			pb, nb, eb := t.translate(x.Right)
			return cand(pa, pb), cor(na, nb), cor(ea, cand(pa, eb))
		case "||", "or":
			pa, na, ea := t.translate(x.Left)
			pb, nb, eb := t.translate(x.Right)
			return cor(pa, pb), cand(na, nb), cor(ea, cand(na, eb))
		}
		return t.compare(x)
	}
	return unknown()
}

// refKind says what a reference holds locally.
type refKind uint8

const (
	// refText is topic or source: always a string locally ("" when SLS has
	// none), possibly null in SPL.
	refText refKind = iota
	// refField is a content field or a tag: a string, or nil when absent.
	refField
	// refJSON is a path inside a content field holding JSON text: any JSON
	// value or nil; reading it fails when the field is not JSON.
	refJSON
	// refChanged is a field or tag an earlier rule changed: any value.
	refChanged
)

type ref struct {
	kind  refKind
	spl   string // the SPL operand
	field string // refJSON: the quoted field
	path  string // refJSON: the JSONPath
}

func (r ref) isNull() *cnode  { return catom(r.spl + " is null") }
func (r ref) notNull() *cnode { return catom(r.spl + " is not null") }
func (r ref) eq(s string) *cnode {
	return catom(r.spl + " = " + quoteString(s))
}
func (r ref) ne(s string) *cnode {
	return catom(r.spl + " != " + quoteString(s))
}

// jsonError is when reading inside the field fails locally: the field is
// present and SLS cannot parse it as JSON (its JSON functions then return
// null).
func (r ref) jsonError() *cnode {
	return cand(catom(r.field+" is not null"), catom("json_extract("+r.field+", '$') is null"))
}

var (
	simpleKey  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	numberLike = regexp.MustCompile(`^\s*[-+]?(\d|\.\d|[Ii]nf|[Nn]a[Nn])`)
)

// reference recognizes topic, source, tags["k"], a plain field and a JSON
// path inside a field. A field or tag changed by an earlier rule is not
// translated: it comes back with kind refChanged.
func (t *translator) reference(node ast.Node) (ref, bool) {
	switch x := node.(type) {
	case *ast.IdentifierNode:
		switch x.Value {
		case "topic":
			return ref{kind: refText, spl: "__topic__"}, true
		case "source":
			return ref{kind: refText, spl: "__source__"}, true
		}
	case *ast.CallNode:
		id, ok := x.Callee.(*ast.IdentifierNode)
		if !ok || len(x.Arguments) < 2 {
			return ref{}, false
		}
		key, ok := x.Arguments[1].(*ast.StringNode)
		if !ok {
			return ref{}, false
		}
		switch id.Value {
		case fnTag:
			if len(x.Arguments) != 2 {
				return ref{}, false
			}
			if t.mutated["t:"+key.Value] {
				return ref{kind: refChanged}, true
			}
			name, ok := quoteIdent("__tag__:" + key.Value)
			return ref{kind: refField, spl: name}, ok
		case fnField:
			// Names starting with "__" are SLS's own (__topic__, __time__,
			// __tag__:…): a content field of that name cannot be told apart.
			if strings.HasPrefix(key.Value, "__") || key.Value == "" {
				return ref{}, false
			}
			if t.mutated["f:"+key.Value] {
				if len(x.Arguments) == 2 {
					return ref{kind: refChanged}, true
				}
				return ref{}, false
			}
			name, ok := quoteIdent(key.Value)
			if !ok {
				return ref{}, false
			}
			if len(x.Arguments) == 2 {
				return ref{kind: refField, spl: name}, true
			}
			path := "$"
			for _, a := range x.Arguments[2:] {
				switch p := a.(type) {
				case *ast.StringNode:
					if !simpleKey.MatchString(p.Value) {
						return ref{}, false
					}
					path += "." + p.Value
				case *ast.IntegerNode:
					if p.Value < 0 {
						return ref{}, false
					}
					path += "[" + strconv.Itoa(p.Value) + "]"
				default:
					return ref{}, false
				}
			}
			return ref{kind: refJSON, field: name, path: path,
				spl: "json_extract_scalar(" + name + ", '" + path + "')"}, true
		}
	}
	return ref{}, false
}

// compare translates a comparison of a reference with literals.
func (t *translator) compare(x *ast.BinaryNode) (p, n, e *cnode) {
	op := x.Operator
	r, ok := t.reference(x.Left)
	lit := x.Right
	if !ok && (op == "==" || op == "!=") {
		r, ok = t.reference(x.Right)
		lit = x.Left
	}
	if !ok {
		return unknown()
	}
	if r.kind == refChanged {
		if op == "==" || op == "!=" {
			return trueNode, trueNode, falseNode // any value, and == never fails
		}
		return unknown()
	}
	if op == "matches" && r.kind != refJSON {
		// Not translated (regexp dialects differ), but on a string or nil
		// it never fails.
		return trueNode, trueNode, falseNode
	}
	e = falseNode
	if r.kind == refJSON {
		e = r.jsonError()
	}
	switch op {
	case "==":
		p, n, ok = t.equal(r, lit)
	case "!=":
		n, p, ok = t.equal(r, lit)
	case "in":
		p, n, ok = t.in(r, lit)
	case "startsWith", "endsWith", "contains":
		p, n, ok = t.like(r, op, lit)
	default:
		ok = false
	}
	if !ok {
		return unknown()
	}
	return p, n, e
}

func (t *translator) equal(r ref, lit ast.Node) (p, n *cnode, ok bool) {
	switch l := lit.(type) {
	case *ast.StringNode:
		if !plainLiteral(l.Value) {
			return nil, nil, false
		}
		s := l.Value
		switch r.kind {
		case refText:
			if s == "" { // "" locally when SLS has null
				return cor(r.isNull(), r.eq(s)), r.ne(s), true
			}
			return r.eq(s), cor(r.isNull(), r.ne(s)), true
		case refField:
			return r.eq(s), cor(r.isNull(), r.ne(s)), true
		case refJSON:
			// json_extract_scalar renders numbers and booleans as text, so
			// "not equal" is only exact for text no number or boolean renders as.
			if numberLike.MatchString(s) || s == "true" || s == "false" {
				return r.eq(s), trueNode, true
			}
			return r.eq(s), cor(r.isNull(), r.ne(s)), true
		}
	case *ast.NilNode:
		switch r.kind {
		case refText:
			return falseNode, trueNode, true
		case refField:
			return r.isNull(), r.notNull(), true
		case refJSON:
			// json_extract_scalar is also null for objects and arrays, and
			// json_extract may render a JSON null as 'null': both supersets.
			return r.isNull(), catom("json_extract(" + r.field + ", '" + r.path + "') is not null"), true
		}
	case *ast.BoolNode:
		if r.kind == refJSON {
			return r.eq(strconv.FormatBool(l.Value)), trueNode, true
		}
		return falseNode, trueNode, true // a string never equals a bool
	case *ast.IntegerNode, *ast.FloatNode:
		if r.kind == refJSON {
			return r.notNull(), trueNode, true
		}
		return falseNode, trueNode, true
	}
	return nil, nil, false
}

func (t *translator) in(r ref, lit ast.Node) (p, n *cnode, ok bool) {
	arr, isArr := lit.(*ast.ArrayNode)
	if !isArr || r.kind == refJSON || len(arr.Nodes) == 0 {
		return nil, nil, false
	}
	p, n = falseNode, trueNode
	for _, el := range arr.Nodes {
		s, isStr := el.(*ast.StringNode)
		if !isStr || !plainLiteral(s.Value) {
			return nil, nil, false
		}
		ep, en, _ := t.equal(r, s)
		p, n = cor(p, ep), cand(n, en)
	}
	if r.kind == refField {
		// equal's N terms each hold "is null"; one is enough.
		ne, hasEmpty := trueNode, false
		for _, el := range arr.Nodes {
			v := el.(*ast.StringNode).Value
			ne = cand(ne, r.ne(v))
			hasEmpty = hasEmpty || v == ""
		}
		n = cor(r.isNull(), ne)
		if hasEmpty {
			// expr looks a constant list up as a set of strings, where nil
			// reads as "": nil in ['', …] is true.
			p = cor(r.isNull(), p)
		}
	}
	return p, n, true
}

// like translates startsWith, endsWith and contains with a literal that
// has no LIKE wildcard: LIKE is then exact and case-sensitive. A nil field
// gives false locally (no failure); a non-string JSON value fails, so JSON
// paths are left untranslated.
func (t *translator) like(r ref, op string, lit ast.Node) (p, n *cnode, ok bool) {
	l, isStr := lit.(*ast.StringNode)
	if !isStr || r.kind == refJSON || !plainLiteral(l.Value) || strings.ContainsAny(l.Value, `%_`) {
		return nil, nil, false
	}
	s := l.Value
	if s == "" {
		if r.kind == refText {
			return trueNode, falseNode, true
		}
		return r.notNull(), r.isNull(), true
	}
	var pat string
	switch op {
	case "startsWith":
		pat = s + "%"
	case "endsWith":
		pat = "%" + s
	default:
		pat = "%" + s + "%"
	}
	p = catom(r.spl + " like " + quoteString(pat))
	n = cor(r.isNull(), catom(r.spl+" not like "+quoteString(pat)))
	return p, n, true
}

// plainLiteral rejects text whose SPL spelling might be read differently:
// backslashes and control characters.
func plainLiteral(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == '\\' || s[i] == 0x7f {
			return false
		}
	}
	return true
}

// quoteString writes an SPL string literal: single quotes, ' doubled.
func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// quoteIdent writes an SPL field name: double quotes, " doubled.
func quoteIdent(s string) (string, bool) {
	if !plainLiteral(s) {
		return "", false
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`, true
}
