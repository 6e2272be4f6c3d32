package objectstore

import (
	"context"
	"errors"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/forwarder/forwarder/event"
)

// TestJSONPartitionRollAck writes batches concurrently into hourly
// partitions with a small roll size and checks the bucket: every event once,
// each in its hour's prefix, several objects per hour, gzip intact.
func TestJSONPartitionRollAck(t *testing.T) {
	f := newFake(t)
	c := testConfig(f.URL)
	c.Prefix = "audit/"
	c.Compression = CompressionGzip
	c.MaxObjectSize = "8KiB"
	s := connect(t, c)

	all := events(base, 0, 180) // one event a minute over 20:00–22:59
	for i, ev := range all {
		ev.Time = base.Truncate(time.Hour).Add(time.Duration(i) * time.Minute)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < len(all); i += 9 {
		wg.Add(1)
		go func(b []*event.Event) {
			defer wg.Done()
			errs <- write(t, s, b)
		}(all[i:min(i+9, len(all))])
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("WriteBatch: %v", err)
		}
	}

	objs := objects(t, client(t, f.URL, "x", "y"), testBucket)
	keyRE := regexp.MustCompile(`^audit/2026/12/01/(\d\d)/\d{8}T\d{6}Z-[0-9a-f]{16}\.json\.gz$`)
	var got []string
	perHour := map[string]int{}
	for key, b := range objs {
		m := keyRE.FindStringSubmatch(key)
		if m == nil {
			t.Fatalf("object key %q does not match %s", key, keyRE)
		}
		perHour[m[1]]++
		for _, l := range lines(t, key, decompress(t, key, b)) {
			if !strings.Contains(l, `"__time__":"2026-12-01T`+m[1]+`:`) {
				t.Errorf("%s holds an event of another hour: %s", key, l)
			}
			got = append(got, l)
		}
	}
	sort.Strings(got)
	if diff := cmp.Diff(jsonLines(all, false), got); diff != "" {
		t.Fatalf("events in the bucket differ from those written (-want +got):\n%s", diff)
	}
	if len(perHour) != 3 {
		t.Fatalf("hours = %v, want 20, 21 and 22", perHour)
	}
	for h, n := range perHour {
		if n < 2 {
			t.Errorf("hour %s has %d object(s); 8KiB should have rolled it", h, n)
		}
	}
}

// TestAckAfterStore checks that a batch is answered only once its object is
// in the bucket, and that a failing store fails the batch (so the engine
// retries it) instead of acknowledging it.
func TestAckAfterStore(t *testing.T) {
	f := newFake(t)
	c := testConfig(f.URL)
	c.Compression = CompressionNone
	s := connect(t, c)
	cl := client(t, f.URL, "x", "y")

	evs := events(base, 0, 5)
	if err := write(t, s, evs); err != nil {
		t.Fatal(err)
	}
	if objs := objects(t, cl, testBucket); len(objs) != 1 {
		t.Fatalf("after an acknowledged write the bucket holds %d objects, want 1", len(objs))
	}

	f.failPuts.Store(true)
	err := write(t, s, events(base, 5, 5))
	if err == nil {
		t.Fatal("WriteBatch succeeded while the store rejects every PUT")
	}
	if !strings.Contains(err.Error(), "upload") {
		t.Errorf("error %q does not say the upload failed", err)
	}
	f.failPuts.Store(false)
	if err := write(t, s, events(base, 5, 5)); err != nil { // the engine's retry
		t.Fatalf("retry: %v", err)
	}
	var got []string
	for k, b := range objects(t, cl, testBucket) {
		got = append(got, lines(t, k, b)...)
	}
	sort.Strings(got)
	if diff := cmp.Diff(jsonLines(events(base, 0, 10), false), got); diff != "" {
		t.Fatalf("bucket (-want +got):\n%s", diff)
	}
}

// TestRollByAge: with flush_idle far away, max_object_age alone ends the
// write.
func TestRollByAge(t *testing.T) {
	f := newFake(t)
	c := testConfig(f.URL)
	c.FlushIdle = "1h"
	c.MaxObjectAge = "100ms"
	s := connect(t, c)
	if err := write(t, s, events(base, 0, 3)); err != nil {
		t.Fatal(err)
	}
	if n := len(objects(t, client(t, f.URL, "x", "y"), testBucket)); n != 1 {
		t.Fatalf("%d objects, want 1", n)
	}
}

// TestPartitionZoneAndHive: the partition follows time_zone, and Hive-style
// key=value directories are literal text around the directives.
func TestPartitionZoneAndHive(t *testing.T) {
	f := newFake(t)
	c := testConfig(f.URL)
	c.Prefix = "p/"
	c.Partition = "year=%Y/month=%m/day=%d/hour=%H"
	c.TimeZone = "Asia/Shanghai"
	suffix := ".ndjson"
	c.Suffix = &suffix
	c.Compression = CompressionNone
	s := connect(t, c)
	ev := events(time.Date(2026, 12, 31, 16, 30, 0, 0, time.UTC), 0, 1) // 00:30 on 1 January in Shanghai
	if err := write(t, s, ev); err != nil {
		t.Fatal(err)
	}
	for k := range objects(t, client(t, f.URL, "x", "y"), testBucket) {
		if !regexp.MustCompile(`^p/year=2027/month=01/day=01/hour=00/20261231T163000Z-[0-9a-f]{16}\.ndjson$`).MatchString(k) {
			t.Fatalf("key %q", k)
		}
		return
	}
	t.Fatal("no object")
}

