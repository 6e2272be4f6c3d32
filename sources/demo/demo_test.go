package demo

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/sources"
)

var start = time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)

func render(evs []*event.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = string(event.AppendJSON(nil, ev, true))
	}
	return out
}

func generate(seed uint64, n int) []*event.Event {
	g := NewGenerator(seed, start)
	evs := make([]*event.Event, n)
	for i := range evs {
		evs[i] = g.Next()
	}
	return evs
}

func seqOf(t *testing.T, ev *event.Event) int {
	t.Helper()
	v, ok := ev.Get("demo_seq")
	if !ok {
		t.Fatalf("event without demo_seq: %s", event.AppendJSON(nil, ev, true))
	}
	n, err := strconv.Atoi(v.Str())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestGeneratorDeterministic: a seed and a start time fix every event; a
// saved State replays the same events; another seed gives others.
func TestGeneratorDeterministic(t *testing.T) {
	a, b := render(generate(7, 300)), render(generate(7, 300))
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("seed 7, event %d differs:\n%s\n%s", i, a[i], b[i])
		}
	}
	other := render(generate(8, 300))
	same := 0
	for i := range a {
		if a[i] == other[i] {
			same++
		}
	}
	if same > 0 {
		t.Errorf("seeds 7 and 8 share %d of 300 events", same)
	}

	g := NewGenerator(7, start)
	for range 100 {
		g.Next()
	}
	saved := g.State()
	first := render([]*event.Event{g.Next(), g.Next()})
	g.Next()
	g.Restore(saved)
	if again := render([]*event.Event{g.Next(), g.Next()}); again[0] != first[0] || again[1] != first[1] {
		t.Errorf("Restore did not replay:\n%v\n%v", first, again)
	}
	if first[0] != a[100] {
		t.Errorf("event 101 differs from the fresh generator's")
	}
}

// TestGeneratorEvents: demo_seq counts 1, 2, …; time only moves forward;
// all three topics appear; ActionTrail's event field is JSON.
func TestGeneratorEvents(t *testing.T) {
	evs := generate(1, 2000)
	topics := map[string]int{}
	last := start
	for i, ev := range evs {
		if got := seqOf(t, ev); got != i+1 {
			t.Fatalf("event %d has demo_seq %d", i, got)
		}
		if !ev.Time.After(last) {
			t.Fatalf("event %d at %v, not after %v", i, ev.Time, last)
		}
		last = ev.Time
		topics[ev.Topic]++
		if ev.Topic == TopicActionTrail {
			v, ok := ev.Get("event")
			if !ok || !json.Valid([]byte(v.Str())) {
				t.Fatalf("ActionTrail event %d: event field %q is not JSON", i, v.Str())
			}
		}
		if _, ok := ev.Tag("__pack_id__"); !ok {
			t.Fatalf("event %d has no __pack_id__ tag", i)
		}
	}
	for _, topic := range []string{TopicActionTrail, TopicOSS, TopicWAF} {
		if topics[topic] == 0 {
			t.Errorf("no %s event in 2000: %v", topic, topics)
		}
	}
	if topics[TopicActionTrail] < topics[TopicOSS] || topics[TopicActionTrail] < topics[TopicWAF] {
		t.Errorf("ActionTrail should be the most common topic: %v", topics)
	}
}

// output records delivered batches. fail decides, per delivery, whether
// done gets an error (the engine gave the batch back); hold keeps done
// pending until release.
type output struct {
	mu        sync.Mutex
	batches   []*event.Batch
	fail      func(n int) bool
	hold      bool
	held      []func(error)
	inFlight  int
	maxFlight int
}

func (o *output) Deliver(_ context.Context, b *event.Batch, done func(error)) error {
	o.mu.Lock()
	n := len(o.batches)
	o.batches = append(o.batches, b)
	o.inFlight++
	o.maxFlight = max(o.maxFlight, o.inFlight)
	finish := func(err error) {
		o.mu.Lock()
		o.inFlight--
		o.mu.Unlock()
		done(err)
	}
	if o.hold {
		o.held = append(o.held, finish)
		o.mu.Unlock()
		return nil
	}
	failed := o.fail != nil && o.fail(n)
	o.mu.Unlock()
	if failed {
		finish(errors.New("sink retired"))
		return nil
	}
	finish(nil)
	return nil
}

