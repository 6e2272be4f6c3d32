package main

import (
	"io"
	"os"

	"github.com/hashicorp/hcl/v2"
	"golang.org/x/term"

	"github.com/forwarder/forwarder/engine/builtin"
	"github.com/forwarder/forwarder/engine/config"
	"github.com/forwarder/forwarder/engine/plan"
)

// compile loads and compiles the configuration, printing diagnostics.
func compile(paths []string, mode config.Mode, format string, w io.Writer) (*plan.Plan, hcl.Diagnostics) {
	cfg, diags := config.Load(paths...)
	var p *plan.Plan
	if cfg != nil {
		// Compile even when loading found errors, so one run reports
		// every problem; a plan comes out only when there are none.
		var d hcl.Diagnostics
		p, d = plan.Compile(cfg, builtin.Registries(), mode)
		diags = append(diags, d...)
		if diags.HasErrors() {
			p = nil
		}
	}
	files := map[string]*hcl.File{}
	if cfg != nil {
		files = cfg.Files
	}
	if format == "json" {
		_ = config.WriteJSON(w, diags, files)
	} else if len(diags) > 0 {
		width, color := uint(100), false
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			if cols, _, err := term.GetSize(int(f.Fd())); err == nil {
				width = uint(cols)
			}
			color = os.Getenv("NO_COLOR") == ""
		}
		_ = config.WriteText(w, diags, files, width, color)
	}
	return p, diags
}
