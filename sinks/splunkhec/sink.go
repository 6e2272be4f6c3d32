// Package splunkhec is the Splunk HTTP Event Collector sink.
//
// It encodes a batch into one pooled buffer (one envelope per event, see
// encoder), optionally gzips it, POSTs it over a keep-alive HTTP client and
// maps HEC's reply to per-event outcomes for the engine:
//
//   - 200: every event accepted; with indexer_ack, accepted once HEC's ack
//     query says true, else all Retry after ack_timeout.
//   - 400 with invalid-event-number N (codes 6, 7, 12, 13, 15): events before
//     N were indexed (OK), event N is Rejected with HEC's code and text, the
//     rest are Retry.
//   - 400 for the request's data without an event number (codes 5, 6, 7, 12,
//     13, 15): every event is Rejected.
//   - 413: the batch is split in halves, recursively; a single event still
//     too large is Rejected.
//   - anything else (401/403 token errors, 400 channel and ack codes, 429,
//     5xx, code 9 busy, network errors, replies that are not HEC's): a plain
//     error, so the engine retries the whole batch with backoff. Data is
//     never dropped unless HEC said the data itself is invalid.
//
// The sink has no retry loop of its own; the engine owns retries.
package splunkhec

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/sinks"
)

// MaxInFlight is the default number of concurrent WriteBatch calls. HEC
// takes concurrent requests on one channel; each uses its own keep-alive
// connection.
const MaxInFlight = 4

// Factory returns the splunk_hec factory for the sink registry.
func Factory() sinks.Factory {
	f := sinks.NewFactory(Type, NewConfig, New)
	f.MaxInFlight = MaxInFlight
	// 1 MiB before compression: Splunk Cloud documents a 1 MB request limit.
	f.Batch = sinks.BatchDefaults{MaxEvents: 500, MaxBytes: 1 << 20}
	return f
}

// Sink sends events to one HEC endpoint. It is safe for concurrent
// WriteBatch calls.
type Sink struct {
	name      string
	log       *slog.Logger
	cfg       Config
	set       *settings
	enc       *encoder
	postURL   string
	ackURL    string
	healthURL string
	header    http.Header // Authorization, channel, content headers
	token     string      // only to scrub it from server text
	channel   string

	mu     sync.Mutex
	client *http.Client
	tr     *http.Transport
	acks   *acker

	warnedNoAckID atomic.Bool
}

var _ sinks.Sink = (*Sink)(nil)

// New builds a sink from a config. It does no I/O: the HTTP client and TLS
// files are set up by Connect.
func New(c *Config, set sinks.Settings) (*Sink, error) {
	name := set.Name
	if name == "" {
		name = Type
	}
	st, err := c.settings()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	log := set.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	channel := c.Channel
	if channel == "" {
		channel = newGUID()
	}
	s := &Sink{
		name:    name,
		log:     log,
		cfg:     *c,
		set:     st,
		enc:     newEncoder(c, st.raw),
		token:   c.Token.Reveal(),
		channel: channel,
	}
	post := *st.base
	post.Path = st.base.Path + st.postPath
	if st.raw {
		q := url.Values{}
		for _, kv := range [][2]string{{"index", c.Index}, {"sourcetype", c.Sourcetype}, {"source", c.Source}, {"host", c.Host}} {
			if kv[1] != "" {
				q.Set(kv[0], kv[1])
			}
		}
		post.RawQuery = q.Encode()
	}
	s.postURL = post.String()
	ack := *st.base
	ack.Path = st.base.Path + "/services/collector/ack"
	s.ackURL = ack.String()
	health := *st.base
	health.Path = st.base.Path + "/services/collector/health"
	s.healthURL = health.String()

	s.header = http.Header{
		"Authorization":            {"Splunk " + s.token},
		"X-Splunk-Request-Channel": {channel},
		"User-Agent":               {"forwarder"},
	}
	if st.raw {
		s.header.Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		s.header.Set("Content-Type", "application/json")
	}
	if st.gzipLevel > 0 {
		s.header.Set("Content-Encoding", "gzip")
	}
	return s, nil
}

// Channel returns the X-Splunk-Request-Channel GUID the sink sends. It is
// sent on every request, with or without indexer_ack: a token with useACK
// refuses requests without one (code 10).
func (s *Sink) Channel() string { return s.channel }

