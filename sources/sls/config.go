package sls

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/forwarder/forwarder/internal/units"
	"github.com/forwarder/forwarder/plugin"
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
	AccessKeyID     plugin.Secret `hcl:"access_key_id,optional" json:"access_key_id,omitempty"`
	AccessKeySecret plugin.Secret `hcl:"access_key_secret,optional" json:"access_key_secret,omitempty"`
	SecurityToken   plugin.Secret `hcl:"security_token,optional" json:"security_token,omitempty"`
	// CredentialsFile is a JSON file with AccessKeyId, AccessKeySecret and
	// SecurityToken (an STS Credentials object), re-read when it changes:
	// token rotation needs no restart. Instead of the three keys above.
	CredentialsFile string `hcl:"credentials_file,optional" json:"credentials_file,omitempty"`
	// Credentials picks where the keys come from: "static" (the keys
	// above, the default), "file" (credentials_file), "ecs_ram_role" (the
	// instance's RAM role), "oidc" (RRSA on ACK: an OIDC token exchanged
	// at STS) or "default" (the Alibaba Cloud default chain: environment,
	// OIDC environment, CLI profile, instance role). Temporary
	// credentials are refreshed before they expire, with no restart.
	Credentials string `hcl:"credentials,optional" json:"credentials,omitempty"`
	// ECSRoleName is the instance's RAM role (discovered when empty);
	// MetadataEndpoint is the instance metadata service.
	ECSRoleName      string `hcl:"ecs_role_name,optional" json:"ecs_role_name,omitempty"`
	MetadataEndpoint string `hcl:"metadata_endpoint,optional" json:"metadata_endpoint,omitempty"`
	// OIDCTokenFile, OIDCProviderARN and OIDCRoleARN configure RRSA; when
	// empty they come from ALIBABA_CLOUD_OIDC_TOKEN_FILE,
	// ALIBABA_CLOUD_OIDC_PROVIDER_ARN and ALIBABA_CLOUD_ROLE_ARN, which ACK
	// injects into the pod. The token file is re-read at each refresh.
	OIDCTokenFile   string `hcl:"oidc_token_file,optional" json:"oidc_token_file,omitempty"`
	OIDCProviderARN string `hcl:"oidc_provider_arn,optional" json:"oidc_provider_arn,omitempty"`
	OIDCRoleARN     string `hcl:"oidc_role_arn,optional" json:"oidc_role_arn,omitempty"`
	// AssumeRoleARN, when set, assumes this role (cross-account reads) with
	// whatever credentials the mode above gives, for AssumeRoleDuration.
	AssumeRoleARN      string `hcl:"assume_role_arn,optional" json:"assume_role_arn,omitempty"`
	ExternalID         string `hcl:"external_id,optional" json:"external_id,omitempty"`
	AssumeRoleDuration string `hcl:"assume_role_duration,optional" json:"assume_role_duration"`
	// RoleSessionName names the STS sessions (default "forwarder").
	RoleSessionName string `hcl:"role_session_name,optional" json:"role_session_name"`
	// STSEndpoint is the STS host for oidc and assume_role_arn (default
	// sts.aliyuncs.com; e.g. sts-vpc.cn-hangzhou.aliyuncs.com). Always
	// HTTPS.
	STSEndpoint string `hcl:"sts_endpoint,optional" json:"sts_endpoint"`
	// Start is where a shard with no checkpoint begins: "begin", "end" or an
	// RFC 3339 time. Only the first run uses it; later runs resume from the
	// checkpoints.
	Start string `hcl:"start,optional" json:"start"`
	// Query is an SPL statement SLS applies before sending
	// ("* | where __topic__ = 'actiontrail_audit_event'").
	Query string `hcl:"query,optional" json:"query,omitempty"`
	// PushDown (default true) lets the plan append the routes' filters to
	// the query, so SLS sends only what some route may keep (pushdown.go).
	PushDown *bool `hcl:"push_down,optional" json:"push_down,omitempty"`
	// Derived is the condition the plan derived from the routes' filters
	// ("" = none); not an HCL attribute. It is part of the fingerprint, so
	// a reload that changes it restarts the source.
	Derived string `json:"derived_query,omitempty"`
	// HeartbeatInterval is how often the consumer heartbeats (default 5s;
	// whole seconds, at least 1s). The group timeout is three intervals.
	HeartbeatInterval string `hcl:"heartbeat_interval,optional" json:"heartbeat_interval"`
	// FetchLogGroups is the most log groups one pull returns (1–1000,
	// default 100). A pull asks for fewer when the last answer's log groups
	// were so large that this many would take more than a quarter of
	// in_flight_bytes, so several shards' answers are in flight at once; a
	// shard's first pull asks for at most 10.
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
	// Lanes is "per_sink" (default): each sink the source's routes write to
	// reads through its own consumer group, named LaneGroup(consumer_group,
	// sink), with its own checkpoints, so one SIEM's outage never stalls
	// another (each lane pulls and decodes the data again: N sinks cost N×
	// read traffic and decode CPU). "shared" reads once through
	// consumer_group for all sinks; a batch is then checkpointed only when
	// every sink has it.
	Lanes string `hcl:"lanes,optional" json:"lanes"`
}

