package sls_test

import (
	"path/filepath"
	"testing"
	"time"
)

// TestInvalidCursorResets: the data behind a checkpoint expires (TTL) while
// no forwarder runs. On restart the pull gets InvalidCursor; the source
// resets to the oldest retained data with an ERROR and a metric, instead of retrying the
// dead cursor forever (SDK bug B2), and new data flows again.
func TestInvalidCursorResets(t *testing.T) {
	const first, unread, third = 3000, 2000, 1000
	emu := emulator(t, "ttl", 2, first)
	out := filepath.Join(t.TempDir(), "out.ndjson")
	hcl := sourceHCL(emu.Endpoint(), "ttl", out, "")
	rt := startRuntime(t, hcl)
	waitFor(t, "the first events", 30*time.Second, func() bool { return sent(rt) >= first })
	waitFor(t, "checkpoints", 10*time.Second, func() bool {
		g, err := emu.Group(project, "ttl", "siem-file-out")
		if err != nil {
			return false
		}
		n := 0
		for _, cp := range g.Checkpoints {
			if cp.Checkpoint != "" {
				n++
			}
		}
		return n == 2
	})
	shutdown(rt)
	// Data arrives while no forwarder runs and expires unread: the
	// checkpoint now points before the shards' new beginning.
	fill(t, emu, "ttl", 2, unread)
	if n, err := emu.ExpireAll(project, "ttl"); err != nil || n == 0 {
		t.Fatalf("expire: %d groups, %v", n, err)
	}
	fill(t, emu, "ttl", 2, third)
	rt = startRuntime(t, hcl)
	defer shutdown(rt)
	waitFor(t, "events after the reset", 30*time.Second, func() bool { return sent(rt) >= third })
	if got := cursorResets(t, rt, "sls.audit"); got < 1 {
		t.Errorf("cursor resets = %v, want at least 1", got)
	}
}
