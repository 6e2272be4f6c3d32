package syslog

import (
	"bytes"
	"os"
	"strconv"
	"time"
	"unsafe"

	"github.com/forwarder/forwarder/event"
)

// RFC 5424 §6 header field limits.
const (
	maxHostname = 255
	maxAppName  = 48
	maxProcID   = 128
	maxMsgID    = 32
	maxTag3164  = 32 // RFC 3164 §4.1.3
)

// Body encodings.
const (
	encJSON = iota
	encKV
	encCEF
	encLEEF
)

// formatter turns events into syslog messages. It is immutable after
// newFormatter and safe for concurrent use; scratch space comes from the
// caller's buffer.
type formatter struct {
	rfc3164        bool
	octetCounting  bool // frame with "LEN SP"
	nonTransparent bool // frame with a trailing LF; raw CR/LF must not appear
	enc            int
	fieldsOnly     bool

	facility, severity               int
	hostname, appName, procID, msgID string
	sdID                             string
	loc                              *time.Location
	sdTable                          *escTable
	kvTable                          *escTable
	kvPair, kvSep                    string
	cef                              CEFConfig
	leef                             LEEFConfig
	leefDelim                        byte
	leefSep                          string
	leefValue                        *escTable
	keys                             keyMap // the encoding's keys map
	now                              func() time.Time
}

// newFormatter builds a formatter from validated settings. udp selects no
// framing.
func newFormatter(c *Config, s *settings) *formatter {
	f := &formatter{
		rfc3164:    s.format == "rfc3164",
		fieldsOnly: c.FieldsOnly,
		facility:   s.facility,
		severity:   s.severity,
		hostname:   c.Hostname,
		appName:    c.AppName,
		procID:     c.ProcID,
		msgID:      c.MsgID,
		sdID:       c.SDID,
		loc:        s.loc,
		sdTable:    sdValue,
		kvPair:     s.kv.PairSeparator,
		kvSep:      s.kv.KVSeparator,
		kvTable:    kvTable(s.kv.PairSeparator, s.kv.KVSeparator),
		cef:        s.cef,
		leef:       s.leef,
		leefDelim:  s.leefDelim,
		leefSep:    string([]byte{s.leefDelim}),
		leefValue:  leefValueTable(s.leefDelim),
		now:        time.Now,
	}
	if f.hostname == "" {
		// os.Hostname reads a kernel value, not the network: no I/O to speak of.
		if h, err := os.Hostname(); err == nil {
			f.hostname = h
		}
	}
	if s.proto != "udp" {
		f.octetCounting = s.framing == "octet_counting"
		f.nonTransparent = s.framing == "non_transparent"
	}
	if f.nonTransparent {
		f.sdTable = sdValueNT
	}
	switch s.encoding {
	case "kv":
		f.enc, f.keys = encKV, newKeyMap(s.kv.Keys)
	case "cef":
		f.enc, f.keys = encCEF, newKeyMap(s.cef.Keys)
	case "leef":
		f.enc, f.keys = encLEEF, newKeyMap(s.leef.Keys)
	}
	return f
}

// scratch is per-call working space.
type scratch struct {
	b []byte
}

// appendFrame appends e as one framed message: "LEN SP MSG" for octet
// counting, "MSG LF" for non-transparent framing, the bare message for UDP.
func (f *formatter) appendFrame(dst []byte, e *event.Event, sc *scratch) []byte {
	start := len(dst)
	dst = f.appendMessage(dst, e, sc)
	switch {
	case f.octetCounting:
		dst = prefixLength(dst, start)
	case f.nonTransparent:
		blankLineBreaks(dst[start:])
		dst = append(dst, '\n')
	}
	return dst
}

// prefixLength inserts the octet count of dst[start:] and a space before it.
func prefixLength(dst []byte, start int) []byte {
	n := len(dst) - start
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], int64(n), 10)
	k := len(d) + 1
	dst = append(dst, digits[:k]...) // grow by k; content overwritten below
	copy(dst[start+k:], dst[start:start+n])
	copy(dst[start:], d)
	dst[start+k-1] = ' '
	return dst
}

