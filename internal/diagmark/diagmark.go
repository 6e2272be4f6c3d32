// Package diagmark reads the diagnostics a fixture file expects, written
// inline as comments, and compares them with the diagnostics a load or
// compile of the file produced, Terraform-style: the fixture carries its
// own expectations, so no test keeps a hand-written map of positions.
//
// A mark is a comment anywhere in the file:
//
//	# ERROR: LINE:COL SUMMARY
//	# WARNING: LINE:COL SUMMARY; DETAIL
//
// LINE:COL is where the diagnostic's subject starts (1-based, as
// `forwarder validate` prints it), SUMMARY its summary exactly, and the
// optional DETAIL, after "; ", a substring its detail must contain. The
// position is absolute, so a mark can sit next to a line that cannot hold
// a comment (inside a heredoc). Every error and warning must be marked and
// every mark must match one diagnostic; a file without marks must load
// without any.
package diagmark

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Mark is one expected diagnostic.
type Mark struct {
	Severity     hcl.DiagnosticSeverity
	Line, Column int
	Summary      string
	// Detail must be contained in the diagnostic's detail; "" matches any.
	Detail string
	// At is the line of the file the mark is written on.
	At int
}

func (m Mark) String() string {
	s := fmt.Sprintf("%s %d:%d %s", severity(m.Severity), m.Line, m.Column, m.Summary)
	if m.Detail != "" {
		s += "; " + m.Detail
	}
	return s
}

var (
	// anyMark finds a line that means to hold a mark, so that a malformed
	// one is an error rather than silently ignored.
	anyMark = regexp.MustCompile(`#\s*(ERROR|WARNING):`)
	mark    = regexp.MustCompile(`#\s*(ERROR|WARNING): (\d+):(\d+) ([^;]*[^;\s])(?:; (.+))?$`)
)

// Parse returns the marks of src in file order.
func Parse(src []byte) ([]Mark, error) {
	var out []Mark
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(nil, len(src)+1)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), " \t\r")
		if !anyMark.MatchString(line) {
			continue
		}
		m := mark.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("line %d: malformed mark %q: want \"# ERROR: LINE:COL Summary[; detail]\"", n, line)
		}
		l, _ := strconv.Atoi(m[2])
		c, _ := strconv.Atoi(m[3])
		sev := hcl.DiagError
		if m[1] == "WARNING" {
			sev = hcl.DiagWarning
		}
		out = append(out, Mark{Severity: sev, Line: l, Column: c, Summary: m[4], Detail: m[5], At: n})
	}
	return out, sc.Err()
}

// Check compares diags with marks and returns one line per difference: a
// diagnostic no mark expects, a mark no diagnostic matches, a diagnostic
// in another file than filename or without a position. It returns nil
// when they agree.
func Check(filename string, marks []Mark, diags hcl.Diagnostics) []string {
	var problems []string
	used := make([]bool, len(marks))
	for _, d := range diags {
		if d.Subject == nil {
			problems = append(problems, fmt.Sprintf("unexpected %s without a position: %s; %s", severity(d.Severity), d.Summary, d.Detail))
			continue
		}
		if d.Subject.Filename != filename {
			problems = append(problems, fmt.Sprintf("unexpected %s in %s: %s", severity(d.Severity), d.Subject.Filename, d.Summary))
			continue
		}
		found := false
		for i, m := range marks {
			if !used[i] && m.Severity == d.Severity && m.Line == d.Subject.Start.Line && m.Column == d.Subject.Start.Column &&
				m.Summary == d.Summary && strings.Contains(d.Detail, m.Detail) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			problems = append(problems, fmt.Sprintf("unexpected %s %d:%d %s; %s", severity(d.Severity), d.Subject.Start.Line, d.Subject.Start.Column, d.Summary, d.Detail))
		}
	}
	for i, m := range marks {
		if !used[i] {
			problems = append(problems, fmt.Sprintf("line %d: no diagnostic matches mark %s", m.At, m))
		}
	}
	return problems
}

func severity(s hcl.DiagnosticSeverity) string {
	if s == hcl.DiagWarning {
		return "WARNING"
	}
	return "ERROR"
}
