// Package rules compiles the rule blocks of a configuration into expr
// programs, once per plan, and applies them to events. A rule may filter,
// JSON-decode fields, set fields from expressions, delete fields and set meta
// for sinks. Expressions see the event through a typed environment (Env):
// bare names of content fields are rewritten at compile time into accessor
// calls, so rules read naturally (`event.eventName`) and no map is built per
// event.
package rules

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"github.com/hashicorp/hcl/v2"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/internal/detail"
)

// OnError says what happens to an event when a rule fails on it at run time.
type OnError uint8

const (
	// DeadLetter sends the event, unchanged by the failing rule, to the
	// route's dead-letter sink with the rule name and the error. The default.
	DeadLetter OnError = iota
	// Keep lets the event go on as if the failing step had not run.
	Keep
	// Drop drops the event (counted, never silent).
	Drop
)

// ParseOnError parses the on_error attribute.
func ParseOnError(s string) (OnError, error) {
	switch s {
	case "", "dead_letter":
		return DeadLetter, nil
	case "keep":
		return Keep, nil
	case "drop":
		return Drop, nil
	}
	return 0, fmt.Errorf("unknown on_error %q; use \"dead_letter\", \"keep\" or \"drop\"", s)
}

// Expr is an expression's text and where it stands in the configuration.
type Expr struct {
	Code string
	// Range is the range of the text itself (quotes excluded).
	Range hcl.Range
	// Pos maps a byte offset in Code (0 to len(Code)) to its position in the
	// file, through escapes and stripped heredoc indentation. Nil when the
	// text cannot be mapped: errors then cover Range and quote expr's
	// snippet.
	Pos func(offset int) hcl.Pos
}

// Assign is one `key = "expression"` of a set or meta map.
type Assign struct {
	Key      string
	KeyRange hcl.Range
	Value    Expr
}

// Spec is a rule as written: the input to Compile. plan builds it
// from the HCL block. Steps run in this order: filter, decode_json, set,
// meta, delete; so meta may read a field that delete then removes.
type Spec struct {
	Name       string
	Filter     *Expr
	DecodeJSON []string
	Set        []Assign
	Delete     []string
	Meta       []Assign
	OnError    OnError
	DefRange   hcl.Range
}

// Rule is a compiled rule: immutable, safe to share between goroutines.
type Rule struct {
	name      string
	filter    program
	filterSrc string // for push-down (pushdown.go)
	decode    []string
	sets      []program
	deletes   []string
	metas     []program
	onError   OnError
}

type program struct {
	key  string
	p    *vm.Program
	expr Expr // for run-time errors: the text and its position
}

// Name returns the rule's name.
func (r *Rule) Name() string { return r.name }

// OnError returns the rule's run-time error policy.
func (r *Rule) OnError() OnError { return r.onError }

// Mutates reports whether the rule changes events (decode, set, delete,
// meta); a route whose events also go elsewhere clones them first.
func (r *Rule) Mutates() bool {
	return len(r.decode)+len(r.sets)+len(r.deletes)+len(r.metas) > 0
}

// MaxNodes bounds the size of one expression, so a pathological rule cannot
// make compilation or evaluation explode.
const MaxNodes = 2000

var (
	boolOpts = options(expr.AsBool())
	anyOpts  = options()
)

func options(extra ...expr.Option) []expr.Option {
	opts := []expr.Option{expr.Env(Env{}), expr.MaxNodes(MaxNodes)}
	opts = append(opts, functions...)
	return append(opts, extra...)
}

// Compile compiles a rule. Every problem is reported, each at its source
// range; an expression error points at the line and column inside the
// expression.
func Compile(s Spec) (*Rule, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	r := &Rule{name: s.Name, decode: s.DecodeJSON, deletes: s.Delete, onError: s.OnError}
	if s.Filter == nil && len(s.DecodeJSON)+len(s.Set)+len(s.Delete)+len(s.Meta) == 0 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Empty rule",
			Detail:   fmt.Sprintf("Rule %q does nothing. Give it at least one of filter, decode_json, set, delete or meta.", s.Name),
			Subject:  s.DefRange.Ptr(),
		})
	}
	if s.Filter != nil {
		p, d := compileExpr(*s.Filter, "filter", boolOpts)
		diags = append(diags, d...)
		r.filter, r.filterSrc = program{p: p, expr: *s.Filter}, s.Filter.Code
	}
	for _, a := range s.Set {
		p, d := compileExpr(a.Value, "set."+a.Key, anyOpts)
		diags = append(diags, d...)
		r.sets = append(r.sets, program{key: a.Key, p: p, expr: a.Value})
	}
	for _, a := range s.Meta {
		if !slices.Contains(event.MetaKeys, a.Key) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unknown meta key",
				Detail:   fmt.Sprintf("Sinks do not read meta %q. Known keys: %s.", a.Key, strings.Join(event.MetaKeys, ", ")),
				Subject:  a.KeyRange.Ptr(),
			})
			continue
		}
		p, d := compileExpr(a.Value, "meta."+a.Key, anyOpts)
		diags = append(diags, d...)
		r.metas = append(r.metas, program{key: a.Key, p: p, expr: a.Value})
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return r, diags
}

func compileExpr(e Expr, what string, opts []expr.Option) (*vm.Program, hcl.Diagnostics) {
	all := append(slices.Clip(opts), expr.Patch(newRewriter(e.Code)))
	p, err := expr.Compile(e.Code, all...)
	if err == nil {
		return p, nil
	}
	summary := "Invalid expression"
	if what == "filter" {
		summary = "Invalid filter expression"
	}
	var fe *file.Error
	if !errors.As(err, &fe) {
		text := detail.FromError(err)
		if what == "filter" && strings.Contains(err.Error(), "expected bool") {
			summary, text = "Filter is not bool", "A filter must be a boolean expression; "+err.Error()+"."
		}
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: text, Subject: e.Range.Ptr()}}
	}
	msg := fe.Message
	if what == "filter" && strings.Contains(msg, "expected bool") {
		summary = "Filter is not bool"
		msg = "A filter must be a boolean expression; " + msg
	}
	rng := e.Range
	text := fmt.Sprintf("In %s: %s.", what, msg)
	if e.Pos != nil {
		from, to := errorSpan(e.Code, fe)
		rng = hcl.Range{Filename: e.Range.Filename, Start: e.Pos(from), End: e.Pos(to)}
	} else if fe.Snippet != "" {
		text += "\n" + strings.TrimLeft(fe.Snippet, "\n")
	}
	return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: text, Subject: &rng}}
}

// errorSpan turns an expr error's position (rune offsets From and To) into
// byte offsets in code. An error at the end of the input (an unexpected EOF,
// an unterminated literal, or a position in trailing blanks) is an empty
// span just after the expression's last character, where more was expected.
func errorSpan(code string, fe *file.Error) (from, to int) {
	end := len(strings.TrimRightFunc(code, unicode.IsSpace))
	from, to = runeOffset(code, fe.From), runeOffset(code, fe.To)
	if from >= end || strings.Contains(fe.Message, "token EOF") || strings.Contains(fe.Message, "end of expression") {
		return end, end
	}
	if to <= from {
		_, n := utf8.DecodeRuneInString(code[from:])
		to = from + n
	}
	return from, min(to, end)
}

// runeOffset is the byte offset of the n-th rune of s, clamped to [0, len(s)].
func runeOffset(s string, n int) int {
	if n <= 0 {
		return 0
	}
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}
