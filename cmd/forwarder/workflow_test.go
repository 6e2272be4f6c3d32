package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestExampleWorkflow runs every forwarder command of the example GitHub
// Actions workflow on a copy of examples/multi-siem as the repository's
// config/ directory: each must exist with the flags written and pass.
func TestExampleWorkflow(t *testing.T) {
	wf, err := os.ReadFile("../../examples/ci/github-actions.yml")
	if err != nil {
		t.Fatal(err)
	}
	repo := t.TempDir()
	cfgDir := filepath.Join(repo, "config")
	if err := os.Mkdir(cfgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, _ := filepath.Glob("../../examples/multi-siem/*.hcl")
	for _, f := range src {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cfgDir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(repo)
	cmds := regexp.MustCompile(`(?m)^\s*run: forwarder (.+)$`).FindAllStringSubmatch(string(wf), -1)
	if len(cmds) < 4 {
		t.Fatalf("found %d forwarder commands in the workflow", len(cmds))
	}
	for _, m := range cmds {
		line := m[1]
		line, _, _ = strings.Cut(line, " ||")
		line, _, _ = strings.Cut(line, " >")
		code, out, errOut := runCLI(t, strings.Fields(line)...)
		if code != 0 {
			t.Errorf("forwarder %s: exit %d\n%s%s", line, code, out, errOut)
		}
	}
}
