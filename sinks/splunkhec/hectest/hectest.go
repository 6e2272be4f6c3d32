// Package hectest is a strict Splunk HTTP Event Collector for tests: an
// httptest server on 127.0.0.1 (plain HTTP, TLS or mutual TLS) that speaks
// HEC as Splunk does (reference/protocols.md §1.1) and records exactly what
// it indexed.
//
// What it checks and answers:
//   - auth: `Authorization: Splunk <token>` (or Basic with the token as the
//     password); missing 401/2, malformed 401/3, unknown 403/4, disabled
//     403/1; `?token=` 400/16 unless Config.AllowQueryStringAuth.
//   - /services/collector/event (and /services/collector,
//     /services/collector/event/1.0): concatenated JSON objects; `event`
//     required (12; an object with only `fields` is skipped, as Splunk does),
//     not blank (13), not null or false (6); `time` an epoch-seconds number or
//     numeric string (6); host/source/sourcetype/index strings (6); index in
//     the token's list (7); `fields` flat: strings or arrays of strings (15);
//     unknown keys 6 (stricter than Splunk, to catch encoder bugs). A bad
//     object i answers 400 with "invalid-event-number": i (0-based) after
//     objects 0..i-1 were indexed, as Splunk does.
//   - /services/collector/raw: one event per non-empty line, metadata from the
//     query string.
//   - Content-Encoding gzip is decoded, anything else but identity is 415;
//     a body above MaxContentLength (bytes on the wire) is 413.
//   - Channels (X-Splunk-Request-Channel or ?channel=): required for a
//     useACK token (10), a GUID when present (11). With useACK the reply
//     carries ackId, counted from 0 per channel; /services/collector/ack
//     answers true once and then forgets the id; a token without useACK gets
//     14 there.
//   - /services/collector/health: 17, or 18 while busy; no token check
//     unless ?token= is given (21, 22).
//   - Faults: SetBusy (503/9 to every event post), Inject (the next n posts
//     get a code, a status, a stall, a connection reset, optionally after
//     indexing), HoldAcks, SetMaxContentLength.
package hectest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// DefaultToken is the token a server accepts when Config.Tokens is empty.
const DefaultToken = "11111111-2222-3333-4444-555555555555"

// DefaultMaxContentLength is Splunk Enterprise's max_content_length.
const DefaultMaxContentLength = 838860800

// maxDecoded bounds a gzip body's decoded size.
const maxDecoded = 1 << 30

// Reply is an HEC code's HTTP status and text.
type Reply struct {
	Status int
	Text   string
}

// Codes lists HEC's reply codes 0–22 with their HTTP status and text.
var Codes = [...]Reply{
	0:  {200, "Success"},
	1:  {403, "Token disabled"},
	2:  {401, "Token is required"},
	3:  {401, "Invalid authorization"},
	4:  {403, "Invalid token"},
	5:  {400, "No data"},
	6:  {400, "Invalid data format"},
	7:  {400, "Incorrect index"},
	8:  {500, "Internal server error"},
	9:  {503, "Server is busy"},
	10: {400, "Data channel is missing"},
	11: {400, "Invalid data channel"},
	12: {400, "Event field is required"},
	13: {400, "Event field cannot be blank"},
	14: {400, "ACK is disabled"},
	15: {400, "Error in handling indexed fields"},
	16: {400, "Query string authorization is not enabled"},
	17: {200, "HEC is healthy"},
	18: {503, "HEC is unhealthy, queues are full"},
	19: {503, "HEC is unhealthy, ack service unavailable"},
	20: {503, "HEC is unhealthy, queues are full, ack service unavailable"},
	21: {400, "Invalid token"},
	22: {400, "Token disabled"},
}

// Token is one HEC token the server accepts.
type Token struct {
	Value    string
	Disabled bool
	// UseACK enables indexer acknowledgement: a channel is required and
	// replies carry an ackId.
	UseACK bool
	// Indexes lists the allowed indexes; empty allows any.
	Indexes []string
}

// Config sets up a Server.
type Config struct {
	// Tokens are the accepted tokens; empty means one DefaultToken.
	Tokens []Token
	// MaxContentLength is the largest request body, in bytes on the wire;
	// 0 means DefaultMaxContentLength.
	MaxContentLength int64
	// TLS makes the server speak HTTPS (set ClientAuth for mutual TLS).
	TLS *tls.Config
	// AllowQueryStringAuth accepts ?token=.
	AllowQueryStringAuth bool
	// Discard reads event bodies and answers success without decoding or
	// recording them: the server's cost is then a read, for benchmarks.
	// Auth, channels, size and acks still apply.
	Discard bool
}

