package objectstore_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	sdk "github.com/aliyun/aliyun-log-go-sdk"
	"github.com/minio/minio-go/v7"

	"github.com/forwarder/forwarder/internal/slsemu"
	"github.com/forwarder/forwarder/sinks/objectstore/s3test"
	"github.com/forwarder/forwarder/sources/demo"
)

// gate is a reverse proxy in front of the S3 server that can hold uploads
// (a single PUT, or the second part of a multipart upload): the forwarder
// is then in the middle of an upload, its object not stored, its events not
// acknowledged.
type gate struct {
	mu        sync.Mutex
	hold      bool
	held      int
	completed int // objects the store confirmed: single PUTs and completed multipart uploads
	open      chan struct{}
}

func newGate(t *testing.T, target string) (*gate, string) {
	g := &gate{open: make(chan struct{})}
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(u)
		pr.Out.Host = pr.In.Host // the client signed this Host
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.Method == http.MethodPut && (q.Get("partNumber") == "2" || !q.Has("partNumber")) {
			g.mu.Lock()
			hold := g.hold
			if hold {
				g.held++
			}
			g.mu.Unlock()
			if hold {
				select {
				case <-g.open:
				case <-r.Context().Done():
					return
				}
			}
		}
		rec := &statusRecorder{ResponseWriter: w}
		rp.ServeHTTP(rec, r)
		if rec.status == http.StatusOK && (r.Method == http.MethodPut && !q.Has("partNumber") || r.Method == http.MethodPost && q.Has("uploadId")) {
			g.mu.Lock()
			g.completed++
			if g.completed == 1 {
				g.hold = true // from now on, hold uploads in the middle
			}
			g.mu.Unlock()
		}
	}))
	t.Cleanup(srv.Close)
	return g, srv.URL
}

func (g *gate) state() (held, completed int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.held, g.completed
}

func (g *gate) release() {
	g.mu.Lock()
	g.hold = false
	g.mu.Unlock()
	close(g.open)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// buildForwarder builds the forwarder binary once per test.
func buildForwarder(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "forwarder")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/forwarder")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

const (
	killProject = "audit-prod"
	killAK      = "LTAI5tArchiveKill"
	killSecret  = "archive-kill-secret"
)

func startForwarder(t *testing.T, bin, cfg, name string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "run", "--admin=", "--no-watch", "--log-level=warn", cfg)
	cmd.Env = append(os.Environ(), "KILL_AK="+killAK, "KILL_SECRET="+killSecret, "S3_AK="+s3test.AccessKey, "S3_SECRET="+s3test.SecretKey)
	cmd.Stderr = &logWriter{t: t, name: name}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd
}

type logWriter struct {
	t    *testing.T
	name string
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.t.Logf("[%s] %s", w.name, p)
	return len(p), nil
}

