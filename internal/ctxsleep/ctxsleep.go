// Package ctxsleep waits for a duration or a context, whichever ends first:
// the one wait every retry, backoff and pacing loop needs.
package ctxsleep

import (
	"context"
	"time"
)

// Sleep waits d or until ctx ends; it reports whether it slept the full time.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
