package builtin_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/forwarder/forwarder/builtin"
	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/internal/fwdtest"
	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/sinks"
	"github.com/forwarder/forwarder/sources"
)

// conformanceSinks is a sink block for every built-in sink type, aimed at
// addr (a listener that reports connections) or, for the file sink, at a path
// under dir. A new sink type must add one: TestSinkConformance fails for a
// registered type missing here.
var conformanceSinks = map[string]func(addr, dir string) string{
	"splunk_hec": func(addr, _ string) string {
		return fmt.Sprintf(`endpoint = "http://%s"
  token    = "conformance-token"`, addr)
	},
	"syslog": func(addr, _ string) string {
		return fmt.Sprintf(`address  = %q
  protocol = "tcp"`, addr)
	},
	"file": func(_, dir string) string {
		return fmt.Sprintf(`path = %q`, filepath.Join(dir, "out.ndjson"))
	},
	"object_store": func(addr, _ string) string {
		return fmt.Sprintf(`endpoint          = "http://%s"
  bucket            = "conformance"
  path_style        = true
  access_key_id     = "AKIDCONFORMANCE"
  access_key_secret = "conformance-secret"`, addr)
	},
}

// wrongConfig is a config of no plugin: a factory given it returns an
// error instead of panicking on its type assertion.
type wrongConfig struct{}

func (wrongConfig) Validate() error { return nil }

// connListener accepts connections on 127.0.0.1 and reports each one's
// remote address, in accept order.
func connListener(t *testing.T) (addr string, conns <-chan string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan string, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			select {
			case ch <- c.RemoteAddr().String():
			default:
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return l.Addr().String(), ch
}

// dialedBefore connects to addr itself and counts the connections accepted
// before its own: accepts are in order, so once the probe is seen every
// earlier connection has been.
func dialedBefore(t *testing.T, addr string, conns <-chan string) int {
	t.Helper()
	probe, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	self := probe.LocalAddr().String()
	timeout := time.After(30 * time.Second)
	for n := 0; ; n++ {
		select {
		case a := <-conns:
			if a == self {
				return n
			}
		case <-timeout:
			t.Fatal("the probe connection was never accepted")
		}
	}
}

// noLeaks fails t if goroutines started during the test are still running
// once every cleanup registered after it has run (cleanups run last in,
// first out, so call it first).
func noLeaks(t *testing.T) {
	t.Helper()
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
}

// promptly runs f and fails t if it has not returned within 30 seconds
// (a generous bound for a loaded machine: the point is "no hang").
func promptly(t *testing.T, what string, f func() error) error {
	t.Helper()
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	select {
	case err := <-ch:
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not return", what)
		return nil
	}
}

// cancelled returns a context that has already ended.
func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// rejectsForeignConfigs checks what a factory's New returns for a config of
// no plugin, and for none: an error and a nil plugin, never a panic.
func rejectsForeignConfigs[T comparable](t *testing.T, newFn func(plugin.Config) (T, error)) {
	t.Helper()
	var zero T
	for _, cfg := range []plugin.Config{wrongConfig{}, nil} {
		var (
			got T
			err error
		)
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("New with a %T panicked: %v", cfg, r)
				}
			}()
			got, err = newFn(cfg)
		}()
		if err == nil || got != zero {
			t.Errorf("New with a %T = %v, %v; want an error and nil", cfg, got, err)
		}
	}
}

// TestSinkConformance holds every registered sink factory to the Sink
// contract that does not need a peer: New rejects a config of another type
// (or none) with an error and a nil Sink, New does no I/O (no connection
// to the configured address, no file created), Close without Connect
// returns nil, a second Close is safe, Close and Connect return promptly
// with a cancelled context, and no goroutine outlives Close.
func TestSinkConformance(t *testing.T) {
	reg := builtin.Registries()
	for _, typ := range reg.Sinks.Types() {
		t.Run(typ, func(t *testing.T) {
			noLeaks(t)
			body, ok := conformanceSinks[typ]
			if !ok {
				t.Fatalf("sink type %q has no entry in conformanceSinks", typ)
			}
			addr, conns := connListener(t)
			dir := t.TempDir()
			src := fmt.Sprintf(`
source "demo" "d" {
  count = 1
}
sink %q "s" {
  %s
}
route "r" {
  from = [source.demo.d]
  to   = [sink.%s.s]
}
`, typ, body(addr, dir), typ)
			p := fwdtest.Compile(t, reg, src)
			specs := p.Sinks()
			if len(specs) != 1 || specs[0].Type != typ {
				t.Fatalf("plan sinks = %+v, want one %s", specs, typ)
			}
			spec := specs[0]
			rejectsForeignConfigs(t, func(cfg plugin.Config) (sinks.Sink, error) {
				return spec.Factory.New(cfg, sinks.Settings{Name: typ + ".wrong"})
			})
			for i := range 2 { // two sinks from one config: New keeps no global state
				s, err := spec.Factory.New(spec.Config, sinks.Settings{Name: fmt.Sprintf("%s.s%d", typ, i)})
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if s == nil {
					t.Fatal("New returned a nil sink and no error")
				}
				if err := s.Close(context.Background()); err != nil {
					t.Errorf("Close without Connect: %v", err)
				}
				if err := s.Close(context.Background()); err != nil {
					t.Errorf("second Close: %v", err)
				}
				if err := promptly(t, "Close with a cancelled context", func() error { return s.Close(cancelled()) }); err != nil && !errors.Is(err, context.Canceled) {
					t.Errorf("Close with a cancelled context: %v", err)
				}
			}
			if n := dialedBefore(t, addr, conns); n != 0 {
				t.Errorf("New/Close made %d connections to %s; constructors do no I/O", n, addr)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				t.Errorf("New/Close created %s; constructors do no I/O", e.Name())
			}

			// Connect with a context that has already ended returns (an
			// error, or nil for a sink that needs no peer); Close after it
			// is still safe twice.
			s, err := spec.Factory.New(spec.Config, sinks.Settings{Name: typ + ".cancelled"})
			if err != nil {
				t.Fatal(err)
			}
			err = promptly(t, "Connect with a cancelled context", func() error { return s.Connect(cancelled()) })
			t.Logf("Connect with a cancelled context: %v", err)
			for range 2 {
				if err := s.Close(context.Background()); err != nil {
					t.Errorf("Close after a cancelled Connect: %v", err)
				}
			}
		})
	}
}

