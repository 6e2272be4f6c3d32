package objectstore

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/cespare/xxhash/v2"
)

// spool holds one object's bytes while it is written: in memory up to limit,
// then in a temporary file that is unlinked at once, so a crash leaves
// nothing behind (the events are replayed from the source). It hashes what
// it holds; the hash names the object.
type spool struct {
	dir   string
	limit int64
	mem   bytes.Buffer
	f     *os.File
	w     *bufio.Writer
	n     int64
	h     *xxhash.Digest
}

func newSpool(dir string, limit int64) *spool {
	return &spool{dir: dir, limit: limit, h: xxhash.New()}
}

func (s *spool) Write(p []byte) (int, error) {
	_, _ = s.h.Write(p)
	if s.f == nil && s.n+int64(len(p)) > s.limit {
		if err := s.spill(); err != nil {
			return 0, err
		}
	}
	s.n += int64(len(p))
	if s.f == nil {
		return s.mem.Write(p)
	}
	return s.w.Write(p)
}

func (s *spool) spill() error {
	f, err := os.CreateTemp(s.dir, "forwarder-object-*")
	if err != nil {
		return fmt.Errorf("spill object to a temporary file: %w", err)
	}
	_ = os.Remove(f.Name()) // the open descriptor keeps the data; nothing is left after a crash
	s.f, s.w = f, bufio.NewWriterSize(f, 256<<10)
	if _, err := s.w.Write(s.mem.Bytes()); err != nil {
		return fmt.Errorf("spill object to a temporary file: %w", err)
	}
	s.mem = bytes.Buffer{}
	return nil
}

// spilled reports whether the object moved to a temporary file.
func (s *spool) spilled() bool { return s.f != nil }

// size is the number of bytes held.
func (s *spool) size() int64 { return s.n }

// sum is the hash of the bytes held.
func (s *spool) sum() uint64 { return s.h.Sum64() }

// reader returns the bytes held, from the start. It may be called again to
// read them again.
func (s *spool) reader() (io.Reader, error) {
	if s.f == nil {
		return bytes.NewReader(s.mem.Bytes()), nil
	}
	if err := s.w.Flush(); err != nil {
		return nil, fmt.Errorf("temporary object file: %w", err)
	}
	return io.NewSectionReader(s.f, 0, s.n), nil
}

// release frees the memory or the temporary file.
func (s *spool) release() {
	if s.f != nil {
		_ = s.f.Close()
		s.f, s.w = nil, nil
	}
	s.mem = bytes.Buffer{}
}
