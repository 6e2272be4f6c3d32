package slsemu

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	sls "github.com/aliyun/aliyun-log-go-sdk"
)

// A subset of SLS SPL: what forwarder's filter push-down emits
// (rules/pushdown.go), with SLS's semantics. References are in README.md
// ("Filter push-down").
//
//	query   := [ "*" ] { "|" "where" expr } [ ";" ]
//	expr    := and { "or" and }
//	and     := unary { "and" unary }
//	unary   := "not" unary | "(" expr ")" | "true" | "false" | operand pred
//	pred    := ("=" | "!=" | "<>") operand
//	         | "is" [ "not" ] "null"
//	         | [ "not" ] "like" 'pattern'            (% any run, _ one character; case-sensitive)
//	         | [ "not" ] "in" "(" operand { "," operand } ")"
//	operand := field | 'string' | number | "null"
//	         | ("json_extract_scalar" | "json_extract") "(" operand "," 'jsonpath' ")"
//	field   := identifier (letters, digits, _ : . -) | "double-quoted" ("" escapes ")
//	literal := 'single-quoted' ('' escapes ')
//
// Fields are log contents by key, plus __topic__, __source__, __time__ and
// __tag__:NAME. Values are strings; comparisons follow SQL's three-valued
// logic: a missing field is null, any comparison with null is null, and a
// log is kept only when the whole condition is true.
//
// The JSON functions return null when the text is not valid JSON or the
// path leads nowhere (SLS: "If a string cannot be parsed as JSON, the
// function returns null"). json_extract_scalar gives a string as its text,
// a number as written, a boolean as true/false, and null for JSON null,
// objects and arrays; json_extract gives the value as compact JSON text
// ('null' for a JSON null). A JSONPath is $ followed by .name and [index]
// steps. Anything else is rejected with ParameterInvalid rather than
// silently ignored.

type splQuery struct {
	where []node // ANDed stages; empty matches everything
}

// tri is a three-valued boolean.
type tri int8

