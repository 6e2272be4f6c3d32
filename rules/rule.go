package rules

import (
	"errors"
	"fmt"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"github.com/hashicorp/hcl/v2"

	"github.com/forwarder/forwarder/event"
)

// Outcome is what a chain of rules made of one event.
type Outcome uint8

const (
	// Pass means the event goes on to the route's sinks.
	Pass Outcome = iota
	// Filtered means a filter was false: the event is dropped for this route.
	Filtered
	// Failed means a rule failed with on_error = "dead_letter".
	Failed
	// Dropped means a rule failed with on_error = "drop".
	Dropped
)

// Error is a rule's run-time failure on one event.
type Error struct {
	Rule string // the rule's name
	Step string // "filter", "decode_json event", "set user", …
	Err  error
	// Expr is the failing expression's text and Pos where in the
	// configuration it failed ("rules.hcl:4:20"), when the step ran one.
	Expr, Pos string
}

func (e *Error) Error() string {
	if e.Expr == "" {
		return fmt.Sprintf("rule %q: %s: %v", e.Rule, e.Step, e.Err)
	}
	return fmt.Sprintf("rule %q: %s: %v at %s in %q", e.Rule, e.Step, e.Err, e.Pos, e.Expr)
}
func (e *Error) Unwrap() error { return e.Err }

// Evaluator applies rules to events. It holds an expr VM and parse caches,
// so one goroutine owns an Evaluator and reuses it for every event; it is
// not safe for concurrent use.
type Evaluator struct {
	vm  vm.VM
	env Env
	ctx Ctx
}

// NewEvaluator returns an Evaluator.
func NewEvaluator() *Evaluator {
	r := &Evaluator{}
	r.env.Ctx = &r.ctx
	return r
}

// Run applies rules in order to ev, changing it in place. It stops at the
// first filter that is false or the first failure whose policy is not keep.
// With Failed or Dropped the error says which rule and step failed.
func (r *Evaluator) Run(rs []*Rule, ev *event.Event) (Outcome, error) {
	r.ctx.reset(ev)
	defer r.ctx.reset(nil)
	if o := ev.Origin; o != nil {
		r.env.SourceName, r.env.Project, r.env.Logstore, r.env.Shard = o.Source, o.Project, o.Logstore, o.Shard
	} else {
		r.env.SourceName, r.env.Project, r.env.Logstore, r.env.Shard = "", "", "", -1
	}
	for _, rule := range rs {
		out, err := r.apply(rule, ev)
		if out != Pass {
			return out, err
		}
	}
	return Pass, nil
}

func (r *Evaluator) run(p *program, ev *event.Event) (any, error) {
	r.env.Topic, r.env.Source, r.env.Time = ev.Topic, ev.Source, ev.Time
	v, err := r.vm.Run(p.p, &r.env)
	if err == nil {
		err = checkFinite(v)
	}
	if err != nil {
		return nil, &exprError{p: p, err: err}
	}
	return v, nil
}

// exprError is an expression's run-time error, before fail names the rule.
type exprError struct {
	p   *program
	err error
}

func (e *exprError) Error() string { return e.err.Error() }

// fail applies the rule's on_error policy to one failed step. It returns
// Pass when the rule should go on (keep).
func fail(rule *Rule, step string, err error) (Outcome, error) {
	e := &Error{Rule: rule.name, Step: step, Err: err}
	var xe *exprError
	if errors.As(err, &xe) {
		e.Err, e.Expr, e.Pos = xe.err, xe.p.expr.Code, position(xe.p.expr, xe.err)
		var fe *file.Error
		if errors.As(xe.err, &fe) {
			e.Err = errors.New(fe.Message)
		}
	}
	switch rule.onError {
	case Keep:
		return Pass, nil
	case Drop:
		return Dropped, e
	}
	return Failed, e
}

func (r *Evaluator) apply(rule *Rule, ev *event.Event) (Outcome, error) {
	if rule.filter.p != nil {
		v, err := r.run(&rule.filter, ev)
		if err != nil {
			if out, err := fail(rule, "filter", err); out != Pass {
				return out, err
			}
		} else {
			keep, ok := v.(bool)
			if !ok {
				if out, err := fail(rule, "filter", fmt.Errorf("result is %T, not bool", v)); out != Pass {
					return out, err
				}
			} else if !keep {
				return Filtered, nil
			}
		}
	}
	for _, key := range rule.decode {
		i := ev.Index(key)
		if i < 0 {
			continue
		}
		v := ev.Fields[i].Value
		if v.Kind() != event.KindString {
			continue
		}
		if _, err := r.ctx.parse(key, v.Str()); err != nil {
			if out, err := fail(rule, "decode_json "+key, err); out != Pass {
				return out, err
			}
			continue
		}
		ev.Fields[i].Value = event.RawJSON(v.Str())
	}
	for i := range rule.sets {
		s := &rule.sets[i]
		v, err := r.run(s, ev)
		if err != nil {
			if out, err := fail(rule, "set "+s.key, err); out != Pass {
				return out, err
			}
			continue
		}
		if v != nil {
			ev.Set(s.key, event.Any(v))
		}
	}
	for i := range rule.metas {
		m := &rule.metas[i]
		v, err := r.run(m, ev)
		if err != nil {
			if out, err := fail(rule, "meta "+m.key, err); out != Pass {
				return out, err
			}
			continue
		}
		if v != nil {
			ev.SetMeta(m.key, toMetaString(v))
		}
	}
	for _, key := range rule.deletes {
		if tag, ok := cutTag(key); ok {
			ev.Tags = deleteKV(ev.Tags, tag)
			continue
		}
		ev.Delete(key)
	}
	return Pass, nil
}

func cutTag(key string) (string, bool) {
	if len(key) > len(event.KeyTag) && key[:len(event.KeyTag)] == event.KeyTag {
		return key[len(event.KeyTag):], true
	}
	return "", false
}

// deleteKV returns kvs without key. It copies: sources may share one tags
// slice among the events of a log group.
func deleteKV(kvs []event.Tag, key string) []event.Tag {
	for i := range kvs {
		if kvs[i].Key == key {
			out := make([]event.Tag, 0, len(kvs)-1)
			out = append(out, kvs[:i]...)
			return append(out, kvs[i+1:]...)
		}
	}
	return kvs
}

// position is where in the configuration an expression failed: the file
// position of expr's line and column when the text maps onto the file, else
// the expression's start plus its own line:column.
func position(e Expr, err error) string {
	var fe *file.Error
	if !errors.As(err, &fe) || fe.Line < 1 {
		return posString(e.Range.Filename, e.Range.Start)
	}
	if e.Pos != nil {
		from, _ := errorSpan(e.Code, fe)
		return posString(e.Range.Filename, e.Pos(from))
	}
	return fmt.Sprintf("%s (expression %d:%d)", posString(e.Range.Filename, e.Range.Start), fe.Line, fe.Column+1)
}

func posString(file string, p hcl.Pos) string {
	return fmt.Sprintf("%s:%d:%d", file, p.Line, p.Column)
}
