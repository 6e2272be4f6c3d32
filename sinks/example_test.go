package sinks_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/sinks"
)

// LinesConfig is the body of `sink "lines" "NAME" { … }`: HCL decodes the
// block over what NewLinesConfig returns, so unset attributes keep their
// defaults. The json tags make the config part of the sink's fingerprint
// (a reload reconnects only a sink whose config changed).
type LinesConfig struct {
	// Prefix starts every line (default ">").
	Prefix string `hcl:"prefix,optional" json:"prefix"`
}

// NewLinesConfig returns a config with the defaults filled in.
func NewLinesConfig() *LinesConfig { return &LinesConfig{Prefix: ">"} }

// Validate checks the config without I/O; an *plugin.AttrError makes the
// diagnostic point at the attribute.
func (c *LinesConfig) Validate() error {
	if strings.TrimSpace(c.Prefix) == "" {
		return &plugin.AttrError{Attr: "prefix", Err: errors.New("must not be blank")}
	}
	return nil
}

// LinesSink writes one line per event: the prefix, the topic and the
// "user" field.
type LinesSink struct {
	prefix string
	w      io.Writer
}

var _ sinks.Sink = (*LinesSink)(nil)

// NewLinesSink builds a sink from a validated config. Like every New it
// does no I/O: the engine calls Connect when the first batch is due.
func NewLinesSink(c *LinesConfig, _ sinks.Settings) (*LinesSink, error) {
	return &LinesSink{prefix: c.Prefix}, nil
}

// Connect opens the output; here, standard output.
func (s *LinesSink) Connect(context.Context) error {
	s.w = os.Stdout
	return nil
}

// WriteBatch writes every event; a nil error acknowledges them all.
// Batching, retries, dead letters and acknowledgements are the engine's.
func (s *LinesSink) WriteBatch(_ context.Context, events []*event.Event) error {
	if s.w == nil {
		return sinks.ErrNotConnected
	}
	for _, ev := range events {
		user, _ := ev.Get("user")
		if _, err := fmt.Fprintln(s.w, s.prefix, ev.Topic, user.Str()); err != nil {
			return fmt.Errorf("lines sink: %w", err)
		}
	}
	return nil
}

// Close releases the output. It is idempotent and safe without Connect.
func (s *LinesSink) Close(context.Context) error {
	s.w = nil
	return nil
}

// LinesFactory is the sink type's Factory: what builtin.Registries lists
// (the one line a new sink adds outside its own package).
func LinesFactory() sinks.Factory {
	f := sinks.NewFactory("lines", NewLinesConfig, NewLinesSink)
	f.Batch = sinks.BatchDefaults{MaxEvents: 500, MaxBytes: 1 << 20}
	return f
}

// otherConfig is some other plugin's config.
type otherConfig struct{}

func (otherConfig) Validate() error { return nil }

// Example_writeASink writes a sink type: a Config with NewConfig and
// Validate, a Sink with New, Connect, WriteBatch and Close, and a Factory
// made by sinks.NewFactory, registered in a plugin.Registry the way
// builtin.Registries lists the built-in ones. The planner then looks the
// type up by a block's first label, decodes the block over NewConfig and
// validates it; the engine calls New, Connect and WriteBatch.
func Example_writeASink() {
	reg, err := plugin.NewRegistry("sink", LinesFactory())
	if err != nil {
		panic(err)
	}
	f, ok := reg.Lookup("lines")
	fmt.Println("registered:", reg.Types(), ok)

	cfg := f.NewConfig() // what HCL decodes `sink "lines" "audit" { … }` into
	cfg.(*LinesConfig).Prefix = "audit:"
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	ctx := context.Background()
	s, err := f.New(cfg, sinks.Settings{Name: "lines.audit"})
	if err != nil {
		panic(err)
	}
	ev := &event.Event{Topic: "actiontrail_audit_event"}
	ev.Set("user", event.String("alice"))
	fmt.Println("before Connect:", s.WriteBatch(ctx, []*event.Event{ev}))
	if err := s.Connect(ctx); err != nil {
		panic(err)
	}
	if err := s.WriteBatch(ctx, []*event.Event{ev}); err != nil {
		panic(err)
	}
	fmt.Println("close:", s.Close(ctx), s.Close(ctx))

	// A config of another type is an error, never a panic.
	_, err = f.New(otherConfig{}, sinks.Settings{Name: "lines.audit"})
	fmt.Println(err)
	// Output:
	// registered: [lines] true
	// before Connect: not connected
	// audit: actiontrail_audit_event alice
	// close: <nil> <nil>
	// lines sink "lines.audit": config is a sinks_test.otherConfig, want *sinks_test.LinesConfig
}
