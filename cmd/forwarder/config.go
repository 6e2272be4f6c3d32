package main

import (
	"io"
	"os"

	"github.com/hashicorp/hcl/v2"
	"golang.org/x/term"

	"github.com/forwarder/forwarder/builtin"
	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/plan"
)

// Diagnostic output formats (validate --format).
const (
	formatText    = "text"    // block on a terminal, compact otherwise
	formatBlock   = "block"   // Terraform-style: summary, snippet, detail
	formatCompact = "compact" // file:line:col: severity: summary; detail
	formatJSON    = "json"
	formatGitHub  = "github" // GitHub Actions workflow commands
	formatSARIF   = "sarif"  // SARIF 2.1.0
)

// compile loads and compiles the configuration, printing diagnostics.
func compile(paths []string, mode config.Mode, format string, w io.Writer) (*plan.Plan, hcl.Diagnostics) {
	cfg, p, diags := plan.Load(builtin.Registries(), mode, paths...)
	files := map[string]*hcl.File{}
	if cfg != nil {
		files = cfg.Files
	}
	_ = writeDiags(w, format, diags, files)
	return p, diags
}

// writeDiags prints diagnostics once each, sorted by file and position, in
// the given format. json and sarif always write a document (an empty one
// when all is well); the other formats write nothing for no diagnostics.
func writeDiags(w io.Writer, format string, diags hcl.Diagnostics, files map[string]*hcl.File) error {
	config.Sort(diags)
	switch format {
	case formatJSON:
		return config.WriteJSON(w, diags, files)
	case formatSARIF:
		return config.WriteSARIF(w, diags)
	case formatGitHub:
		return config.WriteGitHub(w, diags)
	case formatCompact:
		return config.WriteCompact(w, diags)
	case formatBlock:
		return config.WriteBlock(w, diags, files, 100, false)
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		width := uint(100)
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil {
			width = uint(cols)
		}
		return config.WriteBlock(w, diags, files, width, os.Getenv("NO_COLOR") == "")
	}
	return config.WriteCompact(w, diags)
}
