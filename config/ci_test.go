package config

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

func rng(file string, line, col int) *hcl.Range {
	return &hcl.Range{Filename: file, Start: hcl.Pos{Line: line, Column: col}, End: hcl.Pos{Line: line, Column: col + 3}}
}

func TestSort(t *testing.T) {
	diags := hcl.Diagnostics{
		{Summary: "b11", Subject: rng("b.hcl", 11, 5)},
		{Summary: "a8", Subject: rng("a.hcl", 8, 5)},
		{Summary: "none"},
		{Summary: "a5c9", Subject: rng("a.hcl", 5, 9)},
		{Summary: "a5c1", Subject: rng("a.hcl", 5, 1)},
	}
	Sort(diags)
	var got []string
	for _, d := range diags {
		got = append(got, d.Summary)
	}
	want := []string{"none", "a5c1", "a5c9", "a8", "b11"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
}

func TestWriteGitHubEscapes(t *testing.T) {
	var b bytes.Buffer
	err := WriteGitHub(&b, hcl.Diagnostics{
		{Severity: hcl.DiagWarning, Summary: "Odd: a, b", Detail: "100% sure\nsecond line", Subject: rng("dir/x,y.hcl", 2, 3)},
		{Severity: hcl.DiagError, Summary: "No route"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "::warning file=dir/x%2Cy.hcl,line=2,col=3,endLine=2,endColumn=6,title=Odd%3A a%2C b::Odd: a, b: 100%25 sure%0Asecond line\n" +
		"::error title=No route::No route\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestWriteSARIFShape(t *testing.T) {
	var b bytes.Buffer
	if err := WriteSARIF(&b, hcl.Diagnostics{
		{Severity: hcl.DiagError, Summary: "Unsupported argument", Subject: rng("conf/a b.hcl", 3, 3)},
		{Severity: hcl.DiagError, Summary: "Unsupported argument", Subject: rng("/abs/c.hcl", 4, 1)},
	}); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct{ ID string } `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	r := log.Runs[0]
	if log.Version != "2.1.0" || len(r.Tool.Driver.Rules) != 1 || r.Tool.Driver.Rules[0].ID != "unsupported-argument" || len(r.Results) != 2 {
		t.Fatalf("unexpected log: %s", b.String())
	}
	if u := r.Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI; u != "conf/a%20b.hcl" {
		t.Errorf("relative uri %q", u)
	}
	if u := r.Results[1].Locations[0].PhysicalLocation.ArtifactLocation.URI; u != "file:///abs/c.hcl" {
		t.Errorf("absolute uri %q", u)
	}
}
