// Package walls holds the import-wall test: the package graph that `go list`
// reports must not have an edge the architecture forbids
// (docs/architecture.md, "Packages").
package walls

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// A wall forbids the packages matched by from to depend, directly or through
// other project packages, on any package matched by deny, except those
// matched by allow. Patterns are module-relative: "sinks/..." is sinks and
// every package below it, "..." is every package.
type wall struct {
	name  string
	from  []string
	skip  []string // packages of from the wall does not apply to
	deny  []string
	allow []string
}

var walls = []wall{
	{
		name: "production code does not depend on the SLS emulator",
		from: []string{"..."}, skip: []string{"internal/slsemu/..."},
		deny: []string{"internal/slsemu/..."},
	},
	{
		name: "plugins depend only on the vocabulary, the event and internal helpers",
		from: []string{"sinks/...", "sources/..."},
		deny: []string{"engine/...", "config/...", "plan/...", "reload/...", "testrun/...", "builtin/...", "cmd/...", "rules/..."},
	},
	{
		name: "event is a leaf",
		from: []string{"event"},
		deny: []string{"..."},
	},
	{
		name: "plugin is a leaf",
		from: []string{"plugin"},
		deny: []string{"..."},
	},
	{
		name: "sources and sinks do not depend on each other",
		from: []string{"sources/..."},
		deny: []string{"sinks/..."},
	},
	{
		name: "sinks and sources do not depend on each other",
		from: []string{"sinks/..."},
		deny: []string{"sources/..."},
	},
	{
		name: "rules depend only on event and internal helpers",
		from: []string{"rules/..."},
		deny: []string{"..."}, allow: []string{"event", "internal/..."},
	},
	{
		name: "config decodes HCL without knowing the runtime, plugins or the planner",
		from: []string{"config/..."},
		deny: []string{"engine/...", "plan/...", "reload/...", "sinks/...", "sources/...", "builtin/...", "cmd/..."},
	},
	{
		name: "the planner does not depend on the runtime",
		from: []string{"plan/..."},
		deny: []string{"engine/...", "reload/...", "cmd/..."},
	},
	{
		name: "the reloader depends on a small interface, not on the runtime",
		from: []string{"reload/..."},
		deny: []string{"engine/...", "cmd/..."},
	},
	{
		name: "internal helpers do not depend on the CLI",
		from: []string{"internal/..."},
		deny: []string{"cmd/..."},
	},
}

// known are the forbidden dependencies that exist on purpose, "from -> to",
// each with the reason it is accepted. The test fails when one of them goes
// away (delete it here) as well as when a new one appears.
var known = map[string]string{
	// `forwarder emulator` is a feature: a local SLS to try routing on
	// without a cloud account, shipped in the one binary. The SLS source
	// itself does not reach the emulator (see the first wall).
	"cmd/forwarder -> internal/slsemu": "accepted: the emulator subcommand",
	// The side-by-side benchmark starts an emulator in its own process; it
	// is a benchmark harness, never shipped.
	"bench/sidebyside -> internal/slsemu": "accepted: benchmark harness",
}

