package config_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/forwarder/forwarder/config"
)

const okSink = "sink \"file\" \"out\" {\n  path = \"-\"\n}\n"

// TestLoadFS: a directory of an fs.FS is read as its *.hcl files in name
// order (hidden files and other extensions skipped, subdirectories not
// entered) and merged; blocks come in file order, and every name is the
// file's name in the fs.
func TestLoadFS(t *testing.T) {
	fsys := fstest.MapFS{
		"conf/b.hcl":        {Data: []byte("rule \"second\" {\n  filter = \"true\"\n}\n")},
		"conf/a.hcl":        {Data: []byte(okSink + "rule \"first\" {\n  filter = \"true\"\n}\n")},
		"conf/.hidden.hcl":  {Data: []byte("this is not HCL {")},
		"conf/notes.txt":    {Data: []byte("this is not HCL {")},
		"conf/sub/deep.hcl": {Data: []byte("this is not HCL {")},
		"extra.hcl":         {Data: []byte("route \"r\" {\n  from = [source.demo.in]\n  to   = [sink.file.out]\n}\n")},
	}
	cfg, diags := config.LoadFS(fsys, "conf", "extra.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if want := []string{"conf/a.hcl", "conf/b.hcl", "extra.hcl"}; !slices.Equal(cfg.Paths, want) {
		t.Errorf("Paths = %q, want %q", cfg.Paths, want)
	}
	var rules []string
	for _, r := range cfg.Rules {
		rules = append(rules, r.Spec.Name+"@"+r.Spec.DefRange.Filename)
	}
	if want := []string{"first@conf/a.hcl", "second@conf/b.hcl"}; !slices.Equal(rules, want) {
		t.Errorf("rules = %q, want %q", rules, want)
	}
	if len(cfg.Sinks) != 1 || cfg.Sinks[0].Key() != "file.out" || len(cfg.Routes) != 1 {
		t.Errorf("sinks %v, routes %v", cfg.Sinks, cfg.Routes)
	}
	if len(cfg.Files) != 3 || cfg.Files["extra.hcl"] == nil {
		t.Errorf("Files = %v", cfg.Files)
	}
	if cfg.Dir != "" {
		t.Errorf("Dir = %q, want empty (file() resolves against the working directory)", cfg.Dir)
	}
}

// TestLoadFSErrors: what cannot be read is a diagnostic naming it, and no
// Config; a syntax error leaves the file unparsed and its blocks undecoded,
// while the other files still load.
func TestLoadFSErrors(t *testing.T) {
	fsys := fstest.MapFS{
		"empty/readme.md": {Data: []byte("no configuration here")},
		"bad.hcl":         {Data: []byte(okSink + "rule \"r\" {\n")},
		"good.hcl":        {Data: []byte("rule \"ok\" {\n  filter = \"true\"\n}\n")},
	}
	for _, tc := range []struct {
		name    string
		names   []string
		summary string
		detail  string
	}{
		{"nothing", nil, "No configuration given", ""},
		{"missing", []string{"missing.hcl"}, "Cannot read configuration", "missing.hcl"},
		{"invalid name", []string{"../up.hcl"}, "Cannot read configuration", "../up.hcl"},
		{"no .hcl in directory", []string{"empty"}, "No configuration files", "Directory empty holds no .hcl file."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, diags := config.LoadFS(fsys, tc.names...)
			if cfg != nil {
				t.Error("a Config despite an unreadable configuration")
			}
			if len(diags) != 1 || diags[0].Summary != tc.summary || !strings.Contains(diags[0].Detail, tc.detail) {
				t.Fatalf("diags = %v, want one %q mentioning %q", diags, tc.summary, tc.detail)
			}
		})
	}
	cfg, diags := config.LoadFS(fsys, "bad.hcl", "good.hcl")
	if cfg == nil || !diags.HasErrors() {
		t.Fatalf("cfg %v, diags %v", cfg, diags)
	}
	for _, d := range diags {
		if d.Subject == nil || d.Subject.Filename != "bad.hcl" {
			t.Errorf("diagnostic outside bad.hcl: %v", d)
		}
	}
	if !slices.Equal(cfg.Unparsed, []string{"bad.hcl"}) {
		t.Errorf("Unparsed = %q", cfg.Unparsed)
	}
	if len(cfg.Sinks) != 0 || len(cfg.Rules) != 1 || cfg.Rules[0].Spec.Name != "ok" {
		t.Errorf("decoded %d sinks and rules %v: the unparsed file's blocks must not be decoded", len(cfg.Sinks), cfg.Rules)
	}
}

