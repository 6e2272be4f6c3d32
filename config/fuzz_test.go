package config_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/forwarder/forwarder/builtin"
	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/plan"
)

// FuzzLoad loads and compiles arbitrary bytes as a configuration file, in
// validate and run mode, and renders the diagnostics as text and JSON: no
// panic, a plan only without compile errors, and every diagnostic inside
// the file.
// The seeds are the quickstart example and every fixture of config and
// plan, besides the corpus in testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	seeds := []string{"../examples/quickstart.hcl"}
	for _, pattern := range []string{"testdata/*/*.hcl", "../plan/testdata/*.hcl", "../plan/testdata/*/*.hcl"} {
		more, err := filepath.Glob(pattern)
		if err != nil || len(more) == 0 {
			f.Fatalf("no seed fixtures match %s: %v", pattern, err)
		}
		seeds = append(seeds, more...)
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	reg := builtin.Registries()
	// One file per process, rewritten by each call: a temporary directory
	// per call would cost more than the load.
	dir, err := os.MkdirTemp("", "fuzzload")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "fuzz.hcl")
	f.Fuzz(func(t *testing.T, src []byte) {
		if err := os.WriteFile(path, src, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, mode := range []config.Mode{config.Validate, config.Run} {
			cfg, diags := config.Load(path)
			if cfg != nil {
				// Compile reports its own problems; the CLI adds Load's.
				p, d := plan.Compile(cfg, reg, mode)
				if p != nil && d.HasErrors() {
					t.Fatalf("a plan despite errors: %s", d)
				}
				diags = append(diags, d...)
			}
			for _, d := range diags {
				if r := d.Subject; r != nil && (r.Start.Byte < 0 || r.End.Byte > len(src) || r.Start.Byte > r.End.Byte) {
					t.Fatalf("diagnostic %q has range %v outside the %d-byte file", d.Summary, r, len(src))
				}
			}
			if cfg != nil {
				_ = config.WriteBlock(io.Discard, diags, cfg.Files, 80, false)
				_ = config.WriteCompact(io.Discard, diags)
				_ = config.WriteJSON(io.Discard, diags, cfg.Files)
			}
		}
	})
}