// match reports whether the module-relative package pkg matches pattern.
func match(pattern, pkg string) bool {
	if pattern == "..." {
		return true
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == pattern
}

func matchAny(patterns []string, pkg string) bool {
	for _, p := range patterns {
		if match(p, pkg) {
			return true
		}
	}
	return false
}

// violation is one forbidden dependency and the import chain that makes it.
type violation struct {
	wall, from, to string
	chain          []string
}

func (v violation) key() string { return v.from + " -> " + v.to }

// check returns every dependency of graph (package → its direct project
// imports) that a wall forbids, in a stable order.
func check(graph map[string][]string, walls []wall) []violation {
	var out []violation
	pkgs := make([]string, 0, len(graph))
	for p := range graph {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, w := range walls {
		for _, from := range pkgs {
			if !matchAny(w.from, from) || matchAny(w.skip, from) {
				continue
			}
			for _, to := range reach(graph, from) {
				if to.pkg == from || !matchAny(w.deny, to.pkg) || matchAny(w.allow, to.pkg) {
					continue
				}
				out = append(out, violation{wall: w.name, from: from, to: to.pkg, chain: to.chain})
			}
		}
	}
	return out
}

type reached struct {
	pkg   string
	chain []string // from … pkg
}

// reach lists the packages from depends on, breadth first, each with the
// shortest import chain that leads there.
func reach(graph map[string][]string, from string) []reached {
	prev := map[string]string{from: ""}
	queue := []string{from}
	var out []reached
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, q := range graph[p] {
			if _, seen := prev[q]; seen {
				continue
			}
			prev[q] = p
			queue = append(queue, q)
			var chain []string
			for c := q; c != ""; c = prev[c] {
				chain = append([]string{c}, chain...)
			}
			out = append(out, reached{pkg: q, chain: chain})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pkg < out[j].pkg })
	return out
}

// projectGraph asks `go list` for the module's packages and their direct
// imports of other project packages (test files excluded: tests may import
// test servers and the emulator).
func projectGraph(t *testing.T) map[string][]string {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	cmd := exec.Command("go", "list", "-e", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}{{if .Error}} ERROR:{{.Error}}{{end}}", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	mod, err := exec.Command("go", "list", "-m", "-f", "{{.Path}}").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	prefix := strings.TrimSpace(string(mod)) + "/"
	graph := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if i := strings.Index(line, " ERROR:"); i >= 0 {
			t.Fatalf("go list: %s", strings.TrimSpace(line[i+1:]))
		}
		from, ok := strings.CutPrefix(fields[0], prefix)
		if !ok {
			continue
		}
		graph[from] = nil
		for _, imp := range fields[1:] {
			if to, ok := strings.CutPrefix(imp, prefix); ok {
				graph[from] = append(graph[from], to)
			}
		}
	}
	if len(graph) < 10 {
		t.Fatalf("go list found %d project packages under %s; want the whole module", len(graph), root)
	}
	return graph
}

// TestWalls fails when a package depends on one a wall forbids, unless that
// dependency is a known exception; and when a known exception is gone.
func TestWalls(t *testing.T) {
	graph := projectGraph(t)
	found := map[string]bool{}
	for _, v := range check(graph, walls) {
		found[v.key()] = true
		if _, ok := known[v.key()]; ok {
			t.Logf("known exception (%s): %s", known[v.key()], strings.Join(v.chain, " -> "))
			continue
		}
		t.Errorf("%s: %s imports %s (%s)", v.wall, v.from, v.to, strings.Join(v.chain, " -> "))
	}
	for k, issue := range known {
		if !found[k] {
			t.Errorf("known exception %q (%s) no longer exists: remove it from known", k, issue)
		}
	}
}

// TestCheck shows the checker reports a forbidden edge, direct or through
// another package, and leaves allowed ones alone.
func TestCheck(t *testing.T) {
	graph := map[string][]string{
		"engine":          {"event", "sinks"},
		"event":           nil,
		"plan":            {"event"},
		"sinks":           {"event"},
		"sinks/hec":       {"sinks", "internal/units"},
		"sinks/bad":       {"internal/bridge"},
		"internal/bridge": {"plan"},
		"internal/units":  nil,
	}
	tests := []struct {
		name  string
		wall  wall
		graph map[string][]string
		want  []string
	}{
		{"allowed", walls[1], map[string][]string{"sinks/hec": {"sinks", "event"}, "sinks": {"event"}}, nil},
		{"direct", walls[1], map[string][]string{"sinks/x": {"plan"}}, []string{"sinks/x -> plan: sinks/x plan"}},
		{"through a helper", walls[1], graph, []string{"sinks/bad -> plan: sinks/bad internal/bridge plan"}},
		{"leaf", walls[2], map[string][]string{"event": {"internal/units"}}, []string{"event -> internal/units: event internal/units"}},
		{"skip", walls[0], map[string][]string{"internal/slsemu": {"internal/slsemu/x"}, "cmd/f": {"internal/slsemu"}}, []string{"cmd/f -> internal/slsemu: cmd/f internal/slsemu", "cmd/f -> internal/slsemu/x: cmd/f internal/slsemu internal/slsemu/x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, v := range check(tt.graph, []wall{tt.wall}) {
				got = append(got, fmt.Sprintf("%s: %s", v.key(), strings.Join(v.chain, " ")))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
