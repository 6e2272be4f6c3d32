package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/forwarder/forwarder/builtin"
	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/engine"
	"github.com/forwarder/forwarder/plan"
	"github.com/forwarder/forwarder/reload"
	"github.com/forwarder/forwarder/sources/sls"
)

func ignoreUnchanged(err error) error {
	if errors.Is(err, reload.ErrUnchanged) {
		return nil
	}
	return err
}

type runCmd struct {
	Paths           []string      `arg:"" name:"config" help:"Configuration files or directories." type:"path"`
	ShutdownTimeout time.Duration `default:"30s" help:"How long to wait on SIGINT/SIGTERM for sinks to deliver what they hold."`
	LogLevel        string        `default:"info" enum:"debug,info,warn,error" help:"Log level: debug, info, warn, error."`
	LogFormat       string        `default:"text" enum:"text,json" help:"Log format: text or json."`
	Admin           string        `default:"127.0.0.1:9598" help:"Address of the admin HTTP server (/metrics, /health, POST /-/reload, /livez); empty turns it off."`
	AdminHost       []string      `name:"admin-host" help:"A further name clients use to reach the admin server (repeatable); requests naming another Host are refused."`
	AdminTokenFile  string        `name:"admin-token-file" help:"File holding a bearer token every admin endpoint but /livez requires." type:"path"`
	Watch           bool          `default:"true" negatable:"" help:"Reload when the configuration files change (also on SIGHUP)."`
	Debounce        time.Duration `default:"200ms" help:"Wait this long after the last file change before reloading."`
	Progress        time.Duration `default:"30s" help:"Log events per second in per source and out per sink this often; 0 turns it off."`
	Pprof           bool          `help:"Serve /debug/pprof/ on the admin server (off by default: it reveals internals and costs CPU while profiling)."`
	UnreadyAfter    time.Duration `default:"5s" help:"How long a sink may fail before /-/ready reports not ready."`
	FileDirs        []string      `name:"file-dir" help:"A directory file() may read besides the configuration directory (repeatable), e.g. /run/secrets." type:"path"`
	GCPercent       int           `default:"400" help:"Go GC target (GOGC) unless the GOGC environment variable is set. The live heap is bounded by the in-flight windows and sink queues, so a higher target trades a little memory for much less GC CPU on the decode path."`
	MemoryLimit     string        `default:"auto" help:"Go soft memory limit unless GOMEMLIMIT is set: auto derives it from the configuration's byte budgets (sources' in_flight_bytes, sinks' buffer_bytes and request bodies; README, Memory), or a size, or 0 for none; lowered to 90% of a cgroup (container) limit."`
}

func newLogger(e *env, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	// Durations print as "1.5s", not as nanoseconds, in text and JSON.
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Value.Kind() == slog.KindDuration {
			a.Value = slog.StringValue(a.Value.Duration().String())
		}
		return a
	}}
	// Values read by env() and file() are secrets: the handler redacts them.
	if format == "json" {
		return slog.New(config.RedactHandler(slog.NewJSONHandler(e.stderr, opts)))
	}
	return slog.New(config.RedactHandler(slog.NewTextHandler(e.stderr, opts)))
}

// memLimiter keeps the Go soft memory limit at what --memory-limit and the
// running plan's budget (memlimit.go) ask for. Every applied plan is
// measured: a plan that needs more raises the limit before it starts, one
// that needs less lowers it once it runs (while a reload swaps plans, the
// old one's holders drain as the new one's fill). The reloader applies one
// plan at a time, so it needs no lock.
type memLimiter struct {
	flag    string
	log     *slog.Logger
	started bool  // a plan has been applied
	cur     int64 // the limit set; 0 while none is
	off     bool  // GOMEMLIMIT or --memory-limit=0: the limit is not ours
}

// apply runs apply(p) with the limit p asks for: raised before, lowered
// after. A flag error fails the first plan, the only one that can meet it.
func (m *memLimiter) apply(p *plan.Plan, apply func(*plan.Plan) error) error {
	if !m.started {
		m.started = true
		if v := os.Getenv("GOMEMLIMIT"); v != "" {
			m.log.Info("memory limit from GOMEMLIMIT", "limit", v)
			m.off = true
		}
	}
	if m.off {
		return apply(p)
	}
	b := planBudget(p)
	cgroup := readCgroupMax()
	limit, err := memoryLimit(m.flag, cgroup, b.Limit())
	if err != nil {
		return codeError{code: exitConfig, msg: err.Error()}
	}
	if limit == 0 {
		m.log.Info("no memory limit (--memory-limit=0)")
		m.off = true
		return apply(p)
	}
	if limit > m.cur {
		m.set(limit, b, cgroup)
	}
	if err := apply(p); err != nil {
		return err
	}
	if limit < m.cur {
		m.set(limit, b, cgroup)
	}
	return nil
}

func (m *memLimiter) set(limit int64, b memBudget, cgroup string) {
	msg := "memory limit"
	if m.cur != 0 {
		msg = "memory limit changed"
	}
	m.cur = limit
	debug.SetMemoryLimit(limit)
	m.log.Info(msg, "limit", mib(limit), "flag", m.flag, "budget", mib(b.Held()),
		"source_windows", mib(b.Sources), "sink_buffers", mib(b.Buffers), "request_bodies", mib(b.Bodies),
		"cgroup_max", strings.TrimSpace(cgroup))
}

