package objectstore

import (
	"context"
	"encoding/hex"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/minio/minio-go/v7"

	"github.com/forwarder/forwarder/engine/event"
	"github.com/forwarder/forwarder/sinks/objectstore/s3test"
)

// realConfig is a config for a versitygw server, signed with its keys.
func realConfig(srv *s3test.Server, bucket string) *Config {
	c := testConfig(srv.URL)
	c.Bucket = bucket
	c.AccessKeyID, c.AccessKeySecret = s3test.AccessKey, s3test.SecretKey
	return c
}

// TestRealServerJSON writes through versitygw, which verifies SigV4 on
// every request (streaming-signed chunks included, since the endpoint is
// plain http), and reads every object back: every event exactly once; a
// 5 MiB part size makes the large partition a multipart upload.
func TestRealServerJSON(t *testing.T) {
	srv := s3test.Start(t, "archive")
	c := realConfig(srv, "archive")
	c.Compression = CompressionGzip
	c.PartSize = "5MiB"
	c.MaxObjectSize = "256MiB"
	c.MemoryBuffer = "1MiB"
	s := connect(t, c)

	small := events(base, 0, 300)
	big := events(base.Add(24*3600e9), 0, 30000) // the next day: one object of about 8 MB gzipped
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, ev := range big {
		ev.Time = base.Add(24 * 3600e9)
		pad := make([]byte, 200)
		for i := range pad {
			pad[i] = byte(rnd.Uint32())
		}
		ev.Set("pad", event.String(hex.EncodeToString(pad)))
	}
	if err := write(t, s, small); err != nil {
		t.Fatal(err)
	}
	if err := write(t, s, big); err != nil {
		t.Fatal(err)
	}
	multipart := 0
	for info := range srv.Client(t).ListObjects(context.Background(), "archive", minio.ListObjectsOptions{Recursive: true}) {
		if strings.Contains(info.ETag, "-") { // a multipart ETag ends in -PARTS
			multipart++
		}
	}
	if multipart != 1 {
		t.Errorf("%d multipart objects, want 1", multipart)
	}
	var got []string
	for key, b := range objects(t, srv.Client(t), "archive") {
		got = append(got, lines(t, key, decompress(t, key, b))...)
	}
	sort.Strings(got)
	want := append(jsonLines(small, false), jsonLines(big, false)...)
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("bucket (-want +got):\n%s", diff)
	}
}

// TestRealServerRejectsBadSignature: a wrong secret fails Connect, so the
// server does check signatures and the sink reports it.
func TestRealServerRejectsBadSignature(t *testing.T) {
	srv := s3test.Start(t, "archive")
	c := realConfig(srv, "archive")
	c.AccessKeySecret = "wrong-secret"
	s, err := New(c, sinksSettings())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	err = s.Connect(context.Background())
	if err == nil {
		t.Fatal("Connect succeeded with a wrong secret")
	}
	if strings.Contains(err.Error(), "wrong-secret") {
		t.Fatalf("error shows the secret: %v", err)
	}
	t.Logf("Connect with a wrong secret: %v", err)
}
