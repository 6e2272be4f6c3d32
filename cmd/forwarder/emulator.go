package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	sdk "github.com/aliyun/aliyun-log-go-sdk"

	"github.com/forwarder/forwarder/internal/slsemu"
	"github.com/forwarder/forwarder/sources/demo"
)

type emulatorCmd struct {
	Listen   string `default:"127.0.0.1:9599" help:"Address to serve the SLS API on (loopback only)."`
	Project  string `default:"audit-demo" help:"Project to create."`
	Logstore string `default:"actiontrail" help:"Logstore to create."`
	Shards   int    `default:"2" help:"Shards of the logstore."`
	Demo     int    `default:"0" help:"Preload this many realistic demo audit events."`
	DataDir  string `help:"Keep data, consumer groups and checkpoints here across restarts."`
	KeyID    string `name:"access-key-id" env:"FORWARDER_EMULATOR_AK_ID" help:"Accepted access key id (with --access-key-secret); without one, signatures are not checked."`
	Secret   string `name:"access-key-secret" env:"FORWARDER_EMULATOR_AK_SECRET" help:"Accepted access key secret."`
}

func (c *emulatorCmd) Run(e *env) error {
	log := newLogger(e, "info", "text")
	emu := slsemu.New(slsemu.Options{Listen: c.Listen, AccessKeyID: c.KeyID, AccessKeySecret: c.Secret, DataDir: c.DataDir, Logger: log})
	if err := emu.Start(); err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	defer emu.Close()
	if err := emu.EnsureLogstore(c.Project, c.Logstore, slsemu.LogstoreConfig{Shards: c.Shards}); err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	if c.Demo > 0 {
		if err := preload(emu, c.Project, c.Logstore, c.Demo); err != nil {
			return fmt.Errorf("emulator: preload: %w", err)
		}
	}
	fmt.Fprintf(e.stdout, "SLS emulator on %s: project %q, logstore %q (%d shards, %d demo events)\n", emu.Endpoint(), c.Project, c.Logstore, c.Shards, c.Demo)
	fmt.Fprintf(e.stdout, "use it with:  endpoint = %q  project = %q  logstore = %q\n", emu.Endpoint(), c.Project, c.Logstore)
	ctx, stop := signal.NotifyContext(e.ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}

// preload appends n demo events in log groups of 500, as SLS receives them
// (one group per topic run), spread over the shards.
func preload(emu *slsemu.Server, project, logstore string, n int) error {
	g := demo.NewGenerator(uint64(time.Now().UnixNano()), time.Now().Add(-time.Hour))
	var logs []*sdk.Log
	var topic, source string
	flush := func() error {
		if len(logs) == 0 {
			return nil
		}
		t, s := topic, source
		lg := &sdk.LogGroup{Logs: logs, Topic: &t, Source: &s}
		_, err := emu.AppendLogGroup(project, logstore, lg)
		logs = nil
		return err
	}
	for range n {
		ev := g.Next()
		if ev.Topic != topic || len(logs) == 500 {
			if err := flush(); err != nil {
				return err
			}
			topic, source = ev.Topic, ev.Source
		}
		logs = append(logs, slsemu.LogFromEvent(ev))
	}
	return flush()
}
