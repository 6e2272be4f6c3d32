package engine

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/forwarder/forwarder/engine/event"
	"github.com/forwarder/forwarder/engine/plan"
	"github.com/forwarder/forwarder/rules"
)

// snapshot is one applied plan with its resolved runners. Deliver loads the
// current snapshot once per batch and routes the whole batch under it.
type snapshot struct {
	plan     *plan.Plan
	bySource map[string][]*routeRT
	pins     atomic.Int64 // Deliver calls routing under this snapshot
	retired  atomic.Bool
}

type routeRT struct {
	route      *plan.Route
	to         []*sinkRunner
	deadLetter *sinkRunner
	clone      bool // the route changes events that other routes also see
	passed     prometheus.Counter
	filtered   prometheus.Counter
	failed     prometheus.Counter
	dropped    prometheus.Counter
}

// output is the sources.Output the runtime binds to one source.
type output struct {
	rt      *Runtime
	source  string
	in, inB prometheus.Counter
}

var runners = sync.Pool{New: func() any { return rules.NewRunner() }}

// pin loads the current snapshot and marks it in use; the caller
// decrements pins when it is done routing.
func (rt *Runtime) pin() *snapshot {
	for {
		s := rt.cur.Load()
		if s == nil {
			return nil
		}
		s.pins.Add(1)
		if !s.retired.Load() {
			return s
		}
		s.pins.Add(-1)
	}
}

// errNoPlan is returned by Deliver before the first Apply.
var errNoPlan = errors.New("engine: no plan applied")

// Deliver routes b under the current snapshot and queues each kept event to
// its route's sinks. See sources.Output.
func (o *output) Deliver(ctx context.Context, b *event.Batch, done func(error)) error {
	snap := o.rt.pin()
	if snap == nil {
		done(errNoPlan)
		return errNoPlan
	}
	defer snap.pins.Add(-1)
	o.in.Add(float64(len(b.Events)))
	o.inB.Add(float64(b.RawSize()))

	t := newTracker(done)
	routes := snap.bySource[o.source]
	run := runners.Get().(*rules.Runner)
	defer runners.Put(run)
	for _, r := range routes {
		var kept []item
		for _, ev := range b.Events {
			if r.clone {
				ev = ev.Clone()
			}
			out, err := run.Run(r.route.Rules, ev)
			switch out {
			case rules.Pass:
				kept = append(kept, item{ev: ev, t: t, dl: r.deadLetter, route: r.route.Name})
			case rules.Filtered:
				r.filtered.Inc()
			case rules.Dropped:
				r.dropped.Inc()
			case rules.Failed:
				r.failed.Inc()
				t.add(1)
				deadLetter(item{ev: ev, t: t, dl: r.deadLetter, route: r.route.Name}, err.Error(), o.rt.log, o.rt.lostRule)
			}
		}
		r.passed.Add(float64(len(kept)))
		if len(kept) == 0 {
			continue
		}
		for i, s := range r.to {
			items := kept
			if i < len(r.to)-1 {
				items = append([]item(nil), kept...)
			}
			t.add(len(items))
			if err := s.enqueue(ctx, items); err != nil {
				// Not queued: take the parts back and fail the batch; the
				// source will not checkpoint it.
				t.release(len(items), err)
				t.release(1, err)
				return err
			}
		}
	}
	t.release(1, nil)
	return nil
}
