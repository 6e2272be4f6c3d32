package main

import (
	"fmt"
	"strings"

	"github.com/forwarder/forwarder/engine/config"
	"github.com/forwarder/forwarder/engine/testrun"
)

type testCmd struct {
	Paths    []string `arg:"" name:"config" help:"Configuration files or directories." type:"path"`
	FileDirs []string `name:"file-dir" help:"A directory file() may read besides the configuration directory (repeatable), e.g. /run/secrets." type:"path"`
}

func (c *testCmd) Run(e *env) error {
	config.SetFileDirs(c.FileDirs)
	p, diags := compile(c.Paths, config.Validate, "text", e.stderr)
	if diags.HasErrors() {
		return codeError{code: exitConfig, msg: "configuration has errors; no test ran"}
	}
	results := testrun.Run(p)
	failed := 0
	for _, r := range results {
		if r.Pass {
			fmt.Fprintf(e.stdout, "PASS  %s\n", r.Name)
			continue
		}
		failed++
		fmt.Fprintf(e.stdout, "FAIL  %s\n", r.Name)
		for _, f := range r.Failures {
			fmt.Fprintf(e.stdout, "      %s\n", strings.ReplaceAll(f, "\n", "\n      "))
		}
	}
	fmt.Fprintf(e.stdout, "%d passed, %d failed\n", len(results)-failed, failed)
	if failed > 0 {
		return codeError{code: exitFailed}
	}
	if len(results) == 0 {
		fmt.Fprintln(e.stderr, "forwarder: warning: the configuration has no test blocks")
	}
	return nil
}
