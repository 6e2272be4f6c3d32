package main

import "testing"

func TestMemoryLimit(t *testing.T) {
	for _, tc := range []struct {
		flag, cgroup string
		want         int64
		wantErr      bool
	}{
		{"256MiB", "", 256 << 20, false},
		{"256MiB", "max\n", 256 << 20, false},
		{"256MiB", "209715200\n", 188743680, false}, // 90% of a 200 MiB cgroup
		{"128MiB", "4294967296\n", 128 << 20, false},
		{"0", "209715200", 0, false},
		{"off", "", 0, false},
		{"1MiB", "", 0, true},
		{"lots", "", 0, true},
	} {
		got, err := memoryLimit(tc.flag, tc.cgroup)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("memoryLimit(%q, %q) = %d, %v; want %d, error %v", tc.flag, tc.cgroup, got, err, tc.want, tc.wantErr)
		}
	}
}