const (
	triFalse tri = iota
	triTrue
	triNull
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

func (t tri) not() tri {
	switch t {
	case triTrue:
		return triFalse
	case triFalse:
		return triTrue
	}
	return triNull
}

type node interface {
	eval(f fields) tri
}

// operand is a value: ok false means SQL null.
type operand interface {
	value(f fields) (v string, ok bool)
}

type fieldRef string
type literal string
type nullLit struct{}

func (n fieldRef) value(f fields) (string, bool) { return f.get(string(n)) }
func (n literal) value(fields) (string, bool)    { return string(n), true }
func (nullLit) value(fields) (string, bool)      { return "", false }

// jsonCall is json_extract_scalar or json_extract with a constant path.
type jsonCall struct {
	x      operand
	path   []any // string keys and int indexes
	scalar bool
}

func (n jsonCall) value(f fields) (string, bool) {
	s, ok := n.x.value(f)
	if !ok {
		return "", false
	}
	v, ok := f.json(s)
	if !ok {
		return "", false
	}
	for _, p := range n.path {
		switch k := p.(type) {
		case string:
			m, isObj := v.(map[string]any)
			if !isObj {
				return "", false
			}
			if v, ok = m[k]; !ok {
				return "", false
			}
		case int:
			a, isArr := v.([]any)
			if !isArr || k >= len(a) {
				return "", false
			}
			v = a[k]
		}
	}
	if n.scalar {
		switch x := v.(type) {
		case string:
			return x, true
		case json.Number:
			return x.String(), true
		case bool:
			return strconv.FormatBool(x), true
		}
		return "", false
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", false
	}
	return string(b), true
}

type cmpNode struct {
	l, r operand
	neq  bool
}

type isNullNode struct {
	x   operand
	not bool
}

type likeNode struct {
	x   operand
	re  *regexp.Regexp
	not bool
}

type inNode struct {
	x   operand
	set []operand
	not bool
}

type constNode tri

func (n constNode) eval(fields) tri { return tri(n) }

type andNode struct{ l, r node }
type orNode struct{ l, r node }
type notNode struct{ x node }

func (n cmpNode) eval(f fields) tri {
	l, ok := n.l.value(f)
	if !ok {
		return triNull
	}
	r, ok := n.r.value(f)
	if !ok {
		return triNull
	}
	return triOf((l == r) != n.neq)
}

func (n isNullNode) eval(f fields) tri {
	_, ok := n.x.value(f)
	return triOf(ok == n.not)
}

func (n likeNode) eval(f fields) tri {
	v, ok := n.x.value(f)
	if !ok {
		return triNull
	}
	return triOf(n.re.MatchString(v) != n.not)
}

// eval follows SQL: x in (…) is true on a match, null when x or any
// element is null and nothing matched, else false.
func (n inNode) eval(f fields) tri {
	v, ok := n.x.value(f)
	if !ok {
		return triNull
	}
	res := triFalse
	for _, e := range n.set {
		s, ok := e.value(f)
		if !ok {
			res = triNull
			continue
		}
		if s == v {
			res = triTrue
			break
		}
	}
	if n.not {
		return res.not()
	}
	return res
}

func (n andNode) eval(f fields) tri {
	l, r := n.l.eval(f), n.r.eval(f)
	switch {
	case l == triFalse || r == triFalse:
		return triFalse
	case l == triNull || r == triNull:
		return triNull
	}
	return triTrue
}

func (n orNode) eval(f fields) tri {
	l, r := n.l.eval(f), n.r.eval(f)
	switch {
	case l == triTrue || r == triTrue:
		return triTrue
	case l == triNull || r == triNull:
		return triNull
	}
	return triFalse
}

func (n notNode) eval(f fields) tri { return n.x.eval(f).not() }

// fields resolves field names for one log of a group.
type fields struct {
	lg    *sls.LogGroup
	log   *sls.Log
	cache *jsonCache // nil: parse every time
}

// jsonCache keeps the last texts parsed as JSON for one log.
type jsonCache struct {
	text []string
	val  []any
	ok   []bool
}

// json parses s as JSON (numbers kept as written); ok is false when s is
// not valid JSON.
func (f fields) json(s string) (any, bool) {
	if c := f.cache; c != nil {
		for i, t := range c.text {
			if t == s {
				return c.val[i], c.ok[i]
			}
		}
	}
	var v any
	ok := json.Valid([]byte(s))
	if ok {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		ok = dec.Decode(&v) == nil
	}
	if c := f.cache; c != nil {
		c.text, c.val, c.ok = append(c.text, s), append(c.val, v), append(c.ok, ok)
	}
	return v, ok
}

func (f fields) get(name string) (string, bool) {
	switch name {
	case "__topic__":
		return f.lg.GetTopic(), f.lg.Topic != nil
	case "__source__":
		return f.lg.GetSource(), f.lg.Source != nil
	case "__time__":
		return strconv.FormatUint(uint64(f.log.GetTime()), 10), true
	}
	if tag, ok := strings.CutPrefix(name, "__tag__:"); ok {
		for _, t := range f.lg.LogTags {
			if t.GetKey() == tag {
				return t.GetValue(), true
			}
		}
		return "", false
	}
	for _, c := range f.log.Contents {
		if c.GetKey() == name {
			return c.GetValue(), true
		}
	}
	return "", false
}

// apply filters the logs of a stored LogGroup. It returns lg == nil when
// every log matched (the caller reuses the stored bytes), else the group
// with only the matching logs.
func (q *splQuery) apply(raw []byte) (*sls.LogGroup, int, error) {
	var lg sls.LogGroup
	if err := lg.Unmarshal(raw); err != nil {
		return nil, 0, err
	}
	if len(q.where) == 0 {
		return nil, len(lg.Logs), nil
	}
	kept := lg.Logs[:0:0]
	var cache jsonCache
	for _, l := range lg.Logs {
		cache.text, cache.val, cache.ok = cache.text[:0], cache.val[:0], cache.ok[:0]
		f := fields{lg: &lg, log: l, cache: &cache}
		ok := true
		for _, w := range q.where {
			if w.eval(f) != triTrue {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, l)
		}
	}
	if len(kept) == len(lg.Logs) {
		return nil, len(kept), nil
	}
	lg.Logs = kept
	return &lg, len(kept), nil
}

// appendFramed appends lg as one LogGroupList element.
func appendFramed(dst []byte, lg *sls.LogGroup) []byte {
	b, err := lg.Marshal()
	if err != nil { // cannot happen: lg was unmarshalled with required checks
		return dst
	}
	dst = append(dst, 0x0A)
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// parseSPL parses the supported subset.
func parseSPL(src string) (*splQuery, error) {
	toks, err := lexSPL(src)
	if err != nil {
		return nil, err
	}
	p := &splParser{toks: toks}
	q := &splQuery{}
	if p.peek().kind == tokStar {
		p.pos++
	}
	for p.peek().kind != tokEOF {
		if p.peek().kind == tokSemi && p.toks[p.pos+1].kind == tokEOF {
			break
		}
		if p.next().kind != tokPipe {
			return nil, fmt.Errorf("expected '|' at %q", p.prev().text)
		}
		kw := p.next()
		if kw.kind != tokIdent || !strings.EqualFold(kw.text, "where") {
			return nil, fmt.Errorf("unsupported SPL instruction %q (only 'where' is emulated)", kw.text)
		}
		n, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		q.where = append(q.where, n)
		if k := p.peek().kind; k != tokPipe && k != tokEOF && k != tokSemi {
			return nil, fmt.Errorf("unexpected %q after condition", p.peek().text)
		}
	}
	return q, nil
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokStar
	tokPipe
	tokIdent
	tokString
	tokOp
	tokLParen
	tokRParen
	tokComma
	tokSemi
	tokQIdent // "double-quoted" field name
)

type token struct {
	kind tokKind
	text string
}

func lexSPL(src string) ([]token, error) {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '*':
			toks = append(toks, token{tokStar, "*"})
			i++
		case c == '|':
			toks = append(toks, token{tokPipe, "|"})
			i++
		case c == '(':
			toks = append(toks, token{tokLParen, "("})
			i++
		case c == ')':
			toks = append(toks, token{tokRParen, ")"})
			i++
		case c == ',':
			toks = append(toks, token{tokComma, ","})
			i++
		case c == ';':
			toks = append(toks, token{tokSemi, ";"})
			i++
		case c == '=':
			toks = append(toks, token{tokOp, "="})
			i++
		case c == '!' || c == '<':
			if i+1 < len(src) && (src[i:i+2] == "!=" || src[i:i+2] == "<>") {
				toks = append(toks, token{tokOp, "!="})
				i += 2
				continue
			}
			return nil, fmt.Errorf("unsupported operator at %q", src[i:])
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(src) {
					return nil, fmt.Errorf("unterminated quote in %q", src[i:])
				}
				if src[j] == c {
					if j+1 < len(src) && src[j+1] == c {
						b.WriteByte(c)
						j += 2
						continue
					}
					break
				}
				b.WriteByte(src[j])
				j++
			}
			kind := tokString
			if c == '"' {
				kind = tokQIdent
			}
			toks = append(toks, token{kind, b.String()})
			i = j + 1
		case isIdentByte(c):
			j := i
			for j < len(src) && isIdentByte(src[j]) {
				j++
			}
			word := src[i:j]
			if c >= '0' && c <= '9' || c == '-' {
				toks = append(toks, token{tokString, word})
			} else {
				toks = append(toks, token{tokIdent, word})
			}
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q", c)
		}
	}
	return append(toks, token{kind: tokEOF}), nil
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == ':' || c == '.' || c == '-'
}