// Event is one indexed event as the server decoded it.
type Event struct {
	// Channel is the request's channel ("" without one).
	Channel string
	// Raw says it came through /services/collector/raw; Event then holds
	// the line.
	Raw bool
	// Time is the epoch seconds, normalized as Splunk reads 13- and
	// 19-digit integers (ms, ns); TimeText is the JSON text as sent.
	Time     float64
	TimeText string
	HasTime  bool
	// Host, Source, Sourcetype and Index are the envelope's values.
	Host, Source, Sourcetype, Index string
	// Fields are the indexed fields: string or []string values.
	Fields map[string]any
	// Event is the `event` value's JSON text (the line, for raw).
	Event json.RawMessage
}

// Fault is what Inject does to a collector post.
type Fault struct {
	// Code answers with this HEC code (with its HTTP status from Codes).
	Code int
	// Status answers with this HTTP status and a non-HEC body (429, 502),
	// when Code is 0.
	Status int
	// Delay stalls before the request is handled. A request whose client
	// gives up during the stall is not indexed (see AfterIndex for that).
	Delay time.Duration
	// Reset closes the connection without a reply.
	Reset bool
	// AfterIndex handles the request normally (indexing its events, even
	// while busy) and then applies Code, Status or Reset: the reply is
	// lost, as when a load balancer times out on a slow indexer.
	AfterIndex bool
}

type channel struct {
	next    uint64
	pending map[uint64]bool // issued ackIds not yet answered true
}

// Server is a running test HEC.
type Server struct {
	cfg     Config
	srv     *httptest.Server
	tokens  map[string]Token
	closing chan struct{}
	once    sync.Once

	mu          sync.Mutex
	events      []Event
	channels    map[string]*channel
	faults      []Fault
	busy        bool
	health      int
	holdAcks    bool
	maxLen      int64
	lastHeaders http.Header

	requests, conns, posts, ackPolls, bodyBytes atomic.Int64
}

// New starts a server on 127.0.0.1 and closes it when the test ends.
func New(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	s := &Server{
		cfg:      cfg,
		tokens:   map[string]Token{},
		channels: map[string]*channel{},
		closing:  make(chan struct{}),
		health:   17,
		maxLen:   cfg.MaxContentLength,
	}
	if s.maxLen <= 0 {
		s.maxLen = DefaultMaxContentLength
	}
	if len(cfg.Tokens) == 0 {
		cfg.Tokens = []Token{{Value: DefaultToken}}
	}
	for _, t := range cfg.Tokens {
		s.tokens[t.Value] = t
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("hectest: listen: %v", err)
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Listener.Close()
	s.srv.Listener = ln
	s.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	if cfg.TLS != nil {
		s.srv.TLS = cfg.TLS.Clone()
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	tb.Cleanup(s.Close)
	return s
}

// URL is the server's base URL (http://127.0.0.1:PORT or https://…).
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server, ending stalls at once. It is idempotent.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closing)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// Events returns a copy of every indexed event, in order.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

// EventCount returns the number of indexed events.
func (s *Server) EventCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.events)
}

// Requests counts every HTTP request, Connections every accepted
// connection, Posts the collector posts (event and raw), AckPolls the ack
// queries, and BodyBytes the collector bodies' bytes on the wire.
func (s *Server) Requests() int64    { return s.requests.Load() }
func (s *Server) Connections() int64 { return s.conns.Load() }
func (s *Server) Posts() int64       { return s.posts.Load() }
func (s *Server) AckPolls() int64    { return s.ackPolls.Load() }
func (s *Server) BodyBytes() int64   { return s.bodyBytes.Load() }

// LastHeaders returns the headers of the last collector post.
func (s *Server) LastHeaders() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastHeaders.Clone()
}

// PendingAcks returns how many ackIds of a channel were issued and not yet
// answered true.
func (s *Server) PendingAcks(ch string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.channels[ch]; c != nil {
		return len(c.pending)
	}
	return 0
}

// SetBusy makes every collector post answer 503 code 9 (and /health 18)
// until SetBusy(false).
func (s *Server) SetBusy(on bool) {
	s.mu.Lock()
	s.busy = on
	s.mu.Unlock()
}

