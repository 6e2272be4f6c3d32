// Package s3test runs a real S3-compatible server as a test peer: versitygw
// (github.com/versity/versitygw) with its POSIX backend, on a loopback port,
// storing each bucket as a directory under the test's temporary directory.
// It checks SigV4 signatures, so tests that pass against it sign correctly.
//
// Install the peer with
//
//	go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
//
// (scripts/test.sh does this when it is missing). When versitygw is missing,
// Start fails the test if CI=true and skips it otherwise.
package s3test

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// InstallHint says how to install the peer.
const InstallHint = "versitygw not found: install it with `go install github.com/versity/versitygw/cmd/versitygw@v1.8.0`"

// Keys of the server's root account.
const (
	AccessKey = "AKFORWARDERTEST"
	SecretKey = "forwarder-test-secret-key"
)

// Server is one running versitygw.
type Server struct {
	// URL is http://127.0.0.1:PORT.
	URL string
	// Dir is the POSIX backend's root: one directory per bucket.
	Dir string
	cmd *exec.Cmd
	log *os.File
	t   testing.TB
}

// Binary returns the path of versitygw: on PATH, or in GOBIN or GOPATH/bin
// where `go install` puts it.
func Binary() (string, error) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	var dirs []string
	if b := os.Getenv("GOBIN"); b != "" {
		dirs = append(dirs, b)
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, p := range filepath.SplitList(strings.TrimSpace(string(out))) {
			dirs = append(dirs, filepath.Join(p, "bin"))
		}
	}
	if h, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(h, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", errors.New(InstallHint)
}

// Start runs a server with the given buckets and stops it when the test
// ends.
func Start(t testing.TB, buckets ...string) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	logf, err := os.Create(filepath.Join(dir, "versitygw.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--access", AccessKey, "--secret", SecretKey, "--port", addr, "--quiet", "posix", data)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start versitygw: %v", err)
	}
	s := &Server{URL: "http://" + addr, Dir: data, cmd: cmd, log: logf, t: t}
	t.Cleanup(s.stop)
	cl := s.Client(t)
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := cl.ListBuckets(ctx)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("versitygw did not answer on %s: %v\n%s", addr, err, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, b := range buckets {
		if err := cl.MakeBucket(context.Background(), b, minio.MakeBucketOptions{}); err != nil {
			t.Fatalf("make bucket %s: %v", b, err)
		}
	}
	return s
}

// Client returns a path-style client signed with the root keys.
func (s *Server) Client(t testing.TB) *minio.Client {
	t.Helper()
	cl, err := minio.New(strings.TrimPrefix(s.URL, "http://"), &minio.Options{
		Creds: credentials.NewStaticV4(AccessKey, SecretKey, ""), BucketLookup: minio.BucketLookupPath, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func (s *Server) stop() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	_ = s.log.Close()
	if s.t.Failed() {
		if b, err := os.ReadFile(s.log.Name()); err == nil && len(b) > 0 {
			s.t.Logf("versitygw log:\n%s", b)
		}
	}
}

func freePort(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
