package sls

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	sdk "github.com/aliyun/aliyun-log-go-sdk"
	"github.com/aliyun/credentials-go/credentials/providers"
)

// Credential modes (the `credentials` attribute).
const (
	credStatic  = "static"       // access_key_id/access_key_secret[/security_token]
	credFile    = "file"         // credentials_file
	credECS     = "ecs_ram_role" // the ECS instance's RAM role, from instance metadata
	credOIDC    = "oidc"         // RRSA: an OIDC token file exchanged at STS (ACK pods)
	credDefault = "default"      // credentials-go's default chain
)

// credentialsMode is the configured mode, or the one the other attributes
// imply.
func (c *Config) credentialsMode() string {
	switch {
	case c.Credentials != "":
		return c.Credentials
	case c.CredentialsFile != "":
		return credFile
	}
	return credStatic
}

// credentialsProvider returns the provider the SDK client signs with, or
// nil when the static keys go straight into the client. It does no I/O:
// every provider fetches on first use and refreshes before expiry.
func (c *Config) credentialsProvider() (sdk.CredentialsProvider, error) {
	mode := c.credentialsMode()
	if mode == credStatic && c.AssumeRoleARN == "" {
		return nil, nil
	}
	base, err := c.baseProvider(mode)
	if err != nil {
		return nil, err
	}
	p := base
	if c.AssumeRoleARN != "" {
		p, err = providers.NewRAMRoleARNCredentialsProviderBuilder().
			WithCredentialsProvider(base).
			WithRoleArn(c.AssumeRoleARN).
			WithRoleSessionName(c.RoleSessionName).
			WithExternalId(c.ExternalID).
			WithDurationSeconds(int(mustDuration(c.AssumeRoleDuration) / time.Second)).
			WithStsEndpoint(c.STSEndpoint).
			Build()
		if err != nil {
			return nil, fmt.Errorf("assume_role_arn: %w", err)
		}
	}
	return &lockedProvider{p: p}, nil
}

func (c *Config) baseProvider(mode string) (providers.CredentialsProvider, error) {
	switch mode {
	case credStatic:
		if c.SecurityToken != "" {
			return providers.NewStaticSTSCredentialsProviderBuilder().WithAccessKeyId(c.AccessKeyID.Reveal()).
				WithAccessKeySecret(c.AccessKeySecret.Reveal()).WithSecurityToken(c.SecurityToken.Reveal()).Build()
		}
		return providers.NewStaticAKCredentialsProviderBuilder().WithAccessKeyId(c.AccessKeyID.Reveal()).
			WithAccessKeySecret(c.AccessKeySecret.Reveal()).Build()
	case credFile:
		return &fileProvider{f: &fileCredentials{path: c.CredentialsFile}}, nil
	case credECS:
		return &imdsProvider{endpoint: strings.TrimRight(c.MetadataEndpoint, "/"), role: c.ECSRoleName,
			hc: &http.Client{Timeout: 5 * time.Second}}, nil
	case credOIDC:
		// Empty attributes fall back to the variables ACK injects
		// (ALIBABA_CLOUD_OIDC_TOKEN_FILE, ALIBABA_CLOUD_OIDC_PROVIDER_ARN,
		// ALIBABA_CLOUD_ROLE_ARN).
		p, err := providers.NewOIDCCredentialsProviderBuilder().
			WithOIDCTokenFilePath(c.OIDCTokenFile).
			WithOIDCProviderARN(c.OIDCProviderARN).
			WithRoleArn(c.OIDCRoleARN).
			WithRoleSessionName(c.RoleSessionName).
			WithSTSEndpoint(c.STSEndpoint).
			Build()
		if err != nil {
			return nil, fmt.Errorf("credentials = \"oidc\": %w (set oidc_token_file, oidc_provider_arn and oidc_role_arn, or the ALIBABA_CLOUD_* variables ACK injects)", err)
		}
		return p, nil
	case credDefault:
		return providers.NewDefaultCredentialsProvider(), nil
	}
	return nil, fmt.Errorf("credentials %q is not one of static, file, ecs_ram_role, oidc, default", mode)
}

// lockedProvider adapts a credentials-go provider to the SDK. The SDK asks
// for credentials on every request from many goroutines, and credentials-go
// providers are not safe for concurrent use; they cache and refresh 3
// minutes before expiry. When a refresh fails, the last good credentials
// are used for up to 2 minutes more (they are still valid) before the
// error is returned, so a slow STS loses no request.
type lockedProvider struct {
	p providers.CredentialsProvider

	mu           sync.Mutex
	last         sdk.Credentials
	failingSince time.Time
}

const refreshGrace = 2 * time.Minute

