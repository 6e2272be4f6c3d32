package slsemu

import (
	"bytes"
	"compress/zlib"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/pierrec/lz4/v4"
)

// maxPullCount is SLS's upper bound for PullLogs' count parameter.
const maxPullCount = 1000

func (s *Server) handleGetCursor(w http.ResponseWriter, r *http.Request, rt route) *Error {
	ls, e := s.lookup(rt.project, rt.logstore)
	if e != nil {
		return e
	}
	from := r.URL.Query().Get("from")
	var ts int64
	if from != "begin" && from != "end" {
		v, err := strconv.ParseInt(from, 10, 64)
		if err != nil || v < 0 {
			return errorf(http.StatusBadRequest, CodeParameterInvalid, "Parameter From is not valid: %q", from)
		}
		ts = v
	}
	ls.mu.RLock()
	defer ls.mu.RUnlock()
	sh := ls.shard(rt.shard)
	if sh == nil {
		return errorf(http.StatusBadRequest, CodeShardNotExist, "shard %d does not exist", rt.shard)
	}
	var cur int64
	switch from {
	case "begin":
		cur = sh.beginCursor()
	case "end":
		cur = sh.endCursor()
	default:
		i := sort.Search(len(sh.entries), func(i int) bool { return sh.entries[i].recv >= ts })
		cur = sh.beginCursor() + int64(i)
	}
	writeJSON(w, map[string]string{"cursor": EncodeCursor(cur)})
	return nil
}

func (s *Server) handleGetCursorTime(w http.ResponseWriter, r *http.Request, rt route) *Error {
	ls, e := s.lookup(rt.project, rt.logstore)
	if e != nil {
		return e
	}
	c := r.URL.Query().Get("cursor")
	cur, ok := DecodeCursor(c)
	if !ok {
		return errorf(http.StatusBadRequest, CodeInvalidCursor, "cursor %q is not valid", c)
	}
	ls.mu.RLock()
	defer ls.mu.RUnlock()
	sh := ls.shard(rt.shard)
	if sh == nil {
		return errorf(http.StatusBadRequest, CodeShardNotExist, "shard %d does not exist", rt.shard)
	}
	if cur < sh.beginCursor() || cur > sh.endCursor() {
		return errorf(http.StatusBadRequest, CodeInvalidCursor, "cursor %s is out of range [%d, %d]", c, sh.beginCursor(), sh.endCursor())
	}
	t := s.now().Unix()
	if i := cur - sh.beginCursor(); i < int64(len(sh.entries)) {
		t = sh.entries[i].recv
	} else if n := len(sh.entries); n > 0 {
		t = sh.entries[n-1].recv
	}
	writeJSON(w, map[string]int64{"cursor_time": t})
	return nil
}

// pullRange is the slice of entries one PullLogs serves.
type pullRange struct {
	start    int64
	entries  []*entry
	readOnly bool
	end      int64 // shard end cursor
}

