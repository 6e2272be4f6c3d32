package slswire

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

// failReader fails the test if the body is read: limits must refuse an
// answer from its headers alone.
type failReader struct{ t *testing.T }

func (f failReader) Read([]byte) (int, error) {
	f.t.Error("the body was read although the headers already exceed the limits")
	return 0, io.EOF
}

func TestReadAnswers(t *testing.T) {
	raw := marshal(t, auditList(2, 10))
	lz, zs := lz4Block(t, raw), zstdFrame(t, raw)
	rawLen := strconv.Itoa(len(raw))
	lim := Limits{MaxRawSize: 1 << 20, MaxBodySize: 1 << 20}
	for _, tc := range []struct {
		name      string
		h         []string // cursor, count, rawsize, compresstype
		body      []byte
		length    int64 // -1: not declared (chunked)
		events    int
		wantErr   string
		wantLimit bool
	}{
		{name: "lz4", h: []string{"MTA=", "2", rawLen, "lz4"}, body: lz, length: int64(len(lz)), events: 20},
		{name: "zstd chunked", h: []string{"MTA=", "2", rawLen, "zstd"}, body: zs, length: -1, events: 20},
		{name: "no data", h: []string{"MTA=", "0", "0", ""}, length: 0},
		{name: "no cursor", h: []string{"", "2", rawLen, "lz4"}, body: lz, length: int64(len(lz)), wantErr: "x-log-cursor"},
		{name: "no count", h: []string{"MTA=", "", rawLen, "lz4"}, body: lz, length: int64(len(lz)), wantErr: "X-Log-Count"},
		{name: "negative raw size", h: []string{"MTA=", "2", "-1", "lz4"}, body: lz, length: int64(len(lz)), wantErr: "not a size"},
		{name: "2 GB declared", h: []string{"MTA=", "2", "2000000000", "lz4"}, length: int64(len(lz)), wantLimit: true},
		{name: "body too long", h: []string{"MTA=", "2", rawLen, "lz4"}, length: 2 << 20, wantLimit: true},
		{name: "chunked body too long", h: []string{"MTA=", "2", rawLen, "lz4"}, body: make([]byte, 1<<20+1), length: -1, wantLimit: true},
		{name: "raw size impossible for lz4", h: []string{"MTA=", "2", "1000000", "lz4"}, body: lz[:10], length: 10, wantErr: "impossible"},
		{name: "raw size wrong", h: []string{"MTA=", "2", strconv.Itoa(len(raw) + 1), "lz4"}, body: lz, length: int64(len(lz)), wantErr: "x-log-bodyrawsize says"},
		{name: "zstd raw size short", h: []string{"MTA=", "2", strconv.Itoa(len(raw) - 1), "zstd"}, body: zs, length: int64(len(zs)), wantErr: "zstd"},
		{name: "corrupt lz4", h: []string{"MTA=", "2", rawLen, "lz4"}, body: bytes.Repeat([]byte{0xff}, len(lz)), length: int64(len(lz)), wantErr: "lz4"},
		{name: "deflate", h: []string{"MTA=", "2", rawLen, "deflate"}, body: lz, length: int64(len(lz)), wantErr: "unknown x-log-compresstype"},
		{name: "short body", h: []string{"MTA=", "2", rawLen, "lz4"}, body: lz[:5], length: int64(len(lz)), wantErr: "reading body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Reader{Limits: lim}
			var body io.Reader = bytes.NewReader(tc.body)
			if tc.wantLimit && tc.body == nil {
				body = failReader{t}
			}
			a, err := r.Read(headers(tc.h[0], tc.h[1], tc.h[2], tc.h[3]), tc.length, body)
			var le *LimitError
			switch {
			case tc.wantLimit:
				if !errors.As(err, &le) {
					t.Fatalf("err = %v, want a LimitError", err)
				}
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if len(a.Events) != tc.events || a.NextCursor != "MTA=" {
					t.Fatalf("%d events, cursor %q; want %d, MTA=", len(a.Events), a.NextCursor, tc.events)
				}
			}
		})
	}
}

// TestReaderReusesBody: a shard's answers are read into one buffer.
func TestReaderReusesBody(t *testing.T) {
	raw := marshal(t, auditList(1, 10))
	lz := lz4Block(t, raw)
	r := Reader{Limits: Limits{MaxRawSize: 1 << 20, MaxBodySize: 1 << 20}}
	h := headers("MTA=", "1", strconv.Itoa(len(raw)), "lz4")
	if _, err := r.Read(h, int64(len(lz)), bytes.NewReader(lz)); err != nil {
		t.Fatal(err)
	}
	first := &r.body[0]
	a, err := r.Read(h, int64(len(lz)), bytes.NewReader(lz))
	if err != nil {
		t.Fatal(err)
	}
	if &r.body[0] != first {
		t.Fatal("the second answer's body was read into a new buffer")
	}
	if v, _ := a.Events[9].Get("demo_seq"); v.Str() != "9" {
		t.Fatalf("demo_seq = %q after buffer reuse, want 9", v.Str())
	}
}

// TestFootprint counts the decompressed buffer and the event structures.
func TestFootprint(t *testing.T) {
	raw := marshal(t, auditList(2, 10))
	lz := lz4Block(t, raw)
	r := Reader{Limits: Limits{MaxRawSize: 1 << 20, MaxBodySize: 1 << 20}}
	a, err := r.Read(headers("MTA=", "2", strconv.Itoa(len(raw)), "lz4"), int64(len(lz)), bytes.NewReader(lz))
	if err != nil {
		t.Fatal(err)
	}
	// 20 events of 5 fields (+2 spare each), 2 groups of 2 tags.
	want := len(raw) + 20*eventSize + 20*7*fieldSize + 4*tagSize
	if a.Footprint != want {
		t.Fatalf("Footprint = %d, want %d", a.Footprint, want)
	}
}