// blankLineBreaks turns raw CR and LF into spaces. The encoders escape line
// breaks inside values, so the only raw ones left are JSON whitespace inside
// verbatim JSON fields, where a space means the same.
func blankLineBreaks(b []byte) {
	for _, c := range []byte{'\n', '\r'} {
		for i := bytes.IndexByte(b, c); i >= 0; {
			b[i] = ' '
			j := bytes.IndexByte(b[i+1:], c)
			if j < 0 {
				break
			}
			i += 1 + j
		}
	}
}

// metaOverrides are the per-event header values rules set in meta.
type metaOverrides struct {
	facility, severity   int
	host, appName, msgID string
}

func (f *formatter) overrides(e *event.Event) metaOverrides {
	m := metaOverrides{facility: f.facility, severity: f.severity,
		host: f.hostname, appName: f.appName, msgID: f.msgID}
	for i := range e.Meta {
		kv := &e.Meta[i]
		switch kv.Key {
		case event.MetaFacility:
			if v, ok := parseFacility(kv.Value); ok {
				m.facility = v
			}
		case event.MetaSeverity:
			if v, ok := parseSeverity(kv.Value); ok {
				m.severity = v
			}
		case event.MetaHost:
			m.host = kv.Value
		case event.MetaAppName:
			m.appName = kv.Value
		case event.MetaMsgID:
			m.msgID = kv.Value
		}
	}
	return m
}

// appendMessage appends one unframed syslog message.
func (f *formatter) appendMessage(dst []byte, e *event.Event, sc *scratch) []byte {
	m := f.overrides(e)
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(m.facility*8+m.severity), 10)
	dst = append(dst, '>')
	if f.rfc3164 {
		return f.append3164(dst, e, &m, sc)
	}
	dst = append(dst, '1', ' ')
	dst = f.appendTimestamp(dst, e.Time)
	dst = append(dst, ' ')
	dst = appendHeaderField(dst, m.host, maxHostname)
	dst = append(dst, ' ')
	dst = appendHeaderField(dst, m.appName, maxAppName)
	dst = append(dst, ' ')
	dst = appendHeaderField(dst, f.procID, maxProcID)
	dst = append(dst, ' ')
	dst = appendHeaderField(dst, m.msgID, maxMsgID)
	dst = append(dst, ' ')
	dst = f.appendSD(dst, e)
	mark := len(dst)
	dst = append(dst, ' ')
	if dst = f.appendBody(dst, e, sc); len(dst) == mark+1 {
		dst = dst[:mark] // no MSG: the message ends with the SD
	}
	return dst
}

// appendTimestamp appends an RFC 3339 timestamp with microseconds and the
// zone offset, or the NILVALUE for a zero or unrepresentable time.
func (f *formatter) appendTimestamp(dst []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(dst, '-')
	}
	t = t.In(f.loc)
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return append(dst, '-')
	}
	hour, min, sec := t.Clock()
	dst = appendInt(dst, year, 4)
	dst = append(dst, '-')
	dst = appendInt(dst, int(month), 2)
	dst = append(dst, '-')
	dst = appendInt(dst, day, 2)
	dst = append(dst, 'T')
	dst = appendInt(dst, hour, 2)
	dst = append(dst, ':')
	dst = appendInt(dst, min, 2)
	dst = append(dst, ':')
	dst = appendInt(dst, sec, 2)
	dst = append(dst, '.')
	dst = appendInt(dst, t.Nanosecond()/1000, 6)
	_, off := t.Zone()
	if off == 0 && f.loc == time.UTC {
		return append(dst, 'Z')
	}
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	dst = append(dst, sign)
	dst = appendInt(dst, off/3600, 2)
	dst = append(dst, ':')
	return appendInt(dst, off/60%60, 2)
}

// appendInt appends a non-negative n zero-padded to width digits.
func appendInt(dst []byte, n, width int) []byte {
	var b [20]byte
	i := len(b)
	for n >= 10 || width > 1 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		width--
	}
	i--
	b[i] = byte('0' + n)
	return append(dst, b[i:]...)
}

