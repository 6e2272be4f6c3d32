package engine

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/forwarder/forwarder/event"
)

// TapFilter selects the events a tap sees.
type TapFilter struct {
	// Route taps events as they leave the rules of this route; Sink taps
	// events as they enter this sink (key "type.name"). One of them is set.
	Route, Sink string
	// Sample is the share of matching events to keep, in (0, 1]; 0 means 1.
	Sample float64
	// Rate caps the lines per second (0: 1000); Buffer caps the lines
	// waiting for a slow reader (0: 1000). Beyond either, events are
	// skipped and counted, never waited for.
	Rate, Buffer int
}

// Tap is a live view of events, encoded as NDJSON lines, for `forwarder
// tap`. The pipeline never waits for it.
type Tap struct {
	// C carries one JSON object per line:
	// {"route":…,"sink":…,"event":{…}}.
	C       <-chan []byte
	c       chan []byte
	f       TapFilter
	skipped atomic.Int64
	rt      *Runtime

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// Skipped is how many matching events the tap dropped (rate, sample
// excluded, or a full buffer).
func (t *Tap) Skipped() int64 { return t.skipped.Load() }

// Tap starts a tap; Close ends it.
func (rt *Runtime) Tap(f TapFilter) *Tap {
	if f.Sample <= 0 || f.Sample > 1 {
		f.Sample = 1
	}
	if f.Rate <= 0 {
		f.Rate = 1000
	}
	if f.Buffer <= 0 {
		f.Buffer = 1000
	}
	t := &Tap{c: make(chan []byte, f.Buffer), f: f, rt: rt, tokens: float64(f.Rate), last: time.Now()}
	t.C = t.c
	rt.tapMu.Lock()
	defer rt.tapMu.Unlock()
	taps := append([]*Tap(nil), rt.taps...)
	rt.taps = append(taps, t)
	rt.tapping.Store(int32(len(rt.taps)))
	rt.tapList.Store(&rt.taps)
	return t
}

// Close detaches the tap.
func (t *Tap) Close() {
	rt := t.rt
	rt.tapMu.Lock()
	defer rt.tapMu.Unlock()
	var keep []*Tap
	for _, o := range rt.taps {
		if o != t {
			keep = append(keep, o)
		}
	}
	rt.taps = keep
	rt.tapping.Store(int32(len(keep)))
	rt.tapList.Store(&rt.taps)
}

// tapState is the runtime's part: a count checked once per batch on the
// hot path, so an untapped pipeline pays one atomic load.
type tapState struct {
	tapMu   sync.Mutex
	taps    []*Tap
	tapping atomic.Int32
	tapList atomic.Pointer[[]*Tap]
}

// publish offers items to the taps that match (route or sink).
func (rt *Runtime) publish(route, sink string, items []item) {
	list := rt.tapList.Load()
	if list == nil {
		return
	}
	for _, t := range *list {
		if (route != "" && t.f.Route == route) || (sink != "" && t.f.Sink == sink) {
			t.offer(route, sink, items)
		}
	}
}

func (t *Tap) offer(route, sink string, items []item) {
	for _, it := range items {
		if t.f.Sample < 1 && rand.Float64() >= t.f.Sample {
			t.skipped.Add(1)
			continue
		}
		if !t.take() {
			t.skipped.Add(1)
			continue
		}
		line := []byte(`{"route":`)
		line = event.AppendQuote(line, it.route)
		if sink != "" {
			line = append(line, `,"sink":`...)
			line = event.AppendQuote(line, sink)
		}
		line = append(line, `,"event":`...)
		line = event.AppendJSON(line, it.ev, true)
		line = append(line, "}\n"...)
		select {
		case t.c <- line:
		default:
			t.skipped.Add(1)
		}
	}
}

// take spends one token of the rate limit.
func (t *Tap) take() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	t.tokens = min(float64(t.f.Rate), t.tokens+now.Sub(t.last).Seconds()*float64(t.f.Rate))
	t.last = now
	if t.tokens < 1 {
		return false
	}
	t.tokens--
	return true
}
