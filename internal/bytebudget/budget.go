// Package bytebudget bounds memory in bytes: holders (a source's pulled
// batches, a sink's queue) reserve what they keep and release it when done,
// and a reservation waits while the budget is full. It is how backpressure
// is counted in bytes rather than in pulls or events.
package bytebudget

import (
	"context"
	"sync"
)

// Budget is a byte count with a ceiling. When nothing is held, any
// reservation is admitted, so one item larger than the budget still
// progresses instead of waiting forever. Safe for concurrent use.
type Budget struct {
	mu   sync.Mutex
	wake chan struct{} // closed when bytes are released while someone waits
	wait int           // reservations waiting
	used int64
	max  int64
}

// New returns a budget of max bytes.
func New(max int64) *Budget { return &Budget{wake: make(chan struct{}), max: max} }

// TryAcquire reserves n bytes if they fit now (or nothing is held).
func (b *Budget) TryAcquire(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used == 0 || b.used+n <= b.max {
		b.used += n
		return true
	}
	return false
}

// Acquire reserves n bytes, waiting while they do not fit; false when ctx
// ended first (nothing is then reserved).
func (b *Budget) Acquire(ctx context.Context, n int64) bool {
	for {
		b.mu.Lock()
		if b.used == 0 || b.used+n <= b.max {
			b.used += n
			b.mu.Unlock()
			return true
		}
		b.wait++
		wake := b.wake
		b.mu.Unlock()
		select {
		case <-wake:
			b.mu.Lock()
			b.wait--
			b.mu.Unlock()
		case <-ctx.Done():
			b.mu.Lock()
			b.wait--
			b.mu.Unlock()
			return false
		}
	}
}

// WaitRoom waits until n bytes would fit (or nothing is held), reserving
// nothing: a holder that learns its size later checks for room first. False
// when ctx ended first.
func (b *Budget) WaitRoom(ctx context.Context, n int64) bool {
	if !b.Acquire(ctx, n) {
		return false
	}
	b.mu.Lock()
	b.used -= n // taken back without waking anyone: nothing was released
	b.mu.Unlock()
	return true
}

// Add changes the reserved bytes by n without waiting (a holder settling an
// estimate); a negative n releases and wakes the waiters.
func (b *Budget) Add(n int64) {
	b.mu.Lock()
	b.used += n
	if n < 0 && b.wait > 0 {
		close(b.wake)
		b.wake = make(chan struct{})
	}
	b.mu.Unlock()
}

// Held is how many bytes are reserved now.
func (b *Budget) Held() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// Max is the budget's ceiling.
func (b *Budget) Max() int64 { return b.max }
