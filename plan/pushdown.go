package plan

import (
	"fmt"
	"strings"

	"github.com/forwarder/forwarder/rules"
)

// PushDown is what a source asks upstream to filter: the routes' leading
// filters translated into an SPL condition (rules.PushDown) that keeps a
// superset of what the routes keep. Local evaluation still runs.
type PushDown struct {
	// Condition is the derived `where` condition; "" when none applies.
	Condition string
	// Query is the full query the source sends ("" = none).
	Query string
	// Note says why Condition is empty.
	Note string
}

// pushDownTarget is a source config that can filter upstream (sls.Config).
// SetPushDown stores the condition and returns the query it will send;
// enabled is false when the user turned push-down off.
type pushDownTarget interface {
	SetPushDown(cond string) (query string, enabled bool)
}

// maxQueryLen is SLS's script length limit for SPL in real-time
// consumption (10 KB, https://www.alibabacloud.com/help/en/sls/user-guide/spl-overview).
const maxQueryLen = 10 * 1024

// attachPushDown derives each source's condition: the OR of the conditions
// of the routes reading it. A route with nothing to push down (no rules, or
// a first rule without a translatable filter) needs every event, so the
// source then pushes nothing. The fingerprint is recomputed, so a reload
// that changes the condition restarts the source.
func (p *Plan) attachPushDown() {
	for _, s := range p.sources {
		var routes []*Route
		for _, r := range p.SourceRoutes(s.Key) {
			routes = append(routes, r.Route)
		}
		if pd := pushDownFor(s.Config, routes); pd != nil {
			s.PushDown = pd
			s.Fingerprint = fingerprint(s.Type, s.Config, nil)
		}
	}
}

// pushDownFor stores in cfg (when it can filter upstream) the OR of the
// routes' conditions and returns what it will send; nil when cfg cannot.
func pushDownFor(cfg any, routes []*Route) *PushDown {
	t, ok := cfg.(pushDownTarget)
	if !ok {
		return nil
	}
	pd := &PushDown{}
	var conds []string
	for _, r := range routes {
		c, ok := rules.PushDown(r.Rules)
		if !ok {
			pd.Note = fmt.Sprintf("route %q needs every event (no filter that SLS can evaluate)", r.Name)
			conds = nil
			break
		}
		conds = append(conds, c)
	}
	cond := orConditions(conds)
	query, enabled := t.SetPushDown(cond)
	if n := len(query); enabled && n > maxQueryLen {
		query, _ = t.SetPushDown("")
		pd.Note = fmt.Sprintf("the derived query (%d bytes) exceeds SLS's %d-byte limit for consumption SPL", n, maxQueryLen)
		cond = ""
	}
	switch {
	case !enabled:
		pd.Note = "push_down = false"
	case cond != "":
		pd.Condition = cond
	}
	if pd.Condition == "" && pd.Note == "" {
		pd.Note = "no route reads this source"
	}
	pd.Query = query
	return pd
}

func orConditions(conds []string) string {
	seen := map[string]bool{}
	var uniq []string
	for _, c := range conds {
		if !seen[c] {
			seen[c] = true
			uniq = append(uniq, c)
		}
	}
	if len(uniq) == 1 {
		return uniq[0]
	}
	for i, c := range uniq {
		if strings.Contains(c, " or ") {
			uniq[i] = "(" + c + ")"
		}
	}
	return strings.Join(uniq, " or ")
}
