package sls

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	sdk "github.com/aliyun/aliyun-log-go-sdk"

	"github.com/forwarder/forwarder/internal/bytebudget"
	"github.com/forwarder/forwarder/internal/units"
	"github.com/forwarder/forwarder/sources/sls/slswire"
)

// puller issues one shard's PullLogs requests itself and decodes the answers
// with slswire, instead of calling the SDK's PullLogsWithQuery, because
// that call reads the whole body unbounded and allocates the
// x-log-bodyrawsize the server declares before checking it (a broken server
// or an intercepted http:// endpoint that says 2 GB takes the host down),
// and it decodes into SDK structs that are then copied into events. The
// request is the SDK's own: same URL, query and headers, signed by the
// SDK's signer (v1, or v4 when the client asks for it) with the same
// credentials, sent on the client's *http.Client. Every other SLS call still
// goes through the SDK client.
type puller struct {
	hc       *http.Client
	base     string // scheme://project.endpoint
	path     string // /logstores/LS/shards/N
	ua       string
	auth     sdk.AuthVersionType
	region   string
	creds    sdk.CredentialsProvider
	maxCount int   // fetch_log_groups: the most log groups a pull asks for
	perGroup int64 // the last answer with data: its footprint per log group
	query    string
	encoding string
	rd       slswire.Reader
	win      *bytebudget.Budget
}

// minReserve is the least a pull reserves in the window.
const minReserve = 64 << 10

// pullShare is the part of the window one answer should take at most: with
// answers that large, several shards' pulls are in flight at once. SLS
// bounds an answer only by log groups (count) and its own byte cap, so
// large log groups (a producer batching hundreds of logs) would otherwise
// make each answer fill the window alone and the shards take turns.
const pullShare = 4

// firstCount is the most log groups a shard's pulls ask for before an
// answer has shown how large its log groups are: small enough that every
// shard's first answer fits the window together, one round trip more where
// log groups are small.
const firstCount = 10

// pullCount is the count the next pull asks for: fetch_log_groups, or fewer
// when the last answer's footprint per log group says that many would take
// more than 1/pullShare of the window (never fewer than one).
func (p *puller) pullCount() int {
	if p.perGroup <= 0 {
		return min(p.maxCount, firstCount)
	}
	return int(min(max(p.win.Max()/pullShare/p.perGroup, 1), int64(p.maxCount)))
}

// reserve is what a pull of count log groups waits for room for in the
// window before it is sent: the last answer's footprint per log group times
// count, at least minReserve.
func (p *puller) reserve(count int) int64 {
	return max(p.perGroup*int64(count), minReserve)
}

// defaultMaxPullSize is max_pull_size's default. A PullLogs answer of real
// SLS holds at most 1000 log groups and is capped by the server in bytes
// (a few MB; the emulator caps it at 16 MiB), so 64 MiB is far above any
// genuine answer while bounding what a corrupt one can cost.
const defaultMaxPullSize = "64MiB"

func (w *shardWorker) newPuller() *puller {
	cfg := &w.c.src.cfg
	c := w.c.c
	scheme, host := "http://", c.Endpoint
	if s, ok := strings.CutPrefix(host, "https://"); ok {
		scheme, host = "https://", s
	} else {
		host = strings.TrimPrefix(host, "http://")
	}
	maxSize, err := units.ParseSize(cfg.MaxPullSize)
	if err != nil || maxSize <= 0 {
		maxSize, _ = units.ParseSize(defaultMaxPullSize)
	}
	p := &puller{
		hc: c.HTTPClient, base: scheme + cfg.Project + "." + host,
		path: fmt.Sprintf("/logstores/%s/shards/%d", w.c.logstore, w.shard),
		ua:   c.UserAgent, auth: c.AuthVersion, region: c.Region, creds: w.c.src.creds,
		maxCount: cfg.FetchLogGroups, query: cfg.pullQuery(), encoding: "lz4",
		rd:  slswire.Reader{Limits: slswire.Limits{MaxRawSize: int(maxSize), MaxBodySize: int(maxSize)}},
		win: w.c.src.inflight,
	}
	if cfg.Compression == "zstd" {
		p.encoding = "zstd"
	}
	return p
}

// pull reads the log groups after cursor, first waiting for room in the
// source's in_flight_bytes window for about the next answer's footprint
// (the last one's per log group times the count asked for);
// once the answer's headers declare its size, that is reserved (waiting
// again if need be) before the body is read, and the footprint stays
// reserved until release. So the window bounds what all shards hold
// together, even when every shard's first answer is large. SLS errors come
// back as *sdk.Error, as from the SDK; a size over max_pull_size as a
// *slswire.LimitError. Both are retried by the shard loop with backoff.
func (p *puller) pull(ctx context.Context, cursor string) (*slswire.Answer, error) {
	count := p.pullCount()
	if !p.win.WaitRoom(ctx, p.reserve(count)) {
		return nil, ctx.Err()
	}
	a, err := p.request(ctx, cursor, count)
	if err != nil {
		return nil, err
	}
	if a.Count > 0 {
		p.perGroup = max(int64(a.Footprint)/int64(a.Count), 1)
	}
	return a, nil
}

