// Package plan compiles a Config into a Plan: immutable, with compiled rule
// programs, resolved routes and source/sink specs carrying fingerprints. A
// Plan holds no goroutines and no sockets; `validate` stops here, `run` and
// reload hand it to the engine. Every problem of a configuration is reported
// at once, each at its source range.
package plan

import (
	"slices"

	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/rules"
	"github.com/forwarder/forwarder/sinks"
	"github.com/forwarder/forwarder/sources"
)

// Registries are the factories a plan may use.
type Registries struct {
	Sources *plugin.Registry[sources.Factory]
	Sinks   *plugin.Registry[sinks.Factory]
}

// Plan is a compiled configuration. It is immutable and safe to share.
type Plan struct {
	version string
	sources []*SourceSpec
	sinks   []*SinkSpec
	rules   map[string]*rules.Rule
	routes  []*Route
	tests   []*Test
	lanes   []*Lane
	config  *config.Config
}

// Version identifies the plan: a hash of the configuration files' bytes.
func (p *Plan) Version() string { return p.version }

// Sources returns the source specs.
func (p *Plan) Sources() []*SourceSpec { return append([]*SourceSpec(nil), p.sources...) }

// Sinks returns the sink specs.
func (p *Plan) Sinks() []*SinkSpec { return append([]*SinkSpec(nil), p.sinks...) }

// HasSink reports whether the plan has a sink of that key.
func (p *Plan) HasSink(key string) bool {
	return slices.ContainsFunc(p.sinks, func(s *SinkSpec) bool { return s.Key == key })
}

// HasRoute reports whether the plan has a route of that name.
func (p *Plan) HasRoute(name string) bool {
	return slices.ContainsFunc(p.routes, func(r *Route) bool { return r.Name == name })
}

// Routes returns the routes, in file order.
func (p *Plan) Routes() []*Route { return append([]*Route(nil), p.routes...) }

// Tests returns the test blocks.
func (p *Plan) Tests() []*Test { return append([]*Test(nil), p.tests...) }

// Config returns the configuration the plan was compiled from (for snippets).
func (p *Plan) Config() *config.Config { return p.config }

// Lanes returns the lanes to run.
func (p *Plan) Lanes() []*Lane { return append([]*Lane(nil), p.lanes...) }
