// Package reload applies configuration changes to a running forwarder:
// it watches the configuration directories with fsnotify (editors save by
// rename, Kubernetes swaps symlinks, so directories are watched, not files),
// debounces bursts of events, skips reloads whose files did not change, and
// compiles the whole new plan before handing it to the runtime. A broken
// edit is logged with its diagnostics and never applied.
package reload

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/hashicorp/hcl/v2"

	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/engine"
	"github.com/forwarder/forwarder/plan"
)

// Reloader loads, compiles and applies the configuration at Paths.
type Reloader struct {
	Paths   []string
	Reg     plan.Registries
	Runtime *engine.Runtime
	Log     *slog.Logger

	mu       sync.Mutex
	checksum string
	rejected bool // the last load was rejected
}

// ErrUnchanged is returned when the files are byte-for-byte the same as the
// running plan's.
var ErrUnchanged = errors.New("configuration unchanged")

// Reload compiles the configuration and applies it. On any diagnostic error
// the running plan stays and the error (with every diagnostic as
// file:line:col) is returned and logged.
func (r *Reloader) Reload(reason string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.Runtime.Metrics()
	start := time.Now()
	cfg, diags := config.Load(r.Paths...)
	if cfg != nil && cfg.Checksum == r.checksum && !diags.HasErrors() {
		// A valid load, though nothing changed: after a rejected edit this
		// is the fix, so the status (and any alert on it) clears.
		m.ReloadTotal.WithLabelValues("unchanged").Inc()
		m.ReloadOK.Set(1)
		m.ReloadTimestamp.SetToCurrentTime()
		if r.rejected {
			r.rejected = false
			r.Log.Info("configuration is valid again; it equals the running plan, which is kept", "reason", reason)
		}
		return ErrUnchanged
	}
	var p *plan.Plan
	if cfg != nil {
		var d hcl.Diagnostics
		p, d = plan.Compile(cfg, r.Reg, config.Run)
		diags = append(diags, d...)
	}
	if diags.HasErrors() {
		var lines []string
		for _, d := range diags {
			if d.Severity == hcl.DiagError {
				lines = append(lines, config.Headline(d))
			}
		}
		m.ReloadOK.Set(0)
		m.ReloadTotal.WithLabelValues("failure").Inc()
		r.rejected = true
		err := fmt.Errorf("configuration rejected; the running plan is kept:\n  %s", strings.Join(lines, "\n  "))
		r.Log.Error("reload rejected", "reason", reason, "errors", len(lines), "diagnostics", strings.Join(lines, " | "))
		return err
	}
	if _, err := r.Runtime.Apply(p); err != nil {
		m.ReloadOK.Set(0)
		m.ReloadTotal.WithLabelValues("failure").Inc()
		r.rejected = true
		r.Log.Error("reload failed to apply; the running plan is kept", "reason", reason, "err", err)
		return err
	}
	r.checksum = cfg.Checksum
	r.rejected = false
	m.ReloadOK.Set(1)
	m.ReloadTotal.WithLabelValues("success").Inc()
	m.ReloadTimestamp.SetToCurrentTime()
	r.Log.Info("reloaded", "reason", reason, "plan", p.Version(), "took", time.Since(start))
	return nil
}

// Watch calls r.Reload after files in the configuration's directories
// change, once per burst of changes (debounce), until ctx ends.
func (r *Reloader) Watch(ctx context.Context, debounce time.Duration) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("reload: watch: %w", err)
	}
	defer w.Close()
	dirs := map[string]bool{}
	// watchDirs watches the configuration directories and the directories
	// of symlink targets: after a ConfigMap-style swap, an edit lands in
	// the target's directory, not in the one holding the link.
	watchDirs := func() error {
		for _, d := range r.dirs() {
			if dirs[d] {
				continue
			}
			if err := w.Add(d); err != nil {
				return fmt.Errorf("reload: watch %s: %w", d, err)
			}
			dirs[d] = true
		}
		return nil
	}
	if err := watchDirs(); err != nil {
		return err
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Op == fsnotify.Chmod {
				continue
			}
			if err := watchDirs(); err != nil {
				r.Log.Warn("config watcher", "err", err)
			}
			timer.Reset(debounce)
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			r.Log.Warn("config watcher", "err", err)
		case <-timer.C:
			_ = r.Reload("file change") // Reload counts every outcome and logs applied and rejected ones
		}
	}
}

// Prime records the checksum of the configuration the runtime started with,
// so the first file event that changes nothing is skipped.
func (r *Reloader) Prime(cfg *config.Config) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checksum = cfg.Checksum
}

// dirs lists the directories to watch: each configuration directory (or a
// file's directory) and the directory of every symlinked file's target.
func (r *Reloader) dirs() []string {
	var out []string
	files, _ := config.Files(r.Paths...)
	for _, p := range r.Paths {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			out = append(out, p)
		} else {
			out = append(out, filepath.Dir(p))
		}
	}
	for _, f := range files {
		if real, err := filepath.EvalSymlinks(f); err == nil {
			out = append(out, filepath.Dir(real))
		}
	}
	return out
}
