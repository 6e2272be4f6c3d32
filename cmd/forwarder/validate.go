package main

import (
	"fmt"

	"github.com/forwarder/forwarder/engine/config"
)

type validateCmd struct {
	Format string   `enum:"text,json" default:"text" help:"Output format: text or json."`
	Paths  []string `arg:"" name:"config" help:"Configuration files or directories." type:"path"`
	// FileDirs as in run: validate checks file() paths against them.
	FileDirs []string `name:"file-dir" help:"A directory file() may read besides the configuration directory (repeatable), e.g. /run/secrets." type:"path"`
}

func (c *validateCmd) Run(e *env) error {
	out := e.stderr
	if c.Format == "json" {
		out = e.stdout
	}
	config.SetFileDirs(c.FileDirs)
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
	}
	return nil
}
