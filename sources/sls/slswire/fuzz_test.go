package slswire

import (
	"bytes"
	"strconv"
	"testing"
)

// FuzzDecode: malformed protobuf gives an error, never a panic, and every
// input the SDK decodes gives the same events here. Seeds are in
// testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Add(marshal(f, auditList(2, 2)))
	f.Add(group(field(1, logMsg(field(2, pairMsg("k", "v")), varintField(1, 5), fixed32Field(4, 9))), field(3, []byte("t"))))
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := Decode(raw)
		want, sdkErr := sdkEvents(raw)
		if sdkErr != nil {
			return
		}
		if err != nil {
			t.Fatalf("the SDK decodes this input, Decode fails: %v", err)
		}
		if err := equalEvents(got, want); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzRead: any headers and body give an answer or an error, never a panic
// or an allocation past the limits. Seeds are in testdata/fuzz/FuzzRead.
func FuzzRead(f *testing.F) {
	raw := marshal(f, auditList(1, 3))
	f.Add("MTA=", "1", strconv.Itoa(len(raw)), "lz4", int64(-1), lz4Block(f, raw))
	f.Add("MTA=", "1", strconv.Itoa(len(raw)), "zstd", int64(-1), zstdFrame(f, raw))
	f.Add("MTA=", "0", "0", "", int64(0), []byte{})
	f.Fuzz(func(t *testing.T, cursor, count, rawSize, compress string, length int64, body []byte) {
		if length > int64(len(body)) {
			length = int64(len(body))
		}
		r := Reader{Limits: Limits{MaxRawSize: 1 << 20, MaxBodySize: 1 << 16}}
		a, err := r.Read(headers(cursor, count, rawSize, compress), length, bytes.NewReader(body))
		if err != nil {
			return
		}
		if a.RawSize > r.Limits.MaxRawSize || a.BodySize > r.Limits.MaxBodySize {
			t.Fatalf("answer past the limits: raw %d body %d", a.RawSize, a.BodySize)
		}
	})
}
