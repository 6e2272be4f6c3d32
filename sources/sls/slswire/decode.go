// Package slswire reads Log Service PullLogs answers: it checks an answer's
// size headers against limits before allocating anything, decompresses the
// body (lz4 block or zstd frame), and walks the LogGroupList protobuf
// straight into engine events, with no intermediate SDK structs.
//
// Decoding follows the SDK's gogo-generated unmarshalers (log.proto, proto2)
// field for field: the same wire types are accepted, the same required
// fields (Log.Time, LogContent.Key/Value, LogTag.Key/Value) are enforced,
// unknown fields are skipped the same way and a repeated scalar keeps its
// last value. A fuzz test checks that every input the SDK accepts decodes to
// the same events here.
//
// Event strings (keys, values, topic, source, tags) are slices of the
// decompressed buffer, which is allocated per answer and never written
// again: one allocation holds every string of a pull, and it is freed when
// the pull's last event is.
package slswire

//lint:file-ignore ST1005 errors start with the protobuf message they are about (Log, LogGroup), spelled as log.proto spells it.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"
	"unsafe"

	"github.com/forwarder/forwarder/event"
)

// Protobuf field numbers of log.proto.
const (
	fieldGroupListGroups = 1 // LogGroupList.LogGroups

	fieldGroupLogs     = 1 // LogGroup.Logs
	fieldGroupCategory = 2
	fieldGroupTopic    = 3
	fieldGroupSource   = 4
	fieldGroupMachine  = 5
	fieldGroupTags     = 6

	fieldLogTime     = 1 // Log.Time, uint32 varint, required
	fieldLogContents = 2 // Log.Contents
	fieldLogTimeNs   = 4 // Log.TimeNs, fixed32

	fieldKey   = 1 // LogContent.Key, LogTag.Key, required
	fieldValue = 2 // LogContent.Value, LogTag.Value, required
)

const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireStart   = 3
	wireEnd     = 4
	wireFixed32 = 5
)

// extraFields is the room left after each event's fields, so a rule that
// sets a field or two appends in place instead of copying the slice.
const extraFields = 2

var (
	errTruncated = errors.New("protobuf: unexpected end of data")
	errOverflow  = errors.New("protobuf: varint overflows 64 bits")
	errLength    = errors.New("protobuf: negative length")
)

// Decode turns a decompressed LogGroupList into events in wire order: time
// with its nanosecond part, topic, source, the group's tags (shared by the
// group's events) and the content fields. The returned strings alias raw,
// which the caller must never modify afterwards.
func Decode(raw []byte) ([]*event.Event, error) {
	evs, _, err := decode(raw)
	return evs, err
}

// Sizes of what Decode allocates per log, content field and tag.
const (
	eventSize = int(unsafe.Sizeof(event.Event{})) + int(unsafe.Sizeof((*event.Event)(nil)))
	fieldSize = int(unsafe.Sizeof(event.Field{}))
	tagSize   = int(unsafe.Sizeof(event.Tag{}))
)

// decode is Decode that also returns the bytes it allocated besides raw.
func decode(raw []byte) ([]*event.Event, int, error) {
	var w walker
	if err := w.list(raw); err != nil {
		return nil, 0, err
	}
	if len(w.evs) == 0 {
		return nil, 0, nil
	}
	return w.evs, w.size + cap(w.evs)*int(unsafe.Sizeof((*event.Event)(nil))), nil
}

// walker makes two passes over each LogGroup, one right after the other
// while the group is still in the CPU's caches: the first validates its
// structure and counts (logs, content fields, tags), the second fills
// slices of exactly that size, taken from chunks shared by the answer's
// groups and checks the content pairs. A chunk is sized from the first group
// that needs one, scaled to the bytes that remain, so a pull of groups alike
// costs five allocations whatever its size.
type walker struct {
	fill                  bool
	nLogs, nFields, nTags int // counts (first pass) or cursors in the group's slices

	// the group's slices while it is filled
	store  []event.Event
	fields []event.Field
	tags   []event.Tag

	evs     []*event.Event
	storeC  chunk[event.Event]
	fieldsC chunk[event.Field]
	tagC    chunk[event.Tag]
	size    int // bytes of the chunks
}