// readRange validates cursor/count/end_cursor and returns the entries in
// [cursor, min(cursor+count, end_cursor, shard end)), capped by MaxPullBytes.
func (s *Server) readRange(ls *logstore, shardID int, cursorStr, countStr, endStr string) (pullRange, *Error) {
	var pr pullRange
	if cursorStr == "" {
		return pr, errorf(http.StatusBadRequest, CodeParameterInvalid, "cursor is missing")
	}
	count, err := strconv.Atoi(countStr)
	if err != nil || count < 0 || count > maxPullCount {
		return pr, errorf(http.StatusBadRequest, CodeParameterInvalid, "count %q must be an integer in [0, %d]", countStr, maxPullCount)
	}
	start, ok := DecodeCursor(cursorStr)
	if !ok {
		return pr, errorf(http.StatusBadRequest, CodeInvalidCursor, "cursor %q is not valid", cursorStr)
	}
	limit := int64(-1)
	if endStr != "" {
		v, ok := DecodeCursor(endStr)
		if !ok {
			return pr, errorf(http.StatusBadRequest, CodeInvalidCursor, "end_cursor %q is not valid", endStr)
		}
		limit = v
	}
	ls.mu.RLock()
	defer ls.mu.RUnlock()
	sh := ls.shard(shardID)
	if sh == nil {
		return pr, errorf(http.StatusBadRequest, CodeShardNotExist, "shard %d does not exist", shardID)
	}
	begin, end := sh.beginCursor(), sh.endCursor()
	if start < begin || start > end {
		return pr, errorf(http.StatusBadRequest, CodeInvalidCursor, "cursor %s is out of range [%d, %d]", cursorStr, begin, end)
	}
	stop := min(start+int64(count), end)
	if limit >= 0 {
		stop = min(stop, max(limit, start))
	}
	// Entries in [start, stop) never change once written; the slice stays
	// valid after the lock is released even if appends reallocate.
	ents := sh.entries[start-begin : stop-begin]
	size := 0
	for i, e := range ents {
		size += len(e.framed)
		if size >= s.opts.MaxPullBytes && i+1 < len(ents) {
			ents = ents[:i+1]
			break
		}
	}
	pr = pullRange{start: start, entries: ents, readOnly: sh.status == StatusReadOnly, end: end}
	return pr, nil
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func (s *Server) handlePullLogs(w http.ResponseWriter, r *http.Request, rt route) *Error {
	ls, e := s.lookup(rt.project, rt.logstore)
	if e != nil {
		return e
	}
	q := r.URL.Query()
	if p := q.Get("processor"); p != "" {
		return errorf(http.StatusBadRequest, CodeParameterInvalid, "consume processor %q does not exist: the emulator supports none", p)
	}
	var filter *splQuery
	query := q.Get("query")
	if query != "" {
		var err error
		if filter, err = parseSPL(query); err != nil {
			return errorf(http.StatusBadRequest, CodeParameterInvalid, "query %q: %v", query, err)
		}
	}
	cursorStr := q.Get("cursor")
	pr, e := s.readRange(ls, rt.shard, cursorStr, q.Get("count"), q.Get("end_cursor"))
	if e != nil {
		return e
	}
	enc := pullEncoding(r.Header)
	zstdWanted := enc == "zstd"
	h := w.Header()
	n := int64(len(pr.entries))
	next := cursorStr
	if n > 0 {
		next = EncodeCursor(pr.start + n)
		h.Set("x-log-cursor-time", strconv.FormatInt(pr.entries[n-1].recv, 10))
	}
	if rt.stuck {
		next = cursorStr
	}
	h.Set("x-log-cursor", next)
	if pr.readOnly && pr.start+n == pr.end {
		h.Set("x-log-end-of-cursor", "1")
	}
	if filter != nil {
		return s.servePullQuery(w, pr, filter, enc)
	}
	h.Set("x-log-count", strconv.FormatInt(n, 10))
	s.stats.served(n)
	if n == 0 {
		h.Set("x-log-bodyrawsize", "0")
		writeEmpty(w)
		return nil
	}
	h.Set("x-log-read-last-cursor", strconv.FormatInt(pr.start+n-1, 10))
	rawSize := 0
	for _, e := range pr.entries {
		rawSize += len(e.framed)
	}
	h.Set("x-log-bodyrawsize", strconv.Itoa(rawSize))
	if enc == "deflate" || enc == "" {
		raw := make([]byte, 0, rawSize)
		for _, e := range pr.entries {
			raw = append(raw, e.framed...)
		}
		return writePlainOrDeflate(w, raw, enc)
	}
	bp := bufPool.Get().(*[]byte)
	var out []byte
	if zstdWanted {
		enc, _, err := s.codecs()
		if err != nil {
			bufPool.Put(bp)
			return errorf(http.StatusInternalServerError, CodeInternalServerError, "zstd encoder: %v", err)
		}
		out = (*bp)[:0]
		for _, e := range pr.entries {
			out = append(out, e.zstdFrame(enc.EncodeAll)...)
		}
		h.Set("x-log-compresstype", "zstd")
	} else {
		sp := lz4Splicer{out: (*bp)[:0]}
		for _, e := range pr.entries {
			sp.add(&e.lz)
		}
		out = sp.finish()
		h.Set("x-log-compresstype", "lz4")
	}
	h.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
	if cap(out) <= 64<<20 {
		*bp = out[:0]
		bufPool.Put(bp)
	}
	return nil
}

// zstdFrame returns the entry's framed bytes as one zstd frame, built on
// first use. Concatenated frames are a valid zstd stream.
func (e *entry) zstdFrame(encodeAll func(src, dst []byte) []byte) []byte {
	e.zOnce.Do(func() { e.zst = encodeAll(e.framed, nil) })
	return e.zst
}

// servePullQuery filters the range through an SPL query and compresses the
// result per request.
func (s *Server) servePullQuery(w http.ResponseWriter, pr pullRange, filter *splQuery, enc string) *Error {
	var raw []byte
	scannedBytes, scannedLines, resultLines, groups := 0, 0, 0, 0
	for _, e := range pr.entries {
		scannedBytes += len(e.framed)
		scannedLines += e.nLogs
		lg, kept, err := filter.apply(e.raw())
		if err != nil {
			return errorf(http.StatusInternalServerError, CodeInternalServerError, "filter stored log group: %v", err)
		}
		if kept == 0 {
			continue
		}
		resultLines += kept
		groups++
		if lg == nil { // every log matched: reuse the stored bytes
			raw = append(raw, e.framed...)
			continue
		}
		raw = appendFramed(raw, lg)
	}
	h := w.Header()
	h.Set("x-log-count", strconv.Itoa(groups))
	s.stats.served(int64(len(pr.entries)))
	h.Set("x-log-rawdatasize", strconv.Itoa(scannedBytes))
	h.Set("x-log-rawdatacount", strconv.Itoa(len(pr.entries)))
	h.Set("x-log-rawdatalines", strconv.Itoa(scannedLines))
	h.Set("x-log-resultlines", strconv.Itoa(resultLines))
	h.Set("x-log-failedlines", "0")
	h.Set("x-log-bodyrawsize", strconv.Itoa(len(raw)))
	if len(raw) == 0 {
		writeEmpty(w)
		return nil
	}
	if enc == "deflate" || enc == "" {
		return writePlainOrDeflate(w, raw, enc)
	}
	var out []byte
	if enc == "zstd" {
		enc, _, err := s.codecs()
		if err != nil {
			return errorf(http.StatusInternalServerError, CodeInternalServerError, "zstd encoder: %v", err)
		}
		out = enc.EncodeAll(raw, nil)
		h.Set("x-log-compresstype", "zstd")
	} else {
		out = make([]byte, lz4.CompressBlockBound(len(raw)))
		n, err := lz4.CompressBlock(raw, out, nil)
		if err != nil || n == 0 {
			var sp lz4Splicer
			sp.add(&lz4Chunk{trail: raw})
			out = sp.finish()
		} else {
			out = out[:n]
		}
		h.Set("x-log-compresstype", "lz4")
	}
	h.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
	return nil
}

// pullEncoding picks the PullLogs answer encoding from Accept-Encoding: the
// Go SDK asks for lz4 or zstd; the Python SDK asks for lz4, or gzip when
// its lz4 module is missing (it inflates any deflate or gzip answer with
// zlib), or sends an empty header for no compression. With no header at
// all the answer is lz4, as before.
func pullEncoding(h http.Header) string {
	vals, ok := h["Accept-Encoding"]
	ae := strings.ToLower(strings.Join(vals, ","))
	switch {
	case !ok:
		return "lz4"
	case strings.Contains(ae, "zstd"):
		return "zstd"
	case strings.Contains(ae, "lz4"):
		return "lz4"
	case strings.Contains(ae, "deflate"), strings.Contains(ae, "gzip"):
		return "deflate"
	case strings.TrimSpace(ae) == "":
		return ""
	}
	return "lz4"
}

// writePlainOrDeflate writes a PullLogs body uncompressed (enc "") or as a
// zlib stream ("deflate"); x-log-bodyrawsize is set by the caller.
func writePlainOrDeflate(w http.ResponseWriter, raw []byte, enc string) *Error {
	out := raw
	if enc == "deflate" {
		var b bytes.Buffer
		zw := zlib.NewWriter(&b)
		_, _ = zw.Write(raw)
		if err := zw.Close(); err != nil {
			return errorf(http.StatusInternalServerError, CodeInternalServerError, "deflate: %v", err)
		}
		out = b.Bytes()
		w.Header().Set("x-log-compresstype", "deflate")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
	return nil
}