type splParser struct {
	toks []token
	pos  int
}

func (p *splParser) peek() token { return p.toks[p.pos] }
func (p *splParser) prev() token { return p.toks[max(p.pos-1, 0)] }
func (p *splParser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

func (p *splParser) keyword(w string) bool {
	t := p.peek()
	if t.kind == tokIdent && strings.EqualFold(t.text, w) {
		p.pos++
		return true
	}
	return false
}

// maxDepth bounds recursion on hostile input.
const maxDepth = 64

func (p *splParser) expr(depth int) (node, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("condition nested too deeply")
	}
	l, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	for p.keyword("or") {
		r, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		l = orNode{l, r}
	}
	return l, nil
}

func (p *splParser) and(depth int) (node, error) {
	l, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for p.keyword("and") {
		r, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		l = andNode{l, r}
	}
	return l, nil
}

func (p *splParser) unary(depth int) (node, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("condition nested too deeply")
	}
	if p.keyword("not") {
		x, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return notNode{x}, nil
	}
	if p.peek().kind == tokLParen {
		p.pos++
		x, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.next().kind != tokRParen {
			return nil, fmt.Errorf("missing ')'")
		}
		return x, nil
	}
	if p.keyword("true") {
		return constNode(triTrue), nil
	}
	if p.keyword("false") {
		return constNode(triFalse), nil
	}
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	return p.predicate(l)
}

// keywords cannot be unquoted field names.
var keywords = map[string]bool{"and": true, "or": true, "not": true, "is": true, "null": true, "like": true, "in": true, "true": true, "false": true}

func isKeyword(t token) bool { return t.kind == tokIdent && keywords[strings.ToLower(t.text)] }

func (p *splParser) operand() (operand, error) {
	t := p.next()
	switch {
	case t.kind == tokString:
		return literal(t.text), nil
	case t.kind == tokQIdent:
		return fieldRef(t.text), nil
	case t.kind == tokIdent && strings.EqualFold(t.text, "null"):
		return nullLit{}, nil
	case t.kind == tokIdent && !isKeyword(t):
		if p.peek().kind != tokLParen {
			return fieldRef(t.text), nil
		}
		return p.call(t.text)
	}
	return nil, fmt.Errorf("expected a field, a quoted value or a function, got %q", t.text)
}

