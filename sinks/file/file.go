// Package file is a sink that appends events as NDJSON (one JSON object per
// line) to a file or to standard output. It serves development, tests and
// dead letters. Each event is written in its flat JSON form
// (event.AppendJSON), with "__meta__" when rules set meta.
package file

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/forwarder/forwarder/engine/event"
	"github.com/forwarder/forwarder/sinks"
)

// Config is the body of `sink "file" "NAME" { … }`.
type Config struct {
	// Path is the file to append to; "-" or "stdout" writes to standard
	// output, "stderr" to standard error.
	Path string `hcl:"path" json:"path"`
	// Meta includes the "__meta__" object (default true).
	Meta *bool `hcl:"meta,optional" json:"meta,omitempty"`
	// Sync calls fsync after each batch, so an acknowledged batch survives a
	// machine crash (default false).
	Sync bool `hcl:"sync,optional" json:"sync,omitempty"`
}

// Validate checks the config.
func (c *Config) Validate() error {
	if c.Path == "" {
		return &sinks.AttrError{Attr: "path", Err: errors.New("must not be empty; use \"-\" for standard output")}
	}
	return nil
}

// Factory returns the file sink factory.
func Factory() sinks.Factory {
	return sinks.Factory{
		Type:      "file",
		NewConfig: func() sinks.Config { return &Config{} },
		New: func(cfg sinks.Config, set sinks.Settings) (sinks.Sink, error) {
			return New(cfg.(*Config), set), nil
		},
		MaxInFlight: 1,
		Batch:       sinks.BatchDefaults{MaxEvents: 1000, MaxBytes: 4 << 20},
	}
}

// Sink writes NDJSON.
type Sink struct {
	cfg  Config
	name string
	mu   sync.Mutex
	f    *os.File
	own  bool
	w    *bufio.Writer
	buf  []byte
}

// New returns a file sink. It does no I/O.
func New(cfg *Config, set sinks.Settings) *Sink { return &Sink{cfg: *cfg, name: set.Name} }

// Connect opens the file for appending.
func (s *Sink) Connect(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f != nil {
		return nil
	}
	switch s.cfg.Path {
	case "-", "stdout":
		s.f = os.Stdout
	case "stderr":
		s.f = os.Stderr
	default:
		f, err := os.OpenFile(s.cfg.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return fmt.Errorf("file sink %q: open: %w", s.name, err)
		}
		s.f, s.own = f, true
	}
	s.w = bufio.NewWriterSize(s.f, 256<<10)
	return nil
}

// WriteBatch appends the events and flushes; with sync it also fsyncs.
func (s *Sink) WriteBatch(_ context.Context, evs []*event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return sinks.ErrNotConnected
	}
	meta := s.cfg.Meta == nil || *s.cfg.Meta
	for _, ev := range evs {
		s.buf = event.AppendJSON(s.buf[:0], ev, meta)
		s.buf = append(s.buf, '\n')
		if _, err := s.w.Write(s.buf); err != nil {
			return s.fail(err)
		}
	}
	if err := s.w.Flush(); err != nil {
		return s.fail(err)
	}
	if s.cfg.Sync && s.own {
		if err := s.f.Sync(); err != nil {
			return s.fail(err)
		}
	}
	return nil
}

// fail drops the writer so the engine reconnects (reopens) before retrying.
func (s *Sink) fail(err error) error {
	if s.own {
		_ = s.f.Close()
	}
	s.f, s.w = nil, nil
	return fmt.Errorf("file sink %q: write: %w: %w", s.name, err, sinks.ErrNotConnected)
}

// Close flushes and closes the file. It is idempotent.
func (s *Sink) Close(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return nil
	}
	err := s.w.Flush()
	if s.own {
		err = errors.Join(err, s.f.Close())
	}
	s.f, s.w = nil, nil
	return err
}

var _ sinks.Sink = (*Sink)(nil)
var _ io.Closer = (*os.File)(nil)
