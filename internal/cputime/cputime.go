// Package cputime measures the process's CPU time, so benchmarks on a busy
// shared machine can report throughput per CPU-second next to wall-clock
// figures that other processes distort.
package cputime

import (
	"syscall"
	"testing"
	"time"
)

// Now returns the user plus system CPU time the process has used.
func Now() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Report adds a "MB/cpu-s" metric to b: bytesPerOp × b.N over the CPU time
// since start. Call it after the benchmark loop.
func Report(b *testing.B, start time.Duration, bytesPerOp int64) {
	if used := Now() - start; used > 0 {
		b.ReportMetric(float64(bytesPerOp)*float64(b.N)/1e6/used.Seconds(), "MB/cpu-s")
	}
}
