package slsemu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/forwarder/forwarder/internal/loopback"
	"github.com/klauspost/compress/zstd"
)

// Server is an SLS-compatible HTTP server. Create it with New, then Start it;
// Close stops every goroutine it started. All methods are safe for
// concurrent use.
type Server struct {
	opts   Options
	log    *slog.Logger
	now    func() time.Time
	keysMu sync.RWMutex
	keys   map[string]string

	mu       sync.RWMutex
	projects map[string]*project

	faults faultSet
	stats  stats
	reqID  atomic.Uint64

	codecOnce sync.Once
	zenc      *zstd.Encoder
	zdec      *zstd.Decoder
	codecErr  error

	lifeMu   sync.Mutex
	started  bool
	closed   bool
	ln       net.Listener
	srv      *http.Server
	closing  chan struct{}
	bg       sync.WaitGroup // serve loop and janitor
	inflight sync.WaitGroup // handlers
}

// New returns a Server configured by opts. It does no I/O.
func New(opts Options) *Server {
	opts = opts.withDefaults()
	keys := make(map[string]string, len(opts.AccessKeys)+1)
	for id, secret := range opts.AccessKeys {
		keys[id] = secret
	}
	if opts.AccessKeyID != "" {
		keys[opts.AccessKeyID] = opts.AccessKeySecret
	}
	s := &Server{
		opts:     opts,
		log:      opts.Logger.With("component", "slsemu"),
		now:      opts.Clock,
		keys:     keys,
		projects: make(map[string]*project),
		closing:  make(chan struct{}),
	}
	s.faults.rng = rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))
	s.stats.init()
	return s
}

// Start loads the snapshot from DataDir (if any), binds the listen address
// and serves in the background.
func (s *Server) Start() error {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.started || s.closed {
		return errors.New("slsemu: server already started or closed")
	}
	if err := checkLoopback(s.opts.Listen); err != nil {
		return err
	}
	if s.opts.DataDir != "" {
		if err := s.load(); err != nil {
			return fmt.Errorf("slsemu: load snapshot from %s: %w", s.opts.DataDir, err)
		}
	}
	ln, err := net.Listen("tcp", s.opts.Listen)
	if err != nil {
		return fmt.Errorf("slsemu: listen on %s: %w", s.opts.Listen, err)
	}
	s.ln = ln
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.started = true
	s.bg.Add(2)
	go func() {
		defer s.bg.Done()
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve failed", "err", err)
		}
	}()
	go func() {
		defer s.bg.Done()
		s.janitor()
	}()
	s.log.Info("SLS emulator listening", "addr", ln.Addr().String())
	return nil
}

// checkLoopback refuses listen addresses that are not loopback.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("slsemu: listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("slsemu: listen address %q is not loopback; the emulator binds 127.0.0.1 only", addr)
}

// Addr returns the bound host:port, or "" before Start.
func (s *Server) Addr() string {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Endpoint returns "http://" + Addr(), the SDK endpoint for this server.
func (s *Server) Endpoint() string { return "http://" + s.Addr() }

// HTTPClient returns a new client that dials this server for every request
// (see package loopback). Pass it to sls.Client.SetHTTPClient or
// LogHubConfig.HTTPClient.
func (s *Server) HTTPClient() *http.Client { return loopback.HTTPClient(s.Addr()) }

// Close stops serving, waits for handlers and background goroutines, and
// saves a snapshot when DataDir is set. It is idempotent.
func (s *Server) Close() error {
	s.lifeMu.Lock()
	if s.closed {
		s.lifeMu.Unlock()
		return nil
	}
	s.closed = true
	started := s.started
	close(s.closing)
	s.lifeMu.Unlock()

	var errs []error
	if started {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := s.srv.Shutdown(ctx); err != nil {
			_ = s.srv.Close()
		}
		cancel()
		s.bg.Wait()
	}
	s.inflight.Wait()
	if started && s.opts.DataDir != "" {
		if err := s.save(); err != nil {
			errs = append(errs, fmt.Errorf("slsemu: save snapshot to %s: %w", s.opts.DataDir, err))
		}
	}
	if s.zenc != nil {
		_ = s.zenc.Close()
	}
	if s.zdec != nil {
		s.zdec.Close()
	}
	return errors.Join(errs...)
}

// janitor applies logstore TTLs periodically until Close.
func (s *Server) janitor() {
	t := time.NewTicker(s.opts.JanitorInterval)
	defer t.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-t.C:
			s.applyTTL()
		}
	}
}

// applyTTL drops entries older than each logstore's TTL.
func (s *Server) applyTTL() {
	now := s.now()
	for _, ls := range s.allLogstores() {
		if ls.ttlDays <= 0 {
			continue
		}
		cut := now.Add(-time.Duration(ls.ttlDays) * 24 * time.Hour).Unix()
		ls.mu.Lock()
		n := ls.expireBefore(cut)
		ls.mu.Unlock()
		if n > 0 {
			s.log.Debug("TTL expired log groups", "logstore", ls.name, "count", n)
		}
	}
}

func (s *Server) allLogstores() []*logstore {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*logstore
	for _, p := range s.projects {
		for _, ls := range p.logstores {
			out = append(out, ls)
		}
	}
	return out
}

// codecs returns the shared zstd encoder and decoder, built on first use.
// EncodeAll and DecodeAll are safe for concurrent use and start no
// goroutines.
func (s *Server) codecs() (*zstd.Encoder, *zstd.Decoder, error) {
	s.codecOnce.Do(func() {
		s.zenc, s.codecErr = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
		if s.codecErr != nil {
			return
		}
		s.zdec, s.codecErr = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(s.opts.MaxBodyBytes)))
	})
	return s.zenc, s.zdec, s.codecErr
}

// sleep waits d or until Close; it reports false when interrupted.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.closing:
		return false
	case <-ctx.Done():
		return false
	}
}

func (s *Server) nextRequestID() string {
	return "EMU" + strconv.FormatUint(s.reqID.Add(1), 16)
}

// Run starts the server, blocks until ctx is done, then closes it. It is
// the entry point for `forwarder emulator`.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Start(); err != nil {
		return err
	}
	<-ctx.Done()
	return s.Close()
}
