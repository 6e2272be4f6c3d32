package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/forwarder/forwarder/internal/units"
	"github.com/forwarder/forwarder/plan"
	"github.com/forwarder/forwarder/sources"
)

// The memory model. Memory in use is bounded by what the process holds,
// not by the backlog, and every holder is bounded in bytes:
//
//   - each lane of an SLS source: in_flight_bytes (32MiB), pulled batches
//     awaiting acknowledgement (decompressed bytes plus event structures);
//   - each sink: buffer_bytes (16MiB), the memory of the events it holds
//     (queued, batched, being written or retried), and the request bodies
//     of its writes, in_flight × batch.max_bytes but at most buffer_bytes
//     (a body encodes events the buffer already counts);
//   - the runtime: goroutine stacks, per-shard read buffers and
//     connections, compiled rules, metrics (runtimeAllowance).
//
// --memory-limit=auto (the default) sets the Go runtime's soft memory limit
// (debug.SetMemoryLimit) to gcHeadroom × the holders' sum plus the runtime
// allowance: the collector then has room for garbage of up to twice the
// live bound before it must work harder, so GOGC's high default (400) costs
// no memory under pressure and little CPU otherwise. With the defaults (one
// SLS lane, one HEC sink) that is 220MiB, which keeps peak RSS (adding code
// and pages not yet returned) under 256 MiB. A cgroup limit (containers)
// lowers it to 90% of memory.max; GOMEMLIMIT, when set, wins.
const cgroupMemoryMax = "/sys/fs/cgroup/memory.max"

const (
	gcHeadroom       = 3
	runtimeAllowance = 64 << 20
)

// memBudget is what a plan's holders may keep in memory, in bytes.
type memBudget struct {
	Sources int64 // Σ over source lanes of in_flight_bytes (sources.MemoryConfig)
	Buffers int64 // Σ over sinks of buffer_bytes
	Bodies  int64 // Σ over sinks of min(in_flight × batch.max_bytes, buffer_bytes)
}

// planBudget adds up the holders of p.
func planBudget(p *plan.Plan) memBudget {
	var b memBudget
	for _, l := range p.Lanes() {
		if mc, ok := l.Config.(sources.MemoryConfig); ok {
			b.Sources += mc.HeldBytes()
		}
	}
	for _, s := range p.Sinks() {
		r := s.Delivery
		buf := r.BufferBytes
		if buf <= 0 {
			buf = plan.DefaultBufferBytes
		}
		b.Buffers += buf
		b.Bodies += min(int64(max(r.InFlight, 1))*r.MaxBytes, buf)
	}
	return b
}

// Held is the holders' sum.
func (b memBudget) Held() int64 { return b.Sources + b.Buffers + b.Bodies }

// Limit is the soft memory limit the budget asks for.
func (b memBudget) Limit() int64 { return gcHeadroom*b.Held() + runtimeAllowance }

// memoryLimit returns the soft memory limit to set, or 0 for none. flag is
// --memory-limit: "auto" for derived (the plan's budget), a size, or "0" or
// "off" for none; cgroup is the content of memory.max ("" when unreadable,
// "max" when unlimited).
func memoryLimit(flag, cgroup string, derived int64) (int64, error) {
	if flag == "0" || flag == "off" {
		return 0, nil
	}
	limit := derived
	if flag != "auto" {
		var err error
		if limit, err = units.ParseSize(flag); err != nil {
			return 0, fmt.Errorf("--memory-limit: %w (want auto, a size such as 256MiB, or 0 for none)", err)
		}
		if limit < 32<<20 {
			return 0, fmt.Errorf("--memory-limit %s: want at least 32MiB, or 0 for none", flag)
		}
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(cgroup), 10, 64); err == nil && n > 0 && n/10*9 < limit {
		limit = n / 10 * 9
	}
	return limit, nil
}

// mib formats n bytes for the log, in MiB.
func mib(n int64) string { return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20)) }

func readCgroupMax() string {
	b, err := os.ReadFile(cgroupMemoryMax)
	if err != nil {
		return ""
	}
	return string(b)
}
