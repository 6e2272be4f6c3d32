package engine

import (
	"slices"

	"github.com/forwarder/forwarder/sources"
)

// SourceProblems returns, per source key, the problems its lanes report
// (permanent errors they retry slowly, such as a missing logstore or denied
// access); sources with none are left out. Lanes of one source reporting
// the same problem list it once.
func (rt *Runtime) SourceProblems() map[string][]sources.Problem {
	out := map[string][]sources.Problem{}
	v := rt.view.Load()
	if v == nil {
		return out
	}
	for _, sr := range v.sources {
		hr, ok := sr.src.(sources.HealthReporter)
		if !ok {
			continue
		}
		for _, p := range hr.Problems() {
			if !slices.ContainsFunc(out[sr.source], func(q sources.Problem) bool { return q.Scope == p.Scope && q.Attr == p.Attr }) {
				out[sr.source] = append(out[sr.source], p)
			}
		}
	}
	return out
}
