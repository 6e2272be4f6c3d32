package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/forwarder/forwarder/engine/config"
)

type fmtCmd struct {
	Check bool     `help:"Do not write; list files that are not formatted and exit 1 if any."`
	Paths []string `arg:"" name:"config" help:"Configuration files or directories." type:"path"`
}

func (c *fmtCmd) Run(e *env) error {
	files, diags := config.Files(c.Paths...)
	unformatted := 0
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		// Refuse to format what does not parse: hclwrite would keep the damage.
		if _, d := hclparse.NewParser().ParseHCL(src, name); d.HasErrors() {
			diags = append(diags, d...)
			continue
		}
		out := hclwrite.Format(src)
		if bytes.Equal(out, src) {
			continue
		}
		unformatted++
		if c.Check {
			fmt.Fprintln(e.stdout, name)
			continue
		}
		if err := os.WriteFile(name, out, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		fmt.Fprintln(e.stdout, name)
	}
	if diags.HasErrors() {
		_ = config.WriteText(e.stderr, diags, map[string]*hcl.File{}, 100, false)
		return codeError{code: exitConfig}
	}
	if c.Check && unformatted > 0 {
		return codeError{code: exitFailed, msg: fmt.Sprintf("%d file(s) need formatting; run forwarder fmt", unformatted)}
	}
	return nil
}
