package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forwarder/forwarder/builtin"
	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/plan"
	"github.com/forwarder/forwarder/sinks/file"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestFileConfined: file() reads only under the configuration directory and
// the directories given to SetFileDirs (--file-dir). Anything else, through
// "..", an absolute path or a symbolic link, is a diagnostic at validate
// time (no read) and at run time, and its content never shows.
func TestFileConfined(t *testing.T) {
	root := t.TempDir()
	conf := filepath.Join(root, "conf")
	secrets := filepath.Join(root, "run-secrets")
	writeFile(t, filepath.Join(root, "secret_outside.txt"), "OUTSIDE-CONTENT-42\n")
	writeFile(t, filepath.Join(conf, "inside.txt"), "inside-path.ndjson\n")
	writeFile(t, filepath.Join(conf, "sub", "deeper.txt"), "deeper.ndjson\n")
	writeFile(t, filepath.Join(secrets, "token"), "mounted.ndjson\n")
	if err := os.Symlink(filepath.Join(root, "secret_outside.txt"), filepath.Join(conf, "link.txt")); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, arg string
		dirs      []string
		want      string // the path the file sink gets; "" = refused
	}{
		{name: "relative inside", arg: "inside.txt", want: "inside-path.ndjson"},
		{name: "subdirectory", arg: "sub/deeper.txt", want: "deeper.ndjson"},
		{name: "dot-dot out", arg: "../secret_outside.txt"},
		{name: "dot-dot in and out", arg: "sub/../../secret_outside.txt"},
		{name: "absolute outside", arg: filepath.Join(root, "secret_outside.txt")},
		{name: "symlink out", arg: "link.txt"},
		{name: "system file", arg: "/etc/passwd"},
		{name: "extra dir not given", arg: filepath.Join(secrets, "token")},
		{name: "extra dir given", arg: filepath.Join(secrets, "token"), dirs: []string{secrets}, want: "mounted.ndjson"},
		{name: "sibling prefix", arg: filepath.Join(root, "run-secrets-evil", "x"), dirs: []string{secrets}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			config.SetFileDirs(tc.dirs)
			defer config.SetFileDirs(nil)
			writeFile(t, filepath.Join(conf, "main.hcl"), `
source "demo" "d" {
  count = 1
}
sink "file" "o" {
  path = file("`+tc.arg+`")
}
route "r" {
  from = [source.demo.d]
  to   = [sink.file.o]
}
`)
			for _, mode := range []config.Mode{config.Validate, config.Run} {
				cfg, diags := config.Load(conf)
				if diags.HasErrors() {
					t.Fatal(diags)
				}
				p, diags := plan.Compile(cfg, builtin.Registries(), mode)
				var text strings.Builder
				_ = config.WriteCompact(&text, diags)
				_ = config.WriteBlock(&text, diags, cfg.Files, 100, false)
				if strings.Contains(text.String(), "OUTSIDE-CONTENT") {
					t.Fatalf("the outside file's content is printed:\n%s", text.String())
				}
				if tc.want == "" {
					if !diags.HasErrors() || !strings.Contains(text.String(), "outside the directories file() may read") {
						t.Fatalf("mode %d: file(%q) was not refused:\n%s", mode, tc.arg, text.String())
					}
					if !strings.Contains(text.String(), "main.hcl:6:") {
						t.Errorf("the diagnostic does not point at the attribute:\n%s", text.String())
					}
					continue
				}
				if diags.HasErrors() {
					t.Fatalf("mode %d: file(%q) refused:\n%s", mode, tc.arg, text.String())
				}
				if mode == config.Run {
					if got := p.Sinks()[0].Config.(*file.Config).Path; got != tc.want {
						t.Fatalf("path = %q, want %q", got, tc.want)
					}
				}
			}
		})
	}
}

// TestValidateChecksMissingFilePath: at validate time a file that does not
// exist (a secret mounted only in production) is checked by its path alone.
func TestValidateChecksMissingFilePath(t *testing.T) {
	conf := t.TempDir()
	for arg, ok := range map[string]bool{"not-yet.txt": true, "../not-yet.txt": false, "/run/secrets/hec": false} {
		writeFile(t, filepath.Join(conf, "main.hcl"), `
source "demo" "d" {
  count = 1
}
sink "file" "o" {
  path = file("`+arg+`")
}
route "r" {
  from = [source.demo.d]
  to   = [sink.file.o]
}
`)
		cfg, _ := config.Load(conf)
		_, diags := plan.Compile(cfg, builtin.Registries(), config.Validate)
		if diags.HasErrors() == ok {
			t.Errorf("file(%q): errors = %v, want %v: %s", arg, diags.HasErrors(), !ok, diags)
		}
	}
	writeFile(t, filepath.Join(conf, "main.hcl"), `
source "demo" "d" {
  count = 1
}
sink "file" "o" {
  path = file("/run/secrets/hec")
}
route "r" {
  from = [source.demo.d]
  to   = [sink.file.o]
}
`)
	config.SetFileDirs([]string{"/run/secrets"})
	defer config.SetFileDirs(nil)
	cfg, _ := config.Load(conf)
	if _, diags := plan.Compile(cfg, builtin.Registries(), config.Validate); diags.HasErrors() {
		t.Errorf("file(\"/run/secrets/hec\") with --file-dir /run/secrets: %s", diags)
	}
}
