package event

import "testing"

// TestMemSizeApportionsFootprint: events are charged their share of the
// batch's footprint by raw size, and twice their raw size without one.
func TestMemSizeApportionsFootprint(t *testing.T) {
	for _, tc := range []struct {
		footprint, size, raw, want int
	}{
		{footprint: 3000, size: 100, raw: 1000, want: 300},
		{footprint: 3000, size: 1000, raw: 1000, want: 3000},
		{footprint: 0, size: 100, raw: 1000, want: 200},
		{footprint: 3000, size: 0, raw: 0, want: 0},
	} {
		b := &Batch{Footprint: tc.footprint}
		if got := b.MemSize(tc.size, tc.raw); got != tc.want {
			t.Errorf("footprint %d, size %d of %d: charged %d, want %d", tc.footprint, tc.size, tc.raw, got, tc.want)
		}
	}
}
