package syslog

import (
	"fmt"
	"strings"
)

// The decoders below are the tests' oracle for the body encodings: written
// from the format rules, not from the encoder, they undo its escaping.

type kvPair struct{ K, V string }

// decodeKV splits a kv body: '\' escapes the next byte (\n, \r and \t mean
// LF, CR and TAB), unescaped separators split.
func decodeKV(body, pairSep, kvSep string) ([]kvPair, error) {
	var (
		out     []kvPair
		cur     strings.Builder
		key     string
		haveKey bool
	)
	flush := func() error {
		if !haveKey {
			if cur.Len() == 0 && len(out) == 0 {
				return nil
			}
			return fmt.Errorf("pair without separator: %q", cur.String())
		}
		out = append(out, kvPair{key, cur.String()})
		cur.Reset()
		haveKey = false
		return nil
	}
	for i := 0; i < len(body); {
		switch {
		case body[i] == '\\' && i+1 < len(body):
			c := body[i+1]
			switch c {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			}
			cur.WriteByte(c)
			i += 2
		case body[i] == '\\':
			return nil, fmt.Errorf("dangling backslash")
		case strings.HasPrefix(body[i:], pairSep):
			if err := flush(); err != nil {
				return nil, err
			}
			i += len(pairSep)
		case !haveKey && strings.HasPrefix(body[i:], kvSep):
			key, haveKey = cur.String(), true
			cur.Reset()
			i += len(kvSep)
		default:
			cur.WriteByte(body[i])
			i++
		}
	}
	return out, flush()
}

// decodeCEF splits "CEF:0|…|severity|ext" into the seven header fields
// (with \| and \\ undone) and the extension pairs (\= \\ \n \r undone; a
// value runs until the next " key=").
func decodeCEF(body string) (header []string, ext []kvPair, err error) {
	if !strings.HasPrefix(body, "CEF:") {
		return nil, nil, fmt.Errorf("no CEF prefix: %q", body)
	}
	var cur strings.Builder
	i := 4
	for len(header) < 7 && i < len(body) {
		switch c := body[i]; {
		case c == '\\' && i+1 < len(body):
			cur.WriteByte(body[i+1])
			i += 2
		case c == '|':
			header = append(header, cur.String())
			cur.Reset()
			i++
		case c == '\n' || c == '\r':
			return nil, nil, fmt.Errorf("line break in CEF header")
		default:
			cur.WriteByte(c)
			i++
		}
	}
	if len(header) != 7 {
		return nil, nil, fmt.Errorf("CEF header has %d fields: %q", len(header), body)
	}
	rest := body[i:]
	// Find " key=" boundaries: '=' not preceded by a backslash.
	type tok struct{ keyStart, eq int }
	var toks []tok
	for j := 0; j < len(rest); j++ {
		if rest[j] == '\\' {
			j++
			continue
		}
		if rest[j] == '=' {
			k := j
			for k > 0 && rest[k-1] != ' ' {
				k--
			}
			toks = append(toks, tok{k, j})
		}
	}
	for n, tk := range toks {
		end := len(rest)
		if n+1 < len(toks) {
			end = toks[n+1].keyStart - 1
		}
		if end < tk.eq+1 {
			return nil, nil, fmt.Errorf("bad extension at %d: %q", tk.eq, rest)
		}
		v := strings.NewReplacer(`\=`, "=", `\\`, `\`, `\n`, "\n", `\r`, "\r").Replace(rest[tk.eq+1 : end])
		ext = append(ext, kvPair{rest[tk.keyStart:tk.eq], v})
	}
	return header, ext, nil
}

// decodeLEEF splits a LEEF body; version 2.0 reads the delimiter from the
// header (a character, or xHH / 0xHH).
func decodeLEEF(body string) (header []string, attrs []kvPair, err error) {
	if !strings.HasPrefix(body, "LEEF:") {
		return nil, nil, fmt.Errorf("no LEEF prefix: %q", body)
	}
	parts := strings.SplitN(body, "|", 7)
	if len(parts) < 6 {
		return nil, nil, fmt.Errorf("short LEEF header: %q", body)
	}
	delim, rest := "\t", ""
	switch parts[0] {
	case "LEEF:1.0":
		header, rest = parts[1:5], strings.Join(parts[5:], "|")
	case "LEEF:2.0":
		if len(parts) != 7 {
			return nil, nil, fmt.Errorf("short LEEF 2.0 header: %q", body)
		}
		header, rest = parts[1:6], parts[6]
		d := header[4]
		if len(d) > 1 {
			h := strings.TrimPrefix(strings.TrimPrefix(d, "0x"), "x")
			var n int
			if _, err := fmt.Sscanf(h, "%x", &n); err != nil {
				return nil, nil, fmt.Errorf("delimiter %q: %w", d, err)
			}
			d = string(rune(n))
		}
		delim = d
	default:
		return nil, nil, fmt.Errorf("unknown LEEF version %q", parts[0])
	}
	if rest == "" {
		return header, nil, nil
	}
	for _, a := range strings.Split(rest, delim) {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return nil, nil, fmt.Errorf("attribute without '=': %q", a)
		}
		attrs = append(attrs, kvPair{k, v})
	}
	return header, attrs, nil
}
