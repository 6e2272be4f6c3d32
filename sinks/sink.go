// Package sinks defines what a sink is: the interface every output
// implements, its per-event outcomes, its factory and the registry that lists
// the factories. The engine owns batching, retries with backoff, reconnects,
// dead-lettering and acknowledgements, once for all sinks; a sink only speaks
// its protocol.
package sinks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/plugin"
)

// Sink writes events to one downstream.
//
// Lifecycle: New (no I/O) → Connect → WriteBatch… → Close. The engine calls
// Connect with backoff until it returns nil. WriteBatch may be called from
// several goroutines at once, up to the factory's MaxInFlight. Close is
// idempotent and safe without Connect.
type Sink interface {
	// Connect opens what the sink needs (a TCP/TLS connection, an HTTP client).
	Connect(ctx context.Context) error
	// WriteBatch sends events and reports an outcome for each one.
	//
	// nil means every event was accepted downstream. A *BatchError carries a
	// Result per event: OK events are acknowledged, Reject events go to the
	// route's dead-letter sink with their reason, Retry events are sent again
	// later. Any other error means no event was accepted and all are retried;
	// wrap it in ErrNotConnected to make the engine call Connect again first.
	WriteBatch(ctx context.Context, events []*event.Event) error
	// Close releases connections. It does not flush: the engine only closes a
	// sink whose batches are all answered.
	Close(ctx context.Context) error
}

// Outcome is what happened to one event of a batch.
type Outcome uint8

const (
	// OK means downstream accepted the event.
	OK Outcome = iota
	// Retry means the event was not accepted but may be on a later try.
	Retry
	// Reject means downstream refused the event as invalid; retrying would
	// fail again, so it is dead-lettered with Reason.
	Reject
)

func (o Outcome) String() string {
	switch o {
	case OK:
		return "ok"
	case Retry:
		return "retry"
	case Reject:
		return "reject"
	}
	return fmt.Sprintf("outcome(%d)", o)
}

// Result is one event's outcome.
type Result struct {
	Outcome Outcome
	// Reason says why an event was rejected or must be retried.
	Reason string
}

// BatchError reports per-event outcomes of a WriteBatch that did not accept
// every event. Results has one entry per event, in order.
type BatchError struct {
	Results []Result
	// Err is the underlying cause, for logs (for example HEC's response text).
	Err error
}

func (e *BatchError) Error() string {
	ok, retry, reject := 0, 0, 0
	for _, r := range e.Results {
		switch r.Outcome {
		case OK:
			ok++
		case Retry:
			retry++
		case Reject:
			reject++
		}
	}
	msg := fmt.Sprintf("partial batch: %d ok, %d to retry, %d rejected", ok, retry, reject)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *BatchError) Unwrap() error { return e.Err }

// ErrNotConnected tells the engine to call Connect before the next write.
var ErrNotConnected = errors.New("not connected")

// Settings are what the engine gives a sink besides its config.
type Settings struct {
	// Name is the sink's key, "type.name".
	Name string
	// Logger is tagged with the sink's key.
	Logger *slog.Logger
}

// Factory makes sinks of one type.
type Factory struct {
	// Type is the first label of the sink block ("splunk_hec").
	Type string
	// NewConfig returns a config with defaults filled in; HCL decodes over it.
	NewConfig func() plugin.Config
	// New builds a sink from a validated config. It does no I/O.
	New func(cfg plugin.Config, set Settings) (Sink, error)
	// MaxInFlight is the default number of concurrent WriteBatch calls.
	// Zero means 1 (ordered, one connection).
	MaxInFlight int
	// Batch holds the default batching for this sink type.
	Batch BatchDefaults
}

// BatchDefaults are a sink type's default batching limits.
type BatchDefaults struct {
	MaxEvents int
	MaxBytes  int
}

// TypeName returns the block type, for plugin.Registry.
func (f Factory) TypeName() string { return f.Type }

// NewFactory returns the Factory of the sink type typ from a plugin's own
// typed constructors: newConfig returns its config (C, a pointer such as
// *file.Config) with defaults filled in, newSink builds its sink from one.
// The Factory's New checks the config's type and returns an error, never
// panics, when it is given another plugin's config; a failed newSink
// yields a nil Sink, never a typed nil. MaxInFlight and Batch start at zero
// (one writer, the engine's batch defaults); set them on the result.
func NewFactory[C plugin.Config, S Sink](typ string, newConfig func() C, newSink func(C, Settings) (S, error)) Factory {
	return Factory{
		Type:      typ,
		NewConfig: func() plugin.Config { return newConfig() },
		New: func(cfg plugin.Config, set Settings) (Sink, error) {
			c, err := plugin.ConfigAs[C]("sink", typ, set.Name, cfg)
			if err != nil {
				return nil, err
			}
			s, err := newSink(c, set)
			if err != nil {
				return nil, err
			}
			return s, nil
		},
	}
}
