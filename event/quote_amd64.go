//go:build amd64 && !purego

package event

import (
	"math/bits"
	"slices"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// quoteVec copies src[:n] to dst sixteen bytes a step (SSSE3), escaping
// quotes and backslashes in place. It stops at the
// first other byte that needs work (a control byte, a non-ASCII byte, < > &)
// and, when fewer than sixteen bytes are left, at the tail if reading
// sixteen would cross into the next page. It writes whole sixteen-byte
// blocks, so dst must have room for 2*n+16 bytes. It returns the bytes
// written to dst and the bytes of src consumed.
//
//go:noescape
func quoteVec(dst, src *byte, n int) (w, r int)

// quoteShuf[q] spreads eight bytes out to leave a zero (index 0x80) before
// each byte whose bit is set in q; quoteLen[q] is the length of the result.
// quote_amd64.s reads both.
//
//lint:ignore U1000 read by quoteVec (quote_amd64.s)
var quoteShuf, quoteLen = func() (shuf [256][16]byte, n [256]byte) {
	for q := range 256 {
		o := 0
		for j := range 8 {
			if q>>j&1 != 0 {
				shuf[q][o] = 0x80
				o++
			}
			shuf[q][o] = byte(j)
			o++
		}
		for ; o < 16; o++ {
			shuf[q][o] = 0x80
		}
		n[q] = byte(8 + bits.OnesCount8(uint8(q)))
	}
	return shuf, n
}()

// hasVec is whether this CPU has the instructions quoteVec uses; amd64
// CPUs since 2006 do.
var hasVec = cpu.X86.HasSSSE3

// appendQuoted appends the escaped form of s: quoteVec does the runs, quotes
// and backslashes; escapeAt the rest; quoteWords a tail next to a page end.
// Most strings need one quoteVec call, made here before the loop and
// written out (quoteRest repeats it): through a shared helper, which does
// not inline, short strings quote ~7% slower.
func appendQuoted(dst []byte, s string) []byte {
	if !hasVec {
		return quoteWords(dst, s)
	}
	if room := 2*len(s) + 16; cap(dst)-len(dst) < room {
		dst = slices.Grow(dst, room)
	}
	n := len(dst)
	w, r := quoteVec(unsafe.SliceData(dst[n:cap(dst)]), unsafe.StringData(s), len(s))
	dst = dst[:n+w]
	if r == len(s) {
		return dst
	}
	return quoteRest(dst, s, r)
}

// quoteRest goes on from s[i], a byte quoteVec stopped at.
func quoteRest(dst []byte, s string, i int) []byte {
	for {
		if c := s[i]; c < utf8.RuneSelf && safe[c] {
			return quoteWords(dst, s[i:])
		}
		var start int
		if dst, start, i = escapeAt(dst, s, i, i); start < i {
			dst = append(dst, s[start:i]...) // a valid multi-byte rune, as is
		}
		if i == len(s) {
			return dst
		}
		if room := 2*(len(s)-i) + 16; cap(dst)-len(dst) < room {
			dst = slices.Grow(dst, room)
		}
		n := len(dst)
		w, r := quoteVec(unsafe.SliceData(dst[n:cap(dst)]), unsafe.StringData(s[i:]), len(s)-i)
		dst = dst[:n+w]
		if i += r; i == len(s) {
			return dst
		}
	}
}