// SetHealth sets the code /health answers (17 to 20).
func (s *Server) SetHealth(code int) {
	s.mu.Lock()
	s.health = code
	s.mu.Unlock()
}

// HoldAcks makes ack queries answer false for every id until
// HoldAcks(false).
func (s *Server) HoldAcks(on bool) {
	s.mu.Lock()
	s.holdAcks = on
	s.mu.Unlock()
}

// SetMaxContentLength sets the largest accepted body, in bytes on the wire.
func (s *Server) SetMaxContentLength(n int64) {
	s.mu.Lock()
	s.maxLen = n
	s.mu.Unlock()
}

// Inject applies f to the next n collector posts.
func (s *Server) Inject(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	path := r.URL.Path
	if r.Method == http.MethodOptions {
		w.Header().Set("Allow", "POST,OPTIONS")
		w.WriteHeader(http.StatusOK)
		return
	}
	switch path {
	case "/services/collector", "/services/collector/event", "/services/collector/event/1.0":
		s.collect(w, r, false)
	case "/services/collector/raw", "/services/collector/raw/1.0":
		s.collect(w, r, true)
	case "/services/collector/ack", "/services/collector/ack/1.0":
		s.ack(w, r)
	case "/services/collector/health", "/services/collector/health/1.0":
		s.serveHealth(w, r)
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"text": "The requested URL was not found on this server.", "code": 404})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeCode(w http.ResponseWriter, code int) {
	writeJSON(w, Codes[code].Status, map[string]any{"text": Codes[code].Text, "code": code})
}

func methodNotAllowed(w http.ResponseWriter) {
	writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"text": "The requested URL was not found on this server.", "code": 404})
}

// auth returns the request's token, or writes the error reply.
func (s *Server) auth(w http.ResponseWriter, r *http.Request) (Token, bool) {
	var value string
	h := r.Header.Get("Authorization")
	switch {
	case r.URL.Query().Has("token"):
		if !s.cfg.AllowQueryStringAuth {
			writeCode(w, 16)
			return Token{}, false
		}
		value = r.URL.Query().Get("token")
	case h == "":
		writeCode(w, 2)
		return Token{}, false
	case strings.HasPrefix(h, "Splunk "):
		value = strings.TrimPrefix(h, "Splunk ")
	default:
		_, pass, ok := r.BasicAuth()
		if !ok {
			writeCode(w, 3)
			return Token{}, false
		}
		value = pass
	}
	t, ok := s.tokens[value]
	switch {
	case !ok:
		writeCode(w, 4)
		return Token{}, false
	case t.Disabled:
		writeCode(w, 1)
		return Token{}, false
	}
	return t, true
}

// channelOf returns the request's channel, or writes the error reply.
func (s *Server) channelOf(w http.ResponseWriter, r *http.Request, t Token) (string, bool) {
	ch := r.Header.Get("X-Splunk-Request-Channel")
	if ch == "" {
		ch = r.URL.Query().Get("channel")
	}
	switch {
	case ch == "" && t.UseACK:
		writeCode(w, 10)
		return "", false
	case ch != "" && !isGUID(ch):
		writeCode(w, 11)
		return "", false
	}
	return ch, true
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
		} else if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func (s *Server) nextFault() (Fault, bool, bool, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return Fault{}, false, s.busy, s.maxLen
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f, true, s.busy, s.maxLen
}

// sleep waits d, or less when the client goes away or the server closes.
func (s *Server) sleep(r *http.Request, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	case <-s.closing:
	}
}

// reset closes the connection without a reply (RST on TCP).
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // the server drops the connection
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tc, ok := raw.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// applyFault answers as f says; it reports whether it answered.
func applyFault(w http.ResponseWriter, f Fault) bool {
	switch {
	case f.Reset:
		reset(w)
	case f.Code != 0:
		writeCode(w, f.Code)
	case f.Status != 0:
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(f.Status)
		_, _ = io.WriteString(w, http.StatusText(f.Status))
	default:
		return false
	}
	return true
}