// bucketSeqs reads every object and counts demo_seq values. Every line of
// every object must be whole: a cut-off upload must never become an object.
func bucketSeqs(t *testing.T, srv *s3test.Server) (map[string]int, int) {
	t.Helper()
	cl := srv.Client(t)
	ctx := context.Background()
	seen := map[string]int{}
	n := 0
	for info := range cl.ListObjects(ctx, "archive", minio.ListObjectsOptions{Recursive: true}) {
		if info.Err != nil {
			t.Fatal(info.Err)
		}
		n++
		o, err := cl.GetObject(ctx, "archive", info.Key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(o)
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			var ev struct {
				Seq string `json:"demo_seq"`
			}
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Seq == "" {
				t.Fatalf("object %s holds a broken line: %v", info.Key, err)
			}
			seen[ev.Seq]++
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		_ = o.Close()
	}
	return seen, n
}

// TestKill9DuringUpload runs the real forwarder binary from the SLS
// emulator into versitygw through a proxy that holds multipart uploads
// half-way once one object is stored. The forwarder is killed with SIGKILL
// while an upload is held, then started again with the same consumer name:
// every event is in the bucket (replayed from the SLS checkpoint), no
// object is partial, and duplicates are only what was past the checkpoint.
func TestKill9DuringUpload(t *testing.T) {
	const total = 40000
	srv := s3test.Start(t, "archive")
	g, proxy := newGate(t, srv.URL)

	emu := slsemu.New(slsemu.Options{AccessKeyID: killAK, AccessKeySecret: killSecret})
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	if err := emu.CreateProject(killProject, ""); err != nil {
		t.Fatal(err)
	}
	if err := emu.CreateLogstore(killProject, "audit", slsemu.LogstoreConfig{Shards: 2}); err != nil {
		t.Fatal(err)
	}
	gen := demo.NewGenerator(9, time.Unix(1795939202, 0))
	topic := demo.TopicActionTrail
	for grp := 0; grp*200 < total; grp++ {
		logs := make([]*sdk.Log, 200)
		for i := range logs {
			logs[i] = slsemu.LogFromEvent(gen.Next())
		}
		if _, err := emu.AppendLogGroupToShard(killProject, "audit", grp%2, &sdk.LogGroup{Logs: logs, Topic: &topic}); err != nil {
			t.Fatal(err)
		}
	}

	cfg := filepath.Join(t.TempDir(), "archive.hcl")
	src := fmt.Sprintf(`
source "sls" "audit" {
  endpoint            = %q
  project             = %q
  logstore            = "audit"
  consumer_group      = "archive"
  consumer_name       = "fwd-a"
  access_key_id       = env("KILL_AK")
  access_key_secret   = env("KILL_SECRET")
  heartbeat_interval  = "1s"
  fetch_interval      = "50ms"
  checkpoint_interval = "100ms"
  fetch_log_groups    = 10
  in_flight           = 32
}
sink "object_store" "archive" {
  endpoint          = %q
  bucket            = "archive"
  path_style        = true
  access_key_id     = env("S3_AK")
  access_key_secret = env("S3_SECRET")
  compression       = "none"
  max_object_size   = "11MiB"
  part_size         = "5MiB"
  flush_idle        = "2s"
  retry {
    initial_backoff = "100ms"
    max_backoff     = "1s"
  }
}
route "r" {
  from = [source.sls.audit]
  to   = [sink.object_store.archive]
}
`, emu.Endpoint(), killProject, proxy)
	if err := os.WriteFile(cfg, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := buildForwarder(t)

	a := startForwarder(t, bin, cfg, "fwd-a")
	deadline := time.Now().Add(90 * time.Second)
	for {
		held, completed := g.state()
		if held > 0 && completed > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no upload held mid-way (held %d, stored %d)", held, completed)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := a.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = a.Wait()
	before, objsBefore := bucketSeqs(t, srv)
	if gi, err := emu.Group(killProject, "audit", "archive"); err == nil {
		t.Logf("checkpoints at the kill: %+v", gi.Checkpoints)
	}
	g.release()

	b := startForwarder(t, bin, cfg, "fwd-a (restarted)")
	var seen map[string]int
	for deadline := time.Now().Add(120 * time.Second); ; {
		seen, _ = bucketSeqs(t, srv)
		if len(seen) >= total {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the restart the bucket holds %d of %d events", len(seen), total)
		}
		time.Sleep(500 * time.Millisecond)
	}
	_ = b.Process.Signal(syscall.SIGTERM)
	_ = b.Wait()
	seen, nobj := bucketSeqs(t, srv)
	dups := 0
	for _, n := range seen {
		dups += n - 1
	}
	t.Logf("killed with %d events in %d objects stored; finally %d events in %d objects, %d duplicated",
		len(before), objsBefore, len(seen), nobj, dups)
	if len(seen) != total {
		t.Fatalf("%d distinct events, want %d", len(seen), total)
	}
	if len(before) >= total {
		t.Fatal("every event was stored before the kill; the test did not kill mid-stream")
	}
}
