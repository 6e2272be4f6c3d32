package file

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/sinks"
)

// mountTmpfs mounts a tmpfs of size bytes on a new directory. It needs
// root (CI runs as root); elsewhere the test is skipped, but under CI=true
// it fails.
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "forwarder-test", dir).CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("cannot mount a tmpfs (needs root): %v: %s", err, out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

func events(from, n int) []*event.Event {
	evs := make([]*event.Event, n)
	for i := range evs {
		evs[i] = &event.Event{Topic: "t", Fields: []event.Field{
			{Key: "seq", Value: event.String(fmt.Sprint(from + i))},
			{Key: "pad", Value: event.String(strings.Repeat("é-x", 100))},
		}}
	}
	return evs
}

// readLines parses every line of path as JSON and returns the seq fields.
// A line that does not parse, or a file not ending in a newline, fails.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Fatalf("the file ends with a torn line: …%q", b[max(0, len(b)-40):])
	}
	var seqs []string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d does not parse: %v: %.80q…", len(seqs)+1, err, sc.Text())
		}
		seqs = append(seqs, fmt.Sprint(m["seq"]))
	}
	return seqs
}

// TestDiskFull fills a small tmpfs while the sink writes: the failing batch
// leaves only whole lines behind, and once space returns the retried batch
// completes the file with every event exactly once, in order.
func TestDiskFull(t *testing.T) {
	dir := mountTmpfs(t, 256<<10)
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 200<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "out.ndjson")
	for _, sync := range []bool{false, true} {
		t.Run(fmt.Sprintf("sync=%v", sync), func(t *testing.T) {
			_ = os.Remove(path)
			if err := os.WriteFile(filler, make([]byte, 200<<10), 0o600); err != nil {
				t.Fatal(err)
			}
			s := mustNew(t, &Config{Path: path, Sync: sync})
			defer s.Close(context.Background())
			ctx := context.Background()
			const batches, per = 30, 17
			failures := 0
			for b := 0; b < batches; b++ {
				batch := events(b*per, per)
				for try := 0; ; try++ {
					if try > 3 {
						t.Fatalf("batch %d still fails after space returned", b)
					}
					if err := s.Connect(ctx); err != nil {
						t.Fatalf("connect: %v", err)
					}
					err := s.WriteBatch(ctx, batch)
					if err == nil {
						break
					}
					if !errors.Is(err, syscall.ENOSPC) || !errors.Is(err, sinks.ErrNotConnected) {
						t.Fatalf("batch %d: %v, want ENOSPC and not-connected", b, err)
					}
					failures++
					// Only whole lines, and only the acknowledged batches.
					if got := readLines(t, path); len(got) != b*per {
						t.Fatalf("after a failed batch %d the file holds %d lines, want %d", b, len(got), b*per)
					}
					if err := os.Remove(filler); err != nil && !os.IsNotExist(err) {
						t.Fatal(err)
					}
				}
			}
			if failures == 0 {
				t.Fatal("the disk never filled: the test did not test anything")
			}
			got := readLines(t, path)
			if len(got) != batches*per {
				t.Fatalf("%d lines, want %d", len(got), batches*per)
			}
			for i, seq := range got {
				if seq != fmt.Sprint(i) {
					t.Fatalf("line %d holds seq %s: lost or duplicated events", i+1, seq)
				}
			}
		})
	}
}

// TestRepairTail: a file left with a torn last line (a crash mid-write) is
// cut back to its last complete line on open.
func TestRepairTail(t *testing.T) {
	for name, tc := range map[string]struct{ content, want string }{
		"torn":      {"{\"seq\":\"0\"}\n{\"seq\":\"1\"}\n{\"se", "{\"seq\":\"0\"}\n{\"seq\":\"1\"}\n"},
		"whole":     {"{\"seq\":\"0\"}\n", "{\"seq\":\"0\"}\n"},
		"only torn": {"{\"seq\":", ""},
		"empty":     {"", ""},
		"long torn": {"{\"seq\":\"0\"}\n" + strings.Repeat("x", 200<<10), "{\"seq\":\"0\"}\n"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.ndjson")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			s := mustNew(t, &Config{Path: path})
			if err := s.Connect(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := s.WriteBatch(context.Background(), events(7, 1)); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(path)
			if !strings.HasPrefix(string(b), tc.want) || len(readLines(t, path)) != strings.Count(tc.want, "\n")+1 {
				t.Fatalf("file = %q, want %q and one new line", b, tc.want)
			}
		})
	}
}

// mustNew builds a file sink named file.t.
func mustNew(t *testing.T, c *Config) *Sink {
	t.Helper()
	s, err := New(c, sinks.Settings{Name: "file.t"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestWriteBatchAllocs is the CI gate on the file sink's NDJSON path: once
// its buffer has grown, a batch allocates nothing per event (the one
// allocation left is the file size it records, per batch), and a batch
// larger than a write chunk reaches the file whole, line by line, in order.
func TestWriteBatchAllocs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.ndjson")
	s := mustNew(t, &Config{Path: path})
	ctx := context.Background()
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	big := events(0, 2*writeChunk/600) // each line ~700 bytes: over two chunks
	if err := s.WriteBatch(ctx, big); err != nil {
		t.Fatal(err)
	}
	one, many := events(len(big), 1), events(len(big)+1, 500)
	perBatch := testing.AllocsPerRun(20, func() { _ = s.WriteBatch(ctx, one) })
	perLarge := testing.AllocsPerRun(20, func() { _ = s.WriteBatch(ctx, many) })
	if perLarge > perBatch || perBatch > 2 {
		t.Errorf("WriteBatch: %.1f allocations for 1 event, %.1f for %d: want no allocation per event", perBatch, perLarge, len(many))
	}
	seqs := readLines(t, path)
	if len(seqs) < len(big) {
		t.Fatalf("%d lines, want at least %d", len(seqs), len(big))
	}
	for i := range big {
		if seqs[i] != fmt.Sprint(i) {
			t.Fatalf("line %d holds seq %s, want %d", i+1, seqs[i], i)
		}
	}
}
