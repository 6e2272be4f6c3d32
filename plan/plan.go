// Package plan compiles a Config into a Plan: immutable, with compiled rule
// programs, resolved routes and source/sink specs carrying fingerprints. A
// Plan holds no goroutines and no sockets; `validate` stops here, `run` and
// reload hand it to the engine. Every problem of a configuration is reported
// at once, each at its source range.
package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"

	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/internal/detail"
	"github.com/forwarder/forwarder/internal/units"
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

// Lane is one independently acknowledged reader of a source. A source whose
// config supports lanes (sources.LaneConfig, e.g. SLS) and has them on runs
// one lane per sink its routes write to, each with its own cursor and only
// the routes (and rules) that lead to that sink; otherwise the source is a
// single lane running all its routes.
type Lane struct {
	// Key identifies the lane in the runtime: the source key, or
	// "SOURCE>SINK" for a per-sink lane.
	Key string
	// Source is the source the lane reads.
	Source *SourceSpec
	// Sink is the sink key of a per-sink lane; "" for a single lane.
	Sink string
	// Config is the source config of this lane (its own consumer group).
	Config plugin.Config
	// Fingerprint changes when the lane must restart: its source changed.
	// Route and rule changes do not restart lanes.
	Fingerprint string
	// Routes are what the lane's batches run through, in file order.
	Routes []LaneRoute
	// PushDown is what a per-sink lane asks upstream to filter (its own
	// routes' filters); nil for a single lane (see SourceSpec.PushDown) or
	// a source that cannot filter upstream.
	PushDown *PushDown
}

// LaneRoute is a route as one lane runs it.
type LaneRoute struct {
	Route *Route
	// Clone: the route changes events another route of the lane reads.
	Clone bool
	// To are the sinks the route writes to in this lane.
	To []string
	// Primary: this lane counts the route's metrics and dead-letters its rule
	// failures (the lane of the route's first sink), so a route in several
	// lanes reports and dead-letters each event once.
	Primary bool
}

// SourceSpec is a source to run.
type SourceSpec struct {
	Key, Type   string
	Config      plugin.Config
	Factory     sources.Factory
	Fingerprint string
	// PushDown is the upstream filter derived from the routes; nil for
	// source types that cannot filter upstream.
	PushDown *PushDown
}

// SinkSpec is a sink to run, with the engine's settings for it.
type SinkSpec struct {
	Key, Type   string
	Config      plugin.Config
	Factory     sinks.Factory
	Runner      Runner
	Fingerprint string
}

// Runner holds the engine-owned settings of a sink: batching, concurrency,
// buffering and retry backoff.
type Runner struct {
	MaxEvents    int           `json:"max_events"`
	MaxBytes     int64         `json:"max_bytes"`
	FlushTimeout time.Duration `json:"flush_timeout"`
	InFlight     int           `json:"in_flight"`
	BufferEvents int           `json:"buffer_events"`
	BufferBytes  int64         `json:"buffer_bytes"`
	RetryInitial time.Duration `json:"retry_initial"`
	RetryMax     time.Duration `json:"retry_max"`
}

// Route connects sources to sinks through rules.
type Route struct {
	Name  string
	From  []string // source keys
	Rules []*rules.Rule
	To    []string // sink keys
	// DeadLetter is the sink key for events that fail a rule or that a sink
	// rejects; "" means they are logged and counted.
	DeadLetter string
	// Mutates is true when a rule changes events.
	Mutates bool
}

