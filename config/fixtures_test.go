package config_test

import (
	"embed"
	"io/fs"
	"strings"
	"testing"

	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/internal/diagmark"
)

//go:embed testdata/valid testdata/invalid
var fixtures embed.FS

// TestFixtures loads every fixture under testdata/valid and
// testdata/invalid (from an embed.FS, through LoadFS) and compares the
// errors and warnings with the ones the file marks inline
// (`# ERROR: LINE:COL Summary[; detail]`, see internal/diagmark). These are
// the diagnostics of loading alone; plan/testdata holds the fixtures of
// compiling (types, attributes of sources and sinks, references).
func TestFixtures(t *testing.T) {
	for _, dir := range []string{"testdata/valid", "testdata/invalid"} {
		names, err := fs.Glob(fixtures, dir+"/*.hcl")
		if err != nil {
			t.Fatal(err)
		}
		if len(names) == 0 {
			t.Fatalf("no fixtures in %s", dir)
		}
		for _, name := range names {
			t.Run(strings.TrimPrefix(name, "testdata/"), func(t *testing.T) {
				src, err := fs.ReadFile(fixtures, name)
				if err != nil {
					t.Fatal(err)
				}
				marks, err := diagmark.Parse(src)
				if err != nil {
					t.Fatal(err)
				}
				valid := dir == "testdata/valid"
				if valid && len(marks) > 0 {
					t.Fatalf("a fixture under valid/ has %d marks", len(marks))
				}
				if !valid && len(marks) == 0 {
					t.Fatal("an invalid fixture marks no diagnostic")
				}
				cfg, diags := config.LoadFS(fixtures, name)
				if cfg == nil {
					t.Fatalf("no Config: %s", diags)
				}
				for _, problem := range diagmark.Check(name, marks, diags) {
					t.Errorf("%s: %s", name, problem)
				}
			})
		}
	}
}
