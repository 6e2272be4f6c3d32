// Package loopback builds HTTP clients that reach an SLS endpoint on a
// loopback address.
//
// The Alibaba Cloud Log Service SDK (aliyun-log-go-sdk v0.1.124) always sends
// requests to "<project>.<endpoint>", so an endpoint such as
// "http://127.0.0.1:8080" becomes the host "proj.127.0.0.1:8080", which no
// resolver knows. A client from this package dials a fixed address for every
// request while leaving the URL and Host header untouched, so the server still
// sees the project as the first label of Host (and v4 signatures, which sign
// the host, stay valid).
//
// Inject the client into the SDK with sls.Client.SetHTTPClient (or the
// Client.HTTPClient field) and into the consumer library with
// consumerLibrary.LogHubConfig.HTTPClient.
package loopback

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DialContext returns a dial function that ignores the requested address and
// always connects to addr (host:port) over TCP.
func DialContext(addr string) func(ctx context.Context, network, address string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, fmt.Errorf("loopback dial %s: %w", addr, err)
		}
		return conn, nil
	}
}

// Transport returns an *http.Transport that dials addr for every request and
// never uses a proxy (HTTP_PROXY must not capture "proj.127.0.0.1" hosts).
func Transport(addr string) *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           DialContext(addr),
		MaxIdleConns:          128,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       55 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// HTTPClient returns an *http.Client whose transport dials addr (host:port)
// whatever the request's host is, keeping the Host header. Call
// CloseIdleConnections on it when done to release its connections.
func HTTPClient(addr string) *http.Client {
	return &http.Client{Transport: Transport(addr), Timeout: 60 * time.Second}
}

// EndpointAddr reports the host:port to dial when endpoint (with or without
// an http:// or https:// scheme) names a loopback address: an IP in
// 127.0.0.0/8, ::1, or "localhost". The port defaults to 80 or 443 by scheme.
// ok is false for any other endpoint, which should be dialed normally.
func EndpointAddr(endpoint string) (addr string, ok bool) {
	raw := endpoint
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", false
	}
	host := u.Hostname()
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	if strings.EqualFold(host, "localhost") {
		return net.JoinHostPort("127.0.0.1", port), true
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return "", false
	}
	return net.JoinHostPort(host, port), true
}
