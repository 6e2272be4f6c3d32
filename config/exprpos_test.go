package config

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/forwarder/forwarder/rules"
)

// ruleDiags decodes src and compiles its rules, returning every error.
func ruleDiags(t testing.TB, src string) hcl.Diagnostics {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "t.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse: %s\n%s", diags.Error(), src)
	}
	cfg := &Config{Files: map[string]*hcl.File{"t.hcl": f}}
	if d := cfg.decodeFile(f, []byte(src)); d.HasErrors() {
		t.Fatalf("decode: %s\n%s", d.Error(), src)
	}
	var out hcl.Diagnostics
	for _, r := range cfg.Rules {
		_, d := rules.Compile(r.Spec)
		out = append(out, errs(d)...)
	}
	return out
}

// errs keeps the errors of diags.
func errs(diags hcl.Diagnostics) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			out = append(out, d)
		}
	}
	return out
}

// posOf is the position of byte offset off in src.
func posOf(src string, off int) hcl.Pos {
	return advance(hcl.InitialPos, []byte(src[:off]))
}

// TestExprErrorPositions pins where an expression error lands for each way
// of writing an expression. at is a substring of the file that occurs once;
// the error starts where it starts (or just after it, with after) and spans
// width characters.
func TestExprErrorPositions(t *testing.T) {
	cases := []struct {
		name  string
		body  string
		at    string
		after bool
		width int
	}{
		{"one line, end of input", `filter = "topic == 'a' && (source =="`, `(source ==`, true, 0},
		{"one line, unexpected token", `filter = "topic == 'a' oops"`, `oops`, false, 4},
		{"one line, type error", `filter = "topic + 1 == 2"`, `+ 1`, false, 1},
		{"one line, unterminated literal", `filter = "topic == 'abc"`, `'abc`, true, 0},
		{"escaped quotes before the error", `filter = "topic == \"a\" oops"`, `oops`, false, 4},
		{"escaped newline, end of input", `set = { c = "1 +\n 2 +" }`, `2 +`, true, 0},
		{"unicode before the error", `filter = "'éé' == 'é' oops"`, `oops`, false, 4},
		{"\\u escape before the error", `filter = "'\u00e9' oops"`, `oops`, false, 4},
		{"$${ escape before the error", `filter = "'$${x}' oops"`, `oops`, false, 4},
		{"heredoc, error on its third line", "filter = <<EOT\ntopic == 'a'\n  && source == 'b'\n  && x oops\nEOT\n", `oops`, false, 4},
		{"heredoc, end of input", "filter = <<EOT\ntopic == 'a' &&\n  (source ==\nEOT\n", `(source ==`, true, 0},
		{"<<- heredoc, end of input (issue 20)", "  filter = <<-EXPR\n    topic == 'actiontrail_audit_event' &&\n    fields[\"x\"] != nil &&\n    (event.eventName ==\n  EXPR\n", `(event.eventName ==`, true, 0},
		{"<<- heredoc, deeper line", "  filter = <<-EXPR\n    topic == 'a'\n      && source == 'b'\n        && x oops\n  EXPR\n", `oops`, false, 4},
		{"<<- heredoc, tabs", "\tfilter = <<-EXPR\n\t\ttopic == 'a'\n\t\t&& x oops\n\tEXPR\n", `oops`, false, 4},
		{"<<- heredoc, blank line inside", "  filter = <<-EXPR\n    topic == 'a'\n\n    && x oops\n  EXPR\n", `oops`, false, 4},
		{"<<- heredoc, trailing blank lines", "  filter = <<-EXPR\n    topic == 'a' &&\n\n  EXPR\n", `'a' &&`, true, 0},
		{"multi-line set map", "  set = {\n    a = \"upper(topic)\"\n    b = \"lower(source)\"\n    c = \"len(topic) oops\"\n  }\n", `oops`, false, 4},
		{"multi-line meta map with a heredoc", "  meta = {\n    index = \"'main'\"\n    sourcetype = <<-E\n      'alicloud:' +\n        (topic ??\n    E\n  }\n", `(topic ??`, true, 0},
		{"interpolation falls back to the text", `filter = "${"topic"} == 1 +"`, `"topic"}`, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := "rule \"r\" {\n" + tc.body + "\n}\n"
			diags := ruleDiags(t, src)
			if len(diags) != 1 {
				t.Fatalf("got %d errors, want 1: %v", len(diags), diags)
			}
			i := strings.Index(src, tc.at)
			if i < 0 || strings.Count(src, tc.at) != 1 {
				t.Fatalf("marker %q not unique in the file", tc.at)
			}
			if tc.after {
				i += len(tc.at)
			}
			want := posOf(src, i)
			got := diags[0].Subject
			if got.Start != want {
				t.Errorf("error %q starts at %d:%d (byte %d), want %d:%d (byte %d)\n%s",
					diags[0].Detail, got.Start.Line, got.Start.Column, got.Start.Byte, want.Line, want.Column, want.Byte, src)
			}
			if tc.width > 0 && got.End.Column-got.Start.Column != tc.width {
				t.Errorf("error spans %d:%d-%d:%d, want %d characters", got.Start.Line, got.Start.Column, got.End.Line, got.End.Column, tc.width)
			}
			if tc.after && got.End != got.Start {
				t.Errorf("an error at the end of input should be an empty range at the end, got %v", got)
			}
		})
	}
}