func (w *walker) list(b []byte) error {
	for i := 0; i < len(b); {
		num, typ, n, err := tag(b[i:])
		if err != nil {
			return fmt.Errorf("LogGroupList: %w", err)
		}
		if num != fieldGroupListGroups {
			m, err := skip(b[i:])
			if err != nil {
				return fmt.Errorf("LogGroupList: %w", err)
			}
			i += m
			continue
		}
		if typ != wireBytes {
			return fmt.Errorf("LogGroupList: wrong wire type %d for LogGroups", typ)
		}
		g, m, err := bytesField(b[i+n:])
		if err != nil {
			return fmt.Errorf("LogGroupList: %w", err)
		}
		rest := len(b) - i
		i += n + m
		if err := w.decodeGroup(g, rest); err != nil {
			return err
		}
	}
	return nil
}

// decodeGroup counts then fills one LogGroup; rest is the bytes of the list
// from this group on, which scales a new chunk.
func (w *walker) decodeGroup(b []byte, rest int) error {
	w.fill, w.nLogs, w.nFields, w.nTags = false, 0, 0, 0
	if err := w.group(b); err != nil {
		return err
	}
	if w.nLogs == 0 {
		return nil
	}
	scale := (rest + len(b)/2) / max(len(b), 1) // groups alike: exact
	w.store = take(&w.storeC, w.nLogs, scale, rest, &w.size)
	w.fields = take(&w.fieldsC, w.nFields+extraFields*w.nLogs, scale, rest, &w.size)
	w.tags = nil
	if w.nTags > 0 {
		w.tags = take(&w.tagC, w.nTags, scale, rest, &w.size)
	}
	if cap(w.evs)-len(w.evs) < w.nLogs {
		w.evs = slices.Grow(w.evs, max(w.nLogs, min(w.nLogs*scale, rest/8)))
	}
	w.fill, w.nLogs, w.nFields, w.nTags = true, 0, 0, 0
	return w.group(b) // only the content pairs the first pass counted can fail
}

// chunk is memory the groups of an answer take their slices from, and how
// much of it is taken.
type chunk[T any] struct {
	mem  []T
	used int
}

// take returns n fresh elements of c, first replacing c by a chunk of
// n*scale elements (its bytes added to size) when fewer than n are left.
// Past n, a chunk takes at most twice the rest bytes of the list, so a
// small first group followed by few large logs does not over-allocate.
func take[T any](c *chunk[T], n, scale, rest int, size *int) []T {
	if len(c.mem)-c.used < n {
		var zero T
		elem := int(unsafe.Sizeof(zero))
		k := max(n, min(n*max(scale, 1), 2*rest/elem))
		c.mem, c.used = make([]T, k), 0
		*size += k * elem
	}
	v := c.mem[c.used : c.used+n : c.used+n]
	c.used += n
	return v
}

// group decodes one LogGroup. Counting, it reads the group once, logs
// included, front to back. Filling, it reads the topic, source and tags
// first (they may follow the logs on the wire), then the logs.
func (w *walker) group(b []byte) error {
	var topic, source []byte
	tagsFrom := w.nTags
	for i := 0; i < len(b); {
		if b[i] == fieldGroupLogs<<3|wireBytes {
			if v, end, ok := short(b, i+1); ok {
				i = end
				if !w.fill { // counted now; filled by the loop below
					if err := w.log(v, "", "", nil); err != nil {
						return err
					}
				}
				continue
			}
		}
		num, typ, n, err := tag(b[i:])
		if err != nil {
			return fmt.Errorf("LogGroup: %w", err)
		}
		switch num {
		case fieldGroupLogs, fieldGroupCategory, fieldGroupTopic, fieldGroupSource, fieldGroupMachine, fieldGroupTags:
			if typ != wireBytes {
				return fmt.Errorf("LogGroup: wrong wire type %d for field %d", typ, num)
			}
			v, m, err := bytesField(b[i+n:])
			if err != nil {
				return fmt.Errorf("LogGroup: %w", err)
			}
			i += n + m
			switch num {
			case fieldGroupLogs:
				if !w.fill {
					if err := w.log(v, "", "", nil); err != nil {
						return err
					}
				}
			case fieldGroupTopic:
				topic = v
			case fieldGroupSource:
				source = v
			case fieldGroupTags:
				k, val, err := pair(v, "LogTag")
				if err != nil {
					return err
				}
				if w.fill {
					w.tags[w.nTags] = event.Tag{Key: str(k), Value: str(val)}
				}
				w.nTags++
			}
		default:
			m, err := skip(b[i:])
			if err != nil {
				return fmt.Errorf("LogGroup: %w", err)
			}
			i += m
		}
	}
	if !w.fill {
		return nil
	}
	var tags []event.Tag
	if w.nTags > tagsFrom {
		tags = w.tags[tagsFrom:w.nTags:w.nTags]
	}
	for i := 0; i < len(b); {
		if b[i] == fieldGroupLogs<<3|wireBytes {
			if v, end, ok := short(b, i+1); ok {
				i = end
				if err := w.log(v, str(topic), str(source), tags); err != nil {
					return err
				}
				continue
			}
		}
		num, _, n, _ := tag(b[i:])
		if num != fieldGroupLogs {
			m, _ := skip(b[i:])
			i += m
			continue
		}
		v, m, _ := bytesField(b[i+n:])
		i += n + m
		if err := w.log(v, str(topic), str(source), tags); err != nil {
			return err
		}
	}
	return nil
}