// Test is a compiled test block.
type Test struct {
	Name  string
	Route *Route
	Input *config.Test
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

// SourceRoute is one route as a source's batches see it, with the facts the
// runtime needs resolved at compile time.
type SourceRoute struct {
	Route *Route
	// Clone is true when the route changes events that another route of the
	// same source also reads: it must work on copies so that what one route's
	// rules do is never visible to another route or its sinks. A route that
	// is its source's only reader changes the events in place.
	Clone bool
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

// Compile compiles cfg. The plan is nil when diagnostics have errors. A
// configuration with a file that failed to parse (cfg.Unparsed) compiles
// to nothing and adds no diagnostic: its syntax errors came from
// config.Load, and references into the half-read file would only add
// misleading ones.
func Compile(cfg *config.Config, reg Registries, mode config.Mode) (*Plan, hcl.Diagnostics) {
	if len(cfg.Unparsed) > 0 {
		return nil, nil
	}
	c := &compiler{cfg: cfg, reg: reg, mode: mode, ectx: cfg.EvalContext(mode)}
	p := &Plan{version: shortHash(cfg.Checksum), rules: map[string]*rules.Rule{}, config: cfg}
	var diags hcl.Diagnostics

	seen := map[string]hcl.Range{}
	dup := func(kind, key string, rng, def hcl.Range) bool {
		k := kind + " " + key
		if first, ok := seen[k]; ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate " + kind + " name",
				Detail:   fmt.Sprintf("A %s named %q was already declared at %s. Names must be unique per block type.", kind, key, first),
				Subject:  rng.Ptr(),
			})
			return true
		}
		seen[k] = def
		return false
	}

	for _, s := range cfg.Sources {
		if dup("source", s.Key(), s.NameRange, s.DefRange) {
			continue
		}
		spec, d := c.source(s)
		diags = append(diags, d...)
		if spec != nil {
			p.sources = append(p.sources, spec)
		}
	}
	for _, s := range cfg.Sinks {
		if dup("sink", s.Key(), s.NameRange, s.DefRange) {
			continue
		}
		spec, d := c.sink(s)
		diags = append(diags, d...)
		if spec != nil {
			p.sinks = append(p.sinks, spec)
		}
	}
	for _, r := range cfg.Rules {
		if dup("rule", r.Spec.Name, r.NameRange, r.Spec.DefRange) {
			continue
		}
		rule, d := rules.Compile(r.Spec)
		diags = append(diags, d...)
		if rule != nil {
			p.rules[r.Spec.Name] = rule
		}
	}
	known := c.knownKeys()
	used := map[string]bool{}
	for _, r := range cfg.Routes {
		if dup("route", r.Name, r.NameRange, r.DefRange) {
			continue
		}
		route, d := c.route(r, p, known, used)
		diags = append(diags, d...)
		if route != nil {
			p.routes = append(p.routes, route)
		}
	}
	for _, t := range cfg.Tests {
		if dup("test", t.Name, t.DefRange, t.DefRange) {
			continue
		}
		key, d := c.ref(t.Route, "route", known)
		diags = append(diags, d...)
		for _, r := range p.routes {
			if "route."+r.Name == key {
				p.tests = append(p.tests, &Test{Name: t.Name, Route: r, Input: t})
			}
		}
	}
	for _, s := range cfg.Sources {
		if !used["source."+s.Key()] {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Unused source", Detail: fmt.Sprintf("No route reads from source %q, so it will not run.", s.Key()), Subject: s.DefRange.Ptr()})
		}
	}
	for _, s := range cfg.Sinks {
		if !used["sink."+s.Key()] {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Unused sink", Detail: fmt.Sprintf("No route writes to sink %q.", s.Key()), Subject: s.DefRange.Ptr()})
		}
	}
	if len(cfg.Routes) == 0 && !diags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No route", Detail: "A configuration needs at least one route block connecting sources to sinks."})
	}
	if diags.HasErrors() {
		return nil, diags
	}
	// Run only the sources some route reads.
	kept := p.sources[:0]
	for _, s := range p.sources {
		if used["source."+s.Key] {
			kept = append(kept, s)
		}
	}
	p.sources = kept
	p.attachPushDown()
	for _, src := range p.sources {
		lanes := p.lanesOf(src)
		p.lanes = append(p.lanes, lanes...)
		diags = append(diags, laneDiags(cfg, src, lanes)...)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return p, diags
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

type compiler struct {
	cfg  *config.Config
	reg  Registries
	mode config.Mode
	ectx *hcl.EvalContext
}

func (c *compiler) source(s *config.Component) (*SourceSpec, hcl.Diagnostics) {
	f, ok := c.reg.Sources.Lookup(s.Type)
	if !ok {
		return nil, unsupported("source", s, c.reg.Sources.Types())
	}
	cfg := f.NewConfig()
	diags := c.decode(s, s.Body, cfg)
	if diags.HasErrors() {
		return nil, diags
	}
	return &SourceSpec{Key: s.Key(), Type: s.Type, Config: cfg, Factory: f, Fingerprint: fingerprint(s.Type, cfg, nil)}, diags
}

// commonSinkSchema is the part of every sink body that the engine owns.
var commonSinkSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "in_flight"}, {Name: "buffer_events"}, {Name: "buffer_bytes"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "batch"}, {Type: "retry"}},
}

