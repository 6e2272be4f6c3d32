// Package peers holds what the two benchmark peers share: flags and the
// consumer configuration of the unchanged SDK consumer library.
package peers

import (
	"flag"
	"net/http"
	"os"

	"github.com/go-kit/kit/log"

	consumerLibrary "github.com/aliyun/aliyun-log-go-sdk/consumer"

	"github.com/forwarder/forwarder/internal/loopback"
)

// Flags are the peers' common command line.
type Flags struct {
	Endpoint, Project, Logstore, Group, AccessKeyID, AccessKeySecret string
	FetchLogGroups                                                   int
}

// Parse registers the common flags plus the caller's, then parses.
func Parse() *Flags {
	f := &Flags{}
	flag.StringVar(&f.Endpoint, "endpoint", "http://127.0.0.1:9599", "SLS endpoint (the emulator)")
	flag.StringVar(&f.Project, "project", "p", "project")
	flag.StringVar(&f.Logstore, "logstore", "audit", "logstore")
	flag.StringVar(&f.Group, "group", "peer", "consumer group")
	flag.StringVar(&f.AccessKeyID, "ak", "bench", "access key id")
	flag.StringVar(&f.AccessKeySecret, "sk", "bench-secret", "access key secret")
	flag.IntVar(&f.FetchLogGroups, "fetch", 100, "log groups per pull")
	flag.Parse()
	return f
}

// Config is the consumer library configuration a plain program would
// write: defaults everywhere except the fetch size, the start position and
// a fast fetch interval.
func (f *Flags) Config() consumerLibrary.LogHubConfig {
	var hc *http.Client
	if addr, ok := loopback.EndpointAddr(f.Endpoint); ok {
		hc = loopback.HTTPClient(addr) // the SDK prefixes the project to the host
	}
	return consumerLibrary.LogHubConfig{
		Endpoint: f.Endpoint, AccessKeyID: f.AccessKeyID, AccessKeySecret: f.AccessKeySecret,
		Project: f.Project, Logstore: f.Logstore, ConsumerGroupName: f.Group, ConsumerName: f.Group + "-1",
		CursorPosition: consumerLibrary.BEGIN_CURSOR, MaxFetchLogGroupCount: f.FetchLogGroups,
		DataFetchIntervalInMs: 50, HeartbeatIntervalInSecond: 5, HTTPClient: hc,
		Logger: log.NewLogfmtLogger(os.Stderr), AllowLogLevel: "warn", DisableRuntimeMetrics: true,
	}
}
