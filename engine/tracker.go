package engine

import (
	"sync"
	"sync/atomic"
)

// tracker counts the unacknowledged parts of one source batch. Every event
// copy queued to a sink is one part, plus one for the routing itself; when
// the count reaches zero the source's done callback runs, once.
type tracker struct {
	pending atomic.Int64
	mu      sync.Mutex
	err     error
	done    func(error)
}

func newTracker(done func(error)) *tracker {
	t := &tracker{done: done}
	t.pending.Store(1) // the routing part, released when routing ends
	return t
}

func (t *tracker) add(n int) { t.pending.Add(int64(n)) }

// release acknowledges n parts. A non-nil err (the runtime gave up on a part)
// is reported to done instead of success.
func (t *tracker) release(n int, err error) {
	if err != nil {
		t.mu.Lock()
		if t.err == nil {
			t.err = err
		}
		t.mu.Unlock()
	}
	if t.pending.Add(-int64(n)) == 0 {
		t.mu.Lock()
		err := t.err
		t.mu.Unlock()
		t.done(err)
	}
}
