package main

import (
	"fmt"

	"github.com/forwarder/forwarder/engine/config"
)

type validateCmd struct {
	Format  string   `enum:"text,json" default:"text" help:"Output format: text or json."`
	Explain bool     `help:"Also print, per source, the SPL query it sends to SLS (filter push-down derived from the routes)."`
	Paths   []string `arg:"" name:"config" help:"Configuration files or directories." type:"path"`
}

func (c *validateCmd) Run(e *env) error {
	out := e.stderr
	if c.Format == "json" {
		out = e.stdout
	}
	p, diags := compile(c.Paths, config.Validate, c.Format, out)
	if diags.HasErrors() {
		n := 0
		for _, d := range diags {
			if d.Severity == 1 {
				n++
			}
		}
		if c.Format == "json" {
			return codeError{code: exitConfig}
		}
		return codeError{code: exitConfig, msg: fmt.Sprintf("%d error(s) in configuration", n)}
	}
	if c.Format == "text" {
		fmt.Fprintf(e.stdout, "configuration is valid: %d source(s), %d sink(s), %d route(s), %d test(s); plan %s\n",
			len(p.Sources()), len(p.Sinks()), len(p.Routes()), len(p.Tests()), p.Version())
		if c.Explain {
			explainPushDown(e.stdout, p)
		}
	}
	return nil
}