// TestLoadNamesAsTyped: Load reads real paths (through os.DirFS) and names
// every file as the user typed it, so `forwarder validate` prints
// file:line:col the way the path was given: relative with "..", with a
// trailing slash, absolute, or the current directory.
func TestLoadNamesAsTyped(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "conf", "main.hcl"), okSink+"colour = 1\n")
	writeFile(t, filepath.Join(root, "conf", "sub", "other.hcl"), okSink)
	writeFile(t, filepath.Join(root, "work", "x.txt"), "")
	t.Chdir(filepath.Join(root, "work"))
	for _, tc := range []struct {
		path, file, dir string
	}{
		{"../conf/main.hcl", "../conf/main.hcl", "../conf"},
		{"../conf", "../conf/main.hcl", "../conf"},
		{"../conf/", "../conf/main.hcl", "../conf/"},
		{"./../conf/./main.hcl", "./../conf/./main.hcl", "../conf"},
		{filepath.Join(root, "conf"), filepath.Join(root, "conf", "main.hcl"), filepath.Join(root, "conf")},
	} {
		t.Run(tc.path, func(t *testing.T) {
			cfg, diags := config.Load(tc.path)
			if cfg == nil {
				t.Fatal(diags)
			}
			if !slices.Equal(cfg.Paths, []string{tc.file}) {
				t.Errorf("Paths = %q, want [%q]", cfg.Paths, tc.file)
			}
			if len(diags) != 1 || diags[0].Summary != "Unsupported argument" {
				t.Fatalf("diags = %v, want the one Unsupported argument", diags)
			}
			if got := diags[0].Subject; got.Filename != tc.file || got.Start.Line != 4 || got.Start.Column != 1 {
				t.Errorf("at %s:%d:%d, want %s:4:1", got.Filename, got.Start.Line, got.Start.Column, tc.file)
			}
			if got := config.Headline(diags[0]); !strings.HasPrefix(got, tc.file+":4:1: error: Unsupported argument") {
				t.Errorf("Headline = %q", got)
			}
			if cfg.Dir != tc.dir {
				t.Errorf("Dir = %q, want %q", cfg.Dir, tc.dir)
			}
		})
	}
	t.Chdir(filepath.Join(root, "conf"))
	cfg, diags := config.Load(".")
	if cfg == nil || !slices.Equal(cfg.Paths, []string{"main.hcl"}) || cfg.Dir != "." {
		t.Errorf("Load(\".\"): %v %v", cfg, diags)
	}
	files, diags := config.Files("..", "main.hcl")
	if !slices.Equal(files, []string{"main.hcl"}) || len(diags) != 1 || diags[0].Summary != "No configuration files" {
		t.Errorf("Files(\"..\", \"main.hcl\") = %q, %v", files, diags)
	}
}

// TestLoadErrorsNameThePath: the detail of an unreadable path names it as
// typed, not as its name inside the os.DirFS that read it.
func TestLoadErrorsNameThePath(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope", "missing.hcl")
	for _, p := range []string{missing, "", "/"} {
		_, diags := config.Load(p)
		if !diags.HasErrors() {
			t.Errorf("Load(%q): no error", p)
			continue
		}
		if p == missing && !strings.Contains(diags[0].Detail, missing) {
			t.Errorf("Load(%q): detail %q does not name the path", p, diags[0].Detail)
		}
	}
	if _, diags := config.Load(missing); diags[0].Summary != "Cannot read configuration" {
		t.Errorf("summary %q", diags[0].Summary)
	}
}

// TestLoadFSMatchesLoad: the same files give the same blocks and, for the
// same names, the same checksum whichever way they are read; a changed
// byte changes the checksum.
func TestLoadFSMatchesLoad(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.hcl"), okSink)
	t.Chdir(dir)
	fromOS, d1 := config.Load("a.hcl")
	fromFS, d2 := config.LoadFS(os.DirFS("."), "a.hcl")
	if d1.HasErrors() || d2.HasErrors() {
		t.Fatal(d1, d2)
	}
	if fromOS.Checksum != fromFS.Checksum || fromOS.Checksum == "" {
		t.Errorf("checksums %q and %q differ", fromOS.Checksum, fromFS.Checksum)
	}
	if !slices.Equal(fromOS.Paths, fromFS.Paths) || len(fromOS.Sinks) != len(fromFS.Sinks) {
		t.Errorf("Paths %q and %q", fromOS.Paths, fromFS.Paths)
	}
	changed, _ := config.LoadFS(fstest.MapFS{"a.hcl": {Data: []byte(strings.Replace(okSink, "-", "/tmp/x", 1))}}, "a.hcl")
	if changed.Checksum == fromOS.Checksum {
		t.Error("a changed file kept its checksum")
	}
	same, _ := config.LoadFS(fstest.MapFS{"a.hcl": {Data: []byte(okSink)}}, "a.hcl")
	if same.Checksum != fromOS.Checksum {
		t.Error("equal bytes, different checksum")
	}
}
