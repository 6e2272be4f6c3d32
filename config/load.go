package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

var rootSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "source", LabelNames: []string{"type", "name"}},
		{Type: "sink", LabelNames: []string{"type", "name"}},
		{Type: "rule", LabelNames: []string{"name"}},
		{Type: "route", LabelNames: []string{"name"}},
		{Type: "test", LabelNames: []string{"name"}},
	},
}

// Load reads the given files and directories (their *.hcl files, sorted)
// and returns the merged configuration. Diagnostics cover every file; the
// Config is usable only when they have no errors.
func Load(paths ...string) (*Config, hcl.Diagnostics) {
	files, diags := expand(paths)
	if diags.HasErrors() {
		return nil, diags
	}
	p := hclparse.NewParser()
	cfg := &Config{Files: map[string]*hcl.File{}, Paths: files, FileDirs: currentFileDirs()}
	if len(paths) > 0 {
		if st, err := os.Stat(paths[0]); err == nil && st.IsDir() {
			cfg.Dir = paths[0]
		} else {
			cfg.Dir = filepath.Dir(paths[0])
		}
	}
	sum := sha256.New()
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read configuration file", Detail: err.Error() + "."})
			continue
		}
		fmt.Fprintf(sum, "%s\x00%d\x00", name, len(src))
		sum.Write(src)
		f, d := p.ParseHCL(src, name)
		diags = append(diags, d...)
		if f != nil {
			cfg.Files[name] = f
		}
		if f == nil || d.HasErrors() {
			cfg.Unparsed = append(cfg.Unparsed, name)
			continue
		}
		diags = append(diags, cfg.decodeFile(f, src)...)
	}
	cfg.Checksum = hex.EncodeToString(sum.Sum(nil))
	return cfg, diags
}

// Files lists the .hcl files that Load would read for paths, sorted.
func Files(paths ...string) ([]string, hcl.Diagnostics) { return expand(paths) }

// expand turns paths into a sorted list of .hcl files.
func expand(paths []string) ([]string, hcl.Diagnostics) {
	var out []string
	var diags hcl.Diagnostics
	if len(paths) == 0 {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No configuration given", Detail: "Name a .hcl file or a directory of .hcl files."}}
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read configuration", Detail: err.Error() + "."})
			continue
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read configuration directory", Detail: err.Error() + "."})
			continue
		}
		n := 0
		for _, e := range ents {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".hcl") && !strings.HasPrefix(e.Name(), ".") {
				out = append(out, filepath.Join(p, e.Name()))
				n++
			}
		}
		if n == 0 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No configuration files", Detail: fmt.Sprintf("Directory %s holds no .hcl file.", p)})
		}
	}
	sort.Strings(out)
	return out, diags
}

func (cfg *Config) decodeFile(f *hcl.File, src []byte) hcl.Diagnostics {
	content, diags := f.Body.Content(rootSchema)
	for _, b := range content.Blocks {
		switch b.Type {
		case "source", "sink":
			c := &Component{Type: b.Labels[0], Name: b.Labels[1], Body: b.Body, DefRange: b.DefRange, TypeRange: b.LabelRanges[0], NameRange: b.LabelRanges[1]}
			diags = append(diags, checkName(b.Labels[1], b.LabelRanges[1])...)
			if b.Type == "source" {
				cfg.Sources = append(cfg.Sources, c)
			} else {
				cfg.Sinks = append(cfg.Sinks, c)
			}
		case "rule":
			r, d := decodeRule(b, src)
			diags = append(diags, d...)
			if r != nil {
				cfg.Rules = append(cfg.Rules, r)
			}
		case "route":
			r, d := decodeRoute(b)
			diags = append(diags, d...)
			if r != nil {
				cfg.Routes = append(cfg.Routes, r)
			}
		case "test":
			t, d := decodeTest(b)
			diags = append(diags, d...)
			if t != nil {
				cfg.Tests = append(cfg.Tests, t)
			}
		}
	}
	return diags
}

// checkName requires block names to be identifiers, so they can be
// referenced as sink.TYPE.NAME.
func checkName(name string, rng hcl.Range) hcl.Diagnostics {
	if hclsyntax.ValidIdentifier(name) {
		return nil
	}
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid block name", Detail: fmt.Sprintf("%q is not a valid name: use letters, digits, underscores and dashes, starting with a letter.", name), Subject: rng.Ptr()}}
}
