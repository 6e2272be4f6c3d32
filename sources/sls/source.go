// Package sls is the Log Service source: it reads logstores through a
// consumer group and checkpoints each shard only as far as the engine has
// acknowledged, so delivery is at-least-once end to end.
//
// It drives the consumer-group protocol itself on the unchanged SDK
// client's calls (HeartBeat, GetCheckpoint, GetCursor, UpdateCheckpoint;
// PullLogs is signed by the SDK's signer but sent and decoded here, see
// puller) instead of the SDK's consumer library, because that
// library cannot meet the delivery contract (reference/sls-protocol.md §7,
// §9): it allows one batch in flight per shard, retries a failing Process
// every 50 ms forever, checkpoints with forceSuccess (overwriting a new
// owner's progress), retries InvalidCursor forever, can hang in StopAndWait,
// and races on its client under the race detector. Here:
//
//   - per shard, up to in_flight pulled batches await acknowledgement at once;
//     the checkpoint is the end cursor of the contiguous prefix of fully
//     acknowledged batches, empty batches included (so split parents are
//     released);
//   - checkpoints are written with forceSuccess=false, so SLS refuses them
//     for a shard this consumer no longer holds;
//   - a shard first assigned with no checkpoint commits its resolved start
//     cursor before the first pull, so `start = "end"` or a time survives a
//     crash;
//   - InvalidCursor (data expired by TTL) resumes from the oldest retained
//     data (`begin`), whatever `start` says, with one ERROR naming the
//     skipped range;
//   - an answer that returns data without moving the cursor is delivered
//     once, then re-read with exponential backoff;
//   - permanent errors (missing project, logstore or group, denied access)
//     are logged once on one line naming the attribute to fix, retried
//     slowly and listed by Problems (the admin /health);
//   - a slow sink blocks Deliver, which stops the pulls (backpressure);
//   - pulled batches awaiting acknowledgement are bounded in bytes per source
//     (in_flight_bytes), and every answer by max_pull_size;
//   - shutdown waits at most shutdown_timeout for acknowledgements.
package sls

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	sdk "github.com/aliyun/aliyun-log-go-sdk"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/forwarder/forwarder/internal/bytebudget"
	"github.com/forwarder/forwarder/internal/ctxsleep"
	"github.com/forwarder/forwarder/internal/loopback"
	"github.com/forwarder/forwarder/sources"
)

// Factory returns the SLS source factory.
func Factory() sources.Factory {
	return sources.NewFactory("sls", NewConfig, New)
}

// Source reads one or more logstores of a project.
type Source struct {
	cfg     Config
	name    string
	log     *slog.Logger
	resets  prometheus.Counter
	metrics *sources.ShardMetrics
	health  health
	lane    string // the sink this lane reads for ("" for a single lane): the lane label of its series
	// inflight bounds the bytes of pulled batches awaiting acknowledgement.
	inflight *bytebudget.Budget
	// creds are the credentials client() chose, set before any worker runs.
	creds sdk.CredentialsProvider
}

var (
	_ sources.Source       = (*Source)(nil)
	_ sources.MemoryConfig = (*Config)(nil)
)

// New returns a source. It does no I/O; it registers the source's own
// series (forwarder_source_cursor_resets_total) on set.Metrics, sharing
// them with the other lanes of the same source.
func New(cfg *Config, set sources.Settings) (*Source, error) {
	lg := set.Logger
	if lg == nil {
		lg = slog.Default()
	}
	resets, err := registerCounter(set.Metrics, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "forwarder_source_cursor_resets_total",
		Help: "Shard positions abandoned because SLS no longer had the data (InvalidCursor); events were skipped.",
	}))
	if err != nil {
		return nil, fmt.Errorf("sls source %q: %w", set.Name, err)
	}
	m := set.Shards
	if m == nil {
		m = unusedShardMetrics()
	}
	inflightBytes := cfg.HeldBytes()
	return &Source{cfg: *cfg, name: set.Name, log: lg, resets: resets, metrics: m, lane: set.Lane, inflight: bytebudget.New(inflightBytes)}, nil
}

// registerCounter registers c on reg, or returns the counter already
// registered there under the same name and labels: every lane of a source,
// and its replacement after a reload, count into one series. A nil reg
// leaves c unregistered.
func registerCounter(reg prometheus.Registerer, c prometheus.Counter) (prometheus.Counter, error) {
	if reg == nil {
		return c, nil
	}
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	switch {
	case err == nil:
		return c, nil
	case errors.As(err, &are):
		if existing, ok := are.ExistingCollector.(prometheus.Counter); ok {
			return existing, nil
		}
	}
	return nil, fmt.Errorf("register metrics: %w", err)
}