func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// Connect builds the keep-alive HTTP client (reading the TLS files) and
// checks /services/collector/health, so an unreachable server, a failed TLS
// verification or a full HEC queue (503) surface here. Other replies of the
// health endpoint (a proxy without it) are accepted. Calling Connect again
// replaces the client.
func (s *Sink) Connect(ctx context.Context) error {
	var tlsCfg *tls.Config
	if s.set.base.Scheme == "https" {
		t := s.cfg.TLS
		if t == nil {
			t = &plugin.TLS{}
		}
		var err error
		if tlsCfg, err = t.Build(); err != nil {
			return fmt.Errorf("tls: %w", err) // the engine names the sink and the step
		}
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     tlsCfg,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConns:        s.cfg.MaxIdleConns,
		MaxIdleConnsPerHost: s.cfg.MaxIdleConns,
		// Below the 60 s idle timeout of common load balancers, so a
		// connection they closed is not reused.
		IdleConnTimeout:       50 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
	client := &http.Client{
		Transport: tr,
		Timeout:   s.set.timeout,
		// A redirect would carry the token elsewhere; report it instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if err := s.checkHealth(ctx, client); err != nil {
		tr.CloseIdleConnections()
		return err // "health: …"; the engine names the sink and the step
	}
	s.mu.Lock()
	old := s.tr
	s.client, s.tr = client, tr
	if s.cfg.IndexerAck && s.acks == nil {
		s.acks = newAcker(s, s.set.ackPollInterval)
	}
	s.mu.Unlock()
	if old != nil {
		old.CloseIdleConnections()
	}
	return nil
}

func (s *Sink) checkHealth(ctx context.Context, client *http.Client) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.healthURL, nil)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	req.Header.Set("User-Agent", "forwarder")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	rep, err := s.readReply(resp)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	switch {
	case rep.status == http.StatusServiceUnavailable:
		return fmt.Errorf("health: %w", rep.err())
	case rep.status != http.StatusOK:
		s.log.Debug("HEC health endpoint did not answer 200; continuing", "status", rep.status)
	}
	return nil
}

// Close stops the ack poller and closes idle connections. It is idempotent
// and safe without Connect. Batches waiting for an ack get Retry.
func (s *Sink) Close(ctx context.Context) error {
	s.mu.Lock()
	a, tr := s.acks, s.tr
	s.acks, s.client, s.tr = nil, nil, nil
	s.mu.Unlock()
	if a != nil {
		if err := a.close(ctx); err != nil {
			return fmt.Errorf("%s: close: %w", s.name, err)
		}
	}
	if tr != nil {
		tr.CloseIdleConnections()
	}
	return nil
}

func (s *Sink) conn() (*http.Client, *acker) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.client, s.acks
}

