package slswire

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"github.com/forwarder/forwarder/event"
)

// Limits bound what one answer may make the process allocate. Both are
// checked against the answer's headers before its body is read.
type Limits struct {
	// MaxRawSize caps the decompressed size (x-log-bodyrawsize).
	MaxRawSize int
	// MaxBodySize caps the body as sent (Content-Length, or the bytes read
	// when the length is not declared).
	MaxBodySize int
}

// LimitError reports an answer refused because of its size. It is
// transient: the caller retries the same cursor after a backoff (a broken
// proxy may heal, or a smaller fetch_log_groups may fit).
type LimitError struct {
	What      string // "x-log-bodyrawsize" or "body"
	Size, Max int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("PullLogs answer refused: %s %d exceeds the limit %d (max_pull_size)", e.What, e.Size, e.Max)
}

// Answer is one decoded PullLogs answer.
type Answer struct {
	// NextCursor is x-log-cursor: where the next pull starts. It equals the
	// request's cursor when the shard had no new data.
	NextCursor string
	// Count is x-log-count, the number of log groups.
	Count int
	// RawSize is the decompressed LogGroupList size; BodySize the bytes read.
	RawSize, BodySize int
	// Events are the logs, in order; their strings alias one buffer that
	// belongs to this answer alone.
	Events []*event.Event
	// Footprint is the memory the answer holds while its events live: the
	// decompressed buffer plus the events, fields and tags. Byte budgets
	// (the source's in_flight_bytes) count it.
	Footprint int
}

// Reader reads PullLogs answers. It keeps the buffer for compressed bodies
// from one answer to the next (it never grows past Limits.MaxBodySize), so a
// shard's pulls read into the same memory. Not safe for concurrent use: one
// Reader per shard worker.
type Reader struct {
	Limits Limits
	body   []byte
}

// lz4MaxRatio bounds how much an LZ4 block can expand: every 255 input bytes
// of a run length produce at most 255 output bytes, so an answer declaring
// more is corrupt, and is refused before the output is allocated.
const lz4MaxRatio = 256

// Read checks the headers of a 200 answer, reads its body (at most
// MaxBodySize bytes), decompresses it into a buffer of exactly the declared
// raw size and decodes it.
func (r *Reader) Read(h http.Header, contentLength int64, body io.Reader) (*Answer, error) {
	a, err := r.head(h, contentLength)
	if err != nil {
		return nil, err
	}
	compressed, err := r.readBody(body, contentLength)
	if err != nil {
		return nil, err
	}
	a.BodySize = len(compressed)
	if a.RawSize == 0 {
		return a, nil
	}
	raw, err := decompress(h.Get("X-Log-Compresstype"), compressed, a.RawSize)
	if err != nil {
		return nil, err
	}
	var size int
	a.Events, size, err = decode(raw)
	if err != nil {
		return nil, fmt.Errorf("PullLogs answer: %w", err)
	}
	a.Footprint = len(raw) + size
	return a, nil
}

// head reads the answer's headers and applies the limits.
func (r *Reader) head(h http.Header, contentLength int64) (*Answer, error) {
	a := &Answer{NextCursor: h.Get("X-Log-Cursor")}
	if a.NextCursor == "" {
		return nil, errors.New("PullLogs answer: no x-log-cursor header")
	}
	var err error
	if a.Count, err = headerInt(h, "X-Log-Count"); err != nil {
		return nil, err
	}
	if a.RawSize, err = headerInt(h, "X-Log-Bodyrawsize"); err != nil {
		return nil, err
	}
	if a.RawSize > r.Limits.MaxRawSize {
		return nil, &LimitError{What: "x-log-bodyrawsize", Size: int64(a.RawSize), Max: int64(r.Limits.MaxRawSize)}
	}
	if contentLength > int64(r.Limits.MaxBodySize) {
		return nil, &LimitError{What: "body", Size: contentLength, Max: int64(r.Limits.MaxBodySize)}
	}
	return a, nil
}

func headerInt(h http.Header, name string) (int, error) {
	s := h.Get(name)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 1<<40 {
		return 0, fmt.Errorf("PullLogs answer: header %s: %q is not a size", name, s)
	}
	return int(n), nil
}

// readBody reads the body into the reused buffer, refusing more than
// MaxBodySize bytes.
func (r *Reader) readBody(body io.Reader, contentLength int64) ([]byte, error) {
	max := r.Limits.MaxBodySize
	if contentLength >= 0 {
		if cap(r.body) < int(contentLength) {
			r.body = make([]byte, contentLength)
		}
		b := r.body[:contentLength]
		if _, err := io.ReadFull(body, b); err != nil {
			return nil, fmt.Errorf("PullLogs answer: reading body: %w", err)
		}
		return b, nil
	}
	buf := bytes.NewBuffer(r.body[:0])
	n, err := buf.ReadFrom(io.LimitReader(body, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("PullLogs answer: reading body: %w", err)
	}
	if n > int64(max) {
		return nil, &LimitError{What: "body", Size: n, Max: int64(max)}
	}
	r.body = buf.Bytes()
	return r.body, nil
}

// decompress returns a fresh buffer of exactly rawSize decompressed bytes.
func decompress(kind string, src []byte, rawSize int) ([]byte, error) {
	switch kind {
	case "lz4":
		if rawSize > lz4MaxRatio*len(src)+16 {
			return nil, fmt.Errorf("PullLogs answer: x-log-bodyrawsize %d is impossible for a %d-byte lz4 block", rawSize, len(src))
		}
		out := make([]byte, rawSize)
		n, err := lz4.UncompressBlock(src, out)
		if err != nil {
			return nil, fmt.Errorf("PullLogs answer: lz4: %w", err)
		}
		if n != rawSize {
			return nil, fmt.Errorf("PullLogs answer: lz4 block holds %d bytes, x-log-bodyrawsize says %d", n, rawSize)
		}
		return out, nil
	case "zstd":
		d, err := zstdDecoder()
		if err != nil {
			return nil, err
		}
		out, err := d.DecodeAll(src, make([]byte, 0, rawSize))
		if err != nil {
			return nil, fmt.Errorf("PullLogs answer: zstd (x-log-bodyrawsize %d): %w", rawSize, err)
		}
		if len(out) != rawSize {
			return nil, fmt.Errorf("PullLogs answer: zstd frame holds %d bytes, x-log-bodyrawsize says %d", len(out), rawSize)
		}
		return out, nil
	}
	return nil, fmt.Errorf("PullLogs answer: unknown x-log-compresstype %q", kind)
}

// zstdDecoder is shared by every reader: DecodeAll is safe for concurrent
// use, and its output is capped at the buffer the caller sized from the
// (already bounded) raw size.
var zstdDecoder = sync.OnceValues(func() (*zstd.Decoder, error) {
	d, err := zstd.NewReader(nil, zstd.WithDecodeAllCapLimit(true), zstd.WithDecoderConcurrency(0),
		zstd.WithDecoderMaxWindow(128<<20))
	if err != nil {
		return nil, fmt.Errorf("zstd decoder: %w", err)
	}
	return d, nil
})
