// Package testrun runs the test blocks of a configuration: each feeds one
// input event through its route with the runtime's own routing step
// (engine.RouteEvent, what `run` does to every event) and compares what
// comes out with the expectation. No source or sink runs.
package testrun

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/forwarder/forwarder/engine"
	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/plan"
	"github.com/forwarder/forwarder/rules"
)

// Result is one test's outcome.
type Result struct {
	Name     string
	Pass     bool
	Failures []string
}

// Run runs every test block of p.
func Run(p *plan.Plan) []Result {
	var out []Result
	runner := rules.NewEvaluator()
	for _, t := range p.Tests() {
		out = append(out, runOne(runner, t))
	}
	return out
}

func runOne(runner *rules.Evaluator, t *plan.Test) Result {
	res := Result{Name: t.Name}
	fail := func(format string, args ...any) { res.Failures = append(res.Failures, fmt.Sprintf(format, args...)) }
	ev, err := Input(t.Input.Input)
	if err != nil {
		fail("input: %v", err)
		return res
	}
	// The test's input is the route's alone: run does clone an event that
	// several routes read, so the input is cloned too, as in run.
	ev, outcome, rerr := engine.RouteEvent(runner, t.Route, ev, true)
	switch {
	case t.Input.ExpectDropped:
		if outcome != rules.Filtered && outcome != rules.Dropped {
			fail("expected the event to be dropped, but it %s", describe(outcome, rerr))
		}
	case t.Input.ExpectDead:
		if outcome != rules.Failed {
			fail("expected the event to be dead-lettered, but it %s", describe(outcome, rerr))
		}
	default:
		if outcome != rules.Pass {
			fail("expected the event to pass, but it %s", describe(outcome, rerr))
		}
	}
	keys := make([]string, 0, len(t.Input.Expect))
	for k := range t.Input.Expect {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		want, err := ctyjson.Marshal(t.Input.Expect[k], t.Input.Expect[k].Type())
		if err != nil {
			fail("expect.%s: %v", k, err)
			continue
		}
		got, ok := lookup(ev, k)
		if !ok {
			if t.Input.Expect[k].IsNull() {
				continue
			}
			fail("%s: missing, want %s", k, want)
			continue
		}
		if !sameJSON(got, want) {
			fail("%s = %s, want %s", k, got, want)
		}
	}
	for k, want := range t.Input.ExpectMeta {
		if got, _ := ev.MetaValue(k); got != want {
			fail("meta.%s = %q, want %q", k, got, want)
		}
	}
	res.Pass = len(res.Failures) == 0
	return res
}

func describe(o rules.Outcome, err error) string {
	switch o {
	case rules.Pass:
		return "passed"
	case rules.Filtered:
		return "was filtered out"
	case rules.Dropped:
		return fmt.Sprintf("was dropped (%v)", err)
	}
	return fmt.Sprintf("was dead-lettered (%v)", err)
}

// lookup returns the JSON of a field, or of __topic__/__source__/__tag__:k.
func lookup(ev *event.Event, k string) ([]byte, bool) {
	switch {
	case k == event.KeyTopic:
		return event.AppendQuote(nil, ev.Topic), true
	case k == event.KeySource:
		return event.AppendQuote(nil, ev.Source), true
	case strings.HasPrefix(k, event.KeyTag):
		v, ok := ev.Tag(strings.TrimPrefix(k, event.KeyTag))
		return event.AppendQuote(nil, v), ok
	}
	v, ok := ev.Get(k)
	if !ok {
		return nil, false
	}
	return event.AppendValue(nil, v), true
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return string(a) == string(b)
	}
	return reflect.DeepEqual(x, y)
}

// Input builds an event from a test's input object. Keys follow SLS:
// __topic__, __source__, __time__ (unix seconds or RFC 3339), __tag__:NAME;
// every other key is a content field. Non-string values are JSON-encoded,
// as SLS stores everything as strings.
func Input(in map[string]cty.Value) (*event.Event, error) {
	ev := &event.Event{Time: time.Unix(0, 0).UTC()}
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := in[k]
		var s string
		if v.Type() == cty.String {
			s = v.AsString()
		} else {
			b, err := ctyjson.Marshal(v, v.Type())
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			s = string(b)
		}
		switch {
		case k == event.KeyTopic:
			ev.Topic = s
		case k == event.KeySource:
			ev.Source = s
		case k == event.KeyTime:
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				ev.Time = time.Unix(n, 0).UTC()
			} else if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				ev.Time = t
			} else {
				return nil, fmt.Errorf("__time__ %q is neither unix seconds nor RFC 3339", s)
			}
		case strings.HasPrefix(k, event.KeyTag):
			ev.Tags = append(ev.Tags, event.Tag{Key: strings.TrimPrefix(k, event.KeyTag), Value: s})
		default:
			ev.Fields = append(ev.Fields, event.Field{Key: k, Value: event.String(s)})
		}
	}
	return ev, nil
}