// log decodes one Log into the next event.
func (w *walker) log(b []byte, topic, source string, tags []event.Tag) error {
	var (
		sec, ns uint32
		hasTime bool
	)
	from := w.nFields
	for i := 0; i < len(b); {
		switch b[i] {
		case fieldLogTime<<3 | wireVarint:
			if v, m, err := varint(b[i+1:]); err == nil {
				sec, hasTime = uint32(v), true
				i += 1 + m
				continue
			}
		case fieldLogTimeNs<<3 | wireFixed32:
			if len(b)-i >= 5 {
				ns = binary.LittleEndian.Uint32(b[i+1:])
				i += 5
				continue
			}
		case fieldLogContents<<3 | wireBytes:
			// the common case inline: a content with short lengths
			if v, end, ok := short(b, i+1); ok {
				if !w.fill {
					// counted only: the filling pass checks the pair
					w.nFields++
					i = end
					continue
				}
				if k, val, ok := shortPair(v); ok {
					w.fields[w.nFields] = event.Field{Key: str(k), Value: event.String(str(val))}
					w.nFields++
					i = end
					continue
				}
			}
		}
		num, typ, n, err := tag(b[i:])
		if err != nil {
			return fmt.Errorf("Log: %w", err)
		}
		switch num {
		case fieldLogTime:
			if typ != wireVarint {
				return fmt.Errorf("Log: wrong wire type %d for Time", typ)
			}
			v, m, err := varint(b[i+n:])
			if err != nil {
				return fmt.Errorf("Log: Time: %w", err)
			}
			i += n + m
			sec, hasTime = uint32(v), true
		case fieldLogContents:
			if typ != wireBytes {
				return fmt.Errorf("Log: wrong wire type %d for Contents", typ)
			}
			v, m, err := bytesField(b[i+n:])
			if err != nil {
				return fmt.Errorf("Log: %w", err)
			}
			i += n + m
			k, val, err := pair(v, "LogContent")
			if err != nil {
				return err
			}
			if w.fill {
				w.fields[w.nFields] = event.Field{Key: str(k), Value: event.String(str(val))}
			}
			w.nFields++
		case fieldLogTimeNs:
			if typ != wireFixed32 {
				return fmt.Errorf("Log: wrong wire type %d for TimeNs", typ)
			}
			if len(b)-(i+n) < 4 {
				return fmt.Errorf("Log: TimeNs: %w", errTruncated)
			}
			ns = binary.LittleEndian.Uint32(b[i+n:])
			i += n + 4
		default:
			m, err := skip(b[i:])
			if err != nil {
				return fmt.Errorf("Log: %w", err)
			}
			i += m
		}
	}
	if !hasTime {
		return errors.New("Log: required field Time not set")
	}
	if w.fill {
		ev := &w.store[w.nLogs]
		ev.Time = time.Unix(int64(sec), int64(ns))
		ev.Topic, ev.Source, ev.Tags = topic, source, tags
		ev.Fields = w.fields[from : w.nFields : w.nFields+extraFields]
		w.evs = append(w.evs, ev)
	}
	w.nFields += extraFields * boolInt(w.fill)
	w.nLogs++
	return nil
}

// short reads a length-delimited value at b[i:] (after its key) whose
// length takes one or two bytes; ok is false for anything else (the caller
// then takes the general path, which reports errors).
func short(b []byte, i int) (v []byte, end int, ok bool) {
	if i+1 >= len(b) {
		return // (a last empty value takes the general path)
	}
	l, n := int(b[i]), 1
	if l >= 0x80 {
		if b[i+1] >= 0x80 {
			return
		}
		l, n = l&0x7f|int(b[i+1])<<7, 2
	}
	if end = i + n + l; end > len(b) {
		return nil, 0, false
	}
	return b[i+n : end], end, true
}

