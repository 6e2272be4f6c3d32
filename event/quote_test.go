package event

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// appendQuoteRef is the byte-at-a-time AppendQuote the word-at-a-time one
// replaced; the tests hold the two to the same output.
func appendQuoteRef(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if safe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			if size == 1 {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// TestAppendQuoteEveryByte puts every byte value at every position of a
// 17-byte string (so it lands in both the word loop and the tail), next to
// safe bytes, and compares with the byte-at-a-time reference.
func TestAppendQuoteEveryByte(t *testing.T) {
	base := []byte(strings.Repeat("a", 17))
	for c := range 256 {
		for pos := range base {
			s := append([]byte(nil), base...)
			s[pos] = byte(c)
			if got, want := string(AppendQuote(nil, string(s))), string(appendQuoteRef(nil, string(s))); got != want {
				t.Fatalf("byte %#x at %d: %s, want %s", c, pos, got, want)
			}
		}
	}
}

func FuzzAppendQuote(f *testing.F) {
	f.Add(`{"eventName":"ConsoleSignin","userAgent":"Mozilla/5.0 <x> & y"}`)
	f.Add("张伟 müller \u2028 \xff\xfe tab\there")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(AppendQuote(nil, s)), string(appendQuoteRef(nil, s)); got != want {
			t.Fatalf("AppendQuote(%q) = %s, want %s", s, got, want)
		}
	})
}
