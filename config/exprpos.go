package config

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// textPositions returns a function mapping a byte offset in code, the value
// of the string or heredoc t, to its position in src: through the escapes of
// a quoted string (\n, \", \uNNNN, …), the `$${` and `%%{` escapes, and the
// indentation a `<<-` heredoc strips from its lines. It returns nil when the
// text does not line up with the source (an interpolation, say), so callers
// fall back to the whole range.
func textPositions(src []byte, t *hclsyntax.TemplateExpr, code string) func(int) hcl.Pos {
	rng := t.SrcRange
	if rng.Start.Byte < 0 || rng.End.Byte > len(src) || rng.Start.Byte >= rng.End.Byte {
		return nil
	}
	text := src[:rng.End.Byte]
	var start hcl.Pos
	quoted, flush := false, false
	switch {
	case src[rng.Start.Byte] == '"':
		quoted = true
		start = hcl.Pos{Line: rng.Start.Line, Column: rng.Start.Column + 1, Byte: rng.Start.Byte + 1}
	case bytes.HasPrefix(src[rng.Start.Byte:], []byte("<<")):
		flush = bytes.HasPrefix(src[rng.Start.Byte:], []byte("<<-"))
		nl := bytes.IndexByte(text[rng.Start.Byte:], '\n')
		if nl < 0 {
			return nil
		}
		start = hcl.Pos{Line: rng.Start.Line + 1, Column: 1, Byte: rng.Start.Byte + nl + 1}
	default:
		return nil
	}
	offs := make([]int, len(code)+1) // offs[j]: file byte offset of code byte j
	i, j := start.Byte, 0
	lineStart := true
	for j < len(code) {
		if flush && lineStart {
			// hcl removed a prefix of blanks from the line (the same number
			// of characters from every non-blank line): what the source line
			// has more than the code's, less what its escapes shrank.
			skip := lineLen(text[i:]) - lineLen([]byte(code[j:])) - escapes(text[i:])
			if skip < 0 {
				return nil
			}
			i += skip
		}
		lineStart = false
		if i >= len(text) {
			return nil
		}
		c := text[i]
		switch {
		case quoted && c == '\\':
			dec, n := unescape(text[i:])
			if n == 0 || len(code)-j < len(dec) || code[j:j+len(dec)] != dec {
				return nil
			}
			for k := range len(dec) {
				offs[j+k] = i
			}
			i, j = i+n, j+len(dec)
		case (c == '$' || c == '%') && i+2 < len(text) && text[i+1] == c && text[i+2] == '{':
			if len(code)-j < 2 || code[j] != c || code[j+1] != '{' {
				return nil
			}
			offs[j], offs[j+1] = i, i+2
			i, j = i+3, j+2
		default:
			if code[j] != c {
				return nil
			}
			offs[j] = i
			i, j = i+1, j+1
			lineStart = c == '\n'
		}
	}
	offs[len(code)] = i
	return func(off int) hcl.Pos {
		off = max(0, min(off, len(code)))
		return advance(start, text[start.Byte:offs[off]])
	}
}

// lineLen is the length of b's first line, without its newline.
func lineLen(b []byte) int {
	if n := bytes.IndexByte(b, '\n'); n >= 0 {
		return n
	}
	return len(b)
}

// escapes counts the `$${` and `%%{` escapes on b's first line: each is a
// byte longer in the source than in the text.
func escapes(b []byte) int {
	line := b[:lineLen(b)]
	return bytes.Count(line, []byte("$${")) + bytes.Count(line, []byte("%%{"))
}

// unescape decodes the backslash escape at the start of b as hcl does in a
// quoted string, returning the decoded text and the source bytes it took (0
// when it is not a valid escape).
func unescape(b []byte) (string, int) {
	if len(b) < 2 {
		return "", 0
	}
	switch b[1] {
	case 'n':
		return "\n", 2
	case 'r':
		return "\r", 2
	case 't':
		return "\t", 2
	case '"':
		return `"`, 2
	case '\\':
		return `\`, 2
	case 'u', 'U':
		n := 4
		if b[1] == 'U' {
			n = 8
		}
		if len(b) < 2+n {
			return "", 0
		}
		r, err := strconv.ParseUint(string(b[2:2+n]), 16, 32)
		if err != nil || !utf8.ValidRune(rune(r)) {
			return "", 0
		}
		return string(rune(r)), 2 + n
	}
	return "", 0
}

// advance moves p over b, counting lines and columns as hcl does: columns in
// characters, 1-based.
func advance(p hcl.Pos, b []byte) hcl.Pos {
	for len(b) > 0 {
		_, n := utf8.DecodeRune(b)
		p.Byte += n
		if b[0] == '\n' {
			p.Line++
			p.Column = 1
		} else {
			p.Column++
		}
		b = b[n:]
	}
	return p
}