// keepBodyBuffer is the largest compressed-body buffer a shard keeps from
// one answer to the next. Larger ones (backlog answers) are dropped after
// decoding: kept, they would cost every shard its largest answer's body
// for good, outside the window.
const keepBodyBuffer = 256 << 10

// read reserves an answer's bytes from its headers (the body plus twice the
// declared raw size: the decompressed buffer and the event structures),
// reads and decodes it, and settles the reservation to the footprint.
func (p *puller) read(ctx context.Context, resp *http.Response) (*slswire.Answer, error) {
	raw, _ := strconv.ParseInt(resp.Header.Get("X-Log-Bodyrawsize"), 10, 64)
	raw = min(max(raw, 0), int64(p.rd.Limits.MaxRawSize))
	body := min(max(resp.ContentLength, 0), int64(p.rd.Limits.MaxBodySize))
	need := body + 2*raw
	if !p.win.Acquire(ctx, need) {
		return nil, ctx.Err()
	}
	a, err := p.rd.Read(resp.Header, resp.ContentLength, resp.Body)
	if err != nil {
		p.win.Add(-need)
		return nil, err
	}
	if a.BodySize > keepBodyBuffer {
		p.rd = slswire.Reader{Limits: p.rd.Limits}
	}
	p.win.Add(int64(a.Footprint) - need)
	return a, nil
}

// release frees an answer's bytes once its batch is acknowledged.
func (p *puller) release(a *slswire.Answer) {
	if a.Footprint > 0 {
		p.win.Add(-int64(a.Footprint))
	}
}

func (p *puller) request(ctx context.Context, cursor string, count int) (*slswire.Answer, error) {
	q := url.Values{"type": {"logs"}, "cursor": {cursor}, "count": {strconv.Itoa(count)}}
	if p.query != "" {
		q.Set("query", p.query)
		q.Set("pullMode", "scan_on_stream")
	}
	uri := p.path + "?" + q.Encode()
	cr, err := p.creds.GetCredentials()
	if err != nil {
		return nil, fmt.Errorf("PullLogs: credentials: %w", err)
	}
	h := map[string]string{
		"x-log-apiversion": "0.6.0", "x-log-bodyrawsize": "0",
		"Accept": "application/x-protobuf", "Accept-Encoding": p.encoding, "User-Agent": p.ua,
		"Host": p.base, // as the SDK sets it: v4 signs it (without the scheme); never sent
	}
	if cr.SecurityToken != "" {
		h["x-acs-security-token"] = cr.SecurityToken
	}
	now := time.Now().UTC()
	var signer sdk.Signer
	switch p.auth {
	case sdk.AuthV4:
		h["x-log-date"] = now.Format("20060102T150405Z")
		signer = sdk.NewSignerV4(cr.AccessKeyID, cr.AccessKeySecret, p.region)
	case sdk.AuthV0:
		signer = sdk.NewSignerV0()
	default:
		h["Date"] = now.Format("Mon, 02 Jan 2006 15:04:05 GMT")
		signer = sdk.NewSignerV1(cr.AccessKeyID, cr.AccessKeySecret)
	}
	if err := signer.Sign(http.MethodGet, uri, h, nil); err != nil {
		return nil, fmt.Errorf("PullLogs: sign: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+uri, nil)
	if err != nil {
		return nil, fmt.Errorf("PullLogs: %w", err)
	}
	for k, v := range h {
		if k != "Host" {
			req.Header.Set(k, v)
		}
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("PullLogs: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, errorAnswer(resp)
	}
	return p.read(ctx, resp)
}

// errorAnswer turns a non-200 answer into the SDK's error types, reading at
// most 64 KiB of it.
func errorAnswer(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &sdk.Error{}
	if err := json.Unmarshal(b, e); err != nil || e.Code == "" {
		return sdk.NewBadResponseError(string(b), resp.Header, resp.StatusCode)
	}
	e.HTTPCode = int32(resp.StatusCode)
	e.RequestID = resp.Header.Get("x-log-requestid")
	return e
}

// defaultInFlightBytes is in_flight_bytes' default: what one source's pulled
// batches awaiting acknowledgement may hold, across all its shards.
//
// The window (a bytebudget.Budget) bounds the memory (Answer.Footprint) of a
// source's pulled batches awaiting acknowledgement, across all its logstores
// and shards, so memory does not grow with the shard count or the backlog. A
// shard waits for room for its last pull's footprint before pulling, then
// reserves what the answer's headers declare before reading its body, and
// settles to the footprint once it is decoded (see puller.read). When
// nothing is held, any answer may go, so one larger than the window (itself
// bounded by max_pull_size) still progresses.
const defaultInFlightBytes = "32MiB"
