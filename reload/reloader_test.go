package reload_test

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/forwarder/forwarder/builtin"
	"github.com/forwarder/forwarder/plan"
	"github.com/forwarder/forwarder/reload"
)

const validConf = `source "demo" "d" {
  rate = 10
}
sink "file" "null" {
  path = "/dev/null"
}
route "r" {
  from = [source.demo.d]
  to   = [sink.file.null]
}
`

// TestReloaderPath: start-up and reloads take one path: what loads and
// compiles is applied (once per change), a broken edit applies nothing and
// is a *LoadError, an unchanged file is ErrUnchanged, an apply error keeps
// the running plan; the metrics count reloads, not the start.
func TestReloaderPath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.hcl")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(validConf)
	var applied []*plan.Plan
	var applyErr error
	rl := reload.New([]string{dir}, builtin.Registries(), func(p *plan.Plan) error {
		if applyErr != nil {
			return applyErr
		}
		applied = append(applied, p)
		return nil
	}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	m := rl.Metrics()
	count := func(result string) float64 { return testutil.ToFloat64(m.Total.WithLabelValues(result)) }

	var reported hcl.Diagnostics
	p, err := rl.Start(func(d hcl.Diagnostics, _ map[string]*hcl.File) { reported = d })
	if err != nil || p == nil || len(applied) != 1 || applied[0] != p {
		t.Fatalf("Start = %v, %v; applied %d", p, err, len(applied))
	}
	if reported.HasErrors() {
		t.Errorf("start reported errors: %v", reported)
	}
	if ok, last := rl.Status(); !ok || last.IsZero() || count("success") != 0 {
		t.Errorf("after start: ok=%v last=%v successes=%v", ok, last, count("success"))
	}

	steps := []struct {
		name     string
		conf     string
		applyErr error
		wantErr  func(error) bool
		applies  int
		ok       bool
		result   string
	}{
		{"unchanged", validConf, nil, func(err error) bool { return errors.Is(err, reload.ErrUnchanged) }, 1, true, "unchanged"},
		{"broken", validConf + "route {\n", nil, func(err error) bool { var le *reload.LoadError; return errors.As(err, &le) }, 1, false, "failure"},
		{"fixed", validConf + "# edited\n", nil, func(err error) bool { return err == nil }, 2, true, "success"},
		{"apply fails", validConf + "# again\n", errors.New("boom"), func(err error) bool { return err != nil && err.Error() == "boom" }, 2, false, "failure"},
	}
	for _, s := range steps {
		before := count(s.result)
		write(s.conf)
		applyErr = s.applyErr
		err := rl.Reload("test")
		if !s.wantErr(err) {
			t.Errorf("%s: Reload = %v", s.name, err)
		}
		if len(applied) != s.applies {
			t.Errorf("%s: %d plans applied, want %d", s.name, len(applied), s.applies)
		}
		if ok, _ := rl.Status(); ok != s.ok {
			t.Errorf("%s: Status ok = %v, want %v", s.name, ok, s.ok)
		}
		if count(s.result) != before+1 {
			t.Errorf("%s: reloads_total{result=%q} = %v, want %v", s.name, s.result, count(s.result), before+1)
		}
	}
}

// TestReloaderStartRejectsBrokenConfig: a configuration with errors at
// start-up applies nothing and reports its diagnostics with positions.
func TestReloaderStartRejectsBrokenConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f.hcl"), []byte(validConf+"sink \"nope\" \"x\" {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	applied := 0
	rl := reload.New([]string{dir}, builtin.Registries(), func(*plan.Plan) error { applied++; return nil },
		slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	var reported hcl.Diagnostics
	p, err := rl.Start(func(d hcl.Diagnostics, _ map[string]*hcl.File) { reported = d })
	var le *reload.LoadError
	if p != nil || !errors.As(err, &le) || applied != 0 {
		t.Fatalf("Start = %v, %v; applied %d", p, err, applied)
	}
	if !reported.HasErrors() || reported[0].Subject == nil || reported[0].Subject.Start.Line != 11 {
		t.Errorf("diagnostics = %v", reported)
	}
	if ok, _ := rl.Status(); ok {
		t.Error("Status ok after a rejected start")
	}
}
