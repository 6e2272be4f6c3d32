// Package slsemu is an Alibaba Cloud Log Service (SLS) compatible HTTP
// server. The unchanged aliyun-log-go-sdk v0.1.124 client and its consumer
// library (package consumerLibrary) talk to it over real HTTP, so the SLS
// source, its tests and `forwarder emulator` need no cloud account.
//
// # What is emulated
//
// The facts come from the team's reference/sls-protocol.md (§1–§8, checklist
// §10):
//
//   - Projects are the first label of the Host header ("proj.127.0.0.1:8080"
//     is project "proj"). Absolute-form request URIs (HTTP proxy mode) work
//     too.
//   - Logstores with N shards over the 128-bit MD5 hash space
//     ([inclusiveBeginKey, exclusiveEndKey), 32 hex digits); ListShards;
//     PutLogs (POST /logstores/L or /logstores/L/shards/lb, the Python and
//     Java SDKs' load-balanced put, or /shards/route?key= by hash key) with lz4
//     raw block, zstd frame, deflate or no compression, decompressed to
//     exactly x-log-bodyrawsize and unmarshalled with the protobuf's
//     required-field checks; one PutLogs is one LogGroup and one cursor.
//   - Cursors are base64 of a decimal int64, consecutive per LogGroup, with a
//     realistic base (shard creation ms × 1e6). GetCursor (begin, end, unix
//     seconds by receive time), GetCursorTime.
//   - PullLogs: LogGroupList compressed as lz4 (default) or zstd (when
//     Accept-Encoding asks for it), deflate (the Python SDK's "gzip" without
//     its lz4 module) or not at all (an empty Accept-Encoding), with the
//     headers the SDKs parse:
//     x-log-cursor (the request cursor echoed byte-identical when there is
//     no data), x-log-count, x-log-bodyrawsize, x-log-compresstype,
//     x-log-read-last-cursor, x-log-cursor-time, x-log-end-of-cursor (read-only
//     shard fully read). count must be in [0, 1000]; end_cursor is
//     exclusive; cursors outside [begin, end] get 400 InvalidCursor; one
//     response carries at most Options.MaxPullBytes raw bytes.
//   - Serving is mostly a copy: each LogGroup is compressed once at ingest
//     into an LZ4 block kept split so that consecutive blocks splice into one
//     valid block (see lz4chunk.go); zstd frames are built once per LogGroup
//     on first request and concatenated.
//   - query (SPL): `*`, then any number of `| where <cond>` with =, != (<>),
//     is [not] null, [not] like, [not] in (…), json_extract_scalar and
//     json_extract, true, false, and, or, not and parentheses over
//     contents, __topic__, __source__, __time__ and __tag__:NAME, with SQL
//     null semantics for missing fields: the subset forwarder's filter
//     push-down emits (query.go has the grammar and semantics).
//     Filtering happens here; the x-log-rawdata*/x-log-resultlines stats are
//     set. Other SPL is refused with ParameterInvalid; so is processor=.
//   - Consumer groups: list, create (ConsumerGroupAlreadyExist, quota 30),
//     update, delete; the heartbeat state machine of §8 (server-side
//     assignment; loads balanced within one; a shard moves only after its
//     holder's heartbeat stops listing it; consumers expire after the group
//     timeout; NotExistConsumerWithBody for an unknown consumer reporting
//     shards; order=true children wait for their parents to finish);
//     UpdateCheckpoint (forceSuccess=true always stores; false checks
//     ConsumerNotExist / ConsumerNotMatch; InvalidShardCheckPoint); a
//     read-only shard checkpointed at its end is "over" and leaves the
//     assignment. GetCheckpoint lists every shard ("" when never
//     committed), or one with ?shard=N. updateTime is in microseconds.
//   - Split (at a key or into shardCount parts) and merge: parents become
//     read-only with a fixed end, children get new ids (max+1…).
//   - TTL: a janitor drops log groups older than the logstore's TTL days;
//     ExpireBefore/ExpireAll do it on demand. Expired cursors get
//     InvalidCursor.
//   - Signatures: v1 (HMAC-SHA1, "LOG id:sig") and v4 (SLS4-HMAC-SHA256)
//     are verified against the body actually received; a wrong key or a
//     tampered request gets 401 SignatureNotMatch (unknown key id: 401
//     Unauthorized), a Date more than MaxClockSkew away 400
//     RequestTimeTooSkewed. With no key configured, auth is off;
//     AllowUnsigned accepts the SDK's AuthV0.
//   - Every response carries x-log-requestid; every error is
//     {"errorCode","errorMessage"} with SLS's status; success is always 200
//     and JSON is never compressed.
//
// Not emulated: GetLogs/index queries, logtail configs, machine groups,
// consume processors, appendMeta tags (__receive_time__, __client_ip__),
// server-side quotas (inject them as faults instead).
//
// # Reaching the emulator from the SDK
//
// The SDK always sends to "<project>.<endpoint>", which does not resolve for
// a loopback endpoint. Give it an *http.Client that dials the emulator
// whatever the host (package loopback; Server.HTTPClient is a shortcut):
//
//	hc := srv.HTTPClient() // or loopback.HTTPClient(srv.Addr())
//	client := &sls.Client{Endpoint: srv.Addr(), AccessKeyID: id, AccessKeySecret: secret, HTTPClient: hc}
//	// or, on an existing client: client.SetHTTPClient(hc) (before its first request)
//
//	cfg := consumerLibrary.LogHubConfig{Endpoint: srv.Addr(), HTTPClient: hc, ...}
//	// initConsumerClient calls client.SetHTTPClient(cfg.HTTPClient)
//
// The SLS source calls loopback.EndpointAddr(endpoint) for its configured
// endpoint and, when that is a loopback address (127.0.0.0/8, ::1,
// localhost), uses loopback.HTTPClient(addr), so
// endpoint = "http://127.0.0.1:PORT" just works. Call CloseIdleConnections on
// the client when done. The alternative needs no client: point HTTP_PROXY
// (or Transport.Proxy) at the emulator and use a non-loopback endpoint name
// such as "sls.emu.test".
//
// # Tests
//
//	srv := slsemu.New(slsemu.Options{AccessKeyID: "id", AccessKeySecret: "secret"})
//	if err := srv.Start(); err != nil { ... } // 127.0.0.1:0
//	defer srv.Close()                         // stops every goroutine
//	srv.CreateLogstore("proj", "audit", slsemu.LogstoreConfig{Shards: 4})
//	srv.AppendLogs("proj", "audit", "topic", "10.0.0.1", []*sls.Log{slsemu.NewLog(time.Now(), "k", "v")})
//
// Inspection: Group (consumers with heartbeat times, assignments,
// checkpoints, departed consumers), Assignments, AssignmentHistory,
// Violations (a shard granted while another consumer still held it: must
// stay empty), MaxHeartbeatGap, Shards, State, Stats / RequestCount (per API
// name, plus the queries PullLogs received). Faults: InjectFault(Fault{API,
// Consumer, Latency, Status, Code, Drop, StuckCursor, Rate, Times}), RemoveFault,
// ClearFaults, FaultHits. Data: SplitShard, MergeShards, ExpireBefore,
// ExpireAll, AppendLogGroup(ToShard), CreateConsumerGroup. Options.Clock
// lets a test move server time (group expiry, TTL) without sleeping.
//
// Running the SDK's consumer library under -race: v0.1.124's
// Client.initHttpClient writes RequestTimeOut/RetryTimeOut under a read lock
// on each shard worker's first request, so workers of one client starting
// together race. Set Options.MaxGrantPerHeartbeat to 1 so heartbeat
// responses add one shard at a time and the workers start apart.
//
// # Admin HTTP API
//
// Under /_emu/ (never SLS paths), unauthenticated, JSON:
//
//	GET    /_emu/state                                  projects, logstores, shards, groups
//	GET    /_emu/group?project=P&logstore=L&group=G     group + history + violations
//	GET    /_emu/stats        POST /_emu/stats/reset    request counters
//	GET    /_emu/faults       POST /_emu/faults         {"api":"PullLogs","latency":"200ms","code":"ServerBusy","rate":0.1,"times":3}
//	DELETE /_emu/faults       DELETE /_emu/faults/ID
//	POST   /_emu/logstores    {"project","logstore","shards","ttlDays"}
//	POST   /_emu/logs         {"project","logstore","shard"?,"topic","source","logs":[{"time":unix,"contents":{"k":"v"}}]}
//	POST   /_emu/split        {"project","logstore","shard","key"|"count"}
//	POST   /_emu/merge        {"project","logstore","shard"}
//	POST   /_emu/expire       {"project","logstore","before":unix} or {"all":true}
//
// # Persistence
//
// With Options.DataDir, Start loads DataDir/slsemu.gob and Close writes it:
// data, cursors, shards and consumer-group checkpoints survive a restart;
// consumers re-register on their next heartbeat.
//
// # README: forwarder emulator
//
// `forwarder emulator --listen 127.0.0.1:PORT --project P --logstore L
// --shards N [--demo N]` (cmd/ owns the flags) maps onto this package:
//
//	srv := slsemu.New(slsemu.Options{
//		Listen: listen, AccessKeyID: id, AccessKeySecret: secret, // both empty: auth off
//		DataDir: dataDir, Logger: logger,
//	})
//	if err := srv.Start(); err != nil { return err } // loads DataDir, binds loopback only
//	defer srv.Close()
//	if err := srv.EnsureLogstore(p, l, slsemu.LogstoreConfig{Shards: n}); err != nil { return err }
//	// --demo N: append demo events in batches of a few hundred logs, e.g.
//	//   srv.AppendLogs(p, l, "actiontrail_audit_event", "10.0.0.1", logs)
//	// with logs built by slsemu.NewLog(t, "event", json, ...).
//	// Print srv.Endpoint() and the HCL snippet: endpoint = "http://127.0.0.1:PORT".
//	<-ctx.Done()
//
// Create the logstore after Start: Start replaces the state with the
// snapshot from DataDir. The listen address must be loopback.
package slsemu