// shortPair reads a LogContent or LogTag laid out as every SLS writer lays
// it out: Key, then Value, short lengths, nothing else. ok is false for
// anything else, which pair decodes.
func shortPair(b []byte) (key, value []byte, ok bool) {
	if len(b) < 4 || b[0] != fieldKey<<3|wireBytes {
		return nil, nil, false
	}
	key, k, ok := short(b, 1)
	if !ok || k >= len(b) || b[k] != fieldValue<<3|wireBytes {
		return nil, nil, false
	}
	value, end, ok := short(b, k+1)
	if !ok || end != len(b) {
		return nil, nil, false
	}
	return key, value, true
}

// pair decodes a LogContent or LogTag: two required strings.
func pair(b []byte, msg string) (key, value []byte, err error) {
	var has uint8
	for i := 0; i < len(b); {
		num, typ, n, err := tag(b[i:])
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", msg, err)
		}
		if num != fieldKey && num != fieldValue {
			m, err := skip(b[i:])
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", msg, err)
			}
			i += m
			continue
		}
		if typ != wireBytes {
			return nil, nil, fmt.Errorf("%s: wrong wire type %d for field %d", msg, typ, num)
		}
		v, m, err := bytesField(b[i+n:])
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", msg, err)
		}
		i += n + m
		if num == fieldKey {
			key, has = v, has|1
		} else {
			value, has = v, has|2
		}
	}
	if has != 3 {
		return nil, nil, fmt.Errorf("%s: required field Key or Value not set", msg)
	}
	return key, value, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// str returns b as a string without copying. b must never change again.
func str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// varint reads a base-128 varint the way gogo does: up to ten bytes, the
// bits past 64 dropped.
func varint(b []byte) (v uint64, n int, err error) {
	if len(b) > 0 && b[0] < 0x80 {
		return uint64(b[0]), 1, nil
	}
	for shift := uint(0); ; shift += 7 {
		if shift >= 64 {
			return 0, 0, errOverflow
		}
		if n >= len(b) {
			return 0, 0, errTruncated
		}
		c := b[n]
		n++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, n, nil
		}
	}
}

// tag reads a field key. Field numbers are truncated to 32 bits as gogo
// does; zero, negative numbers and a stray end-group are errors.
func tag(b []byte) (num int32, typ int, n int, err error) {
	v, n, err := varint(b)
	if err != nil {
		return 0, 0, 0, err
	}
	num, typ = int32(v>>3), int(v&7)
	if typ == wireEnd {
		return 0, 0, 0, errors.New("protobuf: end group for non-group")
	}
	if num <= 0 {
		return 0, 0, 0, fmt.Errorf("protobuf: illegal field number %d", num)
	}
	return num, typ, n, nil
}

// bytesField reads a length-delimited value after its key.
func bytesField(b []byte) (v []byte, n int, err error) {
	l, n, err := varint(b)
	if err != nil {
		return nil, 0, err
	}
	if int(l) < 0 {
		return nil, 0, errLength
	}
	end := n + int(l)
	if end < n {
		return nil, 0, errLength
	}
	if end > len(b) {
		return nil, 0, errTruncated
	}
	return b[n:end], end, nil
}

// skip returns the length of the field (key included) at the start of b,
// as gogo's generated skip function computes it, groups included.
func skip(b []byte) (int, error) {
	i, depth := 0, 0
	for i < len(b) {
		v, n, err := varint(b[i:])
		if err != nil {
			return 0, err
		}
		i += n
		switch v & 7 {
		case wireVarint:
			_, n, err := varint(b[i:])
			if err != nil {
				return 0, err
			}
			i += n
		case wireFixed64:
			i += 8
		case wireBytes:
			l, n, err := varint(b[i:])
			if err != nil {
				return 0, err
			}
			if int(l) < 0 {
				return 0, errLength
			}
			i += n + int(l)
		case wireStart:
			depth++
		case wireEnd:
			if depth == 0 {
				return 0, errors.New("protobuf: unexpected end of group")
			}
			depth--
		case wireFixed32:
			i += 4
		default:
			return 0, fmt.Errorf("protobuf: illegal wire type %d", v&7)
		}
		if i < 0 {
			return 0, errLength
		}
		if depth == 0 {
			if i > len(b) {
				return 0, errTruncated
			}
			return i, nil
		}
	}
	return 0, errTruncated
}