// WriteBatch encodes events, sends them and maps HEC's replies to outcomes
// (see the package documentation).
func (s *Sink) WriteBatch(ctx context.Context, events []*event.Event) error {
	if len(events) == 0 {
		return nil
	}
	client, acks := s.conn()
	if client == nil {
		return fmt.Errorf("%s: %w", s.name, sinks.ErrNotConnected)
	}
	bb := getBuffer()
	w := batchWrite{s: s, client: client, acks: acks, n: len(events)}
	defer func() {
		if !w.abandoned {
			putBuffer(bb)
		}
	}()
	w.offs = append(bb.offs[:0], 0)
	body := bb.b
	for _, e := range events {
		body = s.enc.appendEvent(body, e)
		w.offs = append(w.offs, len(body))
	}
	w.body, w.z = body, bb.z
	err := w.send(ctx, 0, len(events))
	bb.b, bb.offs, bb.z = w.body, w.offs, w.z

	if err != nil {
		if w.next == 0 && len(w.pending) == 0 {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		w.mark(w.next, w.n, sinks.Retry, "not accepted: "+err.Error())
		w.err = err
	}
	w.waitAcks(ctx)
	if w.res == nil {
		return nil
	}
	if w.err != nil {
		w.err = fmt.Errorf("%s: %w", s.name, w.err)
	}
	return &sinks.BatchError{Results: w.res, Err: w.err}
}

// batchWrite is the state of one WriteBatch: the encoded events, their
// offsets and the outcomes so far. Events are sent in order, so every event
// before next has an outcome (or a pending ack).
type batchWrite struct {
	s       *Sink
	client  *http.Client
	acks    *acker
	n       int
	body    []byte
	offs    []int // offs[i] is where event i starts; offs[n] is the end
	z       []byte
	res     []sinks.Result // nil while every outcome is OK
	next    int
	pending []pendingAck
	err     error // first error to report with the results
	// abandoned says a request body may still be read by the transport,
	// so the buffers must not go back to the pool.
	abandoned bool
}

type pendingAck struct {
	id     uint64
	lo, hi int
	w      *ackWaiter
	since  time.Time
}

// mark sets the outcome of events [lo,hi).
func (w *batchWrite) mark(lo, hi int, o sinks.Outcome, reason string) {
	if o == sinks.OK || lo >= hi {
		return
	}
	if w.res == nil {
		w.res = make([]sinks.Result, w.n)
	}
	for i := lo; i < hi; i++ {
		w.res[i] = sinks.Result{Outcome: o, Reason: reason}
	}
}

// Codes of 400 replies that are about the data sent: the event is rejected.
// The other 400 codes (10, 11, 14, 16) are configuration faults.
func dataCode(code int) bool {
	switch code {
	case 5, 6, 7, 12, 13, 15:
		return true
	}
	return false
}

// send posts events [lo,hi), all of them after the events sent before. A
// returned error means the range was not accepted and must be retried (with
// everything after it); outcomes for the range are recorded otherwise.
func (w *batchWrite) send(ctx context.Context, lo, hi int) error {
	rep, err := w.post(ctx, lo, hi)
	if err != nil {
		return err
	}
	switch {
	case rep.status == http.StatusOK:
		w.accepted(lo, hi, rep)
		return nil
	case rep.status == http.StatusRequestEntityTooLarge:
		if hi-lo == 1 {
			w.mark(lo, hi, sinks.Reject, fmt.Sprintf("event of %d bytes is larger than HEC accepts (413 Request Entity Too Large)", w.offs[hi]-w.offs[lo]))
			w.next = hi
			return nil
		}
		mid := lo + (hi-lo)/2
		if err := w.send(ctx, lo, mid); err != nil {
			return err
		}
		return w.send(ctx, mid, hi)
	case rep.status == http.StatusBadRequest && rep.code != nil && dataCode(*rep.code):
		reason := fmt.Sprintf("HEC code %d: %s", *rep.code, rep.text)
		if rep.invalidEvent == nil {
			w.mark(lo, hi, sinks.Reject, reason)
			w.err = rep.err()
			w.next = hi
			return nil
		}
		// HEC indexed every object before the invalid one and none after.
		bad := lo + *rep.invalidEvent
		if *rep.invalidEvent < 0 || bad >= hi {
			return fmt.Errorf("post: malformed reply: invalid-event-number %d for a request of %d events", *rep.invalidEvent, hi-lo)
		}
		w.mark(bad, bad+1, sinks.Reject, reason)
		w.mark(bad+1, hi, sinks.Retry, fmt.Sprintf("not processed: HEC stopped at an invalid event (code %d)", *rep.code))
		if w.err == nil {
			w.err = rep.err()
		}
		w.accepted(lo, bad, rep)
		w.next = hi
		return nil
	default:
		return rep.err()
	}
}

// accepted records that HEC took events [lo,hi); with indexer_ack they wait
// for the ack of the reply's ackId.
func (w *batchWrite) accepted(lo, hi int, rep *reply) {
	w.next = hi
	if w.acks == nil || lo >= hi {
		return
	}
	if rep.ackID == nil {
		if !w.s.warnedNoAckID.Swap(true) {
			w.s.log.Warn("indexer_ack is on but HEC's reply has no ackId; counting 200 as delivered. Is useACK enabled on the token?")
		}
		return
	}
	w.pending = append(w.pending, pendingAck{id: *rep.ackID, lo: lo, hi: hi, w: w.acks.register(*rep.ackID), since: time.Now()})
}

// waitAcks waits for every pending ack; a range not acknowledged within
// ack_timeout (or before ctx ends or the sink closes) is marked Retry.
func (w *batchWrite) waitAcks(ctx context.Context) {
	if len(w.pending) == 0 {
		return
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for _, p := range w.pending {
		timer.Reset(time.Until(p.since.Add(w.s.set.ackTimeout)))
		var reason string
		select {
		case <-p.w.done:
			if p.w.acked {
				continue
			}
			reason = "indexer ack lost: the channel was reset or the sink closed"
		case <-timer.C:
			reason = fmt.Sprintf("not acknowledged by HEC within ack_timeout %s", w.s.set.ackTimeout)
		case <-ctx.Done():
			reason = "not acknowledged: " + ctx.Err().Error()
		}
		w.acks.forget(p.id, p.w)
		w.mark(p.lo, p.hi, sinks.Retry, reason)
		if w.err == nil {
			w.err = errors.New(reason)
		}
	}
}

// post sends events [lo,hi) and reads HEC's reply.
func (w *batchWrite) post(ctx context.Context, lo, hi int) (*reply, error) {
	body := w.body[w.offs[lo]:w.offs[hi]]
	if lvl := w.s.set.gzipLevel; lvl > 0 {
		w.z = appendGzip(w.z[:0], body, lvl)
		body = w.z
	}
	rb := &requestBody{Reader: bytes.NewReader(body), closed: make(chan struct{})}
	defer w.awaitClose(rb)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.s.postURL, rb)
	if err != nil {
		return nil, fmt.Errorf("post: %w", err)
	}
	req.ContentLength = int64(len(body))
	req.Header = w.s.header.Clone()
	resp, err := w.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("post: %w", err)
	}
	rep, err := w.s.readReply(resp)
	if err != nil {
		return nil, fmt.Errorf("post: %w", err)
	}
	return rep, nil
}