type batchBlock struct {
	MaxEvents *int    `hcl:"max_events,optional"`
	MaxBytes  *string `hcl:"max_bytes,optional"`
	Timeout   *string `hcl:"timeout,optional"`
}

type retryBlock struct {
	Initial *string `hcl:"initial_backoff,optional"`
	Max     *string `hcl:"max_backoff,optional"`
}

// Defaults of the engine-owned sink settings.
const (
	DefaultMaxEvents    = 500
	DefaultMaxBytes     = 1 << 20
	DefaultFlushTimeout = time.Second
	DefaultBuffer       = 20000
	// DefaultBufferBytes bounds the memory of the events a sink holds
	// (queued, batched, being written or retried), counted as their share of
	// the source's measured footprint.
	DefaultBufferBytes  = 16 << 20
	DefaultRetryInitial = 200 * time.Millisecond
	DefaultRetryMax     = 30 * time.Second
)

func (c *compiler) sink(s *config.Component) (*SinkSpec, hcl.Diagnostics) {
	f, ok := c.reg.Sinks.Lookup(s.Type)
	if !ok {
		return nil, unsupported("sink", s, c.reg.Sinks.Types())
	}
	content, remain, diags := s.Body.PartialContent(commonSinkSchema)
	r := Runner{MaxEvents: DefaultMaxEvents, MaxBytes: DefaultMaxBytes, FlushTimeout: DefaultFlushTimeout,
		InFlight: max(f.MaxInFlight, 1), BufferEvents: DefaultBuffer, BufferBytes: DefaultBufferBytes, RetryInitial: DefaultRetryInitial, RetryMax: DefaultRetryMax}
	if f.Batch.MaxEvents > 0 {
		r.MaxEvents = f.Batch.MaxEvents
	}
	if f.Batch.MaxBytes > 0 {
		r.MaxBytes = int64(f.Batch.MaxBytes)
	}
	intAttr := func(name string, dst *int, min int) {
		if a, ok := content.Attributes[name]; ok {
			d := gohcl.DecodeExpression(a.Expr, c.ectx, dst)
			diags = append(diags, d...)
			if !d.HasErrors() && *dst < min {
				diags = append(diags, attrDiag("Invalid "+name, fmt.Sprintf("Must be at least %d.", min), a.Expr.Range()))
			}
		}
	}
	intAttr("in_flight", &r.InFlight, 1)
	intAttr("buffer_events", &r.BufferEvents, 1)
	if a, ok := content.Attributes["buffer_bytes"]; ok {
		var v string
		d := gohcl.DecodeExpression(a.Expr, c.ectx, &v)
		diags = append(diags, d...)
		if !d.HasErrors() {
			n, err := units.ParseSize(v)
			switch {
			case err != nil:
				diags = append(diags, attrDiag("Invalid size", detail.FromError(err), a.Expr.Range()))
			case n < 64<<10:
				diags = append(diags, attrDiag("Invalid buffer_bytes", "Must be at least 64KiB.", a.Expr.Range()))
			default:
				r.BufferBytes = n
			}
		}
	}
	dur := func(body hcl.Body, name string, v *string, dst *time.Duration) {
		if v == nil {
			return
		}
		d, err := units.ParseDuration(*v)
		if err != nil {
			diags = append(diags, attrDiag("Invalid duration", detail.FromError(err), config.AttrRange(body, name, s.DefRange)))
			return
		}
		*dst = d
	}
	for _, b := range content.Blocks {
		switch b.Type {
		case "batch":
			var bb batchBlock
			d := gohcl.DecodeBody(b.Body, c.ectx, &bb)
			diags = append(diags, d...)
			if bb.MaxEvents != nil {
				if *bb.MaxEvents < 1 {
					diags = append(diags, attrDiag("Invalid max_events", "Must be at least 1.", config.AttrRange(b.Body, "max_events", b.DefRange)))
				}
				r.MaxEvents = *bb.MaxEvents
			}
			if bb.MaxBytes != nil {
				n, err := units.ParseSize(*bb.MaxBytes)
				if err != nil {
					diags = append(diags, attrDiag("Invalid size", detail.FromError(err), config.AttrRange(b.Body, "max_bytes", b.DefRange)))
				}
				r.MaxBytes = n
			}
			dur(b.Body, "timeout", bb.Timeout, &r.FlushTimeout)
		case "retry":
			var rb retryBlock
			diags = append(diags, gohcl.DecodeBody(b.Body, c.ectx, &rb)...)
			dur(b.Body, "initial_backoff", rb.Initial, &r.RetryInitial)
			dur(b.Body, "max_backoff", rb.Max, &r.RetryMax)
		}
	}
	cfg := f.NewConfig()
	diags = append(diags, c.decode(s, remain, cfg)...)
	if diags.HasErrors() {
		return nil, diags
	}
	return &SinkSpec{Key: s.Key(), Type: s.Type, Config: cfg, Factory: f, Runner: r, Fingerprint: fingerprint(s.Type, cfg, r)}, diags
}

