package sls

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/forwarder/forwarder/internal/units"
	"github.com/forwarder/forwarder/sinks"
)

// Config is the body of `source "sls" "NAME" { … }`.
type Config struct {
	// Endpoint is the SLS endpoint, e.g. "https://cn-hangzhou.log.aliyuncs.com".
	// A loopback endpoint ("http://127.0.0.1:PORT") is dialed directly, so
	// the local emulator works.
	Endpoint string `hcl:"endpoint" json:"endpoint"`
	// Project is the SLS project.
	Project string `hcl:"project" json:"project"`
	// Logstore is the logstore to read; Logstores reads several with one
	// block (each through its own consumer group of the same name).
	Logstore  string   `hcl:"logstore,optional" json:"logstore,omitempty"`
	Logstores []string `hcl:"logstores,optional" json:"logstores,omitempty"`
	// ConsumerGroup is the group shared by every forwarder instance; SLS
	// splits the shards among them. Created when missing.
	ConsumerGroup string `hcl:"consumer_group" json:"consumer_group"`
	// ConsumerName must be unique in the group; default
	// "<group>-<hostname>-<pid>". A stable name lets a restart reclaim its
	// shards at once instead of after the group timeout.
	ConsumerName string `hcl:"consumer_name,optional" json:"consumer_name,omitempty"`
	// AccessKeyID, AccessKeySecret and SecurityToken authenticate; use env().
	AccessKeyID     sinks.Secret `hcl:"access_key_id,optional" json:"access_key_id,omitempty"`
	AccessKeySecret sinks.Secret `hcl:"access_key_secret,optional" json:"access_key_secret,omitempty"`
	SecurityToken   sinks.Secret `hcl:"security_token,optional" json:"security_token,omitempty"`
	// CredentialsFile is a JSON file with AccessKeyId, AccessKeySecret and
	// SecurityToken (an STS Credentials object), re-read when it changes:
	// token rotation needs no restart. Instead of the three keys above.
	CredentialsFile string `hcl:"credentials_file,optional" json:"credentials_file,omitempty"`
	// Start is where a shard with no checkpoint begins: "begin", "end" or an
	// RFC 3339 time. Only the first run uses it; later runs resume from the
	// checkpoints.
	Start string `hcl:"start,optional" json:"start"`
	// Query is an SPL statement SLS applies before sending
	// ("* | where __topic__ = 'actiontrail_audit_event'").
	Query string `hcl:"query,optional" json:"query,omitempty"`
	// HeartbeatInterval is how often the consumer heartbeats (default 5s;
	// whole seconds, at least 1s). The group timeout is three intervals.
	HeartbeatInterval string `hcl:"heartbeat_interval,optional" json:"heartbeat_interval"`
	// FetchLogGroups is the most log groups one pull returns (1–1000,
	// default 100).
	FetchLogGroups int `hcl:"fetch_log_groups,optional" json:"fetch_log_groups"`
	// FetchInterval is the pause between pulls of an idle shard (default 500ms).
	FetchInterval string `hcl:"fetch_interval,optional" json:"fetch_interval"`
	// InFlight is how many pulled batches per shard may await acknowledgement
	// at once (default 4). More hides sink latency; it also bounds memory and
	// the replay after a crash.
	InFlight int `hcl:"in_flight,optional" json:"in_flight"`
	// InFlightBytes bounds the memory of this source's pulled batches
	// awaiting acknowledgement, across all its logstores and shards
	// (default 32MiB): decompressed log bytes plus the event structures,
	// about twice the raw log bytes. Whatever the backlog or shard count,
	// pulling waits while the window is full.
	InFlightBytes string `hcl:"in_flight_bytes,optional" json:"in_flight_bytes"`
	// CheckpointInterval is how often acknowledged progress is committed
	// (default 1s); it is also committed when a shard is released and at
	// shutdown.
	CheckpointInterval string `hcl:"checkpoint_interval,optional" json:"checkpoint_interval"`
	// ShutdownTimeout bounds how long shutdown waits for acknowledgements of
	// batches in flight (default 20s).
	ShutdownTimeout string `hcl:"shutdown_timeout,optional" json:"shutdown_timeout"`
	// Compression is the pull encoding: "lz4" (default) or "zstd".
	Compression string `hcl:"compression,optional" json:"compression"`
	// MaxPullSize caps one PullLogs answer, both its declared decompressed
	// size (x-log-bodyrawsize) and its body, checked before anything is
	// allocated (default 64MiB, far above what SLS returns for one pull).
	// A larger answer is refused and retried with backoff.
	MaxPullSize string `hcl:"max_pull_size,optional" json:"max_pull_size"`
}

