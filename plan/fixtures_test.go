package plan_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forwarder/forwarder/builtin"
	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/internal/diagmark"
	"github.com/forwarder/forwarder/plan"
)

// TestFixtures loads and compiles (in validate mode, as `forwarder validate`
// does) every .hcl file under testdata and compares the errors and warnings
// with the ones the file marks inline (`# ERROR: LINE:COL Summary[; detail]`,
// see internal/diagmark). Files under valid/ must compile with no
// diagnostic; every other fixture must expect at least one error.
func TestFixtures(t *testing.T) {
	fsys := os.DirFS("testdata")
	names, err := fs.Glob(fsys, "*.hcl")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"valid", "invalid"} {
		more, err := fs.Glob(fsys, dir+"/*.hcl")
		if err != nil {
			t.Fatal(err)
		}
		if len(more) == 0 {
			t.Fatalf("no fixtures in testdata/%s", dir)
		}
		names = append(names, more...)
	}
	reg := builtin.Registries()
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			src, err := fs.ReadFile(fsys, name)
			if err != nil {
				t.Fatal(err)
			}
			marks, err := diagmark.Parse(src)
			if err != nil {
				t.Fatal(err)
			}
			valid := strings.HasPrefix(name, "valid/")
			if valid && len(marks) > 0 {
				t.Fatalf("a fixture under valid/ has %d marks", len(marks))
			}
			if !valid && len(marks) == 0 {
				t.Fatal("an invalid fixture marks no diagnostic")
			}
			cfg, diags := config.LoadFS(fsys, name)
			if cfg != nil { // as the CLI does: Load's errors and Compile's together
				p, d := plan.Compile(cfg, reg, config.Validate)
				diags = append(diags, d...)
				if p != nil && d.HasErrors() {
					t.Errorf("a plan despite errors")
				}
			}
			for _, problem := range diagmark.Check(name, marks, diags) {
				t.Errorf("%s: %s", filepath.Join("testdata", name), problem)
			}
		})
	}
}
