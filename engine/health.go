package engine

import (
	"maps"
	"slices"

	"github.com/forwarder/forwarder/sources"
)

// SourceProblems returns, per running source key, the problems it reports
// (permanent errors it is retrying slowly, such as a missing logstore or
// denied access); sources with none are left out.
func (rt *Runtime) SourceProblems() map[string][]sources.Problem {
	rt.mu.Lock()
	srcs := maps.Clone(rt.sources)
	rt.mu.Unlock()
	out := map[string][]sources.Problem{}
	for _, key := range slices.Sorted(maps.Keys(srcs)) {
		if hr, ok := srcs[key].src.(sources.HealthReporter); ok {
			if ps := hr.Problems(); len(ps) > 0 {
				out[key] = ps
			}
		}
	}
	return out
}
