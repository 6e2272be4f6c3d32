package objectstore

import (
	"fmt"
	"strconv"
	"time"
)

// layout is a compiled strftime pattern for object key partitions. Only the
// fields that make sense in a path are supported; anything else is an error
// at validate time rather than a literal surprise in bucket listings.
type layout struct {
	parts []layoutPart
}

type layoutPart struct {
	lit  string
	verb byte // 0 for a literal
}

func parseLayout(p string) (*layout, error) {
	l := &layout{}
	lit := []byte{}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '%' {
			lit = append(lit, c)
			continue
		}
		if i+1 == len(p) {
			return nil, fmt.Errorf("%q ends with a lone %%", p)
		}
		i++
		v := p[i]
		switch v {
		case '%':
			lit = append(lit, '%')
			continue
		case 'Y', 'y', 'm', 'd', 'j', 'H', 'M', 'S', 's':
		default:
			return nil, fmt.Errorf("unsupported directive %%%c in %q; use %%Y %%y %%m %%d %%j %%H %%M %%S %%s or %%%%", v, p)
		}
		if len(lit) > 0 {
			l.parts = append(l.parts, layoutPart{lit: string(lit)})
			lit = lit[:0]
		}
		l.parts = append(l.parts, layoutPart{verb: v})
	}
	if len(lit) > 0 {
		l.parts = append(l.parts, layoutPart{lit: string(lit)})
	}
	return l, nil
}

// append formats t (already in the wanted zone) onto dst.
func (l *layout) append(dst []byte, t time.Time) []byte {
	for _, p := range l.parts {
		switch p.verb {
		case 0:
			dst = append(dst, p.lit...)
		case 'Y':
			dst = pad(dst, t.Year(), 4)
		case 'y':
			dst = pad(dst, t.Year()%100, 2)
		case 'm':
			dst = pad(dst, int(t.Month()), 2)
		case 'd':
			dst = pad(dst, t.Day(), 2)
		case 'j':
			dst = pad(dst, t.YearDay(), 3)
		case 'H':
			dst = pad(dst, t.Hour(), 2)
		case 'M':
			dst = pad(dst, t.Minute(), 2)
		case 'S':
			dst = pad(dst, t.Second(), 2)
		case 's':
			dst = strconv.AppendInt(dst, t.Unix(), 10)
		}
	}
	return dst
}

func pad(dst []byte, n, width int) []byte {
	var b [8]byte
	s := strconv.AppendInt(b[:0], int64(n), 10)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}