func newConfig() *Config {
	return &Config{Start: "begin", HeartbeatInterval: "5s", FetchLogGroups: 100, FetchInterval: "500ms",
		InFlight: 4, CheckpointInterval: "1s", ShutdownTimeout: "20s", Compression: "lz4",
		MaxPullSize: defaultMaxPullSize, InFlightBytes: defaultInFlightBytes}
}

func attrErr(attr, format string, args ...any) error {
	return &sinks.AttrError{Attr: attr, Err: fmt.Errorf(format, args...)}
}

// Validate checks the config without network access.
func (c *Config) Validate() error {
	var errs []error
	if u, err := url.Parse(withScheme(c.Endpoint)); err != nil || u.Host == "" {
		errs = append(errs, attrErr("endpoint", "invalid endpoint %q: want https://REGION.log.aliyuncs.com", c.Endpoint))
	}
	if c.Project == "" {
		errs = append(errs, attrErr("project", "must not be empty"))
	}
	if c.Logstore == "" && len(c.Logstores) == 0 {
		errs = append(errs, attrErr("logstore", "set logstore or logstores"))
	}
	if c.Logstore != "" && len(c.Logstores) > 0 {
		errs = append(errs, attrErr("logstores", "set logstore or logstores, not both"))
	}
	if c.ConsumerGroup == "" {
		errs = append(errs, attrErr("consumer_group", "must not be empty"))
	}
	if (c.AccessKeyID == "") != (c.AccessKeySecret == "") {
		errs = append(errs, attrErr("access_key_secret", "access_key_id and access_key_secret go together"))
	}
	if c.CredentialsFile != "" && c.AccessKeyID != "" {
		errs = append(errs, attrErr("credentials_file", "set credentials_file or access_key_id/access_key_secret, not both"))
	}
	if _, err := c.startFrom(); err != nil {
		errs = append(errs, attrErr("start", "%v", err))
	}
	for attr, v := range map[string]string{"heartbeat_interval": c.HeartbeatInterval, "fetch_interval": c.FetchInterval,
		"checkpoint_interval": c.CheckpointInterval, "shutdown_timeout": c.ShutdownTimeout} {
		if _, err := units.ParseDuration(v); err != nil {
			errs = append(errs, attrErr(attr, "%v", err))
		}
	}
	if d, err := units.ParseDuration(c.HeartbeatInterval); err == nil && (d < time.Second || d%time.Second != 0) {
		errs = append(errs, attrErr("heartbeat_interval", "must be whole seconds, at least 1s"))
	}
	if c.FetchLogGroups < 1 || c.FetchLogGroups > 1000 {
		errs = append(errs, attrErr("fetch_log_groups", "must be between 1 and 1000"))
	}
	if c.InFlight < 1 || c.InFlight > 64 {
		errs = append(errs, attrErr("in_flight", "must be between 1 and 64"))
	}
	if n, err := units.ParseSize(c.MaxPullSize); err != nil || n < 64<<10 || n > 1<<30 {
		errs = append(errs, attrErr("max_pull_size", "must be a size between 64KiB and 1GiB"))
	}
	if n, err := units.ParseSize(c.InFlightBytes); err != nil || n < 1<<20 {
		errs = append(errs, attrErr("in_flight_bytes", "must be a size of at least 1MiB"))
	}
	if c.Compression != "lz4" && c.Compression != "zstd" {
		errs = append(errs, attrErr("compression", "must be \"lz4\" or \"zstd\""))
	}
	return errors.Join(errs...)
}

// startFrom returns the GetCursor "from" for shards with no checkpoint.
func (c *Config) startFrom() (string, error) {
	switch c.Start {
	case "", "begin":
		return "begin", nil
	case "end":
		return "end", nil
	}
	t, err := time.Parse(time.RFC3339, c.Start)
	if err != nil {
		return "", fmt.Errorf("invalid start %q: use \"begin\", \"end\" or an RFC 3339 time", c.Start)
	}
	return fmt.Sprint(t.Unix()), nil
}

func (c *Config) logstores() []string {
	if c.Logstore != "" {
		return []string{c.Logstore}
	}
	return c.Logstores
}

func (c *Config) consumerName() string {
	if c.ConsumerName != "" {
		return c.ConsumerName
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%s-%d", c.ConsumerGroup, host, os.Getpid())
}

func withScheme(e string) string {
	if strings.Contains(e, "://") {
		return e
	}
	return "https://" + e
}

func mustDuration(s string) time.Duration {
	d, _ := units.ParseDuration(s)
	return d
}
