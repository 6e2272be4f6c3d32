package syslog

import "unicode/utf8"

// An escTable says what to do with each ASCII byte when copying text into a
// message. One loop (appendEsc) serves every escaping rule of every part of
// a message, so each rule is data, not code, and is tested once.
type escTable struct {
	act  [utf8.RuneSelf]uint8
	repl [utf8.RuneSelf]byte
	// nonASCII is the byte that replaces each non-ASCII rune, or 0 to keep
	// valid UTF-8. Invalid UTF-8 always becomes U+FFFD (or nonASCII).
	nonASCII byte
}

const (
	actKeep    = iota // copy as is
	actPrefix         // write '\\' then the byte
	actEscape         // write '\\' then repl (e.g. LF → `\n`)
	actReplace        // write repl instead
	actFFFD           // write U+FFFD instead
	actOctal          // write '#' and three octal digits (rsyslog's "#012")
)

const replacementChar = "\uFFFD"

func (t *escTable) set(act uint8, repl byte, bs ...byte) *escTable {
	for _, b := range bs {
		t.act[b] = act
		t.repl[b] = repl
	}
	return t
}

// controls lists C0 controls other than TAB, LF and CR, and DEL.
func controls() []byte {
	var bs []byte
	for b := byte(0); b < 0x20; b++ {
		if b != '\t' && b != '\n' && b != '\r' {
			bs = append(bs, b)
		}
	}
	return append(bs, 0x7f)
}

// appendEsc appends s to dst following t. Output is always valid UTF-8.
func appendEsc(dst []byte, s string, t *escTable) []byte {
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			a := t.act[b]
			if a == actKeep {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch a {
			case actPrefix:
				dst = append(dst, '\\', b)
			case actEscape:
				dst = append(dst, '\\', t.repl[b])
			case actReplace:
				dst = append(dst, t.repl[b])
			case actOctal:
				dst = append(dst, '#', '0'+b>>6, '0'+b>>3&7, '0'+b&7)
			default:
				dst = append(dst, replacementChar...)
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if t.nonASCII == 0 && (r != utf8.RuneError || size > 1) {
			i += size
			continue
		}
		dst = append(dst, s[start:i]...)
		if t.nonASCII != 0 {
			dst = append(dst, t.nonASCII)
		} else {
			dst = append(dst, replacementChar...)
		}
		i += size
		start = i
	}
	return append(dst, s[start:]...)
}

// appendHeaderField appends an RFC 5424 header field: PRINTUSASCII (33–126)
// only, each other character replaced by '_', at most max bytes, and the
// NILVALUE "-" when s is empty.
func appendHeaderField(dst []byte, s string, max int) []byte {
	if s == "" {
		return append(dst, '-')
	}
	n := 0
	for i := 0; i < len(s) && n < max; n++ {
		b := s[i]
		if b >= 33 && b <= 126 {
			dst = append(dst, b)
			i++
			continue
		}
		dst = append(dst, '_')
		if b < utf8.RuneSelf {
			i++
		} else {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		}
	}
	return dst
}

var (
	// sdValue escapes an RFC 5424 PARAM-VALUE (§6.3.3): '"', '\' and ']'.
	// CR and LF stay raw: octet counting carries them.
	sdValue = new(escTable).set(actPrefix, 0, '"', '\\', ']')
	// sdValueNT is for non-transparent framing, where a raw LF would end the
	// frame: CR and LF become "#015" and "#012", rsyslog's own notation (a
	// backslash before other characters is refused by strict parsers).
	sdValueNT = new(escTable).set(actPrefix, 0, '"', '\\', ']').
			set(actOctal, 0, '\n', '\r')
	// cefHeader escapes a CEF header field: '|' and '\'; no line breaks.
	cefHeader = new(escTable).set(actPrefix, 0, '|', '\\').
			set(actReplace, ' ', '\n', '\r', '\t').set(actFFFD, 0, controls()...)
	// cefValue escapes a CEF extension value: '=' and '\', CR/LF as \r \n.
	cefValue = new(escTable).set(actPrefix, 0, '=', '\\').
			set(actEscape, 'n', '\n').set(actEscape, 'r', '\r').set(actFFFD, 0, controls()...)
	// leefHeader: LEEF has no escapes, so '|' and line breaks are replaced.
	leefHeader = new(escTable).set(actReplace, '_', '|').
			set(actReplace, ' ', '\n', '\r', '\t').set(actFFFD, 0, controls()...)
	// extKey makes a CEF or LEEF key: ASCII letters, digits, '_', '.', '-'.
	extKey = func() *escTable {
		t := &escTable{nonASCII: '_'}
		for b := 0; b < utf8.RuneSelf; b++ {
			c := byte(b)
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
				t.set(actReplace, '_', c)
			}
		}
		return t
	}()
)

// leefValueTable replaces the delimiter and line breaks in a LEEF value with
// a space: LEEF defines no escape mechanism.
func leefValueTable(delim byte) *escTable {
	return new(escTable).set(actFFFD, 0, controls()...).
		set(actReplace, ' ', '\n', '\r', '\t', delim)
}

// kvTable escapes '\' and every byte of the separators with a backslash, and
// CR/LF as \r \n, so a value can never end a pair or a frame.
func kvTable(pairSep, kvSep string) *escTable {
	t := new(escTable).set(actPrefix, 0, '\\').set(actFFFD, 0, controls()...).
		set(actEscape, 'n', '\n').set(actEscape, 'r', '\r')
	for _, sep := range []string{pairSep, kvSep} {
		for i := 0; i < len(sep); i++ {
			if sep[i] == '\t' {
				t.set(actEscape, 't', '\t')
			} else {
				t.set(actPrefix, 0, sep[i])
			}
		}
	}
	return t
}

// validSDName reports whether s is an SD-NAME (RFC 5424 §6.3.2): 1–32
// PRINTUSASCII other than '=', SP, ']' and '"'.
func validSDName(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 33 || b > 126 || b == '=' || b == ']' || b == '"' {
			return false
		}
	}
	return true
}

// denySDName lists the PRINTUSASCII bytes an SD-NAME may not hold.
var denySDName = denySet('=', ']', '"')

// appendSDName appends s as an SD-NAME, replacing forbidden characters
// with '_' and cutting it to 32 bytes.
func appendSDName(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, '_')
	}
	return appendRestricted(dst, s, 32, denySDName)
}
