package sls

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	sdk "github.com/aliyun/aliyun-log-go-sdk"
)

// fileCredentials reads access keys from a JSON file and re-reads it when it
// changes, so STS tokens can be rotated by whatever writes the file (a
// sidecar, a cron job, a Kubernetes secret) with no restart and no reload.
// The file holds the STS "Credentials" object, or a whole AssumeRole
// response around it:
//
//	{"AccessKeyId": "STS.…", "AccessKeySecret": "…", "SecurityToken": "…", "Expiration": "…"}
type fileCredentials struct {
	path string

	mu      sync.Mutex
	cur     sdk.Credentials
	mtime   time.Time
	size    int64
	checked time.Time
}

type credentialsJSON struct {
	AccessKeyID     string `json:"AccessKeyId"`
	AccessKeySecret string `json:"AccessKeySecret"`
	SecurityToken   string `json:"SecurityToken"`
}

// GetCredentials implements sdk.CredentialsProvider. It looks at the file at
// most once a second; errors never include the file's contents.
func (f *fileCredentials) GetCredentials() (sdk.Credentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cur.AccessKeyID != "" && time.Since(f.checked) < time.Second {
		return f.cur, nil
	}
	f.checked = time.Now()
	st, err := os.Stat(f.path)
	if err != nil {
		return f.fallback(fmt.Errorf("credentials_file: %w", err))
	}
	if f.cur.AccessKeyID != "" && st.ModTime().Equal(f.mtime) && st.Size() == f.size {
		return f.cur, nil
	}
	b, err := os.ReadFile(f.path)
	if err != nil {
		return f.fallback(fmt.Errorf("credentials_file: %w", err))
	}
	var doc struct {
		credentialsJSON
		Credentials *credentialsJSON `json:"Credentials"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return f.fallback(fmt.Errorf("credentials_file %s: not JSON with AccessKeyId, AccessKeySecret and SecurityToken", f.path))
	}
	c := doc.credentialsJSON
	if doc.Credentials != nil {
		c = *doc.Credentials
	}
	if c.AccessKeyID == "" || c.AccessKeySecret == "" {
		return f.fallback(fmt.Errorf("credentials_file %s: AccessKeyId and AccessKeySecret are required", f.path))
	}
	f.cur = sdk.Credentials{AccessKeyID: c.AccessKeyID, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken}
	f.mtime, f.size = st.ModTime(), st.Size()
	return f.cur, nil
}

// fallback keeps using the last good credentials while the file is being
// replaced; with none, it reports the error.
func (f *fileCredentials) fallback(err error) (sdk.Credentials, error) {
	if f.cur.AccessKeyID != "" {
		return f.cur, nil
	}
	return sdk.Credentials{}, err
}

var _ sdk.CredentialsProvider = (*fileCredentials)(nil)
