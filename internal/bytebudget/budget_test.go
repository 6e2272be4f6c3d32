package bytebudget

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestBudget(t *testing.T) {
	b := New(100)
	if !b.TryAcquire(60) || !b.TryAcquire(40) {
		t.Fatal("reservations within the budget refused")
	}
	if b.TryAcquire(1) {
		t.Fatal("a reservation past the budget was admitted")
	}
	got := make(chan bool)
	go func() { got <- b.Acquire(context.Background(), 50) }()
	select {
	case <-got:
		t.Fatal("Acquire did not wait while the budget was full")
	case <-time.After(20 * time.Millisecond):
	}
	b.Add(-60) // 40 held: 50 fits
	if !<-got {
		t.Fatal("Acquire failed after a release")
	}
	if h := b.Held(); h != 90 {
		t.Fatalf("held %d, want 90", h)
	}

	ctx, cancel := context.WithCancel(context.Background())
	go func() { got <- b.Acquire(ctx, 50) }()
	cancel()
	if <-got {
		t.Fatal("Acquire reserved after its context ended")
	}
	if h := b.Held(); h != 90 {
		t.Fatalf("held %d after a cancelled Acquire, want 90", h)
	}

	// An item larger than the whole budget goes when nothing is held.
	b.Add(-90)
	if !b.Acquire(context.Background(), 500) || b.Held() != 500 {
		t.Fatalf("an oversized reservation into an empty budget was refused (held %d)", b.Held())
	}
	if b.TryAcquire(1) {
		t.Fatal("admitted while an oversized reservation is held")
	}
	b.Add(-500)

	// WaitRoom waits like Acquire but leaves nothing reserved.
	b.Add(80)
	go func() { got <- b.WaitRoom(context.Background(), 50) }()
	select {
	case <-got:
		t.Fatal("WaitRoom did not wait while there was no room")
	case <-time.After(20 * time.Millisecond):
	}
	b.Add(-40)
	if !<-got || b.Held() != 40 {
		t.Fatalf("WaitRoom after a release: held %d, want 40 (nothing reserved)", b.Held())
	}
}
