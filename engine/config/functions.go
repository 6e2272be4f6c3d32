package config

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// Mode says whether a configuration is being validated or run.
type Mode uint8

const (
	// Run evaluates env() and file() for real.
	Run Mode = iota
	// Validate never reads the environment or secret files: env() returns
	// its default or "", file() returns "", and attributes that call them
	// are "deferred" so format checks on them are skipped. CI needs no
	// secrets to validate.
	Validate
)

// EvalContext returns the evaluation context of source and sink bodies: the
// functions env(NAME[, DEFAULT]) and file(PATH). Secrets enter only through
// these calls, never as variables, so diagnostics never render them.
func (cfg *Config) EvalContext(mode Mode) *hcl.EvalContext {
	return &hcl.EvalContext{Functions: map[string]function.Function{
		"env":  envFunc(mode),
		"file": fileFunc(mode, cfg.Dir),
	}}
}

func envFunc(mode Mode) function.Function {
	return function.New(&function.Spec{
		Description: "Returns the value of an environment variable, or the default when it is unset.",
		Params:      []function.Parameter{{Name: "name", Type: cty.String}},
		VarParam:    &function.Parameter{Name: "default", Type: cty.String},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if len(args) > 2 {
				return cty.NilVal, function.NewArgErrorf(2, "env takes a name and at most one default")
			}
			def, hasDef := "", len(args) == 2
			if hasDef {
				def = args[1].AsString()
			}
			if mode == Validate {
				return cty.StringVal(def), nil
			}
			name := args[0].AsString()
			v, ok := os.LookupEnv(name)
			if !ok {
				if hasDef {
					return cty.StringVal(def), nil
				}
				return cty.NilVal, function.NewArgErrorf(0, "environment variable %s is not set (give a default as env(%q, \"…\") if it is optional)", name, name)
			}
			return cty.StringVal(v), nil
		},
	})
}

func fileFunc(mode Mode, dir string) function.Function {
	return function.New(&function.Spec{
		Description: "Returns the contents of a file, trimmed of a final newline; relative paths are relative to the configuration directory.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if mode == Validate {
				return cty.StringVal(""), nil
			}
			p := args[0].AsString()
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return cty.NilVal, function.NewArgErrorf(0, "cannot read file: %v", err)
			}
			return cty.StringVal(strings.TrimRight(string(b), "\r\n")), nil
		},
	})
}

// Deferred lists the attributes of a body (as "name" or "block.name") whose
// value calls env() or file(): in Validate mode their values are
// placeholders, so checks on them are skipped.
func Deferred(body hcl.Body) map[string]bool {
	out := map[string]bool{}
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return out
	}
	var walk func(b *hclsyntax.Body, prefix string)
	walk = func(b *hclsyntax.Body, prefix string) {
		for name, a := range b.Attributes {
			found := false
			hclsyntax.VisitAll(a.Expr, func(n hclsyntax.Node) hcl.Diagnostics {
				if c, ok := n.(*hclsyntax.FunctionCallExpr); ok && (c.Name == "env" || c.Name == "file") {
					found = true
				}
				return nil
			})
			if found {
				out[prefix+name] = true
			}
		}
		for _, blk := range b.Blocks {
			walk(blk.Body, prefix+blk.Type+".")
		}
	}
	walk(sb, "")
	return out
}

// AttrRange finds the range of an attribute ("name" or "block.name") in a
// body, for diagnostics about decoded values. It falls back to def.
func AttrRange(body hcl.Body, path string, def hcl.Range) hcl.Range {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return def
	}
	parts := strings.Split(path, ".")
	for len(parts) > 1 {
		var next *hclsyntax.Body
		for _, blk := range sb.Blocks {
			if blk.Type == parts[0] {
				next = blk.Body
				break
			}
		}
		if next == nil {
			return def
		}
		sb, parts = next, parts[1:]
	}
	if a, ok := sb.Attributes[parts[0]]; ok {
		return a.Expr.Range()
	}
	return def
}
