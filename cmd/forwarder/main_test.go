package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = realMain(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func write(t *testing.T, name, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const broken = "../../plan/testdata/broken.hcl"

func TestCLI(t *testing.T) {
	wrongExpect := write(t, "wrong.hcl", `
source "demo" "d" {
  count = 1
}
rule "r" {
  set = { action = "event.eventName" }
}
sink "file" "o" {
  path = "-"
}
route "x" {
  from  = [source.demo.d]
  rules = [rule.r]
  to    = [sink.file.o]
}
test "wrong" {
  route  = route.x
  input  = { event = "{\"eventName\":\"CreateUser\"}" }
  expect = { action = "DeleteUser" }
}
`)
	unformatted := write(t, "ugly.hcl", "sink \"file\" \"o\" {\npath=\"-\"\n}\n")
	secret := write(t, "secret.hcl", `
source "demo" "d" {}
sink "file" "o" {
  path = env("FORWARDER_TEST_SECRET_PATH")
}
route "x" {
  from = [source.demo.d]
  to   = [sink.file.o]
}
`)
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{"version", []string{"version"}, 0, []string{"forwarder "}, nil},
		{"validate ok", []string{"validate", "../../examples/quickstart.hcl"}, 0, []string{"configuration is valid"}, nil},
		{"validate broken", []string{"validate", broken}, exitConfig, nil, []string{
			"broken.hcl:3:3: error: Unsupported argument",
			"broken.hcl:6:1: error: Unsupported block type",
			"broken.hcl:28:33: error: Invalid filter expression",
			"broken.hcl:39:12: error: Reference to undeclared sink",
			"8 error(s) in configuration",
		}},
		{"validate json", []string{"validate", "--format", "json", broken}, exitConfig, []string{`"error_count": 8`, `"line": 28`}, nil},
		{"validate needs no secrets", []string{"validate", secret}, 0, []string{"configuration is valid"}, nil},
		{"test passes", []string{"test", "../../examples/multi-siem"}, 0, []string{"PASS  failed call is an alert", "4 passed, 0 failed"}, nil},
		{"test fails", []string{"test", wrongExpect}, exitFailed, []string{"FAIL  wrong", `action = "CreateUser", want "DeleteUser"`, "0 passed, 1 failed"}, nil},
		{"fmt check", []string{"fmt", "--check", unformatted}, exitFailed, []string{"ugly.hcl"}, []string{"need formatting"}},
		{"run refuses broken", []string{"run", broken}, exitConfig, nil, []string{"nothing started"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.stdout {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.stderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

func TestFmtRewrites(t *testing.T) {
	p := write(t, "ugly.hcl", "sink \"file\" \"o\" {\npath=\"-\"\n}\n")
	if code, _, e := runCLI(t, "fmt", p); code != 0 {
		t.Fatalf("fmt exit %d: %s", code, e)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "sink \"file\" \"o\" {\n  path = \"-\"\n}\n" {
		t.Errorf("formatted:\n%s", b)
	}
}

// TestExamples validates and tests every example (each examples/*.hcl file
// and examples/*/ directory) and runs the quickstart for its bounded count:
// every line printed is a decoded ActionTrail event.
func TestExamples(t *testing.T) {
	var dirs []string
	all, _ := filepath.Glob("../../examples/*")
	for _, p := range all {
		hcl, _ := filepath.Glob(filepath.Join(p, "*.hcl"))
		if st, err := os.Stat(p); err == nil && (st.IsDir() && len(hcl) > 0 || strings.HasSuffix(p, ".hcl")) {
			dirs = append(dirs, p)
		}
	}
	dirs = append(dirs, "../../sinks/syslog/testdata/actiontrail.hcl")
	if len(dirs) < 5 {
		t.Fatalf("found only %v under examples/", dirs)
	}
	for _, d := range dirs {
		if code, _, e := runCLI(t, "validate", d); code != 0 {
			t.Errorf("validate %s: exit %d\n%s", d, code, e)
		}
		if code, o, e := runCLI(t, "test", d); code != 0 {
			t.Errorf("test %s: exit %d\n%s%s", d, code, o, e)
		}
	}
	out := filepath.Join(t.TempDir(), "out.ndjson")
	src, err := os.ReadFile("../../examples/quickstart.hcl")
	if err != nil {
		t.Fatal(err)
	}
	cfg := write(t, "quick.hcl", strings.Replace(string(src), `path = "-"`, `path = "`+out+`"`, 1))
	if code, _, e := runCLI(t, "run", "--admin=127.0.0.1:0", "--no-watch", cfg); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, e)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 5 || len(lines) >= 20 {
		t.Fatalf("quickstart printed %d events; want the ActionTrail share of 20", len(lines))
	}
	for _, l := range lines {
		var ev struct {
			Topic  string          `json:"__topic__"`
			Event  json.RawMessage `json:"event"`
			Action string          `json:"action"`
			User   string          `json:"user"`
			Meta   struct {
				Sourcetype string `json:"sourcetype"`
			} `json:"__meta__"`
		}
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, l)
		}
		if ev.Topic != "actiontrail_audit_event" || ev.Action == "" || ev.User == "" || ev.Meta.Sourcetype != "alicloud:actiontrail" || !strings.HasPrefix(string(ev.Event), "{") {
			t.Errorf("event not decoded as the rule says: %s", l)
		}
	}
}
