package config

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Sort orders diagnostics by file, then position; diagnostics with no
// location (such as "No configuration given") come first. The order among
// equal positions is kept.
func Sort(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		case a.Start.Line != b.Start.Line:
			return a.Start.Line < b.Start.Line
		}
		return a.Start.Column < b.Start.Column
	})
}

// WriteCompact renders each diagnostic as its Headline, one a line: the
// form editors, grep and CI logs read.
func WriteCompact(w io.Writer, diags hcl.Diagnostics) error {
	diags = RedactDiagnostics(diags)
	for _, d := range diags {
		if _, err := fmt.Fprintln(w, Headline(d)); err != nil {
			return err
		}
	}
	return nil
}

// WriteBlock renders diagnostics for people at a terminal, as Terraform
// does: the summary, the file and line, the source snippet with the range
// underlined, and the detail, wrapped to width.
func WriteBlock(w io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File, width uint, color bool) error {
	diags = RedactDiagnostics(diags)
	return hcl.NewDiagnosticTextWriter(w, files, width, color).WriteDiagnostics(diags)
}

// Headline is one line: "file:line:col: error: Summary; Detail".
func Headline(d *hcl.Diagnostic) string {
	sev := "error"
	if d.Severity == hcl.DiagWarning {
		sev = "warning"
	}
	var b strings.Builder
	if d.Subject != nil {
		fmt.Fprintf(&b, "%s:%d:%d: ", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
	}
	b.WriteString(sev + ": " + d.Summary)
	if d.Detail != "" {
		b.WriteString("; " + strings.ReplaceAll(d.Detail, "\n", " "))
	}
	return b.String()
}

type jsonPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

type jsonRange struct {
	Filename string  `json:"filename"`
	Start    jsonPos `json:"start"`
	End      jsonPos `json:"end"`
}

type jsonDiag struct {
	Severity string     `json:"severity"`
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail,omitempty"`
	Range    *jsonRange `json:"range,omitempty"`
	Snippet  *struct {
		Code      string `json:"code"`
		StartLine int    `json:"start_line"`
	} `json:"snippet,omitempty"`
}

// WriteJSON renders diagnostics for tools, in the shape Terraform uses:
// {"valid":…, "error_count":…, "diagnostics":[{severity, summary, detail,
// range{filename,start,end}, snippet{code,start_line}}]}.
func WriteJSON(w io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File) error {
	out := struct {
		Valid        bool       `json:"valid"`
		ErrorCount   int        `json:"error_count"`
		WarningCount int        `json:"warning_count"`
		Diagnostics  []jsonDiag `json:"diagnostics"`
	}{Valid: !diags.HasErrors(), Diagnostics: []jsonDiag{}}
	for _, d := range diags {
		jd := jsonDiag{Severity: "error", Summary: Redact(d.Summary), Detail: Redact(d.Detail)}
		if d.Severity == hcl.DiagWarning {
			jd.Severity = "warning"
			out.WarningCount++
		} else {
			out.ErrorCount++
		}
		if r := d.Subject; r != nil {
			jd.Range = &jsonRange{Filename: r.Filename,
				Start: jsonPos{r.Start.Line, r.Start.Column, r.Start.Byte}, End: jsonPos{r.End.Line, r.End.Column, r.End.Byte}}
			if f := files[r.Filename]; f != nil {
				lines := strings.Split(string(f.Bytes), "\n")
				if r.Start.Line >= 1 && r.Start.Line <= len(lines) {
					jd.Snippet = &struct {
						Code      string `json:"code"`
						StartLine int    `json:"start_line"`
					}{Code: lines[r.Start.Line-1], StartLine: r.Start.Line}
				}
			}
		}
		out.Diagnostics = append(out.Diagnostics, jd)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
