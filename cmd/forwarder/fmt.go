package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/rogpeppe/go-internal/diff"
)

type fmtCmd struct {
	Check bool     `help:"Do not write; list files that are not formatted and exit 1 if any."`
	Diff  bool     `help:"Print a unified diff of the changes (with --check, instead of writing)."`
	Paths []string `arg:"" name:"config" help:"Configuration files, or directories searched recursively for *.hcl files."`
}

func (c *fmtCmd) Run(e *env) error {
	files, diags := fmtFiles(c.Paths)
	parser := hclparse.NewParser()
	unformatted := 0
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		// Refuse to format what does not parse: hclwrite would keep the damage.
		if _, d := parser.ParseHCL(src, name); d.HasErrors() {
			diags = append(diags, d...)
			continue
		}
		out := hclwrite.Format(src)
		if bytes.Equal(out, src) {
			continue
		}
		unformatted++
		switch {
		case c.Diff:
			e.stdout.Write(diff.Diff(name, src, name+" (formatted)", out))
		default:
			fmt.Fprintln(e.stdout, name)
		}
		if c.Check {
			continue
		}
		if err := os.WriteFile(name, out, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	if diags.HasErrors() {
		_ = writeDiags(e.stderr, formatText, diags, parser.Files())
		return codeError{code: exitConfig}
	}
	if c.Check && unformatted > 0 {
		return codeError{code: exitFailed, msg: fmt.Sprintf("%d file(s) need formatting; run forwarder fmt", unformatted)}
	}
	return nil
}

// fmtFiles lists the files to format: each file named, and every *.hcl file
// under each directory named, recursively, skipping hidden directories
// (.git). Unlike loading, formatting is per file, so subdirectories count.
func fmtFiles(paths []string) ([]string, hcl.Diagnostics) {
	var out []string
	var diags hcl.Diagnostics
	if len(paths) == 0 {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No configuration given", Detail: "Name a .hcl file or a directory of .hcl files."}}
	}
	for _, root := range paths {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case p == root && !d.IsDir():
				out = append(out, p)
			case d.IsDir() && p != root && strings.HasPrefix(d.Name(), "."):
				return filepath.SkipDir
			case !d.IsDir() && strings.HasSuffix(d.Name(), ".hcl") && !strings.HasPrefix(d.Name(), "."):
				out = append(out, p)
			}
			return nil
		})
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read configuration", Detail: err.Error() + "."})
		}
	}
	sort.Strings(out)
	return slices.Compact(out), diags // a file under two named paths is formatted once
}