// TestIssue20Position pins the issue's own example.
func TestIssue20Position(t *testing.T) {
	src := `source "demo" "audit" {}

sink "file" "out" { path = "-" }

rule "r1" {
  filter = <<-EXPR
    topic == 'actiontrail_audit_event' &&
    fields["x"] != nil &&
    (event.eventName ==
  EXPR
}
`
	diags := ruleDiags(t, src)
	if len(diags) != 1 {
		t.Fatalf("got %v", diags)
	}
	if s := diags[0].Subject.Start; s.Line != 9 || s.Column != 24 {
		t.Errorf("error at %d:%d, want 9:24 (after `==` on the heredoc's third line)", s.Line, s.Column)
	}
}

// exprSeeds are valid expressions the generator breaks.
var exprSeeds = []string{
	"topic == 'actiontrail_audit_event' && event.eventName != nil",
	"let u = upper(event.userIdentity.userName);\nlen(u) > 3 ? lower(u) : 'x'",
	"cidr(event.sourceIpAddress, '10.0.0.0/8')\n  || fields[\"a-b\"] in ['x', \"y\"]",
	"{la: 'audit', lb: \"oss\"}[logstore] ?? 'main'",
	"'é\\u00e9' + `raw\\n` + '${x}' + '%{y}'",
	"\tmeta.index == tags['__receive_time__']\n\n  && (shard > 1 || source_name != \"\")",
}

// breakings derives broken expressions from a valid one: cut at every
// character, and a stray token inserted at every character.
func breakings(code string) []string {
	var out []string
	for i := range code {
		out = append(out, code[:i])
		for _, junk := range []string{")", " ]", "+", " oops ", "'", "\"", "@", "\\", "\n(", "é"} {
			out = append(out, code[:i]+junk+code[i:])
		}
	}
	return out
}