func newSource(t *testing.T, cfg Config) sources.Source {
	t.Helper()
	c := Factory().NewConfig().(*Config)
	c.Count, c.BatchSize, c.Seed, c.Start, c.InFlight = cfg.Count, cfg.BatchSize, cfg.Seed, cfg.Start, cfg.InFlight
	if c.BatchSize == 0 {
		c.BatchSize = 100
	}
	if c.InFlight == 0 {
		c.InFlight = 4
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := Factory().New(c, sources.Settings{Name: "demo.t"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRunCounts: Run emits exactly count events in batches of batch_size
// (the last one the remainder), demo_seq 1…count, and returns by itself.
func TestRunCounts(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, tc := range []struct {
		count, batch int
		sizes        []int
	}{
		{1, 100, []int{1}},
		{250, 100, []int{100, 100, 50}},
		{300, 100, []int{100, 100, 100}},
		{7, 3, []int{3, 3, 1}},
	} {
		out := &output{}
		s := newSource(t, Config{Count: tc.count, BatchSize: tc.batch, Start: start.Format(time.RFC3339)})
		if err := s.Run(context.Background(), out); err != nil {
			t.Fatal(err)
		}
		var sizes []int
		seq := 0
		for _, b := range out.batches {
			sizes = append(sizes, len(b.Events))
			for _, ev := range b.Events {
				seq++
				if got := seqOf(t, ev); got != seq {
					t.Fatalf("count %d: event %d has demo_seq %d", tc.count, seq, got)
				}
			}
		}
		if len(sizes) != len(tc.sizes) {
			t.Fatalf("count %d batch %d: batch sizes %v, want %v", tc.count, tc.batch, sizes, tc.sizes)
		}
		for i := range sizes {
			if sizes[i] != tc.sizes[i] {
				t.Errorf("count %d batch %d: batch sizes %v, want %v", tc.count, tc.batch, sizes, tc.sizes)
				break
			}
		}
	}
}

// TestRunSameEventsBySeed: two runs with one seed and start deliver the
// same events.
func TestRunSameEventsBySeed(t *testing.T) {
	run := func(seed int64) []string {
		out := &output{}
		s := newSource(t, Config{Count: 120, BatchSize: 50, Seed: seed, Start: start.Format(time.RFC3339)})
		if err := s.Run(context.Background(), out); err != nil {
			t.Fatal(err)
		}
		var all []*event.Event
		for _, b := range out.batches {
			all = append(all, b.Events...)
		}
		return render(all)
	}
	a, b, c := run(3), run(3), run(4)
	if len(a) != 120 || len(b) != 120 {
		t.Fatalf("%d and %d events", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("event %d differs between runs with seed 3", i)
		}
	}
	if a[0] == c[0] {
		t.Error("seeds 3 and 4 start with the same event")
	}
}

// TestRunRedeliversRefused: a batch answered with an error is generated
// again, identical, so the events acknowledged are each one exactly once.
func TestRunRedeliversRefused(t *testing.T) {
	out := &output{fail: func(n int) bool { return n == 1 || n == 2 }}
	s := newSource(t, Config{Count: 500, BatchSize: 100, InFlight: 1, Start: start.Format(time.RFC3339)})
	if err := s.Run(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	if len(out.batches) != 7 {
		t.Fatalf("%d deliveries, want 5 batches and 2 redeliveries", len(out.batches))
	}
	if a, b := render(out.batches[1].Events), render(out.batches[2].Events); a[0] != b[0] || a[99] != b[99] {
		t.Error("the redelivered batch differs from the refused one")
	}
	seen := map[int]int{}
	for i, b := range out.batches {
		if i == 1 || i == 2 {
			continue // refused
		}
		for _, ev := range b.Events {
			seen[seqOf(t, ev)]++
		}
	}
	for seq := 1; seq <= 500; seq++ {
		if seen[seq] != 1 {
			t.Fatalf("demo_seq %d acknowledged %d times", seq, seen[seq])
		}
	}
}

// TestRunStopsOnContext: without a count Run goes on until ctx ends, keeps
// at most in_flight batches unacknowledged, and returns only once the
// batches in flight are answered.
func TestRunStopsOnContext(t *testing.T) {
	defer goleak.VerifyNone(t)
	out := &output{hold: true}
	s := newSource(t, Config{BatchSize: 10, InFlight: 3})
	ctx, cancel := context.WithCancel(context.Background())
	ret := make(chan error, 1)
	go func() { ret <- s.Run(ctx, out) }()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		out.mu.Lock()
		n := len(out.held)
		out.mu.Unlock()
		if n == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d batches delivered, want 3", n)
		}
	}
	cancel()
	select {
	case err := <-ret:
		t.Fatalf("Run returned (%v) with 3 batches unanswered", err)
	case <-time.After(50 * time.Millisecond):
	}
	out.mu.Lock()
	held, maxFlight, delivered := out.held, out.maxFlight, len(out.batches)
	out.mu.Unlock()
	if maxFlight != 3 || delivered != 3 {
		t.Errorf("%d delivered, %d in flight at most; want 3 and 3", delivered, maxFlight)
	}
	for _, done := range held {
		done(nil)
	}
	if err := <-ret; err != nil {
		t.Errorf("Run = %v, want nil after ctx ended", err)
	}
}

// TestValidate: the attributes' bounds.
func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		attr string // "" for valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"count", func(c *Config) { c.Count = -1 }, "count"},
		{"rate", func(c *Config) { c.Rate = -1 }, "rate"},
		{"batch_size 0", func(c *Config) { c.BatchSize = 0 }, "batch_size"},
		{"batch_size too big", func(c *Config) { c.BatchSize = 10001 }, "batch_size"},
		{"in_flight", func(c *Config) { c.InFlight = 0 }, "in_flight"},
		{"start", func(c *Config) { c.Start = "yesterday" }, "start"},
		{"start ok", func(c *Config) { c.Start = "2026-11-24T08:00:00Z" }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Factory().NewConfig().(*Config)
			tc.edit(c)
			err := c.Validate()
			if tc.attr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !containsAttr(err, tc.attr) {
				t.Errorf("Validate = %v, want an error on %s", err, tc.attr)
			}
		})
	}
}

func containsAttr(err error, attr string) bool {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var ae *plugin.AttrError
		if errors.As(e, &ae) && ae.Attr == attr {
			return true
		}
	}
	return false
}
