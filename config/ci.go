package config

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// WriteGitHub renders diagnostics as GitHub Actions workflow commands
// ("::error file=F,line=L,col=C,endLine=…,endColumn=…,title=T::MESSAGE"), so
// a workflow step annotates the lines of a pull request. Properties and
// messages are escaped as the runner expects: '%', CR and LF in both, and
// ':' and ',' in properties.
func WriteGitHub(w io.Writer, diags hcl.Diagnostics) error {
	for _, d := range diags {
		cmd := "error"
		if d.Severity == hcl.DiagWarning {
			cmd = "warning"
		}
		var props []string
		if r := d.Subject; r != nil {
			props = append(props,
				"file="+ghProperty(filepath.ToSlash(r.Filename)),
				fmt.Sprintf("line=%d", r.Start.Line),
				fmt.Sprintf("col=%d", r.Start.Column),
				fmt.Sprintf("endLine=%d", r.End.Line),
				fmt.Sprintf("endColumn=%d", r.End.Column))
		}
		props = append(props, "title="+ghProperty(d.Summary))
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		if _, err := fmt.Fprintf(w, "::%s %s::%s\n", cmd, strings.Join(props, ","), ghData(msg)); err != nil {
			return err
		}
	}
	return nil
}

var (
	ghDataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	ghPropertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func ghData(s string) string     { return ghDataEscaper.Replace(s) }
func ghProperty(s string) string { return ghPropertyEscaper.Replace(s) }

// SARIF 2.1.0 (OASIS), the subset code-scanning tools read: one run, the
// tool with a rule per distinct summary, and a result per diagnostic.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool    sarifTool     `json:"tool"`
		Results []sarifResult `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		InformationURI string      `json:"informationUri,omitempty"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID               string       `json:"id"`
		ShortDescription sarifMessage `json:"shortDescription"`
	}
	sarifMessage struct {
		Text string `json:"text"`
	}
	sarifResult struct {
		RuleID    string          `json:"ruleId"`
		RuleIndex int             `json:"ruleIndex"`
		Level     string          `json:"level"`
		Message   sarifMessage    `json:"message"`
		Locations []sarifLocation `json:"locations,omitempty"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysical `json:"physicalLocation"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifact `json:"artifactLocation"`
		Region           sarifRegion   `json:"region"`
	}
	sarifArtifact struct {
		URI string `json:"uri"`
	}
	sarifRegion struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn"`
		EndLine     int `json:"endLine"`
		EndColumn   int `json:"endColumn"`
	}
)

// SARIFSchema is the schema URI written in $schema.
const SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// WriteSARIF renders diagnostics as a SARIF 2.1.0 log for code-scanning
// upload (github/codeql-action/upload-sarif). Rule ids are the summaries in
// kebab case ("unsupported-argument"); file URIs are the paths as given,
// with forward slashes, so relative paths resolve against the checkout.
func WriteSARIF(w io.Writer, diags hcl.Diagnostics) error {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{Name: "forwarder",
			InformationURI: "https://github.com/forwarder/forwarder", Rules: []sarifRule{}}},
		Results: []sarifResult{},
	}
	index := map[string]int{}
	for _, d := range diags {
		id := ruleID(d.Summary)
		i, ok := index[id]
		if !ok {
			i = len(run.Tool.Driver.Rules)
			index[id] = i
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{ID: id, ShortDescription: sarifMessage{d.Summary}})
		}
		res := sarifResult{RuleID: id, RuleIndex: i, Level: "error", Message: sarifMessage{d.Summary}}
		if d.Severity == hcl.DiagWarning {
			res.Level = "warning"
		}
		if d.Detail != "" {
			res.Message.Text += ": " + d.Detail
		}
		if r := d.Subject; r != nil {
			res.Locations = []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: fileURI(r.Filename)},
				Region:           sarifRegion{StartLine: r.Start.Line, StartColumn: r.Start.Column, EndLine: r.End.Line, EndColumn: r.End.Column},
			}}}
		}
		run.Results = append(run.Results, res)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}

// ruleID turns "Reference to undeclared sink" into
// "reference-to-undeclared-sink".
func ruleID(summary string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(summary) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		return "diagnostic"
	}
	return b.String()
}

// fileURI is a relative path with forward slashes, percent-encoded (a
// relative URI reference), or a file:// URI for an absolute path.
func fileURI(name string) string {
	s := (&url.URL{Path: strings.TrimPrefix(filepath.ToSlash(name), "./")}).EscapedPath()
	if filepath.IsAbs(name) {
		return "file://" + s
	}
	return s
}
