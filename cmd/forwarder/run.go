package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/forwarder/forwarder/engine"
	"github.com/forwarder/forwarder/engine/config"
)

type runCmd struct {
	Paths           []string      `arg:"" name:"config" help:"Configuration files or directories." type:"path"`
	ShutdownTimeout time.Duration `default:"30s" help:"How long to wait on SIGINT/SIGTERM for sinks to deliver what they hold."`
	LogLevel        string        `default:"info" enum:"debug,info,warn,error" help:"Log level: debug, info, warn, error."`
	LogFormat       string        `default:"text" enum:"text,json" help:"Log format: text or json."`
}

func newLogger(e *env, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}

func (c *runCmd) Run(e *env) error {
	log := newLogger(e, c.LogLevel, c.LogFormat)
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
	select {
	case <-ctx.Done():
		log.Info("shutting down", "deadline", c.ShutdownTimeout)
	case <-rt.SourcesDone():
		log.Info("all sources finished; shutting down")
	}
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	rt.Shutdown(sctx)
	log.Info("stopped")
	return nil
}
