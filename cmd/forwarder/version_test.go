package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestResolveBuild(t *testing.T) {
	vcs := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/forwarder/forwarder", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"},
			{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		}}
	installed := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/forwarder/forwarder", Version: "v1.4.0"}}
	cases := []struct {
		name                   string
		ldVersion, ldCommit, d string
		bi                     *debug.BuildInfo
		want                   string
	}{
		{"nothing known", "", "", "", nil, "forwarder dev ("},
		{"checkout build", "", "", "", vcs, "forwarder dev (commit 0123456789ab-dirty, built 2026-12-01T10:00:00Z, go1.26.8 "},
		{"go install @version", "", "", "", installed, "forwarder v1.4.0 (go1.26.8 "},
		{"ldflags win", "v2.0.0", "fedcba9876543210", "2026-12-02T00:00:00Z", vcs, "forwarder v2.0.0 (commit fedcba987654, built 2026-12-02T00:00:00Z, go1.26.8 "},
		{"ldflags version only", "v2.0.1", "", "", installed, "forwarder v2.0.1 (go1.26.8 "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := resolveBuild(tc.ldVersion, tc.ldCommit, tc.d, tc.bi).String()
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("got %q, want prefix %q", got, tc.want)
			}
		})
	}
}

// TestVersionCommandAndFlag checks that `version` and `--version` print the
// same line and exit 0, and that --version wins over a command.
func TestVersionCommandAndFlag(t *testing.T) {
	want := currentBuild().String() + "\n"
	for _, args := range [][]string{{"version"}, {"--version"}, {"validate", "--version"}} {
		code, out, errOut := runCLI(t, args...)
		if code != 0 || out != want {
			t.Errorf("%v: exit %d, stdout %q, want %q (stderr %q)", args, code, out, want, errOut)
		}
	}
}
