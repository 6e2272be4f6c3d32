// Package plugin is the vocabulary every plugin kind shares: the Config
// interface HCL decodes into, attribute errors and warnings, secrets, the TLS
// block and the registry of factories. Sources, sinks and the planner all
// import it; it imports no project package, so neither plugin kind depends on
// the other.
package plugin

import (
	"fmt"
	"sort"
)

// Config is a plugin's decoded HCL body. Validate is fast and does no I/O; it
// may return an *AttrError so the diagnostic points at the attribute.
type Config interface {
	Validate() error
}

// Warner is a Config that points out settings that are valid but probably
// not what the user meant (an old, easily misread attribute name); the
// planner reports each as a warning at the attribute.
type Warner interface {
	Warnings() []*AttrError
}

// AttrError is a Config.Validate error about one attribute. Attr is the HCL
// attribute name, or "block.attr" for an attribute in a nested block.
type AttrError struct {
	Attr string
	Err  error
}

func (e *AttrError) Error() string { return fmt.Sprintf("%s: %v", e.Attr, e.Err) }
func (e *AttrError) Unwrap() error { return e.Err }

// ConfigAs returns cfg as a factory's own config type C, or an error
// naming the plugin (kind "sink" or "source", its type and key) when cfg is
// another type or nil: the check both kinds' generic factories make, so a
// factory never panics on a foreign config.
func ConfigAs[C Config](kind, typ, name string, cfg Config) (C, error) {
	c, ok := cfg.(C)
	if !ok {
		var want C
		return c, fmt.Errorf("%s %s %q: config is a %T, want %T", typ, kind, name, cfg, want)
	}
	return c, nil
}

// Typed is what a registry keys a factory by: the first label of the block
// ("splunk_hec", "sls").
type Typed interface {
	TypeName() string
}

// Registry maps block types to the factories of one plugin kind.
type Registry[F Typed] struct {
	kind   string
	byType map[string]F
}

// NewRegistry returns a registry of the given factories of kind ("source",
// "sink"). Two factories of one type, or one without a type, are an error.
func NewRegistry[F Typed](kind string, fs ...F) (*Registry[F], error) {
	r := &Registry[F]{kind: kind, byType: make(map[string]F, len(fs))}
	for _, f := range fs {
		t := f.TypeName()
		if t == "" {
			return nil, fmt.Errorf("%s registry: factory without a type", kind)
		}
		if _, dup := r.byType[t]; dup {
			return nil, fmt.Errorf("%s registry: duplicate factory for type %q", kind, t)
		}
		r.byType[t] = f
	}
	return r, nil
}

// MustRegistry is NewRegistry for a fixed list compiled into the binary,
// where a duplicate is a programming error.
func MustRegistry[F Typed](kind string, fs ...F) *Registry[F] {
	r, err := NewRegistry(kind, fs...)
	if err != nil {
		panic(err)
	}
	return r
}

// Kind is what the registry holds ("source", "sink"), for diagnostics.
func (r *Registry[F]) Kind() string { return r.kind }

// Lookup returns the factory of a type.
func (r *Registry[F]) Lookup(typ string) (F, bool) {
	f, ok := r.byType[typ]
	return f, ok
}

// Types lists the registered types, sorted (for "did you mean").
func (r *Registry[F]) Types() []string {
	ts := make([]string, 0, len(r.byType))
	for t := range r.byType {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}
