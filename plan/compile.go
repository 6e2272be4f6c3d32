package plan

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"

	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/internal/detail"
	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/rules"
)

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
