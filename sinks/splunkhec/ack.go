package splunkhec

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/forwarder/forwarder/sinks"
)

// maxAckQuery bounds the ids asked in one ack query; the rest wait for the
// next tick.
const maxAckQuery = 10000

// acker is the one indexer-ack poller of a sink's channel. Concurrent
// WriteBatch calls register the ackIds of their requests; every poll
// interval it asks HEC about all pending ids in one query and wakes the
// waiters whose id came back true. HEC forgets an id once it has answered
// true, so the answer is recorded at once.
type acker struct {
	s        *Sink
	interval time.Duration
	ctx      context.Context
	cancel   context.CancelFunc
	done     chan struct{}

	mu      sync.Mutex
	pending map[uint64]*ackWaiter // nil once closed
	fails   int                   // consecutive failed polls, for log throttling
}

// ackWaiter is closed when its id's fate is known; acked says whether HEC
// confirmed it.
type ackWaiter struct {
	done  chan struct{}
	acked bool
}

func newAcker(s *Sink, interval time.Duration) *acker {
	ctx, cancel := context.WithCancel(context.Background())
	a := &acker{s: s, interval: interval, ctx: ctx, cancel: cancel, done: make(chan struct{}), pending: map[uint64]*ackWaiter{}}
	go a.run()
	return a
}

// register returns the waiter of ackId id. An id already pending means HEC
// reset the channel (a restart numbers from 0 again): the old request's ack
// is lost, so its waiter is released unacked and its batch resent.
func (a *acker) register(id uint64) *ackWaiter {
	w := &ackWaiter{done: make(chan struct{})}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.pending == nil {
		close(w.done)
		return w
	}
	if old := a.pending[id]; old != nil {
		close(old.done)
	}
	a.pending[id] = w
	return w
}

// forget drops a waiter that gave up.
func (a *acker) forget(id uint64, w *ackWaiter) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.pending[id] == w {
		delete(a.pending, id)
	}
}

// close stops the poller and releases every waiter unacked.
func (a *acker) close(ctx context.Context) error {
	a.cancel()
	select {
	case <-a.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("ack poller did not stop: %w", ctx.Err())
	}
}

func (a *acker) run() {
	defer close(a.done)
	defer func() {
		a.mu.Lock()
		for _, w := range a.pending {
			close(w.done)
		}
		a.pending = nil
		a.mu.Unlock()
	}()
	t := time.NewTicker(a.interval)
	defer t.Stop()
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-t.C:
			a.poll()
		}
	}
}

// poll asks HEC about the pending ids once. Only the waiters asked about
// are woken, so an id re-registered meanwhile (a channel reset) is not
// confirmed by an answer about its predecessor.
func (a *acker) poll() {
	a.mu.Lock()
	asked := make(map[uint64]*ackWaiter, min(len(a.pending), maxAckQuery))
	ids := make([]uint64, 0, len(a.pending))
	for id := range a.pending {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	ids = ids[:min(len(ids), maxAckQuery)]
	for _, id := range ids {
		asked[id] = a.pending[id]
	}
	a.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	acked, err := a.query(ids)
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		a.fails++
		if a.fails == 1 || a.fails%60 == 0 {
			a.s.log.Warn("indexer ack query failed", "error", err, "pending", len(a.pending), "failures", a.fails)
		}
		return
	}
	a.fails = 0
	for _, id := range acked {
		if w := a.pending[id]; w != nil && w == asked[id] {
			w.acked = true
			close(w.done)
			delete(a.pending, id)
		}
	}
}

// query POSTs {"acks":[ids]} to the ack endpoint on the sink's channel and
// returns the ids HEC answered true.
func (a *acker) query(ids []uint64) ([]uint64, error) {
	client, _ := a.s.conn()
	if client == nil {
		return nil, sinks.ErrNotConnected
	}
	body := append(make([]byte, 0, 16+8*len(ids)), `{"acks":[`...)
	for i, id := range ids {
		if i > 0 {
			body = append(body, ',')
		}
		body = strconv.AppendUint(body, id, 10)
	}
	body = append(body, "]}"...)
	req, err := http.NewRequestWithContext(a.ctx, http.MethodPost, a.s.ackURL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = a.s.header.Clone()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Del("Content-Encoding")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	rep, data, err := a.s.readReplyBody(resp)
	if err != nil {
		return nil, err
	}
	if rep.status != http.StatusOK {
		return nil, rep.err()
	}
	var status struct {
		Acks map[string]bool `json:"acks"`
	}
	if err := json.Unmarshal(data, &status); err != nil || status.Acks == nil {
		return nil, fmt.Errorf("malformed ack reply: %q", a.s.scrub(string(data)))
	}
	var acked []uint64
	for k, ok := range status.Acks {
		id, err := strconv.ParseUint(k, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("malformed ack reply: id %q", a.s.scrub(k))
		}
		if ok {
			acked = append(acked, id)
		}
	}
	return acked, nil
}