// client builds the SDK client. Timeouts are set before first use: the SDK
// fills zero ones lazily under a read lock, which is a data race.
func (s *Source) client() (*sdk.Client, error) {
	var hc *http.Client
	if addr, ok := loopback.EndpointAddr(s.cfg.Endpoint); ok {
		hc = loopback.HTTPClient(addr)
	} else {
		hc = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
			Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second, ResponseHeaderTimeout: 60 * time.Second,
		}}
	}
	c := &sdk.Client{
		Endpoint:        s.cfg.Endpoint,
		AccessKeyID:     s.cfg.AccessKeyID.Reveal(),
		AccessKeySecret: s.cfg.AccessKeySecret.Reveal(),
		SecurityToken:   s.cfg.SecurityToken.Reveal(),
	}
	// s.creds signs the PullLogs requests the source sends itself (pull.go)
	// with the same credentials as the SDK client's other calls.
	s.creds = sdk.NewStaticCredentialsProvider(s.cfg.AccessKeyID.Reveal(), s.cfg.AccessKeySecret.Reveal(), s.cfg.SecurityToken.Reveal())
	switch p, err := s.cfg.credentialsProvider(); {
	case err != nil:
		return nil, fmt.Errorf("sls source %q: %w", s.name, err)
	case s.cfg.credentialsMode() == credFile && s.cfg.AssumeRoleARN == "":
		s.creds = &fileCredentials{path: s.cfg.CredentialsFile}
		c = sdk.CreateNormalInterfaceV2(s.cfg.Endpoint, s.creds).(*sdk.Client)
	case p != nil:
		s.creds = p
		c = sdk.CreateNormalInterfaceV2(s.cfg.Endpoint, p).(*sdk.Client)
	}
	c.UserAgent = "forwarder/" + s.cfg.ConsumerGroup
	c.RequestTimeOut, c.RetryTimeOut, c.HTTPClient = 60*time.Second, 15*time.Second, hc
	return c, nil
}

// Run consumes every configured logstore until ctx ends.
func (s *Source) Run(ctx context.Context, out sources.Output) error {
	if ctx.Err() != nil {
		// Stopped before it started (a reload replaced this lane at once):
		// join no consumer group.
		return nil
	}
	c, err := s.client()
	if err != nil {
		return err
	}
	defer c.HTTPClient.CloseIdleConnections()
	name := s.cfg.consumerName()
	// Set up every group first, so a permission or endpoint problem stops
	// the start with a clear message instead of half-running.
	// A permanent error (missing logstore, denied access) is logged once
	// and retried slowly here; a transient one ends Run, and the engine
	// restarts the source with backoff.
	for _, ls := range s.cfg.logstores() {
		for {
			err := s.ensureGroup(c, ls)
			if err == nil {
				s.health.clear(s.log, s.scope(ls, inGroup))
				break
			}
			if !s.health.trouble(s.log, s.scope(ls, inGroup), err, s.slowRetry()) {
				return err
			}
			if !ctxsleep.Sleep(ctx, s.slowRetry()) {
				return nil
			}
		}
	}
	s.log.Info("consuming", "project", s.cfg.Project, "logstores", s.cfg.logstores(), "group", s.cfg.ConsumerGroup, "consumer", name)
	var wg sync.WaitGroup
	errs := make(chan error, len(s.cfg.logstores()))
	for _, ls := range s.cfg.logstores() {
		cons := &consumer{src: s, c: c, logstore: ls, name: name, log: s.log.With("logstore", ls), workers: map[int]*shardWorker{},
			kick: make(chan struct{}, 1), owned: s.metrics.Owned.WithLabelValues(ls, s.lane)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := cons.run(ctx, out); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	return errors.Join(collect(errs)...)
}

// scope names a logstore and what was done there, for problems.
func (s *Source) scope(logstore, what string) string {
	return s.cfg.Project + "/" + logstore + ": " + what
}

func collect(ch <-chan error) []error {
	var out []error
	for e := range ch {
		out = append(out, e)
	}
	return out
}

func (s *Source) groupTimeout() int {
	return int(3 * mustDuration(s.cfg.HeartbeatInterval) / time.Second)
}

// ensureGroup creates the consumer group when it is missing and fixes its
// timeout when it differs. Errors name the failing call.
func (s *Source) ensureGroup(c *sdk.Client, logstore string) error {
	groups, err := c.ListConsumerGroup(s.cfg.Project, logstore)
	if err != nil {
		return fmt.Errorf("sls source %q: ListConsumerGroup %s/%s: %w", s.name, s.cfg.Project, logstore, explain(err))
	}
	want := sdk.ConsumerGroup{ConsumerGroupName: s.cfg.ConsumerGroup, Timeout: s.groupTimeout()}
	for _, g := range groups {
		if g.ConsumerGroupName != s.cfg.ConsumerGroup {
			continue
		}
		if g.Timeout != want.Timeout {
			if err := c.UpdateConsumerGroup(s.cfg.Project, logstore, want); err != nil {
				return fmt.Errorf("sls source %q: UpdateConsumerGroup %s/%s/%s: %w", s.name, s.cfg.Project, logstore, s.cfg.ConsumerGroup, explain(err))
			}
		}
		return nil
	}
	if err := c.CreateConsumerGroup(s.cfg.Project, logstore, want); err != nil && !isCode(err, "ConsumerGroupAlreadyExist") {
		return fmt.Errorf("sls source %q: CreateConsumerGroup %s/%s/%s: %w", s.name, s.cfg.Project, logstore, s.cfg.ConsumerGroup, explain(err))
	}
	return nil
}
