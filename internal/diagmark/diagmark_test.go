package diagmark

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

func TestParse(t *testing.T) {
	src := `source "demo" "a" { # ERROR: 1:1 Unsupported block type
  x = 1  # WARNING: 2:3 Misleading x; deprecated since 1.2
}
# ERROR: 9:12 Reference to undeclared sink; Did you mean "sink.file.out"?
# a comment about ERROR: nothing
`
	got, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []Mark{
		{Severity: hcl.DiagError, Line: 1, Column: 1, Summary: "Unsupported block type", At: 1},
		{Severity: hcl.DiagWarning, Line: 2, Column: 3, Summary: "Misleading x", Detail: "deprecated since 1.2", At: 2},
		{Severity: hcl.DiagError, Line: 9, Column: 12, Summary: "Reference to undeclared sink", Detail: `Did you mean "sink.file.out"?`, At: 4},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d marks %v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("mark %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestParseMalformed(t *testing.T) {
	for _, src := range []string{
		"# ERROR: Unsupported argument",   // no position
		"# ERROR: 3 Unsupported argument", // no column
		"# ERROR: 3:4",                    // no summary
		"# WARNING:3:4 Unused sink",       // no space
		"x = 1 # ERROR: 1:a Something",    // column not a number
		"# ERROR: 1:1 Summary;",           // empty detail
	} {
		if _, err := Parse([]byte(src)); err == nil || !strings.Contains(err.Error(), "malformed mark") {
			t.Errorf("Parse(%q) = %v, want a malformed-mark error", src, err)
		}
	}
}

func TestCheck(t *testing.T) {
	at := func(line, col int) *hcl.Range {
		return &hcl.Range{Filename: "f.hcl", Start: hcl.Pos{Line: line, Column: col}}
	}
	diag := func(sev hcl.DiagnosticSeverity, line, col int, summary, detail string) *hcl.Diagnostic {
		return &hcl.Diagnostic{Severity: sev, Summary: summary, Detail: detail, Subject: at(line, col)}
	}
	marks := []Mark{
		{Severity: hcl.DiagError, Line: 3, Column: 3, Summary: "Unsupported argument", At: 3},
		{Severity: hcl.DiagError, Line: 9, Column: 12, Summary: "Reference to undeclared sink", Detail: "Did you mean", At: 9},
	}
	for _, tc := range []struct {
		name  string
		diags hcl.Diagnostics
		want  []string // substrings, one per problem
	}{
		{"agree", hcl.Diagnostics{
			diag(hcl.DiagError, 9, 12, "Reference to undeclared sink", `There is no sink. Did you mean "x"?`),
			diag(hcl.DiagError, 3, 3, "Unsupported argument", "An argument named colour is not expected here."),
		}, nil},
		{"missing", hcl.Diagnostics{
			diag(hcl.DiagError, 3, 3, "Unsupported argument", ""),
		}, []string{"line 9: no diagnostic matches mark ERROR 9:12"}},
		{"wrong column", hcl.Diagnostics{
			diag(hcl.DiagError, 3, 4, "Unsupported argument", ""),
			diag(hcl.DiagError, 9, 12, "Reference to undeclared sink", "Did you mean"),
		}, []string{"unexpected ERROR 3:4 Unsupported argument", "line 3: no diagnostic matches"}},
		{"detail lacks the substring", hcl.Diagnostics{
			diag(hcl.DiagError, 3, 3, "Unsupported argument", ""),
			diag(hcl.DiagError, 9, 12, "Reference to undeclared sink", "There is no sink."),
		}, []string{"unexpected ERROR 9:12", "line 9: no diagnostic matches"}},
		{"warning is not an error", hcl.Diagnostics{
			diag(hcl.DiagWarning, 3, 3, "Unsupported argument", ""),
			diag(hcl.DiagError, 9, 12, "Reference to undeclared sink", "Did you mean"),
		}, []string{"unexpected WARNING 3:3", "line 3: no diagnostic matches"}},
		{"one mark, two diagnostics", hcl.Diagnostics{
			diag(hcl.DiagError, 3, 3, "Unsupported argument", ""),
			diag(hcl.DiagError, 3, 3, "Unsupported argument", ""),
			diag(hcl.DiagError, 9, 12, "Reference to undeclared sink", "Did you mean"),
		}, []string{"unexpected ERROR 3:3"}},
		{"no position, other file", hcl.Diagnostics{
			{Severity: hcl.DiagError, Summary: "No route"},
			{Severity: hcl.DiagError, Summary: "Elsewhere", Subject: &hcl.Range{Filename: "g.hcl"}},
			diag(hcl.DiagError, 3, 3, "Unsupported argument", ""),
			diag(hcl.DiagError, 9, 12, "Reference to undeclared sink", "Did you mean"),
		}, []string{"without a position: No route", "in g.hcl: Elsewhere"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Check("f.hcl", marks, tc.diags)
			if len(got) != len(tc.want) {
				t.Fatalf("got problems %q, want %d like %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}
