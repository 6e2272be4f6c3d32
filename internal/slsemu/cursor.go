package slsemu

import (
	"encoding/base64"
	"strconv"
)

// Cursors are base64 (standard, padded) of a decimal int64, consecutive per
// LogGroup: cursor = shard base + index (reference/sls-protocol.md §6.3). The
// base is the shard's creation time in ms times 1e6, like real cursors, so
// code that assumes small integers breaks here as it would in production.

// EncodeCursor returns the SLS cursor string for the integer position n.
func EncodeCursor(n int64) string {
	var buf [20]byte
	return base64.StdEncoding.EncodeToString(strconv.AppendInt(buf[:0], n, 10))
}

// DecodeCursor parses an SLS cursor string into its integer position.
func DecodeCursor(c string) (int64, bool) {
	if c == "" || len(c) > 64 {
		return 0, false
	}
	var buf [48]byte
	n, err := base64.StdEncoding.Decode(buf[:], []byte(c))
	if err != nil || n == 0 {
		return 0, false
	}
	v, err := strconv.ParseInt(string(buf[:n]), 10, 64)
	if err != nil || v < 0 {
		return 0, false
	}
	return v, true
}
