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
	"sort"

	"github.com/forwarder/forwarder/engine/event"
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

// Config is a sink's decoded HCL body. Validate is fast and does no I/O; it
// may return an *AttrError so the diagnostic points at the attribute.
type Config interface {
	Validate() error
}

// Warner is a Config that points out settings that are valid but probably
// not what the user meant (an old, easily misread attribute name); the
// engine reports each as a warning at the attribute.
type Warner interface {
	Warnings() []*AttrError
}

// AttrError is a Config.Validate error about one attribute. Attr is the HCL
// attribute name, or "block.attr" for an attribute in a nested block.
type AttrError struct {
	Attr string
	Err  error
}

func (e *AttrError) Error() string { return fmt.Sprintf("%s: %v", e.Attr, e.Err) }
func (e *AttrError) Unwrap() error { return e.Err }

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
	NewConfig func() Config
	// New builds a sink from a validated config. It does no I/O.
	New func(cfg Config, set Settings) (Sink, error)
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

// Registry maps sink types to factories.
type Registry struct {
	byType map[string]Factory
}

// NewRegistry returns a registry of the given factories. Two factories of one
// type are an error.
func NewRegistry(fs ...Factory) (*Registry, error) {
	r := &Registry{byType: make(map[string]Factory, len(fs))}
	for _, f := range fs {
		if _, dup := r.byType[f.Type]; dup {
			return nil, fmt.Errorf("sinks: duplicate factory for type %q", f.Type)
		}
		r.byType[f.Type] = f
	}
	return r, nil
}

// Lookup returns the factory of a type.
func (r *Registry) Lookup(typ string) (Factory, bool) {
	f, ok := r.byType[typ]
	return f, ok
}

// Types lists the registered types, sorted (for "did you mean").
func (r *Registry) Types() []string {
	ts := make([]string, 0, len(r.byType))
	for t := range r.byType {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}