func (s *Server) collect(w http.ResponseWriter, r *http.Request, raw bool) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w)
		return
	}
	s.posts.Add(1)
	s.mu.Lock()
	s.lastHeaders = r.Header.Clone()
	s.mu.Unlock()
	f, faulty, busy, maxLen := s.nextFault()
	if faulty && f.Delay > 0 {
		s.sleep(r, f.Delay)
		if r.Context().Err() != nil {
			return // the client gave up during the stall: nothing is indexed
		}
	}
	if faulty && !f.AfterIndex && applyFault(w, f) {
		return
	}
	tok, ok := s.auth(w, r)
	if !ok {
		return
	}
	ch, ok := s.channelOf(w, r, tok)
	if !ok {
		return
	}
	var (
		body []byte
		size int64
		err  error
	)
	if s.cfg.Discard {
		size, err = io.Copy(io.Discard, io.LimitReader(r.Body, maxLen+1))
	} else {
		body, err = io.ReadAll(io.LimitReader(r.Body, maxLen+1))
		size = int64(len(body))
	}
	s.bodyBytes.Add(size)
	if err != nil {
		return // the client went away
	}
	if size > maxLen {
		w.Header().Set("Connection", "close")
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"text": "Content-Length of request too large (maximum is " + strconv.FormatInt(maxLen, 10) + ")"})
		return
	}
	if busy && !(faulty && f.AfterIndex) {
		writeCode(w, 9)
		return
	}
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
	case "gzip":
		if s.cfg.Discard {
			break
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			writeCode(w, 6)
			return
		}
		body, err = io.ReadAll(io.LimitReader(zr, maxDecoded))
		if err != nil {
			writeCode(w, 6)
			return
		}
	default:
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]any{"text": "Unsupported Media Type: " + enc})
		return
	}

	var (
		events []Event
		bad    = -1
		code   int
	)
	switch {
	case s.cfg.Discard:
	case raw:
		events, bad, code = parseRaw(body, r, tok, ch)
	default:
		events, bad, code = parseEvents(body, tok, ch)
	}
	if len(events) == 0 && bad < 0 && size == 0 {
		bad, code = 0, 5
	}

	s.mu.Lock()
	s.events = append(s.events, events...)
	var ackID *uint64
	if bad < 0 && tok.UseACK {
		c := s.channels[ch]
		if c == nil {
			c = &channel{pending: map[uint64]bool{}}
			s.channels[ch] = c
		}
		id := c.next
		c.next++
		c.pending[id] = true
		ackID = &id
	}
	s.mu.Unlock()

	if faulty && f.AfterIndex && applyFault(w, f) {
		return
	}
	switch {
	case bad >= 0 && code == 5:
		writeCode(w, 5)
	case bad >= 0:
		writeJSON(w, Codes[code].Status, map[string]any{"text": Codes[code].Text, "code": code, "invalid-event-number": bad})
	case ackID != nil:
		writeJSON(w, http.StatusOK, map[string]any{"text": "Success", "code": 0, "ackId": *ackID})
	default:
		writeCode(w, 0)
	}
}

// parseEvents decodes concatenated envelopes. It returns the events before
// the first bad one, the bad one's number (-1 if none) and its code.
func parseEvents(body []byte, tok Token, ch string) ([]Event, int, int) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var events []Event
	for i := 0; ; i++ {
		var obj map[string]json.RawMessage
		if err := dec.Decode(&obj); err == io.EOF {
			if i == 0 {
				return nil, 0, 5
			}
			return events, -1, 0
		} else if err != nil || obj == nil {
			return events, i, 6
		}
		e, skip, code := parseEnvelope(obj, tok, ch)
		if code != 0 {
			return events, i, code
		}
		if !skip {
			events = append(events, e)
		}
	}
}

func parseEnvelope(obj map[string]json.RawMessage, tok Token, ch string) (e Event, skip bool, code int) {
	e.Channel = ch
	for k, v := range obj {
		switch k {
		case "time":
			t, text, ok := parseTime(v)
			if !ok {
				return e, false, 6
			}
			e.Time, e.TimeText, e.HasTime = t, text, true
		case "host", "source", "sourcetype", "index":
			str, ok := jsonString(v)
			if !ok {
				return e, false, 6
			}
			switch k {
			case "host":
				e.Host = str
			case "source":
				e.Source = str
			case "sourcetype":
				e.Sourcetype = str
			case "index":
				e.Index = str
			}
		case "fields":
			fields, ok := parseFields(v)
			if !ok {
				return e, false, 15
			}
			e.Fields = fields
		case "event":
			e.Event = slices.Clone(v)
		default:
			return e, false, 6
		}
	}
	if e.Event == nil {
		if _, ok := obj["fields"]; ok {
			return e, true, 0 // Splunk skips an object with fields and no event
		}
		return e, false, 12
	}
	switch t := bytes.TrimSpace(e.Event); {
	case string(t) == "null" || string(t) == "false":
		return e, false, 6
	case t[0] == '"':
		if str, _ := jsonString(t); strings.TrimSpace(str) == "" {
			return e, false, 13
		}
	}
	if e.Index != "" && len(tok.Indexes) > 0 && !slices.Contains(tok.Indexes, e.Index) {
		return e, false, 7
	}
	return e, false, 0
}

