// Package fwdtest holds test helpers shared by packages that run whole
// configurations: compile HCL text into a plan, run it, stop it.
package fwdtest

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/forwarder/forwarder/builtin"
	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/engine"
	"github.com/forwarder/forwarder/plan"
	"github.com/forwarder/forwarder/reload"
)

// Compile writes src to a file in a temporary directory and compiles it in
// run mode with reg, failing the test on any error diagnostic.
func Compile(t testing.TB, reg plan.Registries, src string) *plan.Plan {
	t.Helper()
	path := filepath.Join(t.TempDir(), "forwarder.hcl")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, diags := config.Load(path)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p, diags := plan.Compile(cfg, reg, config.Run)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

// Start applies p to a new runtime.
func Start(t testing.TB, p *plan.Plan) *engine.Runtime {
	t.Helper()
	rt := engine.New(engine.Settings{})
	if _, err := rt.Apply(p); err != nil {
		t.Fatal(err)
	}
	return rt
}

// Stop shuts rt down, allowing sinks 30 s to deliver what they hold.
func Stop(rt *engine.Runtime) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rt.Shutdown(ctx)
}

// StartReloader starts rt on the configuration at paths through a reloader,
// the path `forwarder run` takes, and returns the reloader for later
// Reload and Watch calls.
func StartReloader(t testing.TB, rt *engine.Runtime, log *slog.Logger, paths ...string) *reload.Reloader {
	t.Helper()
	rl := reload.New(paths, builtin.Registries(), func(p *plan.Plan) error {
		_, err := rt.Apply(p)
		return err
	}, log, nil)
	if _, err := rl.Start(nil); err != nil {
		t.Fatal(err)
	}
	return rl
}