// TestStableNames: the same events make the same key (a replayed or retried
// object overwrites itself); other events make another.
func TestStableNames(t *testing.T) {
	key := func(evs []*event.Event) []string {
		f := newFake(t)
		s := connect(t, testConfig(f.URL))
		if err := write(t, s, evs); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for k := range objects(t, client(t, f.URL, "x", "y"), testBucket) {
			keys = append(keys, k)
		}
		return keys
	}
	a, b, other := key(events(base, 0, 50)), key(events(base, 0, 50)), key(events(base, 1, 50))
	if len(a) != 1 || !cmp.Equal(a, b) {
		t.Fatalf("same events, keys %v and %v", a, b)
	}
	if cmp.Equal(a, other) {
		t.Fatalf("different events share key %v", a)
	}
}

// TestSpill: with memory_buffer 0 the object lives in an unlinked temporary
// file: nothing is left in temp_dir, and the object is intact.
func TestSpill(t *testing.T) {
	f := newFake(t)
	dir := t.TempDir()
	c := testConfig(f.URL)
	c.MemoryBuffer = "0"
	c.TempDir = dir
	c.PartSize = "5MiB"
	c.MaxObjectSize = "64MiB"
	c.Compression = CompressionNone
	s := connect(t, c)
	s.st.put.DisableContentSha256 = true // gofakes3 does not decode aws-chunked part bodies; versitygw does (s3test)
	evs := events(base, 0, 40000)        // about 9 MB: a multipart upload of two parts
	for i := range evs {
		evs[i].Time = base
	}
	if err := write(t, s, evs); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("temp_dir holds %d files after the upload", len(left))
	}
	objs := objects(t, client(t, f.URL, "x", "y"), testBucket)
	if len(objs) != 1 {
		t.Fatalf("%d objects", len(objs))
	}
	for k, b := range objs {
		if len(b) <= 5<<20 {
			t.Fatalf("object is %d bytes; the test needs more than one part", len(b))
		}
		got := lines(t, k, b)
		sort.Strings(got)
		if diff := cmp.Diff(jsonLines(evs, false), got); diff != "" {
			t.Fatalf("(-want +got):\n%s", diff)
		}
	}
}

func TestSpool(t *testing.T) {
	dir := t.TempDir()
	sp := newSpool(dir, 10)
	for _, p := range []string{"hello", "world", "!more"} {
		if _, err := sp.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	if !sp.spilled() {
		t.Fatal("15 bytes over a 10-byte limit stayed in memory")
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatal("spilled file is still linked")
	}
	for range 2 { // readable twice: a retried upload reads again
		r, err := sp.reader()
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 32)
		n, _ := r.Read(b)
		if string(b[:n]) != "helloworld!more" {
			t.Fatalf("read %q", b[:n])
		}
	}
	sp.release()
}

// TestConnectFails: a missing bucket is a Connect error the engine retries.
func TestConnectFails(t *testing.T) {
	f := newFake(t)
	c := testConfig(f.URL)
	c.Bucket = "nope"
	s, err := New(c, sinksSettings())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	err = s.Connect(context.Background())
	if err == nil || !strings.Contains(err.Error(), `bucket "nope" does not exist`) {
		t.Fatalf("Connect = %v", err)
	}
	if err := s.WriteBatch(context.Background(), events(base, 0, 1)); !errors.Is(err, errNotConnected) {
		t.Fatalf("WriteBatch before Connect = %v", err)
	}
}

// TestMaxOpenObjects: with one open object allowed, each switch of
// partition rolls the previous one, and every event is still stored.
func TestMaxOpenObjects(t *testing.T) {
	f := newFake(t)
	c := testConfig(f.URL)
	c.MaxOpenObjects = 1
	c.Partition = "%H"
	c.Compression = CompressionNone
	s := connect(t, c)
	evs := events(base, 0, 6)
	for i, ev := range evs { // hours 20, 21, 20, 21, 20, 21
		ev.Time = base.Add(time.Duration(i%2) * time.Hour)
	}
	if err := write(t, s, evs); err != nil {
		t.Fatal(err)
	}
	var got []string
	objs := objects(t, client(t, f.URL, "x", "y"), testBucket)
	for k, b := range objs {
		got = append(got, lines(t, k, b)...)
	}
	if len(objs) != 6 {
		t.Errorf("%d objects, want 6 (one per partition switch)", len(objs))
	}
	sort.Strings(got)
	if diff := cmp.Diff(jsonLines(evs, false), got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

// TestWriteBatchContext: a write waiting for its object returns when its
// context ends, and Close fails the objects still open.
func TestWriteBatchContext(t *testing.T) {
	f := newFake(t)
	c := testConfig(f.URL)
	c.FlushIdle = "1h"
	s := connect(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := s.WriteBatch(ctx, events(base, 0, 3)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WriteBatch = %v, want the context's deadline", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.WriteBatch(context.Background(), events(base, 3, 3)) }()
	time.Sleep(50 * time.Millisecond)
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "closed before the object was stored") {
			t.Fatalf("WriteBatch after Close = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WriteBatch still waiting after Close")
	}
	if n := len(objects(t, client(t, f.URL, "x", "y"), testBucket)); n != 0 {
		t.Fatalf("%d objects stored from unacknowledged writes", n)
	}
	if err := write(t, s, events(base, 6, 1)); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("WriteBatch on a closed sink = %v", err)
	}
}