// forms writes code as an HCL attribute in each way a rule may hold an
// expression. It returns the rule bodies and, for each, the byte span of the
// attribute's value inside the body (false when code cannot be written in
// that form).
func forms(code string) (bodies []string, spans [][2]int) {
	add := func(prefix, value, suffix string) {
		bodies = append(bodies, prefix+value+suffix)
		spans = append(spans, [2]int{len(prefix), len(prefix) + len(value)})
	}
	q := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`, "${", "$${", "%{", "%%{").Replace(code)
	add("  filter = ", `"`+q+`"`, "\n")
	add("  set = {\n    a = \"topic\"\n    b = ", `"`+q+`"`, "\n    c = \"source\"\n  }\n")
	h := strings.NewReplacer("${", "$${", "%{", "%%{").Replace(code)
	lines := strings.Split(strings.TrimSuffix(h, "\n"), "\n")
	for _, l := range lines {
		if strings.TrimSpace(l) == "EOT" {
			return
		}
	}
	add("  filter = ", "<<EOT\n"+strings.Join(lines, "\n")+"\nEOT\n", "")
	var ind []string
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			l = "      " + l
		}
		ind = append(ind, l)
	}
	add("  meta = {\n    index = \"'main'\"\n    host = ", "<<-EOT\n"+strings.Join(ind, "\n")+"\n    EOT\n", "  }\n")
	return
}

// checkInside fails when an error of rule body falls outside the
// attribute's value, or when its line and column disagree with its byte
// offset, or when an end-of-input error does not sit after a character.
func checkInside(t testing.TB, code, body string, span [2]int) (errors int) {
	src := "rule \"r\" {\n" + body + "}\n"
	base := len("rule \"r\" {\n")
	lo, hi := base+span[0], base+span[1]
	f, diags := hclsyntax.ParseConfig([]byte(src), "t.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("code %q cannot be written as\n%s\n%s", code, src, diags.Error())
	}
	cfg := &Config{Files: map[string]*hcl.File{"t.hcl": f}}
	if d := cfg.decodeFile(f, []byte(src)); d.HasErrors() {
		t.Fatalf("code %q: %s", code, d.Error())
	}
	for _, r := range cfg.Rules {
		exprs := []rules.Expr{}
		if r.Spec.Filter != nil {
			exprs = append(exprs, *r.Spec.Filter)
		}
		for _, a := range append(r.Spec.Set, r.Spec.Meta...) {
			exprs = append(exprs, a.Value)
		}
		for _, e := range exprs {
			checkMap(t, src, e)
		}
		_, d := rules.Compile(r.Spec)
		for _, de := range errs(d) {
			errors++
			if de.Subject == nil {
				t.Fatalf("code %q: error without a range: %v", code, de)
			}
			s := de.Subject
			if s.Start.Byte < lo || s.End.Byte > hi || s.Start.Byte > s.End.Byte {
				t.Fatalf("code %q: error %q at bytes %d-%d, outside the attribute's value %d-%d\n%s", code, de.Detail, s.Start.Byte, s.End.Byte, lo, hi, src)
			}
			if p := posOf(src, s.Start.Byte); p != s.Start {
				t.Fatalf("code %q: error starts at %d:%d but its byte %d is at %d:%d\n%s", code, s.Start.Line, s.Start.Column, s.Start.Byte, p.Line, p.Column, src)
			}
			if p := posOf(src, s.End.Byte); p != s.End {
				t.Fatalf("code %q: error ends at %d:%d but its byte %d is at %d:%d\n%s", code, s.End.Line, s.End.Column, s.End.Byte, p.Line, p.Column, src)
			}
			if strings.Contains(de.Detail, "token EOF") && strings.TrimSpace(code) != "" {
				if r, _ := utf8.DecodeLastRuneInString(src[:s.Start.Byte]); unicode.IsSpace(r) {
					t.Fatalf("code %q: end-of-input error at %d:%d does not follow the expression's last character\n%s", code, s.Start.Line, s.Start.Column, src)
				}
			}
		}
	}
	return errors
}

// checkMap fails when e's position map is missing or sends a byte of the
// code anywhere but to the same byte in the file or to the escape that
// wrote it.
func checkMap(t testing.TB, src string, e rules.Expr) {
	t.Helper()
	if e.Pos == nil {
		t.Fatalf("code %q has no position map\n%s", e.Code, src)
	}
	for k := 0; k < len(e.Code); k++ {
		b := e.Pos(k).Byte
		if b < 0 || b >= len(src) {
			t.Fatalf("code %q: byte %d maps outside the file (%d)", e.Code, k, b)
		}
		if c := src[b]; c != e.Code[k] && c != '\\' {
			t.Fatalf("code %q: byte %d (%q) maps to %q at %d\n%s", e.Code, k, e.Code[k], c, b, src)
		}
	}
}

// TestExprErrorsInsideAttribute: every error of thousands of broken
// expressions, written in every form, lands inside the attribute's value
// at a consistent line, column and byte.
func TestExprErrorsInsideAttribute(t *testing.T) {
	n, errors := 0, 0
	for _, seed := range exprSeeds {
		for _, code := range breakings(seed) {
			bodies, spans := forms(code)
			for i := range bodies {
				errors += checkInside(t, code, bodies[i], spans[i])
				n++
			}
		}
	}
	t.Logf("%d attributes checked, %d expression errors", n, errors)
	if errors < n/2 {
		t.Errorf("only %d of %d broken expressions failed to compile: the generator does not break them", errors, n)
	}
}

// FuzzExprErrorPosition is the same property for any text: go test -fuzz
// FuzzExprErrorPosition ./config/.
func FuzzExprErrorPosition(f *testing.F) {
	for _, s := range exprSeeds {
		f.Add(s)
		f.Add(s[:len(s)/2])
	}
	f.Fuzz(func(t *testing.T, code string) {
		if !utf8.ValidString(code) || bytes.ContainsAny([]byte(code), "\x00\r") {
			return
		}
		bodies, spans := forms(code)
		for i := range bodies {
			checkInside(t, code, bodies[i], spans[i])
		}
	})
}