// decode decodes a component body into its factory's config and validates
// it. In Validate mode, errors about attributes that call env() or file()
// are skipped: their values are placeholders.
func (c *compiler) decode(s *config.Component, body hcl.Body, cfg plugin.Config) hcl.Diagnostics {
	diags := gohcl.DecodeBody(body, c.ectx, cfg)
	if diags.HasErrors() {
		return diags
	}
	if w, ok := cfg.(plugin.Warner); ok {
		for _, ae := range w.Warnings() {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Misleading " + ae.Attr,
				Detail: detail.FromError(ae.Err), Subject: config.AttrRange(s.Body, ae.Attr, s.DefRange).Ptr()})
		}
	}
	err := cfg.Validate()
	if err == nil {
		return diags
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	deferred := config.Deferred(s.Body)
	for _, e := range errs {
		var ae *plugin.AttrError
		if errors.As(e, &ae) {
			if c.mode == config.Validate && deferred[ae.Attr] {
				continue
			}
			diags = append(diags, attrDiag("Invalid "+ae.Attr, detail.FromError(ae.Err), config.AttrRange(s.Body, ae.Attr, s.DefRange)))
			continue
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid " + s.Type + " configuration", Detail: detail.FromError(e), Subject: s.DefRange.Ptr()})
	}
	return diags
}

func attrDiag(summary, detail string, rng hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng.Ptr()}
}

func unsupported(kind string, s *config.Component, types []string) hcl.Diagnostics {
	detail := fmt.Sprintf("There is no %s type %q. Known types: %s.", kind, s.Type, strings.Join(types, ", "))
	if m := closest(s.Type, types); m != "" {
		detail = fmt.Sprintf("There is no %s type %q. Did you mean %q?", kind, s.Type, m)
	}
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unsupported " + kind + " type", Detail: detail, Subject: s.TypeRange.Ptr()}}
}

// knownKeys lists every referenceable name: "source.T.N", "sink.T.N",
// "rule.N", "route.N".
func (c *compiler) knownKeys() map[string][]string {
	k := map[string][]string{}
	for _, s := range c.cfg.Sources {
		k["source"] = append(k["source"], "source."+s.Key())
	}
	for _, s := range c.cfg.Sinks {
		k["sink"] = append(k["sink"], "sink."+s.Key())
	}
	for _, r := range c.cfg.Rules {
		k["rule"] = append(k["rule"], "rule."+r.Spec.Name)
	}
	for _, r := range c.cfg.Routes {
		k["route"] = append(k["route"], "route."+r.Name)
	}
	return k
}

