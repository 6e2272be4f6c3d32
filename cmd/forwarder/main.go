// Command forwarder moves audit logs from Alibaba Cloud Log Service to SIEMs,
// configured by HCL files that hot-reload. See README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/alecthomas/kong"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // runtime failure, failed tests, unformatted files
	exitConfig = 2 // configuration diagnostics with errors
	exitUsage  = 2 // unknown command or flag, missing argument

	// kongUsageError is the code kong exits with on a command-line parse
	// error; forwarder reports those as exitUsage, as the README says.
	kongUsageError = 80
	// exitUndelivered: run stopped (shutdown deadline or a second signal)
	// with batches not yet delivered; they were not acknowledged, so a
	// durable source reads them again on restart.
	exitUndelivered = 3
)

type cli struct {
	Run      runCmd      `cmd:"" help:"Run the forwarder on the given configuration files or directories."`
	Validate validateCmd `cmd:"" help:"Check configuration without running anything or reading secrets (for CI)."`
	Test     testCmd     `cmd:"" help:"Run the test blocks of the configuration."`
	Fmt      fmtCmd      `cmd:"" help:"Rewrite configuration files in canonical format."`
	Tap      tapCmd      `cmd:"" help:"Stream live events of a running forwarder (after a route's rules, or entering a sink) as NDJSON."`
	Emulator emulatorCmd `cmd:"" help:"Run a local SLS-compatible server, for trying forwarder without a cloud account."`
	Version  versionCmd  `cmd:"" help:"Print the version."`

	PrintVersion versionFlag `name:"version" help:"Print the version and exit."`
}

// env is what commands get besides their flags.
type env struct {
	ctx            context.Context
	stdout, stderr io.Writer
}

func main() {
	os.Exit(realMain(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// realMain runs the CLI and returns the exit code; tests call it directly.
func realMain(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	var c cli
	exit := -1
	parser, err := kong.New(&c,
		kong.Name("forwarder"),
		kong.Description("Forward audit logs from Alibaba Cloud Log Service (SLS) to SIEMs (Splunk HEC, syslog), configured as code."),
		kong.UsageOnError(),
		kong.Writers(stdout, stderr),
		kong.Exit(func(c int) {
			if c == kongUsageError {
				c = exitUsage
			}
			exit = c
			panic(exitPanic{})
		}),
	)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailed
	}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(exitPanic); !ok {
				panic(r)
			}
			code = exit
		}
	}()
	kctx, err := parser.Parse(args)
	if err != nil {
		parser.FatalIfErrorf(err)
		return exitFailed
	}
	e := &env{ctx: ctx, stdout: stdout, stderr: stderr}
	if err := kctx.Run(e); err != nil {
		var ce codeError
		if errors.As(err, &ce) {
			if ce.msg != "" {
				fmt.Fprintln(stderr, "forwarder:", ce.msg)
			}
			return ce.code
		}
		fmt.Fprintln(stderr, "forwarder:", err)
		return exitFailed
	}
	return exitOK
}

// exitPanic unwinds kong's exit (on --help) back to realMain.
type exitPanic struct{}

// codeError ends a command with an exit code and an optional message.
type codeError struct {
	code int
	msg  string
}

func (e codeError) Error() string { return e.msg }
