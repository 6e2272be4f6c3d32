package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/sources"
)

// lanesOf resolves the lanes of one source.
func (p *Plan) lanesOf(src *SourceSpec) []*Lane {
	routes := p.SourceRoutes(src.Key)
	lc, ok := src.Config.(sources.LaneConfig)
	if !ok || !lc.PerSinkLanes() {
		l := &Lane{Key: src.Key, Source: src, Config: src.Config, Fingerprint: src.Fingerprint}
		for _, r := range routes {
			l.Routes = append(l.Routes, LaneRoute{Route: r.Route, Clone: r.Clone, To: r.Route.To, Primary: true})
		}
		return []*Lane{l}
	}
	var sinkKeys []string
	for _, r := range routes {
		for _, k := range r.Route.To {
			if !slices.Contains(sinkKeys, k) {
				sinkKeys = append(sinkKeys, k)
			}
		}
	}
	var out []*Lane
	for _, k := range sinkKeys {
		l := &Lane{Key: src.Key + ">" + k, Source: src, Sink: k, Config: lc.ForLane(k)}
		var lrs []*Route
		for _, r := range routes {
			if slices.Contains(r.Route.To, k) {
				l.Routes = append(l.Routes, LaneRoute{Route: r.Route, To: []string{k}, Primary: r.Route.To[0] == k})
				lrs = append(lrs, r.Route)
			}
		}
		// A lane pushes down only what its own routes keep.
		l.PushDown = pushDownFor(l.Config, lrs)
		l.Fingerprint = shortHash(fingerprint("lane", l.Config, k))
		for i := range l.Routes {
			l.Routes[i].Clone = l.Routes[i].Route.Mutates && len(l.Routes) > 1
		}
		out = append(out, l)
	}
	return out
}

// SourceRoutes returns the routes that read from a source key, in file
// order, each with its clone decision for that source.
func (p *Plan) SourceRoutes(source string) []SourceRoute {
	var out []SourceRoute
	for _, r := range p.routes {
		if slices.Contains(r.From, source) {
			out = append(out, SourceRoute{Route: r})
		}
	}
	for i := range out {
		out[i].Clone = out[i].Route.Mutates && len(out) > 1
	}
	return out
}

// laneDiags warns when a shared-lane source fans out to several sinks (one
// down sink then stalls the others) and rejects per-sink lanes whose
// upstream names collide.
func laneDiags(cfg *config.Config, src *SourceSpec, lanes []*Lane) hcl.Diagnostics {
	lc, ok := src.Config.(sources.LaneConfig)
	if !ok {
		return nil
	}
	var rng *hcl.Range
	for _, s := range cfg.Sources {
		if s.Key() == src.Key {
			rng = s.DefRange.Ptr()
		}
	}
	var diags hcl.Diagnostics
	if !lc.PerSinkLanes() {
		var sinks []string
		for _, r := range lanes[0].Routes {
			for _, k := range r.To {
				if !slices.Contains(sinks, k) {
					sinks = append(sinks, k)
				}
			}
		}
		if len(sinks) > 1 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Shared lane fans out",
				Detail:  fmt.Sprintf("Source %q has lanes = \"shared\" and writes to %d sinks (%s): its checkpoints move only when every one of them has the data, so one sink that is down stalls the others. Remove lanes = \"shared\" to give each sink its own consumer group (at the cost of reading the data once per sink).", src.Key, len(sinks), strings.Join(sinks, ", ")),
				Subject: rng})
		}
		return diags
	}
	seen := map[string]string{}
	for _, l := range lanes {
		name := lc.LaneName(l.Sink)
		if other, ok := seen[name]; ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Lane names collide",
				Detail:  fmt.Sprintf("Source %q would read for sinks %q and %q through the same consumer group %q. Rename one of the sinks.", src.Key, other, l.Sink, name),
				Subject: rng})
		}
		seen[name] = l.Sink
	}
	return diags
}
