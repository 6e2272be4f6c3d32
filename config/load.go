package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
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
// from the operating system and returns the merged configuration.
// Diagnostics cover every file and name it as the path was typed
// (a directory's files as DIR/NAME.hcl); the Config is usable only when
// they have no errors. Each path is read through os.DirFS of its parent
// directory, by the same code as LoadFS. Config.Dir, the directory file()
// resolves relative paths against, is the first path when it is a
// directory, else the first path's directory.
func Load(paths ...string) (*Config, hcl.Diagnostics) {
	cfg, diags := load(osRoots(paths))
	if cfg != nil && len(paths) > 0 {
		if st, err := os.Stat(paths[0]); err == nil && st.IsDir() {
			cfg.Dir = paths[0]
		} else {
			cfg.Dir = filepath.Dir(paths[0])
		}
	}
	return cfg, diags
}

// LoadFS is Load over fsys: names are files or directories of fsys
// (slash-separated, as fs.ValidPath requires), and diagnostics, Config.Files
// and Config.Paths name files as fsys does (a directory's files as
// DIR/NAME.hcl). Tests load fixtures from an fstest.MapFS or an embed.FS
// this way. Config.Dir stays empty, so file() resolves relative paths
// against the working directory; set it when the configuration refers to
// files next to it.
func LoadFS(fsys fs.FS, names ...string) (*Config, hcl.Diagnostics) {
	roots := make([]root, len(names))
	for i, n := range names {
		roots[i] = root{fsys: fsys, name: n, shown: n, join: path.Join}
	}
	return load(roots)
}

// Files lists the .hcl files that Load would read for paths, sorted.
func Files(paths ...string) ([]string, hcl.Diagnostics) {
	files, diags := expand(osRoots(paths))
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.shown
	}
	return out, diags
}

// A root is one configuration argument: a file or a directory of fsys.
// shown is how diagnostics name it, and join makes the names of a
// directory's files from it.
type root struct {
	fsys  fs.FS
	name  string
	shown string
	join  func(elem ...string) string
}

// osRoots turns operating-system paths into roots: each path is opened as
// its last element in os.DirFS(parent), and keeps its name as typed.
func osRoots(paths []string) []root {
	roots := make([]root, len(paths))
	for i, p := range paths {
		clean := filepath.Clean(p)
		dir, base := filepath.Dir(clean), filepath.Base(clean)
		switch {
		case p == "":
			dir, base = "", "." // os.DirFS("") fails every call, as os.Stat("") does
		case !fs.ValidPath(base):
			// "/", "..": a directory (or nothing) that has no parent to
			// open it from; open it as its own root.
			dir, base = clean, "."
		}
		roots[i] = root{fsys: os.DirFS(dir), name: base, shown: p, join: filepath.Join}
	}
	return roots
}

// load reads and decodes the .hcl files of roots.
func load(roots []root) (*Config, hcl.Diagnostics) {
	files, diags := expand(roots)
	if diags.HasErrors() {
		return nil, diags
	}
	p := hclparse.NewParser()
	cfg := &Config{Files: map[string]*hcl.File{}, FileDirs: currentFileDirs()}
	sum := sha256.New()
	for _, file := range files {
		name := file.shown
		cfg.Paths = append(cfg.Paths, name)
		src, err := fs.ReadFile(file.fsys, file.name)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read configuration file", Detail: shownError(err, name) + "."})
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

// shownError is err's text with the path of an fs.PathError replaced by the
// name the user gave (os.DirFS reports the name inside its root).
func shownError(err error, shown string) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		c := *pe
		c.Path = shown
		return c.Error()
	}
	return err.Error()
}

// expand turns roots into a list of .hcl files sorted by their shown names.
func expand(roots []root) ([]root, hcl.Diagnostics) {
	var out []root
	var diags hcl.Diagnostics
	if len(roots) == 0 {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No configuration given", Detail: "Name a .hcl file or a directory of .hcl files."}}
	}
	for _, r := range roots {
		st, err := fs.Stat(r.fsys, r.name)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read configuration", Detail: shownError(err, r.shown) + "."})
			continue
		}
		if !st.IsDir() {
			out = append(out, r)
			continue
		}
		ents, err := fs.ReadDir(r.fsys, r.name)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read configuration directory", Detail: shownError(err, r.shown) + "."})
			continue
		}
		n := 0
		for _, e := range ents {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".hcl") && !strings.HasPrefix(e.Name(), ".") {
				out = append(out, root{fsys: r.fsys, name: path.Join(r.name, e.Name()), shown: r.join(r.shown, e.Name()), join: r.join})
				n++
			}
		}
		if n == 0 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No configuration files", Detail: fmt.Sprintf("Directory %s holds no .hcl file.", r.shown)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].shown < out[j].shown })
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
