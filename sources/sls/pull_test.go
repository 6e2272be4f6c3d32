package sls_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// corruptingProxy forwards to the emulator and, for the first `bad` PullLogs
// answers, rewrites x-log-bodyrawsize to rawSize, as a broken server or an
// intercepted http:// endpoint could.
func corruptingProxy(t *testing.T, emuAddr string, bad int32, rawSize string) (endpoint string, corrupted *atomic.Int32) {
	t.Helper()
	corrupted = &atomic.Int32{}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(&url.URL{Scheme: "http", Host: emuAddr})
			r.Out.Host = r.In.Host // the project is the first label of Host
		},
		ModifyResponse: func(resp *http.Response) error {
			if resp.Request.URL.Query().Get("type") == "logs" && resp.Header.Get("X-Log-Bodyrawsize") != "0" &&
				corrupted.Load() < bad {
				corrupted.Add(1)
				resp.Header.Set("X-Log-Bodyrawsize", rawSize)
			}
			return nil
		},
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return srv.URL, corrupted
}

// TestDeclaredRawSizeIsBounded (#12 item 3): answers declaring a 2 GB raw
// size are refused before anything is allocated and retried with backoff;
// the Go heap stays small, and once the answers are honest again every
// event arrives exactly once. The SDK's pull path allocated the declared
// size (7.8 GB RSS in 12 s).
func TestDeclaredRawSizeIsBounded(t *testing.T) {
	const n = 20000
	emu := emulator(t, "actiontrail", 2, n)
	u, _ := url.Parse(emu.Endpoint())
	endpoint, corrupted := corruptingProxy(t, u.Host, 6, "2000000000")

	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapSys > peak.Load() {
				peak.Store(ms.HeapSys)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	defer func() { close(stop); wg.Wait() }()

	out := filepath.Join(t.TempDir(), "out.ndjson")
	rt := startRuntime(t, sourceHCL(endpoint, "actiontrail", out, ""))
	waitFor(t, "all events after the corrupt answers", 120*time.Second, func() bool { return sent(rt) >= n })
	shutdown(rt)
	if got := corrupted.Load(); got < 6 {
		t.Fatalf("only %d answers were corrupted; the test proves nothing", got)
	}
	if p := peak.Load(); p > 256<<20 {
		t.Errorf("Go heap reached %d MiB with 2 GB declared sizes, want under 256 MiB", p>>20)
	}
	seen, _ := readSeqs(t, out)
	for i := 1; i <= n; i++ {
		if seen[i] != 1 {
			t.Fatalf("event %d delivered %d times, want exactly once", i, seen[i])
		}
	}
}
