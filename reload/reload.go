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
	"github.com/prometheus/client_golang/prometheus"

	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/plan"
)

// ApplyFunc hands a compiled plan to what runs it (the runtime's Apply).
// An error means the plan was not applied and the running one stays.
type ApplyFunc func(*plan.Plan) error

// Metrics are the reloader's own series. Register them with the process's
// registry (Collectors); the names are part of the documented metrics.
type Metrics struct {
	OK        prometheus.Gauge
	Total     *prometheus.CounterVec // result
	Timestamp prometheus.Gauge
}

// NewMetrics returns unregistered reload metrics.
func NewMetrics() *Metrics {
	return &Metrics{
		OK:        prometheus.NewGauge(prometheus.GaugeOpts{Name: "forwarder_config_last_reload_successful", Help: "1 if the last configuration reload succeeded."}),
		Total:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "forwarder_config_reloads_total", Help: "Configuration reloads, by result: success, failure, unchanged."}, []string{"result"}),
		Timestamp: prometheus.NewGauge(prometheus.GaugeOpts{Name: "forwarder_config_last_reload_success_timestamp_seconds", Help: "Time of the last successful reload."}),
	}
}

// Collectors lists the metrics, for prometheus.Registerer.MustRegister.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.OK, m.Total, m.Timestamp}
}

// Reloader loads, compiles and applies the configuration at Paths: once at
// start-up (Start) and again on every change, signal or admin request
// (Reload), always through the same load → compile → apply path.
type Reloader struct {
	paths   []string
	reg     plan.Registries
	apply   ApplyFunc
	log     *slog.Logger
	metrics *Metrics

	mu          sync.Mutex
	checksum    string
	rejected    bool // the last load was rejected
	ok          bool
	lastSuccess time.Time
}

// New returns a reloader of the configuration at paths that applies plans
// with apply. It does no I/O. metrics may be nil (none are kept then).
func New(paths []string, reg plan.Registries, apply ApplyFunc, log *slog.Logger, metrics *Metrics) *Reloader {
	if metrics == nil {
		metrics = NewMetrics()
	}
	return &Reloader{paths: paths, reg: reg, apply: apply, log: log, metrics: metrics}
}

// Metrics returns the reloader's metrics.
func (r *Reloader) Metrics() *Metrics { return r.metrics }

// ErrUnchanged is returned when the files are byte-for-byte the same as the
// running plan's.
var ErrUnchanged = errors.New("configuration unchanged")

// LoadError is a configuration that did not load or compile; nothing of it
// was applied.
type LoadError struct {
	Diags hcl.Diagnostics
}

func (e *LoadError) Error() string {
	return fmt.Sprintf("configuration rejected; the running plan is kept:\n  %s", strings.Join(e.headlines(), "\n  "))
}

// headlines are the errors as file:line:col: summary, one each.
func (e *LoadError) headlines() []string {
	var lines []string
	for _, d := range e.Diags {
		if d.Severity == hcl.DiagError {
			lines = append(lines, config.Headline(d))
		}
	}
	return lines
}

// Start loads, compiles and applies the configuration for the first time.
// report, when set, receives the diagnostics (warnings too) and the files
// they point into, for printing. A configuration with errors returns a
// *LoadError and applies nothing.
func (r *Reloader) Start(report func(hcl.Diagnostics, map[string]*hcl.File)) (*plan.Plan, error) {
	return r.load("start-up", true, report)
}

// Reload compiles the configuration and applies it. On any diagnostic error
// the running plan stays and a *LoadError (with every diagnostic as
// file:line:col) is returned and logged. ErrUnchanged means the files equal
// the running plan's.
func (r *Reloader) Reload(reason string) error {
	_, err := r.load(reason, false, nil)
	return err
}

// Status reports whether the last load succeeded, and when one last did.
func (r *Reloader) Status() (ok bool, lastSuccess time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ok, r.lastSuccess
}

// load is the one load → compile → apply path. The first one (initial) is
// not counted as a reload.
func (r *Reloader) load(reason string, initial bool, report func(hcl.Diagnostics, map[string]*hcl.File)) (*plan.Plan, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.metrics
	start := time.Now()
	cfg, p, diags := plan.Load(r.reg, config.Run, r.paths...)
	if report != nil {
		files := map[string]*hcl.File{}
		if cfg != nil {
			files = cfg.Files
		}
		report(diags, files)
	}
	if cfg != nil && cfg.Checksum == r.checksum && !diags.HasErrors() {
		// A valid load, though nothing changed: after a rejected edit this
		// is the fix, so the status (and any alert on it) clears.
		m.Total.WithLabelValues("unchanged").Inc()
		r.succeeded()
		if r.rejected {
			r.rejected = false
			r.log.Info("configuration is valid again; it equals the running plan, which is kept", "reason", reason)
		}
		return nil, ErrUnchanged
	}
	if diags.HasErrors() {
		err := &LoadError{Diags: diags}
		r.failed(initial)
		lines := err.headlines()
		r.log.Error("reload rejected", "reason", reason, "errors", len(lines), "diagnostics", strings.Join(lines, " | "))
		return nil, err
	}
	if err := r.apply(p); err != nil {
		r.failed(initial)
		r.log.Error("reload failed to apply; the running plan is kept", "reason", reason, "err", err)
		return nil, err
	}
	r.checksum = cfg.Checksum
	r.rejected = false
	r.succeeded()
	if !initial {
		m.Total.WithLabelValues("success").Inc()
		r.log.Info("reloaded", "reason", reason, "plan", p.Version(), "took", time.Since(start))
	}
	return p, nil
}

func (r *Reloader) succeeded() {
	r.ok, r.lastSuccess = true, time.Now()
	r.metrics.OK.Set(1)
	r.metrics.Timestamp.Set(float64(r.lastSuccess.UnixNano()) / 1e9)
}

func (r *Reloader) failed(initial bool) {
	r.ok, r.rejected = false, true
	r.metrics.OK.Set(0)
	if !initial {
		r.metrics.Total.WithLabelValues("failure").Inc()
	}
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
				r.log.Warn("config watcher", "err", err)
			}
			timer.Reset(debounce)
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			r.log.Warn("config watcher", "err", err)
		case <-timer.C:
			_ = r.Reload("file change") // Reload counts every outcome and logs applied and rejected ones
		}
	}
}

// dirs lists the directories to watch: each configuration directory (or a
// file's directory) and the directory of every symlinked file's target.
func (r *Reloader) dirs() []string {
	var out []string
	files, _ := config.Files(r.paths...)
	for _, p := range r.paths {
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