// LaneGroup is the consumer group of a sink's lane: the source's group, a
// hyphen, and the sink key with every character SLS does not allow in a
// group name (lower-case letters, digits, '_' and '-') replaced by '-';
// e.g. "siem-forwarder" and "splunk_hec.main" give
// "siem-forwarder-splunk_hec-main".
func LaneGroup(group, sink string) string {
	b := []byte(strings.ToLower(sink))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '-'
		}
	}
	return group + "-" + string(b)
}

// HeldBytes is in_flight_bytes: what one lane's pulled batches may hold.
// See sources.MemoryConfig.
func (c *Config) HeldBytes() int64 {
	n, err := units.ParseSize(c.InFlightBytes)
	if err != nil || n <= 0 {
		n, _ = units.ParseSize(defaultInFlightBytes)
	}
	return n
}

// PerSinkLanes implements sources.LaneConfig.
func (c *Config) PerSinkLanes() bool { return c.Lanes != "shared" }

// LaneName implements sources.LaneConfig: the lane's consumer group.
func (c *Config) LaneName(sink string) string { return LaneGroup(c.ConsumerGroup, sink) }

// ForLane implements sources.LaneConfig.
func (c *Config) ForLane(sink string) plugin.Config {
	cp := *c
	cp.Logstores = slices.Clone(c.Logstores)
	cp.ConsumerGroup = LaneGroup(c.ConsumerGroup, sink)
	return &cp
}

// NewConfig returns a config with the defaults filled in.
func NewConfig() *Config {
	return &Config{Start: "begin", HeartbeatInterval: "5s", FetchLogGroups: 100, FetchInterval: "500ms",
		InFlight: 4, CheckpointInterval: "1s", ShutdownTimeout: "20s", Compression: "lz4", Lanes: "per_sink",
		MetadataEndpoint: "http://100.100.100.200", AssumeRoleDuration: "1h", RoleSessionName: "forwarder",
		STSEndpoint: "sts.aliyuncs.com", MaxPullSize: defaultMaxPullSize, InFlightBytes: defaultInFlightBytes}
}

func attrErr(attr, format string, args ...any) error {
	return &plugin.AttrError{Attr: attr, Err: fmt.Errorf(format, args...)}
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
	if c.Lanes != "per_sink" && c.Lanes != "shared" {
		errs = append(errs, attrErr("lanes", "must be \"per_sink\" or \"shared\""))
	}
	if (c.AccessKeyID == "") != (c.AccessKeySecret == "") {
		errs = append(errs, attrErr("access_key_secret", "access_key_id and access_key_secret go together"))
	}
	if c.CredentialsFile != "" && c.AccessKeyID != "" {
		errs = append(errs, attrErr("credentials_file", "set credentials_file or access_key_id/access_key_secret, not both"))
	}
	switch c.Credentials {
	case "", credStatic, credFile, credECS, credOIDC, credDefault:
	default:
		errs = append(errs, attrErr("credentials", "must be static, file, ecs_ram_role, oidc or default"))
	}
	if c.Credentials == credFile && c.CredentialsFile == "" {
		errs = append(errs, attrErr("credentials_file", "credentials = \"file\" needs credentials_file"))
	}
	if m := c.credentialsMode(); m != credStatic && m != credFile && c.AccessKeyID != "" {
		errs = append(errs, attrErr("access_key_id", "credentials = %q takes no access_key_id/access_key_secret", m))
	}
	if c.Credentials == credStatic && c.CredentialsFile != "" {
		errs = append(errs, attrErr("credentials_file", "credentials = \"static\" uses access_key_id, not credentials_file"))
	}
	if u, err := url.Parse(c.MetadataEndpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, attrErr("metadata_endpoint", "want http://HOST[:PORT]"))
	}
	if d, err := units.ParseDuration(c.AssumeRoleDuration); err != nil || d < 15*time.Minute || d > 12*time.Hour {
		errs = append(errs, attrErr("assume_role_duration", "must be between 15m and 12h"))
	}
	if c.STSEndpoint == "" || strings.Contains(c.STSEndpoint, "/") {
		errs = append(errs, attrErr("sts_endpoint", "want a host name (HTTPS is implied), e.g. sts.cn-hangzhou.aliyuncs.com"))
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
