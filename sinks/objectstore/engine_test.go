package objectstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/klauspost/compress/zstd"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/forwarder/forwarder/builtin"
	"github.com/forwarder/forwarder/internal/fwdtest"
)

// archiveSeqs reads every zstd NDJSON object of bucket and counts demo_seq
// values; every event must carry archived = "yes".
func archiveSeqs(t *testing.T, endpoint, bucket string) (map[string]int, int) {
	t.Helper()
	cl, err := minio.New(strings.TrimPrefix(endpoint, "http://"), &minio.Options{Creds: credentials.NewStaticV4("a", "b", ""), BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	ctx := context.Background()
	nobj := 0
	for info := range cl.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if info.Err != nil {
			t.Fatal(info.Err)
		}
		nobj++
		if !strings.HasPrefix(info.Key, "sls/2026/12/") || !strings.HasSuffix(info.Key, ".json.zst") {
			t.Errorf("key %q", info.Key)
		}
		o, err := cl.GetObject(ctx, bucket, info.Key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		zr, err := zstd.NewReader(o)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(zr)
		for {
			var m map[string]any
			if err := dec.Decode(&m); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", info.Key, err)
			}
			if m["archived"] != "yes" {
				t.Fatalf("event without the rule's field: %v", m)
			}
			seen[fmt.Sprint(m["demo_seq"])]++
		}
		zr.Close()
		_ = o.Close()
	}
	return seen, nobj
}

// TestEngineDemoToArchive runs the real engine from HCL: the demo source,
// a rule, the object_store sink with its defaults (json + zstd, hourly
// partitions) against gofakes3. Every demo event is in the bucket exactly
// once, with the field the rule set.
func TestEngineDemoToArchive(t *testing.T) {
	be := s3mem.New()
	if err := be.CreateBucket("audit"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(be, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	defer srv.Close()
	t.Setenv("FWD_TEST_S3_SECRET", "secret")
	src := fmt.Sprintf(`
source "demo" "d" {
  count      = 5000
  batch_size = 100
  start      = "2026-12-01T20:00:00Z"
}
rule "mark" {
  set = { archived = "'yes'" }
}
sink "object_store" "archive" {
  endpoint          = %q
  bucket            = "audit"
  path_style        = true
  access_key_id     = "AKTEST"
  access_key_secret = env("FWD_TEST_S3_SECRET")
  prefix            = "sls/"
  flush_idle        = "100ms"
}
route "r" {
  from  = [source.demo.d]
  rules = [rule.mark]
  to    = [sink.object_store.archive]
}
`, srv.URL)
	rt := fwdtest.Start(t, fwdtest.Compile(t, builtin.Registries(), src))
	select {
	case <-rt.SourcesDone():
	case <-time.After(60 * time.Second):
		t.Fatal("stream did not finish")
	}
	fwdtest.Stop(rt)

	seen, nobj := archiveSeqs(t, srv.URL, "audit")
	if len(seen) != 5000 {
		t.Fatalf("%d distinct events in %d objects, want 5000", len(seen), nobj)
	}
	for seq, n := range seen {
		if n != 1 {
			t.Fatalf("demo_seq %s stored %d times", seq, n)
		}
	}
}

// TestEngineStoreOutage: the store fails every upload for two seconds
// mid-stream. The engine retries with backoff and every event ends up in
// the bucket. (A batch split over two objects, at a partition boundary, may
// be stored twice when only one of them failed: at-least-once.)
func TestEngineStoreOutage(t *testing.T) {
	be := s3mem.New()
	if err := be.CreateBucket("audit"); err != nil {
		t.Fatal(err)
	}
	h := gofakes3.New(be, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	var down atomic.Bool
	var refused atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && down.Load() {
			refused.Add(1)
			http.Error(w, "<Error><Code>ServiceUnavailable</Code></Error>", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	src := fmt.Sprintf(`
source "demo" "d" {
  count      = 6000
  rate       = 2000
  batch_size = 100
  start      = "2026-12-01T20:00:00Z"
}
rule "mark" {
  set = { archived = "'yes'" }
}
sink "object_store" "archive" {
  endpoint          = %q
  bucket            = "audit"
  path_style        = true
  access_key_id     = "AKTEST"
  access_key_secret = "secret"
  prefix            = "sls/"
  flush_idle        = "100ms"
  retry {
    initial_backoff = "50ms"
    max_backoff     = "500ms"
  }
}
route "r" {
  from  = [source.demo.d]
  rules = [rule.mark]
  to    = [sink.object_store.archive]
}
`, srv.URL)
	rt := fwdtest.Start(t, fwdtest.Compile(t, builtin.Registries(), src))
	time.Sleep(700 * time.Millisecond)
	down.Store(true)
	time.Sleep(2 * time.Second)
	down.Store(false)
	select {
	case <-rt.SourcesDone():
	case <-time.After(60 * time.Second):
		t.Fatal("stream did not finish")
	}
	fwdtest.Stop(rt)
	if refused.Load() == 0 {
		t.Fatal("no upload was refused; the outage did not happen mid-stream")
	}
	seen, nobj := archiveSeqs(t, srv.URL, "audit")
	if len(seen) != 6000 {
		t.Fatalf("%d distinct events in %d objects after %d refused uploads, want 6000", len(seen), nobj, refused.Load())
	}
	dups := 0
	for _, n := range seen {
		dups += n - 1
	}
	t.Logf("%d uploads refused; 6000 events in %d objects, %d stored twice", refused.Load(), nobj, dups)
}
