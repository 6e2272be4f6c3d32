package plan

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/forwarder/forwarder/config"
)

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
