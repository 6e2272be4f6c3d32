package config

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// WriteText renders diagnostics for people: a "file:line:col: severity:
// summary" line (the form editors and CI annotate), the detail, and the
// source snippet with the range underlined.
func WriteText(w io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File, width uint, color bool) error {
	diags = RedactDiagnostics(diags)
	snip := hcl.NewDiagnosticTextWriter(w, files, width, color)
	for _, d := range diags {
		if _, err := fmt.Fprintln(w, Headline(d)); err != nil {
			return err
		}
		if d.Subject != nil {
			if err := snip.WriteDiagnostic(d); err != nil {
				return err
			}
		}
	}
	return nil
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