// call parses the supported functions: json_extract_scalar and json_extract.
func (p *splParser) call(name string) (operand, error) {
	fn := strings.ToLower(name)
	if fn != "json_extract_scalar" && fn != "json_extract" {
		return nil, fmt.Errorf("unsupported function %q (emulated: json_extract_scalar, json_extract)", name)
	}
	p.pos++ // (
	x, err := p.operand()
	if err != nil {
		return nil, err
	}
	if p.next().kind != tokComma {
		return nil, fmt.Errorf("%s: expected ',' after the first argument", name)
	}
	pt := p.next()
	if pt.kind != tokString {
		return nil, fmt.Errorf("%s: the JSON path must be a quoted string, got %q", name, pt.text)
	}
	path, err := parseJSONPath(pt.text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if p.next().kind != tokRParen {
		return nil, fmt.Errorf("%s: missing ')'", name)
	}
	return jsonCall{x: x, path: path, scalar: fn == "json_extract_scalar"}, nil
}

// parseJSONPath parses $ followed by .name and [index] steps.
func parseJSONPath(s string) ([]any, error) {
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("JSON path %q must start with $", s)
	}
	var path []any
	for i := 1; i < len(s); {
		switch s[i] {
		case '.':
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			if j == i+1 {
				return nil, fmt.Errorf("JSON path %q: empty name at %d", s, i)
			}
			path = append(path, s[i+1:j])
			i = j
		case '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("JSON path %q: missing ]", s)
			}
			n, err := strconv.Atoi(s[i+1 : i+j])
			if err != nil || n < 0 || n > 1<<20 {
				return nil, fmt.Errorf("JSON path %q: index must be a non-negative integer", s)
			}
			path = append(path, n)
			i += j + 1
		default:
			return nil, fmt.Errorf("JSON path %q: unexpected %q at %d", s, s[i], i)
		}
	}
	return path, nil
}

func (p *splParser) predicate(l operand) (node, error) {
	if t := p.peek(); t.kind == tokOp {
		p.pos++
		r, err := p.operand()
		if err != nil {
			return nil, fmt.Errorf("after %s: %w", t.text, err)
		}
		return cmpNode{l: l, r: r, neq: t.text == "!="}, nil
	}
	if p.keyword("is") {
		not := p.keyword("not")
		if !p.keyword("null") {
			return nil, fmt.Errorf("expected null after is, got %q", p.peek().text)
		}
		return isNullNode{x: l, not: not}, nil
	}
	not := p.keyword("not")
	switch {
	case p.keyword("like"):
		t := p.next()
		if t.kind != tokString {
			return nil, fmt.Errorf("like needs a quoted pattern, got %q", t.text)
		}
		return likeNode{x: l, re: likeRegexp(t.text), not: not}, nil
	case p.keyword("in"):
		if p.next().kind != tokLParen {
			return nil, fmt.Errorf("expected '(' after in")
		}
		n := inNode{x: l, not: not}
		for {
			e, err := p.operand()
			if err != nil {
				return nil, err
			}
			n.set = append(n.set, e)
			if p.peek().kind != tokComma {
				break
			}
			p.pos++
		}
		if p.next().kind != tokRParen {
			return nil, fmt.Errorf("missing ')' after the in list")
		}
		return n, nil
	}
	return nil, fmt.Errorf("expected =, !=, is, like or in, got %q", p.peek().text)
}

// likeRegexp compiles a LIKE pattern: % is any run of characters, _ one
// character, everything else literal.
func likeRegexp(pat string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for _, r := range pat {
		switch r {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`\z`)
	return regexp.MustCompile(b.String())
}

// MatchSPL evaluates an SPL statement on every log of lg exactly as a
// PullLogs with that query does: kept[i] reports whether lg.Logs[i] is
// returned. Push-down tests compare it with local rule evaluation.
func MatchSPL(query string, lg *sls.LogGroup) (kept []bool, err error) {
	q, err := parseSPL(query)
	if err != nil {
		return nil, err
	}
	kept = make([]bool, len(lg.Logs))
	var cache jsonCache
	for i, l := range lg.Logs {
		cache.text, cache.val, cache.ok = cache.text[:0], cache.val[:0], cache.ok[:0]
		f := fields{lg: lg, log: l, cache: &cache}
		kept[i] = true
		for _, w := range q.where {
			if w.eval(f) != triTrue {
				kept[i] = false
				break
			}
		}
	}
	return kept, nil
}
