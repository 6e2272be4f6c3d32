package slsemu

import (
	"log/slog"
	"time"
)

// Options configure a Server. The zero value is usable: it listens on
// 127.0.0.1:0 with authentication off and no persistence.
type Options struct {
	// Listen is the address to bind; it must be a loopback address.
	// Default "127.0.0.1:0" (a free port; see Server.Addr).
	Listen string

	// AccessKeyID and AccessKeySecret add one key to AccessKeys.
	AccessKeyID     string
	AccessKeySecret string
	// AccessKeys maps access key ids to secrets. When no key is configured
	// at all, signatures are not checked (auth off).
	AccessKeys map[string]string
	// AllowUnsigned accepts requests without an Authorization header (the
	// SDK's sls.AuthV0) even when keys are configured.
	AllowUnsigned bool
	// MaxClockSkew bounds |Date − now| for signed requests. Default 15 min.
	MaxClockSkew time.Duration

	// DataDir, when set, makes the server load a snapshot at Start and save
	// one at Close (data, shards, consumer groups and checkpoints).
	DataDir string

	// Logger receives the server's logs. Default: slog.Default().
	Logger *slog.Logger
	// Clock returns the current time; tests may shift it. Default time.Now.
	Clock func() time.Time
	// Seed seeds the random choices of rate-limited faults. Default 1.
	Seed uint64

	// MaxPullBytes caps the raw LogGroupList bytes of one PullLogs response
	// (at least one LogGroup is always returned). Default 16 MiB.
	MaxPullBytes int
	// MaxBodyBytes caps request bodies and decompressed PutLogs bodies.
	// Default 64 MiB.
	MaxBodyBytes int
	// JanitorInterval is how often TTL expiry runs. Default 1 min.
	JanitorInterval time.Duration
	// MaxConsumerGroups caps groups per logstore. Default 30, as in SLS.
	MaxConsumerGroups int
	// MaxGrantPerHeartbeat limits how many shards one heartbeat response
	// newly grants a consumer; 0 means no limit (SLS's behaviour is not
	// documented). Tests running the SDK consumer library under -race set
	// it to 1: the SDK's Client.initHttpClient writes RequestTimeOut and
	// RetryTimeOut under a read lock on the first request of each shard
	// worker, a data race when several workers of one client start at once.
	MaxGrantPerHeartbeat int
}

func (o Options) withDefaults() Options {
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.MaxClockSkew <= 0 {
		o.MaxClockSkew = 15 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.MaxPullBytes <= 0 {
		o.MaxPullBytes = 16 << 20
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 64 << 20
	}
	if o.JanitorInterval <= 0 {
		o.JanitorInterval = time.Minute
	}
	if o.MaxConsumerGroups <= 0 {
		o.MaxConsumerGroups = 30
	}
	return o
}
