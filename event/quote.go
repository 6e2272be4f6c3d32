package event

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
	"unsafe"
)

const hexDigits = "0123456789abcdef"

// safe[b] is true for ASCII bytes that need no escaping inside a JSON string.
var safe = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return t
}()

// AppendQuote appends s as a JSON string. Control characters, quotes and
// backslashes are escaped; <, > and & are escaped so output is safe to embed
// in HTML; U+2028 and U+2029 are escaped for JavaScript; invalid UTF-8 becomes
// U+FFFD, so the output is always valid JSON.
//
// It is the top flat function of the HEC and NDJSON paths, so it has a
// vector implementation where one exists (quote_amd64.s: sixteen bytes a
// step, quotes and backslashes escaped in place) and the word-at-a-time
// quoteWords elsewhere.
func AppendQuote(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendQuoted(dst, s)
	return append(dst, '"')
}

// quoteWords appends the escaped form of s (without the surrounding quotes).
// It reads s eight bytes at a time: escapeMask flags the bytes that may need
// work, runs of safe bytes between them are copied in one append (one 8-byte
// store when short), and quotes and backslashes (most escapes in
// JSON-in-a-string fields such as ActionTrail's `event`) are handled without
// leaving the word.
func quoteWords(dst []byte, s string) []byte {
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	start, i := 0, 0
word:
	for i+8 <= len(s) {
		m := escapeMask(binary.LittleEndian.Uint64(b[i:]))
		for m != 0 {
			j := i + bits.TrailingZeros64(m)>>3
			m &= m - 1
			switch c := s[j]; {
			case c == '"' || c == '\\':
				if n, k := len(dst), j-start; k <= 8 && start+8 <= len(s) && cap(dst)-n >= 10 {
					// a short run: one 8-byte store instead of a memmove call
					d := dst[:n+10]
					binary.LittleEndian.PutUint64(d[n:], binary.LittleEndian.Uint64(b[start:]))
					d[n+k], d[n+k+1] = '\\', c
					dst = d[:n+k+2]
				} else {
					dst = append(dst, s[start:j]...)
					dst = append(dst, '\\', c)
				}
				start = j + 1
			case c < utf8.RuneSelf && safe[c]:
				// flagged by a borrow only
			default:
				dst, start, i = escapeAt(dst, s, start, j)
				continue word
			}
		}
		i += 8
	}
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf && safe[c] {
			i++
			continue
		}
		dst, start, i = escapeAt(dst, s, start, i)
	}
	return append(dst, s[start:]...)
}

// escapeAt handles the byte at i of s, which is not safe ASCII: it appends
// the pending run s[start:i] and the escape when one is needed, and returns
// the new run start and the index to go on from.
func escapeAt(dst []byte, s string, start, i int) ([]byte, int, int) {
	if c := s[i]; c < utf8.RuneSelf {
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		return dst, i + 1, i + 1
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	switch {
	case r == utf8.RuneError && size == 1:
		dst = append(dst, s[start:i]...)
		dst = append(dst, `\ufffd`...)
		return dst, i + 1, i + 1
	case r == '\u2028' || r == '\u2029':
		dst = append(dst, s[start:i]...)
		dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		return dst, i + size, i + size
	}
	return dst, start, i + size
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// escapeMask flags (with bit 7) the bytes of x, eight bytes of a string in
// little-endian order, that are not plain safe ASCII: control bytes
// (< 0x20), non-ASCII bytes (≥ 0x80, decoded rune by rune), and " & < > \.
// Borrows can flag a byte above a flagged one, never below, so the lowest
// flag is always exact. '"' (0x22) and '&' (0x26) differ only in bit 2, '<'
// (0x3c) and '>' (0x3e) only in bit 1: setting that bit tests both at once.
func escapeMask(x uint64) uint64 {
	m := (x-ones*0x20)&^x | x
	y := (x | ones*0x04) ^ (ones * '&')
	m |= (y - ones) &^ y
	y = (x | ones*0x02) ^ (ones * '>')
	m |= (y - ones) &^ y
	y = x ^ (ones * '\\')
	m |= (y - ones) &^ y
	return m & highs
}
