package objectstore

import (
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"

	"github.com/forwarder/forwarder/event"
)

// encoder turns events into one object's bytes.
type encoder interface {
	// add encodes one event and returns how many uncompressed bytes it
	// added (for parquet: the event's raw bytes).
	add(ev *event.Event) (int, error)
	// finish writes what is still buffered and the format's trailer.
	finish() error
}

// newEncoder returns the encoder of the configured format writing into w.
func newEncoder(c *Config, s *settings, w io.Writer) (encoder, error) {
	if c.Format == FormatParquet {
		return newParquetEncoder(s.parquet, c.Compression, w)
	}
	cw, err := compressor(c.Compression, w)
	if err != nil {
		return nil, err
	}
	e := &lineEncoder{w: cw, meta: c.Meta, csv: s.csv}
	if e.csv != nil && e.csv.header {
		e.buf = e.csv.appendHeader(e.buf)
	}
	return e, nil
}

// compressor wraps w in the codec. Snappy is the framing format
// (github.com/google/snappy framing_format.txt, "sNaPpY" stream identifier,
// CRC-32C per chunk of at most 64 KiB): unlike a raw snappy block, it is
// written and read as a stream, so neither side holds a whole 256 MB object
// in memory, and a damaged object is detected.
func compressor(name string, w io.Writer) (io.WriteCloser, error) {
	switch name {
	case CompressionGzip:
		return gzip.NewWriterLevel(w, gzip.BestSpeed)
	case CompressionZstd:
		return zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
			zstd.WithWindowSize(1<<20))
	case CompressionSnappy:
		return snappy.NewBufferedWriter(w), nil
	case CompressionNone:
		return nopCloser{w}, nil
	}
	return nil, fmt.Errorf("unknown compression %q", name)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// lineEncoder writes NDJSON (csv == nil) or CSV rows, buffering up to 64 KiB
// before handing bytes to the compressor.
type lineEncoder struct {
	w       io.WriteCloser
	meta    bool
	csv     *csvFormat
	buf     []byte
	scratch []byte
}

const lineFlush = 64 << 10

func (e *lineEncoder) add(ev *event.Event) (int, error) {
	n := len(e.buf)
	if e.csv != nil {
		e.buf, e.scratch = e.csv.appendRow(e.buf, e.scratch, ev)
	} else {
		e.buf = event.AppendJSON(e.buf, ev, e.meta)
		e.buf = append(e.buf, '\n')
	}
	added := len(e.buf) - n
	if len(e.buf) >= lineFlush {
		if _, err := e.w.Write(e.buf); err != nil {
			return added, err
		}
		e.buf = e.buf[:0]
	}
	return added, nil
}

func (e *lineEncoder) finish() error {
	if len(e.buf) > 0 {
		if _, err := e.w.Write(e.buf); err != nil {
			return err
		}
		e.buf = e.buf[:0]
	}
	return e.w.Close()
}
