package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var mdLink = regexp.MustCompile(`\]\(([^)#\s]*)(#[^)\s]*)?\)`)

// TestMarkdownLinks checks that every relative link in README.md, docs/
// and examples/ points at a file in the repository (a clone has nothing
// outside it), and that every heading anchor into docs/configuration.md
// exists.
func TestMarkdownLinks(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, pattern := range []string{"*.md", "docs/*.md", "docs/*/*.md", "examples/*/*.md", "deploy/*/*.md"} {
		m, _ := filepath.Glob(filepath.Join(root, pattern))
		files = append(files, m...)
	}
	if len(files) < 8 {
		t.Fatalf("found only %d Markdown files", len(files))
	}
	cfgRef, err := os.ReadFile(filepath.Join(root, "docs/configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	anchors := headingAnchors(string(cfgRef))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(b), -1) {
			target, frag := m[1], strings.TrimPrefix(m[2], "#")
			if target == "" && filepath.Base(f) == "configuration.md" && frag != "" && !anchors[frag] {
				t.Errorf("%s: no heading #%s", f, frag)
			}
			if target == "" || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path := filepath.Join(filepath.Dir(f), target)
			rel, _ := filepath.Rel(root, path)
			if strings.HasPrefix(rel, "..") {
				t.Errorf("%s links outside the repository: %s", f, target)
				continue
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s: broken link %s", f, target)
			}
			if frag != "" && filepath.Base(path) == "configuration.md" && !anchors[frag] {
				t.Errorf("%s: no heading #%s in docs/configuration.md", f, frag)
			}
		}
	}
}

// headingAnchors returns GitHub's anchors of a Markdown file's headings.
func headingAnchors(md string) map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.TrimSpace(strings.TrimLeft(line, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(h) {
			switch {
			case r == ' ' || r == '-':
				b.WriteRune('-')
			case r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
				b.WriteRune(r)
			}
		}
		out[b.String()] = true
	}
	return out
}
