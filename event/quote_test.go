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

// quoters are the implementations held to the reference: AppendQuote (the
// vector one where the CPU has it) and the portable word-at-a-time one.
var quoters = []struct {
	name  string
	quote func([]byte, string) []byte
}{
	{"AppendQuote", AppendQuote},
	{"quoteWords", AppendQuoteWords},
}

// TestAppendQuoteEveryByte puts every byte value at every position of
// strings of 17 bytes (the word loop and the tail; the vector code's last
// steps) and 70 bytes (the vector code's blocks), among safe bytes and among
// quotes, and compares with the byte-at-a-time reference.
func TestAppendQuoteEveryByte(t *testing.T) {
	for _, q := range quoters {
		for _, base := range []string{strings.Repeat("a", 17), strings.Repeat("a", 70), strings.Repeat(`a"b\`, 14)} {
			for c := range 256 {
				for pos := range len(base) {
					s := []byte(base)
					s[pos] = byte(c)
					if got, want := string(q.quote(nil, string(s))), string(appendQuoteRef(nil, string(s))); got != want {
						t.Fatalf("%s: byte %#x at %d of %q: %s, want %s", q.name, c, pos, base, got, want)
					}
				}
			}
		}
	}
}

// TestAppendQuoteMixes quotes strings of every length up to 100 made of
// quotes, backslashes, safe, control and multi-byte bytes in a fixed
// pseudo-random mix, appended to a non-empty dst with and without room.
func TestAppendQuoteMixes(t *testing.T) {
	parts := []string{"a", "b", `"`, `\`, "<", "&", "\n", "\x01", "é", "张", "\u2028", "\xff", "0123456789abcdef"}
	rnd := uint32(1)
	for _, q := range quoters {
		for n := range 100 {
			var sb strings.Builder
			for sb.Len() < n {
				rnd = rnd*1664525 + 1013904223
				sb.WriteString(parts[rnd>>16%uint32(len(parts))])
			}
			s := sb.String()
			for _, dst := range [][]byte{[]byte("x"), append(make([]byte, 0, 1000), 'x')} {
				got := string(q.quote(dst, s))
				if want := string(appendQuoteRef([]byte("x"), s)); got != want {
					t.Fatalf("%s(%q) = %s, want %s", q.name, s, got, want)
				}
			}
		}
	}
}

func FuzzAppendQuote(f *testing.F) {
	f.Add(`{"eventName":"ConsoleSignin","userAgent":"Mozilla/5.0 <x> & y"}`)
	f.Add("张伟 müller \u2028 \xff\xfe tab\there")
	f.Add(`{"eventName":"ConsoleSignin","requestParameters":{"a\\b":"<c>","d":["e","f"]},"sourceIpAddress":"10.0.0.1"}`)
	f.Fuzz(func(t *testing.T, s string) {
		want := string(appendQuoteRef(nil, s))
		for _, q := range quoters {
			if got := string(q.quote(nil, s)); got != want {
				t.Fatalf("%s(%q) = %s, want %s", q.name, s, got, want)
			}
		}
	})
}
