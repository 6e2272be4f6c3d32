package objectstore

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// store is the S3 API client: github.com/minio/minio-go/v7. One client
// serves OSS (its S3-compatible endpoint, virtual-hosted addressing), AWS S3
// and S3-compatible stores, with SigV4, streaming multipart from a ReaderAt
// and no checksum trailers unless asked (reference/libraries.md §9).
type store struct {
	c       *minio.Client
	bucket  string
	content string
	put     minio.PutObjectOptions
}

// credentialsFor returns the signer's credentials: static keys, optionally
// with an STS security token.
//
// This is the hook for the cloud credential providers the SLS source gets
// (ECS RAM role, OIDC/RRSA, a rotating credentials file): each becomes a
// credentials.Provider (Retrieve, IsExpired) wrapped in credentials.New, and
// minio-go refreshes it before a request once it reports expiry. Nothing
// else in the sink changes.
func credentialsFor(c *Config) (*credentials.Credentials, error) {
	id, key := c.AccessKeyID.Reveal(), c.AccessKeySecret.Reveal()
	if id == "" || key == "" {
		return nil, errors.New("access_key_id and access_key_secret must be set")
	}
	return credentials.NewStaticV4(id, key, c.SecurityToken.Reveal()), nil
}

// newStore builds the client. It reads TLS files, so it runs in Connect.
func newStore(c *Config, s *settings) (*store, error) {
	creds, err := credentialsFor(c)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.ResponseHeaderTimeout = 2 * time.Minute
	tr.MaxIdleConnsPerHost = 8
	if c.TLS != nil {
		tc, err := c.TLS.Build()
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = tc
	} else {
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	lookup := minio.BucketLookupDNS
	if c.PathStyle {
		lookup = minio.BucketLookupPath
	}
	cl, err := minio.New(s.endpoint.Host, &minio.Options{
		Creds: creds, Secure: s.endpoint.Scheme == "https", Region: c.Region, BucketLookup: lookup,
		Transport: tr, MaxRetries: 3, // the engine retries with backoff after these
	})
	if err != nil {
		return nil, err
	}
	ct := map[string]string{FormatJSON: "application/x-ndjson", FormatCSV: "text/csv", FormatParquet: "application/vnd.apache.parquet"}[c.Format]
	return &store{c: cl, bucket: c.Bucket, content: ct, put: minio.PutObjectOptions{
		ContentType: ct,
		PartSize:    uint64(s.partSize),
		NumThreads:  2,
	}}, nil
}

// check makes a signed request: it fails on bad credentials, an unreachable
// endpoint or a missing bucket.
func (st *store) check(ctx context.Context) error {
	ok, err := st.c.BucketExists(ctx, st.bucket)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("bucket %q does not exist", st.bucket)
	}
	return nil
}

// upload stores one object; objects larger than the part size go as a
// multipart upload, which the store assembles only on completion, so a
// partial upload never appears as an object. It returns once the store
// answered success, that is once the object is durable.
func (st *store) upload(ctx context.Context, key string, r io.Reader, size int64) error {
	_, err := st.c.PutObject(ctx, st.bucket, key, r, size, st.put)
	return err
}