func (c *runCmd) Run(e *env) error {
	log := newLogger(e, c.LogLevel, c.LogFormat)
	// The SLS SDK logs through one process-wide variable (to stdout by
	// default): point it at our logger before any source starts.
	sls.BridgeSDKLogs(log)
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(c.GCPercent)
	}
	access := engine.AdminAccess{Hosts: c.AdminHost}
	if c.AdminTokenFile != "" {
		tok, err := engine.ReadAdminToken(c.AdminTokenFile)
		if err != nil {
			return err
		}
		access.Token = tok
	}
	config.SetFileDirs(c.FileDirs)
	// Bind the admin server before any source starts: a port clash must
	// end the process before it joins a consumer group.
	var ln net.Listener
	if c.Admin != "" {
		var err error
		if ln, err = net.Listen("tcp", c.Admin); err != nil {
			return fmt.Errorf("admin server: %w (choose another address with --admin, or turn it off with --admin=\"\")", err)
		}
		defer ln.Close()
	}
	// Signals are ours before anything starts: a SIGTERM during start-up
	// is a graceful shutdown, not the default exit.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	rt := engine.New(engine.Settings{Logger: log})
	bi := currentBuild()
	rt.Metrics().BuildInfo.WithLabelValues(bi.Version, bi.Commit, runtime.Version()).Set(1)
	// Start-up takes the reloader's load → compile → apply path, the one
	// every later reload takes.
	mem := &memLimiter{flag: c.MemoryLimit, log: log}
	rl := reload.New(c.Paths, builtin.Registries(), func(p *plan.Plan) error {
		return mem.apply(p, func(p *plan.Plan) error {
			_, err := rt.Apply(p)
			return err
		})
	}, log.With("component", "reload"), nil)
	rt.Metrics().Registry.MustRegister(rl.Metrics().Collectors()...)
	p, err := rl.Start(func(diags hcl.Diagnostics, files map[string]*hcl.File) {
		_ = writeDiags(e.stderr, formatText, diags, files)
	})
	var ce codeError
	if le := (*reload.LoadError)(nil); errors.As(err, &le) {
		return codeError{code: exitConfig, msg: "configuration has errors; nothing started"}
	} else if errors.As(err, &ce) {
		return ce
	} else if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	log.Info("forwarder running", "version", currentBuild().Version, "plan", p.Version(), "config", strings.Join(c.Paths, ","))
	var wg sync.WaitGroup
	defer wg.Wait()
	bg, cancelBG := context.WithCancel(e.ctx)
	defer cancelBG()
	if c.Watch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := rl.Watch(bg, c.Debounce); err != nil {
				log.Error("config watcher stopped; reload with SIGHUP or POST /-/reload", "err", err)
			}
		}()
	}
	if c.Progress > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rt.LogProgress(bg, c.Progress, log.With("component", "progress"))
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-bg.Done():
				return
			case <-hup:
				_ = rl.Reload("SIGHUP")
			}
		}
	}()
	if ln != nil {
		access.Addr = ln.Addr().String()
		h := engine.AdminHandler(rt, func() error { return ignoreUnchanged(rl.Reload("POST /-/reload")) },
			engine.AdminOptions{UnreadyAfter: c.UnreadyAfter, Pprof: c.Pprof, ReloadStatus: func() engine.ReloadStatus {
				ok, last := rl.Status()
				return engine.ReloadStatus{OK: ok, LastSuccess: last.UTC()}
			}})
		srv := &http.Server{Handler: engine.AdminGuard(h, access), ReadHeaderTimeout: 5 * time.Second}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = srv.Serve(ln)
		}()
		defer srv.Close()
		log.Info("admin server listening", "addr", ln.Addr().String())
	}
	select {
	case <-e.ctx.Done():
		log.Info("shutting down", "deadline", c.ShutdownTimeout.String())
	case s := <-sigs:
		log.Info("shutting down; a second signal exits at once", "signal", s.String(), "deadline", c.ShutdownTimeout.String())
	case <-rt.SourcesDone():
		log.Info("all bounded sources finished; shutting down")
	}
	cancelBG()
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	resc := make(chan engine.ShutdownResult, 1)
	go func() { resc <- rt.Shutdown(sctx) }()
	var res engine.ShutdownResult
	select {
	case res = <-resc:
	case s := <-sigs:
		log.Warn("second signal: exiting now; what was committed stays committed, the rest is read again on restart", "signal", s.String())
		cancel()
		select {
		case res = <-resc:
		case <-time.After(time.Second):
			res.Forced = true
			res.Undelivered = max(res.Undelivered, 1)
		}
	}
	if res.Undelivered > 0 {
		log.Warn("stopped with undelivered batches", "batches", res.Undelivered)
		return codeError{code: exitUndelivered, msg: fmt.Sprintf("stopped with %d source batches not delivered; they were not acknowledged and are read again from the source on restart", res.Undelivered)}
	}
	log.Info("stopped; everything pulled was delivered or dead-lettered")
	return nil
}