// ref resolves a traversal to a known key of the wanted kind.
func (c *compiler) ref(t hcl.Traversal, kind string, known map[string][]string) (string, hcl.Diagnostics) {
	if len(t) == 0 {
		return "", nil
	}
	parts := []string{t.RootName()}
	for _, s := range t[1:] {
		a, ok := s.(hcl.TraverseAttr)
		if !ok {
			return "", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid reference", Detail: fmt.Sprintf("Refer to a %s as %s.", kind, example(kind)), Subject: t.SourceRange().Ptr()}}
		}
		parts = append(parts, a.Name)
	}
	key := strings.Join(parts, ".")
	if parts[0] != kind {
		return "", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid reference", Detail: fmt.Sprintf("Expected a %s here, written %s; got %q.", kind, example(kind), key), Subject: t.SourceRange().Ptr()}}
	}
	for _, k := range known[kind] {
		if k == key {
			return key, nil
		}
	}
	detail := fmt.Sprintf("There is no %s %q in the configuration.", kind, strings.TrimPrefix(key, kind+"."))
	if m := closest(key, known[kind]); m != "" {
		detail += fmt.Sprintf(" Did you mean %q?", m)
	}
	return "", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Reference to undeclared " + kind, Detail: detail, Subject: t.SourceRange().Ptr()}}
}

func example(kind string) string {
	switch kind {
	case "source":
		return "source.TYPE.NAME"
	case "sink":
		return "sink.TYPE.NAME"
	}
	return kind + ".NAME"
}

func (c *compiler) route(r *config.Route, p *Plan, known map[string][]string, used map[string]bool) (*Route, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	out := &Route{Name: r.Name}
	for _, t := range r.From {
		k, d := c.ref(t, "source", known)
		diags = append(diags, d...)
		if k != "" {
			used[k] = true
			out.From = append(out.From, strings.TrimPrefix(k, "source."))
		}
	}
	for _, t := range r.Rules {
		k, d := c.ref(t, "rule", known)
		diags = append(diags, d...)
		if rule := p.rules[strings.TrimPrefix(k, "rule.")]; rule != nil {
			out.Rules = append(out.Rules, rule)
			out.Mutates = out.Mutates || rule.Mutates()
		}
	}
	for _, t := range r.To {
		k, d := c.ref(t, "sink", known)
		diags = append(diags, d...)
		if k != "" {
			used[k] = true
			out.To = append(out.To, strings.TrimPrefix(k, "sink."))
		}
	}
	if len(r.To) == 0 && r.ToRange != (hcl.Range{}) {
		diags = append(diags, attrDiag("Empty route", "A route needs at least one sink in to.", r.ToRange))
	}
	if r.DeadLetter != nil {
		k, d := c.ref(r.DeadLetter, "sink", known)
		diags = append(diags, d...)
		if k != "" {
			used[k] = true
			out.DeadLetter = strings.TrimPrefix(k, "sink.")
		}
	}
	return out, diags
}

// fingerprint hashes a component's type and decoded config (secrets enter as
// hashes through plugin.Secret's JSON form): equal fingerprints mean a running
// instance can be kept across a reload.
func fingerprint(typ string, cfg any, runner any) string {
	h := sha256.New()
	h.Write([]byte(typ))
	h.Write([]byte{0})
	b, _ := json.Marshal(cfg)
	h.Write(b)
	h.Write([]byte{0})
	b, _ = json.Marshal(runner)
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func shortHash(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// closest returns the candidate nearest to s by edit distance, if it is near
// enough to be a likely typo.
func closest(s string, candidates []string) string {
	best, bestD := "", len(s)/2+2
	for _, c := range candidates {
		if d := distance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