// appendSD appends the structured-data element holding the event's topic,
// source and tags, or the NILVALUE when there is none.
func (f *formatter) appendSD(dst []byte, e *event.Event) []byte {
	if f.sdID == "" || e.Topic == "" && e.Source == "" && len(e.Tags) == 0 {
		return append(dst, '-')
	}
	dst = append(dst, '[')
	dst = append(dst, f.sdID...)
	if e.Topic != "" {
		dst = append(dst, ` topic="`...)
		dst = appendEsc(dst, e.Topic, f.sdTable)
		dst = append(dst, '"')
	}
	if e.Source != "" {
		dst = append(dst, ` source="`...)
		dst = appendEsc(dst, e.Source, f.sdTable)
		dst = append(dst, '"')
	}
	for i := range e.Tags {
		dst = append(dst, ' ')
		dst = appendSDName(dst, e.Tags[i].Key)
		dst = append(dst, '=', '"')
		dst = appendEsc(dst, e.Tags[i].Value, f.sdTable)
		dst = append(dst, '"')
	}
	return append(dst, ']')
}

var months = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// deny3164Host, deny3164Tag and deny3164PID list characters a strict RFC
// 3164 parser cannot take in those fields.
var (
	deny3164Host = denySet(':', '[', ']') // a '[' would read as the start of a tag's PID
	deny3164Tag  = denySet(':', '[', ']')
	deny3164PID  = denySet('[', ']')
)

func denySet(bs ...byte) *[128]bool {
	var d [128]bool
	for _, b := range bs {
		d[b] = true
	}
	return &d
}

// append3164 appends "Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG" after the PRI.
// RFC 3164 has no year, zone, MSGID or structured data; the timestamp is
// written in the configured zone, and a zero time becomes the current time.
func (f *formatter) append3164(dst []byte, e *event.Event, m *metaOverrides, sc *scratch) []byte {
	t := e.Time
	if t.IsZero() {
		t = f.now()
	}
	t = t.In(f.loc)
	_, month, day := t.Date()
	hour, min, sec := t.Clock()
	dst = append(dst, months[month-1]...)
	dst = append(dst, ' ')
	if day < 10 {
		dst = append(dst, ' ')
	}
	dst = appendInt(dst, day, 1)
	dst = append(dst, ' ')
	dst = appendInt(dst, hour, 2)
	dst = append(dst, ':')
	dst = appendInt(dst, min, 2)
	dst = append(dst, ':')
	dst = appendInt(dst, sec, 2)
	dst = append(dst, ' ')
	dst = appendRestricted(dst, m.host, maxHostname, deny3164Host)
	dst = append(dst, ' ')
	dst = appendRestricted(dst, m.appName, maxTag3164, deny3164Tag)
	if f.procID != "" {
		dst = append(dst, '[')
		dst = appendRestricted(dst, f.procID, maxProcID, deny3164PID)
		dst = append(dst, ']')
	}
	dst = append(dst, ':', ' ')
	mark := len(dst)
	if dst = f.appendBody(dst, e, sc); len(dst) == mark {
		dst = append(dst, '-') // a strict parser wants a non-empty MSG
	}
	if f.enc == encJSON {
		// RFC 3164's MSG is printable; JSON leaves DEL raw inside strings,
		// where \u007f means the same.
		dst = escapeDEL(dst, mark, sc)
	}
	return dst
}

// escapeDEL rewrites raw DEL bytes in dst[from:] as the JSON escape \u007f.
func escapeDEL(dst []byte, from int, sc *scratch) []byte {
	i := bytes.IndexByte(dst[from:], 0x7f)
	if i < 0 {
		return dst
	}
	sc.b = append(sc.b[:0], dst[from+i:]...)
	dst = dst[:from+i]
	for _, c := range sc.b {
		if c == 0x7f {
			dst = append(dst, `\u007f`...)
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}

// appendField3164 is appendHeaderField with extra forbidden characters.
func appendRestricted(dst []byte, s string, max int, deny *[128]bool) []byte {
	start := len(dst)
	dst = appendHeaderField(dst, s, max)
	for i := start; i < len(dst); i++ {
		if deny[dst[i]] {
			dst[i] = '_'
		}
	}
	return dst
}

// bytesString views b as a string without copying; b must not change while
// the string is in use.
func bytesString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