// requestBody is a request body that tells when the transport is done with
// it. The transport may still be writing a body after the reply came (HEC
// answers 413 before reading it all), so its buffer is reused only after
// Close.
type requestBody struct {
	*bytes.Reader
	once   sync.Once
	closed chan struct{}
}

func (b *requestBody) Close() error {
	b.once.Do(func() { close(b.closed) })
	return nil
}

// awaitClose waits until the transport has closed rb. If it has not within
// the request timeout, the batch's buffers are abandoned to it rather than
// reused.
func (w *batchWrite) awaitClose(rb *requestBody) {
	select {
	case <-rb.closed:
		return
	default:
	}
	t := time.NewTimer(w.s.set.timeout)
	defer t.Stop()
	select {
	case <-rb.closed:
	case <-t.C:
		w.s.log.Warn("HTTP transport still holds a request body; dropping the buffer")
		w.abandoned = true
		w.z = nil
	}
}

// Reply bodies are small JSON objects; more than this is not HEC talking.
const (
	maxReply = 64 << 10
	maxDrain = 256 << 10
)

// reply is HEC's answer: {"text":"Success","code":0,"ackId":7} or
// {"text":"Invalid data format","code":6,"invalid-event-number":2}.
type reply struct {
	status       int
	text         string
	code         *int
	invalidEvent *int
	ackID        *uint64
}

func (s *Sink) readReply(resp *http.Response) (*reply, error) {
	rep, _, err := s.readReplyBody(resp)
	return rep, err
}

// readReplyBody reads and closes resp's body and parses HEC's reply; it
// returns the body too, for replies of other shapes (ack status).
func (s *Sink) readReplyBody(resp *http.Response) (*reply, []byte, error) {
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return nil, nil, fmt.Errorf("read reply (status %d): %w", resp.StatusCode, err)
	}
	_, _ = io.CopyN(io.Discard, resp.Body, maxDrain) // lets the connection be reused
	rep := &reply{status: resp.StatusCode}
	var body struct {
		Text         string  `json:"text"`
		Code         *int    `json:"code"`
		InvalidEvent *int    `json:"invalid-event-number"`
		AckID        *uint64 `json:"ackId"`
	}
	if json.Unmarshal(data, &body) == nil {
		rep.text, rep.code, rep.invalidEvent, rep.ackID = body.Text, body.Code, body.InvalidEvent, body.AckID
	} else {
		rep.text = string(data)
	}
	rep.text = s.scrub(rep.text)
	return rep, data, nil
}

// scrub makes server text safe to log: the token (should a server echo it)
// is replaced, control characters are dropped and the length is bounded.
func (s *Sink) scrub(text string) string {
	if s.token != "" {
		text = strings.ReplaceAll(text, s.token, "REDACTED")
	}
	text = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.TrimSpace(text))
	if len(text) > 200 {
		text = strings.ToValidUTF8(text[:200], "") + "…"
	}
	return text
}

func (r *reply) err() error {
	e := &ReplyError{Status: r.status, Code: -1, Text: r.text}
	if r.code != nil {
		e.Code = *r.code
	}
	return e
}

// ReplyError is an HEC reply that is not a success. The engine sees it
// wrapped in the error WriteBatch returns; errors.As finds it.
type ReplyError struct {
	// Status is the HTTP status.
	Status int
	// Code is HEC's code, or -1 when the reply was not HEC's JSON (a proxy).
	Code int
	// Text is HEC's text (or the start of the body), without control
	// characters and never with the token.
	Text string
}

func (e *ReplyError) Error() string {
	if e.Code >= 1 && e.Code <= 4 {
		return fmt.Sprintf("HEC rejected the token (code %d): %s", e.Code, e.Text)
	}
	msg := fmt.Sprintf("HEC answered %d %s", e.Status, http.StatusText(e.Status))
	if e.Code >= 0 {
		msg += fmt.Sprintf(" (code %d)", e.Code)
	}
	if e.Text != "" {
		msg += ": " + e.Text
	}
	return msg
}