func (l *lockedProvider) GetCredentials() (sdk.Credentials, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, err := l.p.GetCredentials()
	if err != nil {
		if l.failingSince.IsZero() {
			l.failingSince = time.Now()
		}
		if l.last.AccessKeyID != "" && time.Since(l.failingSince) < refreshGrace {
			return l.last, nil
		}
		// Provider errors name the call that failed, never a secret;
		// fold them onto one line.
		return sdk.Credentials{}, fmt.Errorf("credentials (%s): %s", l.p.GetProviderName(), fold(err.Error(), 300))
	}
	l.failingSince = time.Time{}
	l.last = sdk.Credentials{AccessKeyID: c.AccessKeyId, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken}
	return l.last, nil
}

// fileProvider makes credentials_file a credentials-go provider, so it can
// be the base of an AssumeRole.
type fileProvider struct{ f *fileCredentials }

func (p *fileProvider) GetCredentials() (*providers.Credentials, error) {
	c, err := p.f.GetCredentials()
	if err != nil {
		return nil, err
	}
	return &providers.Credentials{AccessKeyId: c.AccessKeyID, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken, ProviderName: "file"}, nil
}

func (p *fileProvider) GetProviderName() string { return "file" }

// imdsProvider reads the ECS instance's RAM role credentials from the
// instance metadata service (IMDSv2 token first, IMDSv1 if the token
// endpoint is not there), at a configurable endpoint. credentials-go has
// the same provider but with the address fixed at 100.100.100.200, which
// tests must never reach. The role name is discovered when not configured.
// Credentials are refreshed when less than a quarter of their lifetime (at
// most 15 minutes) remains; until they expire, a failed refresh keeps the
// old ones.
type imdsProvider struct {
	endpoint string
	role     string
	hc       *http.Client

	mu      sync.Mutex
	cur     *providers.Credentials
	expires time.Time
	renew   time.Time
}

func (p *imdsProvider) GetProviderName() string { return "ecs_ram_role" }

func (p *imdsProvider) GetCredentials() (*providers.Credentials, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if p.cur != nil && now.Before(p.renew) {
		return p.cur, nil
	}
	c, exp, err := p.fetch()
	if err != nil {
		if p.cur != nil && now.Before(p.expires) {
			p.renew = now.Add(5 * time.Second) // retry soon, keep serving
			return p.cur, nil
		}
		return nil, err
	}
	p.cur, p.expires = c, exp
	p.renew = exp.Add(-min(exp.Sub(now)/4, 15*time.Minute))
	return c, nil
}

func (p *imdsProvider) fetch() (*providers.Credentials, time.Time, error) {
	token := ""
	if req, err := http.NewRequest(http.MethodPut, p.endpoint+"/latest/api/token", nil); err == nil {
		req.Header.Set("X-aliyun-ecs-metadata-token-ttl-seconds", "21600")
		if b, status, err := p.do(req); err == nil && status == http.StatusOK {
			token = strings.TrimSpace(string(b))
		}
	}
	get := func(path string) ([]byte, error) {
		req, err := http.NewRequest(http.MethodGet, p.endpoint+path, nil)
		if err != nil {
			return nil, err
		}
		if token != "" {
			req.Header.Set("X-aliyun-ecs-metadata-token", token)
		}
		b, status, err := p.do(req)
		if err != nil {
			return nil, err
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("instance metadata GET %s: HTTP %d", path, status)
		}
		return b, nil
	}
	const base = "/latest/meta-data/ram/security-credentials/"
	role := p.role
	if role == "" {
		b, err := get(base)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("ecs_ram_role: no role name (set ecs_role_name or attach a RAM role to the instance): %w", err)
		}
		role = strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
		if role == "" {
			return nil, time.Time{}, errors.New("ecs_ram_role: the instance has no RAM role attached")
		}
	}
	b, err := get(base + role)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("ecs_ram_role %q: %w", role, err)
	}
	var doc struct {
		Code, AccessKeyID, AccessKeySecret, SecurityToken, Expiration string
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.Code != "Success" || doc.AccessKeyID == "" || doc.AccessKeySecret == "" {
		// The body holds the keys: never quote it.
		return nil, time.Time{}, fmt.Errorf("ecs_ram_role %q: instance metadata answered without credentials (Code %q)", role, doc.Code)
	}
	exp, err := time.Parse(time.RFC3339, doc.Expiration)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("ecs_ram_role %q: Expiration %q is not RFC 3339", role, doc.Expiration)
	}
	return &providers.Credentials{AccessKeyId: doc.AccessKeyID, AccessKeySecret: doc.AccessKeySecret, SecurityToken: doc.SecurityToken, ProviderName: "ecs_ram_role"}, exp, nil
}

func (p *imdsProvider) do(req *http.Request) ([]byte, int, error) {
	resp, err := p.hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return b, resp.StatusCode, err
}

var (
	_ sdk.CredentialsProvider       = (*lockedProvider)(nil)
	_ providers.CredentialsProvider = (*imdsProvider)(nil)
	_ providers.CredentialsProvider = (*fileProvider)(nil)
)
