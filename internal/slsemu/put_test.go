package slsemu

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

func TestPutLogsDecoding(t *testing.T) {
	s, _ := newFuzzServer(t)
	raw, err := makeGroup(7, 3).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	lzb := make([]byte, lz4.CompressBlockBound(len(raw)))
	n, _ := lz4.CompressBlock(raw, lzb, nil)
	enc, _ := zstd.NewWriter(nil)
	zb := enc.EncodeAll(raw, nil)
	_ = enc.Close()
	var zl bytes.Buffer
	zw := zlib.NewWriter(&zl)
	zw.Write(raw)
	zw.Close()
	// A LogContent without its required Value (field 2).
	missingValue := []byte{0x0a, 0x07, 0x08, 0x01, 0x12, 0x03, 0x0a, 0x01, 'k'}

	tests := []struct {
		name     string
		compress string
		rawSize  string
		body     []byte
		code     string // "" = 200
	}{
		{"lz4", "lz4", strconv.Itoa(len(raw)), lzb[:n], ""},
		{"zstd", "zstd", strconv.Itoa(len(raw)), zb, ""},
		{"deflate", "deflate", strconv.Itoa(len(raw)), zl.Bytes(), ""},
		{"none", "", strconv.Itoa(len(raw)), raw, ""},
		{"missing raw size", "", "", raw, CodeMissingBodyRawSize},
		{"raw size mismatch", "lz4", strconv.Itoa(len(raw) + 1), lzb[:n], CodePostBodyUncompressError},
		{"raw size too large", "zstd", "999999999", zb, CodePostBodyTooLarge},
		{"corrupt lz4", "lz4", strconv.Itoa(len(raw)), lzb[:n/2], CodePostBodyUncompressError},
		{"corrupt zstd", "zstd", strconv.Itoa(len(raw)), zb[:len(zb)/2], CodePostBodyUncompressError},
		{"unknown compression", "snappy", strconv.Itoa(len(raw)), raw, CodeInvalidCompressType},
		{"not protobuf", "", "3", []byte{0xff, 0xff, 0xff}, CodePostBodyInvalid},
		{"required field missing", "", strconv.Itoa(len(missingValue)), missingValue, CodePostBodyInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.State().Projects[0].Logstores[0].Shards
			req := httptest.NewRequest("POST", "/logstores/audit", bytes.NewReader(tt.body))
			req.Host = "proj.emulator.test"
			if tt.rawSize != "" {
				req.Header.Set("x-log-bodyrawsize", tt.rawSize)
			}
			if tt.compress != "" {
				req.Header.Set("x-log-compresstype", tt.compress)
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			after := s.State().Projects[0].Logstores[0].Shards
			grew := after[0].LogGroups + after[1].LogGroups - before[0].LogGroups - before[1].LogGroups
			if tt.code == "" {
				if w.Code != http.StatusOK || grew != 1 {
					t.Fatalf("status %d %s, stored %d groups", w.Code, w.Body.String(), grew)
				}
				return
			}
			var e Error
			_ = json.Unmarshal(w.Body.Bytes(), &e)
			if w.Code != http.StatusBadRequest || e.Code != tt.code || grew != 0 {
				t.Fatalf("got %d %q (%s), stored %d; want 400 %s", w.Code, e.Code, e.Message, grew, tt.code)
			}
		})
	}
}
