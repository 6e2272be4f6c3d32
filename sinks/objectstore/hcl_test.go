package objectstore_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forwarder/forwarder/builtin"
	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/plan"
)

// TestExampleValidates: examples/archive passes `forwarder validate`.
func TestExampleValidates(t *testing.T) {
	cfg, diags := config.Load("../../examples/archive")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if _, diags := plan.Compile(cfg, builtin.Registries(), config.Validate); diags.HasErrors() {
		t.Fatal(diags)
	}
}

// TestHCLDiagnostics: Parquet columns and types, CSV settings and the
// partition are checked at validate time, each error at its file:line:col.
func TestHCLDiagnostics(t *testing.T) {
	src := `sink "object_store" "a" {
  endpoint = "https://s3.oss-cn-hangzhou.aliyuncs.com"
  bucket   = "b"
  access_key_id     = env("K")
  access_key_secret = env("S")
  partition = "%Y/%q"
  format   = "parquet"
  parquet {
    column "n" { type = "integer" }
  }
}
sink "object_store" "b" {
  endpoint = "https://s3.oss-cn-hangzhou.aliyuncs.com"
  bucket   = "b"
  format   = "csv"
  csv {
    columns   = ["a"]
    delimiter = ";;"
  }
}
`
	path := filepath.Join(t.TempDir(), "x.hcl")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, diags := config.Load(path)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	_, diags = plan.Compile(cfg, builtin.Registries(), config.Validate)
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "%s: %s; %s\n", d.Subject, d.Summary, d.Detail)
	}
	got := b.String()
	for _, want := range []string{
		"x.hcl:6,15-22: Invalid partition; Unsupported directive %q",
		`x.hcl:9,25-34: Invalid parquet.column.type; Column "n": type must be string, boolean, int32, int64, float or double, not "integer"`,
		`x.hcl:18,17-21: Invalid csv.delimiter`,
		`x.hcl:12,1-24: Invalid access_key_id; Must be set`, // sink b has no keys at all
	} {
		if !strings.Contains(got, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "x.hcl:1,1-24: Invalid access") || strings.Contains(got, "x.hcl:4,") || strings.Contains(got, "x.hcl:5,") {
		t.Errorf("sink a's env() keys were checked in validate mode:\n%s", got)
	}
}
