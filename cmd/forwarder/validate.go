package main

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/forwarder/forwarder/config"
)

type validateCmd struct {
	Format  string   `enum:"text,block,compact,json,github,sarif" default:"text" help:"Diagnostics format: text (block on a terminal, compact otherwise), block, compact (file:line:col: severity: message), json, github (Actions annotations), sarif (SARIF 2.1.0)."`
	Explain bool     `help:"Also print, per source lane, the SPL query it sends to SLS (filter push-down derived from the routes)."`
	Paths   []string `arg:"" name:"config" help:"Configuration files or directories."`
	// FileDirs as in run: validate checks file() paths against them.
	FileDirs []string `name:"file-dir" help:"A directory file() may read besides the configuration directory (repeatable), e.g. /run/secrets." type:"path"`
}

func (c *validateCmd) Run(e *env) error {
	// Machine formats go to stdout so they can be redirected to a file;
	// text goes to stderr with the other messages.
	out := e.stdout
	human := c.Format == formatText || c.Format == formatBlock || c.Format == formatCompact
	if human {
		out = e.stderr
	}
	config.SetFileDirs(c.FileDirs)
	p, diags := compile(c.Paths, config.Validate, c.Format, out)
	if diags.HasErrors() {
		n := 0
		for _, d := range diags {
			if d.Severity == hcl.DiagError {
				n++
			}
		}
		if c.Format == formatJSON || c.Format == formatSARIF {
			return codeError{code: exitConfig}
		}
		return codeError{code: exitConfig, msg: fmt.Sprintf("%d error(s) in configuration", n)}
	}
	if human {
		fmt.Fprintf(e.stdout, "configuration is valid: %d source(s), %d sink(s), %d route(s), %d test(s); plan %s\n",
			len(p.Sources()), len(p.Sinks()), len(p.Routes()), len(p.Tests()), p.Version())
		if c.Explain {
			explainPushDown(e.stdout, p)
		}
	}
	return nil
}
