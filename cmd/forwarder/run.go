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
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/forwarder/forwarder/engine"
	"github.com/forwarder/forwarder/engine/builtin"
	"github.com/forwarder/forwarder/engine/config"
	"github.com/forwarder/forwarder/engine/reload"
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
	FileDirs        []string      `name:"file-dir" help:"A directory file() may read besides the configuration directory (repeatable), e.g. /run/secrets." type:"path"`
	GCPercent       int           `default:"400" help:"Go GC target (GOGC) unless the GOGC environment variable is set. The live heap is bounded by the in-flight windows and sink queues, so a higher target trades a little memory for much less GC CPU on the decode path."`
}

func newLogger(e *env, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	// Values read by env() and file() are secrets: the handler redacts them.
	if format == "json" {
		return slog.New(config.RedactHandler(slog.NewJSONHandler(e.stderr, opts)))
	}
	return slog.New(config.RedactHandler(slog.NewTextHandler(e.stderr, opts)))
}

func (c *runCmd) Run(e *env) error {
	log := newLogger(e, c.LogLevel, c.LogFormat)
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
	p, diags := compile(c.Paths, config.Run, "text", e.stderr)
	if diags.HasErrors() {
		return codeError{code: exitConfig, msg: "configuration has errors; nothing started"}
	}
	rt := engine.New(engine.Settings{Logger: log})
	if _, err := rt.Apply(p); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	log.Info("forwarder running", "version", version, "plan", p.Version(), "config", strings.Join(c.Paths, ","))

	ctx, stop := signal.NotifyContext(e.ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	rl := &reload.Reloader{Paths: c.Paths, Reg: builtin.Registries(), Runtime: rt, Log: log.With("component", "reload")}
	rl.Prime(p.Config())
	rt.Metrics().ReloadOK.Set(1)
	var wg sync.WaitGroup
	defer wg.Wait()
	bg, cancelBG := context.WithCancel(ctx)
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
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
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
	if c.Admin != "" {
		ln, err := net.Listen("tcp", c.Admin)
		if err != nil {
			return fmt.Errorf("admin server: %w", err)
		}
		access.Addr = ln.Addr().String()
		admin := engine.AdminHandler(rt, func() error { return ignoreUnchanged(rl.Reload("POST /-/reload")) })
		srv := &http.Server{Handler: engine.AdminGuard(admin, access), ReadHeaderTimeout: 5 * time.Second}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = srv.Serve(ln)
		}()
		defer srv.Close()
		log.Info("admin server listening", "addr", ln.Addr().String())
	}
	select {
	case <-ctx.Done():
		log.Info("shutting down", "deadline", c.ShutdownTimeout)
	case <-rt.SourcesDone():
		log.Info("all sources finished; shutting down")
	}
	cancelBG()
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	rt.Shutdown(sctx)
	log.Info("stopped")
	return nil
}
