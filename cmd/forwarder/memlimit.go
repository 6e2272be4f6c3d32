package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/forwarder/forwarder/internal/units"
)

// The memory budget. Memory in use is bounded by what the process holds:
// each SLS source's in_flight_bytes window (default 32MiB; pulled batches
// awaiting acknowledgement, decompressed bytes plus event structures), each
// sink's queue (buffer_events events, about 2× their raw size each) and its
// in-flight request bodies (in_flight × batch max_bytes), plus the runtime
// and code (about 30MiB). --memory-limit (default 224MiB) sets the Go
// runtime's soft memory limit (debug.SetMemoryLimit): past it the collector
// runs more often instead of letting garbage grow the heap, so GOGC's high
// default costs no memory under pressure. A cgroup limit (containers) lowers
// it to 90% of the cgroup's memory.max; GOMEMLIMIT, when set, wins.
const cgroupMemoryMax = "/sys/fs/cgroup/memory.max"

// memoryLimit returns the soft memory limit to set, or 0 for none. flag is
// --memory-limit ("0" or "off" disables it); cgroup is the content of
// memory.max ("" when unreadable, "max" when unlimited).
func memoryLimit(flag, cgroup string) (int64, error) {
	if flag == "0" || flag == "off" {
		return 0, nil
	}
	limit, err := units.ParseSize(flag)
	if err != nil {
		return 0, fmt.Errorf("--memory-limit: %w", err)
	}
	if limit < 32<<20 {
		return 0, fmt.Errorf("--memory-limit %s: want at least 32MiB, or 0 for none", flag)
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(cgroup), 10, 64); err == nil && n > 0 && n/10*9 < limit {
		limit = n / 10 * 9
	}
	return limit, nil
}

func readCgroupMax() string {
	b, err := os.ReadFile(cgroupMemoryMax)
	if err != nil {
		return ""
	}
	return string(b)
}
