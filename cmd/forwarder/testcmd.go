package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/plan"
	"github.com/forwarder/forwarder/testrun"
)

type testCmd struct {
	Format   string   `enum:"text,junit" default:"text" help:"Result format: text (a line per test) or junit (JUnit XML on stdout, for CI test reports)."`
	Paths    []string `arg:"" name:"config" help:"Configuration files or directories."`
	FileDirs []string `name:"file-dir" help:"A directory file() may read besides the configuration directory (repeatable), e.g. /run/secrets." type:"path"`
}

func (c *testCmd) Run(e *env) error {
	config.SetFileDirs(c.FileDirs)
	p, diags := compile(c.Paths, config.Validate, formatText, e.stderr)
	if diags.HasErrors() {
		return codeError{code: exitConfig, msg: "configuration has errors; no test ran"}
	}
	results := testrun.Run(p)
	failed := 0
	for _, r := range results {
		if !r.Pass {
			failed++
		}
	}
	if c.Format == "junit" {
		if err := writeJUnit(e.stdout, p.Tests(), results, failed); err != nil {
			return err
		}
	} else {
		for _, r := range results {
			if r.Pass {
				fmt.Fprintf(e.stdout, "PASS  %s\n", r.Name)
				continue
			}
			fmt.Fprintf(e.stdout, "FAIL  %s\n", r.Name)
			for _, f := range r.Failures {
				fmt.Fprintf(e.stdout, "      %s\n", strings.ReplaceAll(f, "\n", "\n      "))
			}
		}
		fmt.Fprintf(e.stdout, "%d passed, %d failed\n", len(results)-failed, failed)
	}
	if failed > 0 {
		return codeError{code: exitFailed}
	}
	if len(results) == 0 {
		fmt.Fprintln(e.stderr, "forwarder: warning: the configuration has no test blocks")
	}
	return nil
}

// JUnit XML as CI test reporters read it (the Ant/Jenkins schema): one
// suite, a testcase per test block with the route as its class and the
// block's file and line.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name     string      `xml:"name,attr"`
		Tests    int         `xml:"tests,attr"`
		Failures int         `xml:"failures,attr"`
		Errors   int         `xml:"errors,attr"`
		Skipped  int         `xml:"skipped,attr"`
		Cases    []junitCase `xml:"testcase"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		Classname string        `xml:"classname,attr"`
		File      string        `xml:"file,attr,omitempty"`
		Line      int           `xml:"line,attr,omitempty"`
		Failure   *junitFailure `xml:"failure"`
	}
	junitFailure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
)

// writeJUnit writes results as JUnit XML; tests[i] is the block results[i]
// came from.
func writeJUnit(w io.Writer, tests []*plan.Test, results []testrun.Result, failed int) error {
	suite := junitSuite{Name: "forwarder", Tests: len(results), Failures: failed, Cases: []junitCase{}}
	for i, r := range results {
		tc := junitCase{Name: r.Name, Classname: "forwarder"}
		if i < len(tests) {
			t := tests[i]
			tc.Classname = "route." + t.Route.Name
			tc.File, tc.Line = t.Input.DefRange.Filename, t.Input.DefRange.Start.Line
		}
		if !r.Pass {
			msg := "test failed"
			if len(r.Failures) > 0 {
				msg = strings.SplitN(r.Failures[0], "\n", 2)[0]
			}
			tc.Failure = &junitFailure{Message: msg, Type: "assertion", Text: strings.Join(r.Failures, "\n")}
		}
		suite.Cases = append(suite.Cases, tc)
	}
	out := junitSuites{Tests: suite.Tests, Failures: failed, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
