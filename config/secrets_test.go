package config_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/forwarder/forwarder/config"
)

// eval evaluates one expression with the functions of source and sink
// bodies.
func eval(t *testing.T, code string, mode config.Mode) (cty.Value, hcl.Diagnostics) {
	t.Helper()
	e, diags := hclsyntax.ParseExpression([]byte(code), "expr.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg := &config.Config{Dir: t.TempDir()}
	return e.Value(cfg.EvalContext(mode))
}

// TestEnv: env(NAME[, DEFAULT]) reads the environment at run time; at
// validate time it returns the default (or "") without reading it, so CI
// needs no secrets.
func TestEnv(t *testing.T) {
	t.Setenv("FWD_TEST_SET", "value-from-env")
	t.Setenv("FWD_TEST_EMPTY", "")
	for _, tc := range []struct {
		name, code string
		mode       config.Mode
		want       string
		err        string // substring of the error; "" for none
	}{
		{"set", `env("FWD_TEST_SET")`, config.Run, "value-from-env", ""},
		{"set wins over default", `env("FWD_TEST_SET", "d")`, config.Run, "value-from-env", ""},
		{"set but empty", `env("FWD_TEST_EMPTY", "d")`, config.Run, "", ""},
		{"unset with default", `env("FWD_TEST_UNSET", "fallback")`, config.Run, "fallback", ""},
		{"unset without default", `env("FWD_TEST_UNSET")`, config.Run, "", "environment variable FWD_TEST_UNSET is not set"},
		{"too many arguments", `env("A", "b", "c")`, config.Run, "", "at most one default"},
		{"validate reads nothing", `env("FWD_TEST_SET")`, config.Validate, "", ""},
		{"validate gives the default", `env("FWD_TEST_SET", "d")`, config.Validate, "d", ""},
		{"validate: unset is fine", `env("FWD_TEST_UNSET")`, config.Validate, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, diags := eval(t, tc.code, tc.mode)
			if tc.err != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.err) {
					t.Fatalf("diags = %v, want an error containing %q", diags, tc.err)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if v.AsString() != tc.want {
				t.Errorf("= %q, want %q", v.AsString(), tc.want)
			}
		})
	}
}

// TestSecretsRedacted: a value env() or file() read is replaced, in
// diagnostics and logs, by the call that read it, quoted or not; a value a
// file wrote as a default is no secret, and neither is a very short one.
func TestSecretsRedacted(t *testing.T) {
	const token = "hec-token-7f3a9c\"quoted"
	t.Setenv("FWD_TEST_TOKEN", token)
	t.Setenv("FWD_TEST_SHORT", "tcp")
	for _, code := range []string{`env("FWD_TEST_TOKEN")`, `env("FWD_TEST_SHORT")`, `env("FWD_TEST_UNSET_DEFAULT", "plain-default-value")`} {
		if _, diags := eval(t, code, config.Run); diags.HasErrors() {
			t.Fatal(diags)
		}
	}
	call := `env("FWD_TEST_TOKEN")`
	for _, tc := range []struct{ in, want string }{
		{"token " + token + " rejected", "token " + call + " rejected"},
		{`"hec-token-7f3a9c\"quoted" is not host:port`, call + " is not host:port"}, // Go-quoted
		{"proto tcp", "proto tcp"},                                     // too short to redact
		{"default plain-default-value", "default plain-default-value"}, // written in the file
	} {
		if got := config.Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}

	diags := config.RedactDiagnostics(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Bad " + token, Detail: "detail " + token}})
	if strings.Contains(diags[0].Summary+diags[0].Detail, token) {
		t.Errorf("RedactDiagnostics kept the secret: %v", diags[0])
	}
	var b bytes.Buffer
	if err := config.WriteCompact(&b, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid token", Detail: token}}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), token) || !strings.Contains(b.String(), call) {
		t.Errorf("WriteCompact = %q", b.String())
	}

	b.Reset()
	log := slog.New(config.RedactHandler(slog.NewTextHandler(&b, nil))).With("attr", token)
	log.Error("send "+token, "err", errors.New("dial "+token), "group", slog.GroupValue(slog.String("inner", token)), "bytes", []byte(token))
	if strings.Contains(b.String(), "7f3a9c") {
		t.Errorf("log line carries the secret: %s", b.String())
	}
	if got := strings.Count(b.String(), "FWD_TEST_TOKEN"); got != 5 {
		t.Errorf("log line names the call %d times, want 5: %s", got, b.String())
	}
}

// TestDeferredAndAttrRange: Deferred lists the attributes whose value calls
// env() or file(), nested blocks as "block.name"; AttrRange finds an
// attribute's value, or falls back.
func TestDeferredAndAttrRange(t *testing.T) {
	src := `token  = env("T")
plain  = "x"
joined = "${env("A")}-${file("b")}"
tls {
  ca_file = file("ca.pem")
  verify  = true
}
`
	f, diags := hclsyntax.ParseConfig([]byte(src), "s.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	got := config.Deferred(f.Body)
	want := map[string]bool{"token": true, "joined": true, "tls.ca_file": true}
	if len(got) != len(want) {
		t.Errorf("Deferred = %v, want %v", got, want)
	}
	for k := range want {
		if !got[k] {
			t.Errorf("Deferred misses %q", k)
		}
	}
	def := hcl.Range{Filename: "s.hcl", Start: hcl.Pos{Line: 99, Column: 1}}
	for _, tc := range []struct {
		path      string
		line, col int
	}{
		{"plain", 2, 10},
		{"tls.ca_file", 5, 13},
		{"tls.missing", 99, 1},
		{"nosuchblock.x", 99, 1},
		{"missing", 99, 1},
	} {
		r := config.AttrRange(f.Body, tc.path, def)
		if r.Start.Line != tc.line || r.Start.Column != tc.col {
			t.Errorf("AttrRange(%q) at %d:%d, want %d:%d", tc.path, r.Start.Line, r.Start.Column, tc.line, tc.col)
		}
	}
}
