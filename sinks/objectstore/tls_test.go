package objectstore

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/forwarder/forwarder/internal/testcerts"
	"github.com/forwarder/forwarder/plugin"
)

// TestHTTPSUploadsForOSS: over https every upload, single PUT and multipart
// part alike, is signed SigV4 with UNSIGNED-PAYLOAD and without aws-chunked
// encoding, which OSS's S3 endpoint does not accept. The server certificate
// is checked against tls.ca_file; another CA fails Connect.
func TestHTTPSUploadsForOSS(t *testing.T) {
	certs := testcerts.New(t)
	be := s3mem.New()
	if err := be.CreateBucket(testBucket); err != nil {
		t.Fatal(err)
	}
	h := gofakes3.New(be, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	var mu sync.Mutex
	var puts []http.Header
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			mu.Lock()
			puts = append(puts, r.Header.Clone())
			mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
	srv.TLS = certs.ServerConfig(false)
	srv.StartTLS()
	defer srv.Close()

	c := testConfig(srv.URL)
	c.TLS = &plugin.TLS{CAFile: certs.CAFile}
	c.Compression = CompressionNone
	c.PartSize = "5MiB"
	s := connect(t, c)
	evs := events(base, 0, 25000) // about 6 MB: two parts
	for _, ev := range evs {
		ev.Time = base
	}
	if err := write(t, s, evs); err != nil {
		t.Fatal(err)
	}
	if err := write(t, s, events(base.Add(3600e9), 0, 10)); err != nil { // a small object: one PUT
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(puts) < 3 {
		t.Fatalf("%d PUTs, want two parts and a single PUT", len(puts))
	}
	for _, hd := range puts {
		if got := hd.Get("X-Amz-Content-Sha256"); got != "UNSIGNED-PAYLOAD" {
			t.Errorf("X-Amz-Content-Sha256 = %q, want UNSIGNED-PAYLOAD", got)
		}
		if strings.Contains(hd.Get("Content-Encoding"), "aws-chunked") || hd.Get("X-Amz-Decoded-Content-Length") != "" {
			t.Errorf("chunked upload: %v", hd)
		}
		if !strings.HasPrefix(hd.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=test-key-id/") {
			t.Errorf("Authorization = %q, want SigV4", hd.Get("Authorization"))
		}
	}

	bad := testConfig(srv.URL)
	bad.TLS = &plugin.TLS{CAFile: certs.OtherCAFile}
	bs, err := New(bad, sinksSettings())
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Close(context.Background())
	if err := bs.Connect(context.Background()); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Connect with another CA = %v, want a certificate error", err)
	}
}
