package slsemu

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	sls "github.com/aliyun/aliyun-log-go-sdk"
)

// A small subset of SLS SPL, enough for filter push-down:
//
//	query := [ "*" ] { "|" "where" expr }
//	expr  := and { "or" and }
//	and   := unary { "and" unary }
//	unary := "not" unary | "(" expr ")" | field op literal
//	op    := "=" | "!=" | "<>"
//	field := identifier (letters, digits, _ : . -) | "double-quoted"
//	literal := 'single-quoted' ('' escapes ') | number
//
// Fields are log contents by key, plus __topic__, __source__, __time__ and
// __tag__:NAME. Comparisons are on strings with SQL's three-valued logic: a
// missing field is null, null = 'v' and null != 'v' are null, and a log is
// kept only when the whole condition is true. Anything else is rejected with
// ParameterInvalid rather than silently ignored.

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

type node interface {
	eval(f fields) tri
}

type cmpNode struct {
	field string
	value string
	neq   bool
}

type andNode struct{ l, r node }
type orNode struct{ l, r node }
type notNode struct{ x node }

func (n cmpNode) eval(f fields) tri {
	v, ok := f.get(n.field)
	if !ok {
		return triNull
	}
	if (v == n.value) != n.neq {
		return triTrue
	}
	return triFalse
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

func (n notNode) eval(f fields) tri {
	switch n.x.eval(f) {
	case triTrue:
		return triFalse
	case triFalse:
		return triTrue
	}
	return triNull
}

// fields resolves field names for one log of a group.
type fields struct {
	lg  *sls.LogGroup
	log *sls.Log
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
	for _, l := range lg.Logs {
		f := fields{lg: &lg, log: l}
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
		if k := p.peek().kind; k != tokPipe && k != tokEOF {
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
				kind = tokIdent
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
	f := p.next()
	if f.kind != tokIdent {
		return nil, fmt.Errorf("expected a field name, got %q", f.text)
	}
	op := p.next()
	if op.kind != tokOp {
		return nil, fmt.Errorf("expected = or != after %q, got %q", f.text, op.text)
	}
	v := p.next()
	if v.kind != tokString {
		return nil, fmt.Errorf("expected a quoted value after %s %s, got %q", f.text, op.text, v.text)
	}
	return cmpNode{field: f.text, value: v.text, neq: op.text == "!="}, nil
}
