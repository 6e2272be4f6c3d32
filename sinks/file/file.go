// Package file is a sink that appends events as NDJSON (one JSON object per
// line) to a file or to standard output. It serves development, tests and
// dead letters. Each event is written in its flat JSON form
// (event.AppendJSON), with "__meta__" when rules set meta.
package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/plugin"
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
		return &plugin.AttrError{Attr: "path", Err: errors.New("must not be empty; use \"-\" for standard output")}
	}
	return nil
}

// Factory returns the file sink factory.
func Factory() sinks.Factory {
	f := sinks.NewFactory("file", NewConfig, New)
	f.MaxInFlight = 1
	f.Batch = sinks.BatchDefaults{MaxEvents: 1000, MaxBytes: 4 << 20}
	return f
}

// NewConfig returns a config with the defaults filled in (no path: HCL
// requires one).
func NewConfig() *Config { return &Config{} }

// Sink writes NDJSON. The file always holds whole lines: a write that fails
// part-way (a full disk) is cut back to the end of the last complete batch
// before the batch is retried, so a reader never sees a torn line and the
// retry adds no duplicates.
type Sink struct {
	cfg  Config
	name string
	log  *slog.Logger
	mu   sync.Mutex
	f    *os.File
	own  bool
	// buf holds a batch's lines until writeChunk of them are written in
	// one call; it is reused from batch to batch.
	buf []byte
	// good is the file's size after the last acknowledged batch: every
	// byte before it belongs to a complete line.
	good int64
}

// New returns a file sink. It does no I/O: Connect opens the file.
func New(cfg *Config, set sinks.Settings) (*Sink, error) {
	log := set.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sink{cfg: *cfg, name: set.Name, log: log}, nil
}

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
		growPipe(s.f)
	case "stderr":
		s.f = os.Stderr
		growPipe(s.f)
	default:
		_, statErr := os.Stat(s.cfg.Path)
		// Read access lets Connect find a torn last line; a file we may
		// only write to is appended to without that check.
		f, err := os.OpenFile(s.cfg.Path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o640)
		if errors.Is(err, os.ErrPermission) {
			f, err = os.OpenFile(s.cfg.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		}
		if err != nil {
			return fmt.Errorf("file sink %q: open: %w", s.name, err)
		}
		good, cut, err := repairTail(f)
		if err != nil {
			_ = f.Close()
			return fmt.Errorf("file sink %q: %w", s.name, err)
		}
		if cut > 0 {
			s.log.Warn("file sink: cut a torn last line (its batch is written again)", "path", s.cfg.Path, "bytes", cut)
		}
		if s.cfg.Sync && os.IsNotExist(statErr) {
			// A new file survives a crash only once its directory entry does.
			if err := syncDir(filepath.Dir(s.cfg.Path)); err != nil {
				_ = f.Close()
				return fmt.Errorf("file sink %q: %w", s.name, err)
			}
		}
		s.f, s.own, s.good = f, true, good
	}
	return nil
}

// writeChunk is how many bytes of lines WriteBatch collects before a write:
// few system calls per batch, and a bounded buffer whatever the batch size.
const writeChunk = 1 << 20

// WriteBatch appends the events, encoded into one reused buffer and written
// a chunk at a time (no copy through a buffered writer); with sync it also
// fsyncs.
func (s *Sink) WriteBatch(_ context.Context, evs []*event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return sinks.ErrNotConnected
	}
	meta := s.cfg.Meta == nil || *s.cfg.Meta
	buf := s.buf[:0]
	for i, ev := range evs {
		buf = event.AppendJSON(buf, ev, meta)
		buf = append(buf, '\n')
		if len(buf) >= writeChunk || i == len(evs)-1 {
			if _, err := s.f.Write(buf); err != nil {
				s.buf = buf[:0]
				return s.fail(err)
			}
			buf = buf[:0]
		}
	}
	s.buf = buf
	if s.cfg.Sync && s.own {
		// Acknowledged only once on disk: a failed fsync retries the batch.
		if err := s.f.Sync(); err != nil {
			return s.fail(err)
		}
	}
	if s.own {
		st, err := s.f.Stat()
		if err != nil {
			return s.fail(err)
		}
		s.good = st.Size()
	}
	return nil
}

// fail cuts the file back to its last complete line, so the retried batch
// neither follows a torn line nor duplicates what was written of it, and
// drops the writer so the engine reconnects (reopens) before retrying. If
// the cut fails too, Connect repairs the tail.
func (s *Sink) fail(err error) error {
	if s.own {
		if st, serr := s.f.Stat(); serr == nil && st.Mode().IsRegular() {
			if terr := s.f.Truncate(s.good); terr != nil {
				s.log.Warn("file sink: cannot cut a failed write back; the tail is repaired on reopen", "path", s.cfg.Path, "err", terr)
			}
		}
		_ = s.f.Close()
	}
	s.f = nil
	return fmt.Errorf("file sink %q: write: %w: %w", s.name, err, sinks.ErrNotConnected)
}

// repairTail cuts a file that does not end with a newline (a write torn by
// a crash) back to its last complete line, and returns the file's size and
// the bytes cut. The torn line's batch was never acknowledged, so it is
// written again.
func repairTail(f *os.File) (size, cut int64, err error) {
	st, err := f.Stat()
	if err != nil {
		return 0, 0, fmt.Errorf("stat: %w", err)
	}
	size = st.Size()
	if size == 0 || !st.Mode().IsRegular() {
		return size, 0, nil
	}
	var chunk [64 << 10]byte
	end := size
	for end > 0 {
		n := min(int64(len(chunk)), end)
		if _, err := f.ReadAt(chunk[:n], end-n); err != nil && !errors.Is(err, io.EOF) {
			if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EBADF) {
				return size, 0, nil // opened write-only: nothing to check with
			}
			return 0, 0, fmt.Errorf("read tail: %w", err)
		}
		if i := bytes.LastIndexByte(chunk[:n], '\n'); i >= 0 {
			end = end - n + int64(i) + 1
			break
		}
		end -= n
	}
	if end == size {
		return size, 0, nil
	}
	if err := f.Truncate(end); err != nil {
		return 0, 0, fmt.Errorf("cut torn last line: %w", err)
	}
	return end, size - end, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	return nil
}

// Close closes the file (every batch is written before WriteBatch
// returns, so nothing is buffered). It is idempotent.
func (s *Sink) Close(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	var err error
	if s.own {
		err = s.f.Close()
	}
	s.f = nil
	return err
}

var _ sinks.Sink = (*Sink)(nil)
var _ io.Closer = (*os.File)(nil)
