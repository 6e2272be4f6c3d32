package plan_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/forwarder/forwarder/builtin"
	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/plan"
)

// TestSinkBufferBytes: buffer_bytes defaults to 16MiB, takes a size, and a
// bad value is an error at its position.
func TestSinkBufferBytes(t *testing.T) {
	for _, tc := range []struct {
		attr string
		want int64
		diag string // summary of the expected error, "" for none
	}{
		{attr: "", want: plan.DefaultBufferBytes},
		{attr: `buffer_bytes = "8MiB"`, want: 8 << 20},
		{attr: `buffer_bytes = "lots"`, diag: "Invalid size"},
		{attr: `buffer_bytes = "1KiB"`, diag: "Invalid buffer_bytes"},
	} {
		path := filepath.Join(t.TempDir(), "f.hcl")
		src := "source \"demo\" \"d\" {}\nsink \"file\" \"out\" {\n  path = \"-\"\n  " + tc.attr + "\n}\nroute \"r\" {\n  from = [source.demo.d]\n  to = [sink.file.out]\n}\n"
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		_, p, diags := plan.Load(builtin.Registries(), config.Run, path)
		if tc.diag != "" {
			if !diags.HasErrors() || diags[0].Summary != tc.diag || diags[0].Subject.Start.Line != 4 {
				t.Errorf("%s: diagnostics %v, want %q on line 4", tc.attr, diags, tc.diag)
			}
			continue
		}
		if diags.HasErrors() {
			t.Fatalf("%s: %v", tc.attr, diags)
		}
		if got := p.Sinks()[0].Delivery.BufferBytes; got != tc.want {
			t.Errorf("%s: buffer_bytes %d, want %d", tc.attr, got, tc.want)
		}
	}
}
