package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

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
// these calls, never as variables, and every value they read is redacted
// from diagnostics and logs (see Redact).
func (cfg *Config) EvalContext(mode Mode) *hcl.EvalContext {
	return &hcl.EvalContext{Functions: map[string]function.Function{
		"env":  envFunc(mode),
		"file": fileFunc(mode, append([]string{cfg.Dir}, cfg.FileDirs...)),
	}}
}

var fileDirs struct {
	mu   sync.Mutex
	dirs []string
}

// SetFileDirs names the directories file() may read besides the
// configuration directory (the --file-dir flag; /run/secrets in a
// container). It is process-wide, so configurations reloaded later get the
// same directories; Load copies them into Config.FileDirs.
func SetFileDirs(dirs []string) {
	fileDirs.mu.Lock()
	defer fileDirs.mu.Unlock()
	fileDirs.dirs = append([]string(nil), dirs...)
}

func currentFileDirs() []string {
	fileDirs.mu.Lock()
	defer fileDirs.mu.Unlock()
	return append([]string(nil), fileDirs.dirs...)
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
					return cty.StringVal(def), nil // written in the file: no secret
				}
				return cty.NilVal, function.NewArgErrorf(0, "environment variable %s is not set (give a default as env(%q, \"…\") if it is optional)", name, name)
			}
			remember(v, fmt.Sprintf("env(%q)", name))
			return cty.StringVal(v), nil
		},
	})
}

// fileFunc is file(PATH). A relative path is relative to the configuration
// directory, dirs[0]; the resolved path (symbolic links followed) must lie
// under one of dirs, so a configuration from a repository cannot send
// /etc/shadow or ../../secret to a SIEM. Validate checks the path without
// reading the file.
func fileFunc(mode Mode, dirs []string) function.Function {
	return function.New(&function.Spec{
		Description: "Returns the contents of a file, trimmed of a final newline; relative paths are relative to the configuration directory.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			name := args[0].AsString()
			p, err := confine(name, dirs, mode == Run)
			if err != nil {
				return cty.NilVal, function.NewArgError(0, err)
			}
			if mode == Validate {
				return cty.StringVal(""), nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return cty.NilVal, function.NewArgErrorf(0, "cannot read file: %v", err)
			}
			v := strings.TrimRight(string(b), "\r\n")
			remember(v, fmt.Sprintf("file(%q)", name))
			return cty.StringVal(v), nil
		},
	})
}

// confine resolves name against dirs[0] and returns the real path when it
// lies under one of dirs. With mustExist (run time) a missing file is an
// error; at validate time a missing file is checked by its path alone.
// The caller reads the resolved path, not name.
func confine(name string, dirs []string, mustExist bool) (string, error) {
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(dirs[0], p)
	}
	p, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("cannot resolve path: %w", err)
	}
	// A path that does not resolve is checked as written, so a missing
	// file outside says "outside" (whether it exists is not revealed).
	real, resolveErr := filepath.EvalSymlinks(p)
	if resolveErr != nil {
		real = p
	}
	var allowed []string
	for _, d := range dirs {
		ad, err := filepath.Abs(d)
		if err != nil {
			continue
		}
		if rd, err := filepath.EvalSymlinks(ad); err == nil {
			ad = rd
		}
		if within(real, ad) {
			if resolveErr != nil && mustExist {
				return "", fmt.Errorf("cannot read file: %w", resolveErr)
			}
			return real, nil
		}
		allowed = append(allowed, ad)
	}
	return "", fmt.Errorf("%s is outside the directories file() may read (%s); move the file there or name its directory with --file-dir", real, strings.Join(allowed, ", "))
}

// within reports whether path is dir or lies below it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
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
