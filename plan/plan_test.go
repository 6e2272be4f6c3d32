package plan_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/forwarder/forwarder/builtin"
	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/plan"
)

func compileFile(t *testing.T, path string, mode config.Mode) (*plan.Plan, hcl.Diagnostics) {
	t.Helper()
	cfg, diags := config.Load(path)
	if cfg == nil {
		return nil, diags
	}
	p, d := plan.Compile(cfg, builtin.Registries(), mode)
	return p, append(diags, d...)
}

// TestBrokenFileDiagnostics pins the position and summary of every error in
// a file with one of each mistake; all are reported in one run. The HCL
// parse-level errors (unknown block type) stop the load of that file, so
// they are checked on their own file below.
func TestBrokenFileDiagnostics(t *testing.T) {
	_, diags := compileFile(t, filepath.Join("testdata", "broken.hcl"), config.Validate)
	got := map[string]bool{}
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		got[fmt.Sprintf("%d:%d %s", d.Subject.Start.Line, d.Subject.Start.Column, d.Summary)] = true
	}
	want := []string{
		"3:3 Unsupported argument",           // unknown attribute (colour)
		"6:1 Unsupported block type",         // sinc
		"13:15 Invalid duration",             // batch.timeout
		"17:13 Duplicate sink name",          // second file.out
		"21:22 Missing required argument",    // file sink without path
		"28:33 Invalid filter expression",    // third line of the heredoc, at its end
		"33:13 Filter is not bool",           // filter = "topic + 'x'"
		"39:12 Reference to undeclared sink", // sink.file.outt
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("missing diagnostic %q", w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d errors, want %d:\n%s", len(got), len(want), strings.Join(keys(got), "\n"))
	}
	for _, d := range diags {
		if d.Summary == "Reference to undeclared sink" && !strings.Contains(d.Detail, `Did you mean "sink.file.out"?`) {
			t.Errorf("no did-you-mean in %q", d.Detail)
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

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
		p, diags := compileFile(t, path, config.Run)
		if tc.diag != "" {
			if !diags.HasErrors() || diags[0].Summary != tc.diag || diags[0].Subject.Start.Line != 4 {
				t.Errorf("%s: diagnostics %v, want %q on line 4", tc.attr, diags, tc.diag)
			}
			continue
		}
		if diags.HasErrors() {
			t.Fatalf("%s: %v", tc.attr, diags)
		}
		if got := p.Sinks()[0].Runner.BufferBytes; got != tc.want {
			t.Errorf("%s: buffer_bytes %d, want %d", tc.attr, got, tc.want)
		}
	}
}