// jsonString decodes v when it is a JSON string (not null, not a number).
func jsonString(v json.RawMessage) (string, bool) {
	v = bytes.TrimSpace(v)
	var str string
	if len(v) == 0 || v[0] != '"' || json.Unmarshal(v, &str) != nil {
		return "", false
	}
	return str, true
}

// parseTime reads epoch seconds from a number or a numeric string; 13- and
// 19-digit integers are milliseconds and nanoseconds, as Splunk reads them.
func parseTime(v json.RawMessage) (float64, string, bool) {
	text := string(bytes.TrimSpace(v))
	num := text
	if strings.HasPrefix(text, `"`) {
		if json.Unmarshal(v, &num) != nil {
			return 0, text, false
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || strings.ContainsAny(num, "eE") {
		return 0, text, false
	}
	if !strings.Contains(num, ".") {
		switch len(num) {
		case 13:
			f /= 1e3
		case 19:
			f /= 1e9
		}
	}
	return f, text, true
}

// parseFields checks that indexed fields are flat: strings or arrays of
// strings.
func parseFields(v json.RawMessage) (map[string]any, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(v, &obj) != nil || obj == nil {
		return nil, false
	}
	out := make(map[string]any, len(obj))
	for k, fv := range obj {
		if str, ok := jsonString(fv); ok {
			out[k] = str
			continue
		}
		var arr []json.RawMessage
		if json.Unmarshal(fv, &arr) != nil || arr == nil {
			return nil, false
		}
		strs := make([]string, len(arr))
		for i, a := range arr {
			var ok bool
			if strs[i], ok = jsonString(a); !ok {
				return nil, false
			}
		}
		out[k] = strs
	}
	return out, true
}

func parseRaw(body []byte, r *http.Request, tok Token, ch string) ([]Event, int, int) {
	q := r.URL.Query()
	meta := Event{Channel: ch, Raw: true, Host: q.Get("host"), Source: q.Get("source"), Sourcetype: q.Get("sourcetype"), Index: q.Get("index")}
	if meta.Index != "" && len(tok.Indexes) > 0 && !slices.Contains(tok.Indexes, meta.Index) {
		return nil, 0, 7
	}
	var events []Event
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), len(body)+1)
	for sc.Scan() {
		line := bytes.TrimRight(sc.Bytes(), "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		e := meta
		e.Event = slices.Clone(line)
		events = append(events, e)
	}
	if len(events) == 0 {
		return nil, 0, 5
	}
	return events, -1, 0
}

func (s *Server) ack(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w)
		return
	}
	s.ackPolls.Add(1)
	tok, ok := s.auth(w, r)
	if !ok {
		return
	}
	if !tok.UseACK {
		writeCode(w, 14)
		return
	}
	ch, ok := s.channelOf(w, r, tok)
	if !ok {
		return
	}
	var q struct {
		Acks []uint64 `json:"acks"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&q); err != nil || q.Acks == nil {
		writeCode(w, 6)
		return
	}
	s.mu.Lock()
	c := s.channels[ch]
	out := make(map[string]bool, len(q.Acks))
	for _, id := range q.Acks {
		done := c != nil && c.pending[id] && !s.holdAcks
		if done {
			delete(c.pending, id) // answered true once, then forgotten
		}
		out[strconv.FormatUint(id, 10)] = done
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"acks": out})
}

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w)
		return
	}
	if r.URL.Query().Has("token") {
		t, ok := s.tokens[r.URL.Query().Get("token")]
		switch {
		case !ok:
			writeCode(w, 21)
			return
		case t.Disabled:
			writeCode(w, 22)
			return
		}
	}
	s.mu.Lock()
	code := s.health
	if s.busy && code == 17 {
		code = 18
	}
	s.mu.Unlock()
	writeCode(w, code)
}