// conformanceSources is a source block for every built-in source type,
// aimed at addr where it has an endpoint.
var conformanceSources = map[string]func(addr string) string{
	"demo": func(string) string { return `count = 1` },
	"sls": func(addr string) string {
		return fmt.Sprintf(`endpoint          = "http://%s"
  project           = "conformance"
  logstores         = ["audit"]
  consumer_group    = "conformance"
  access_key_id     = "AKIDCONFORMANCE"
  access_key_secret = "conformance-secret"`, addr)
	},
}

// answeringOutput answers every batch at once, as the engine does when it
// gives up on one: with ctx's error when ctx has ended, else with nil.
type answeringOutput struct{ delivered int }

func (o *answeringOutput) Deliver(ctx context.Context, _ *event.Batch, done func(error)) error {
	o.delivered++
	done(ctx.Err())
	return ctx.Err()
}

// TestSourceConformance holds every registered source factory to the
// Source contract that does not need a peer: New rejects a config of
// another type (or none) with an error and a nil Source, New does no I/O
// (no connection to the configured endpoint) even for two lanes sharing
// one metrics registerer, Run with a context that has already ended returns
// promptly and connects to nothing, and no goroutine outlives Run.
func TestSourceConformance(t *testing.T) {
	reg := builtin.Registries()
	for _, typ := range reg.Sources.Types() {
		t.Run(typ, func(t *testing.T) {
			noLeaks(t)
			body, ok := conformanceSources[typ]
			if !ok {
				t.Fatalf("source type %q has no entry in conformanceSources", typ)
			}
			addr, conns := connListener(t)
			src := fmt.Sprintf(`
source %q "s" {
  %s
}
sink "file" "f" {
  path = %q
}
route "r" {
  from = [source.%s.s]
  to   = [sink.file.f]
}
`, typ, body(addr), filepath.Join(t.TempDir(), "out.ndjson"), typ)
			p := fwdtest.Compile(t, reg, src)
			specs := p.Sources()
			if len(specs) != 1 || specs[0].Type != typ {
				t.Fatalf("plan sources = %+v, want one %s", specs, typ)
			}
			spec := specs[0]
			rejectsForeignConfigs(t, func(cfg plugin.Config) (sources.Source, error) {
				return spec.Factory.New(cfg, sources.Settings{Name: typ + ".wrong"})
			})
			metrics := prometheus.WrapRegistererWith(prometheus.Labels{"source": typ + ".s"}, prometheus.NewRegistry())
			var built []sources.Source
			for _, lane := range []string{"file.a", "file.b"} { // two lanes of one source
				s, err := spec.Factory.New(spec.Config, sources.Settings{Name: typ + ".s", Lane: lane,
					Logger: slog.New(slog.DiscardHandler), Metrics: metrics})
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if s == nil {
					t.Fatal("New returned a nil source and no error")
				}
				built = append(built, s)
			}
			if n := dialedBefore(t, addr, conns); n != 0 {
				t.Errorf("New made %d connections to %s; constructors do no I/O", n, addr)
			}
			out := &answeringOutput{}
			err := promptly(t, "Run with a cancelled context", func() error { return built[0].Run(cancelled(), out) })
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("Run with a cancelled context: %v", err)
			}
			if n := dialedBefore(t, addr, conns); n != 0 {
				t.Errorf("Run with a cancelled context made %d connections to %s", n, addr)
			}
			t.Logf("Run with a cancelled context: %v after %d deliveries", err, out.delivered)
		})
	}
}
