package sls

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	sdk "github.com/aliyun/aliyun-log-go-sdk"
)

// TestOneLineAndClassify: SDK errors print on one line with code, status
// and request id; permanent ones name the attribute to fix.
func TestOneLineAndClassify(t *testing.T) {
	tests := []struct {
		err       error
		permanent bool
		attr      string
		want      string
	}{
		{&sdk.Error{HTTPCode: 404, Code: "ProjectNotExist", Message: "The Project does not exist : p", RequestID: "R1"}, true, "project", "SLS ProjectNotExist: The Project does not exist : p (HTTP 404, request R1)"},
		{fmt.Errorf("wrapped: %w", &sdk.Error{HTTPCode: 404, Code: "LogStoreNotExist", Message: "logstore x does not exist"}), true, "logstore", "SLS LogStoreNotExist"},
		{&sdk.Error{HTTPCode: 401, Code: "SignatureNotMatch", Message: "signature x is not matched"}, true, "access_key_id", "SignatureNotMatch"},
		{&sdk.Error{HTTPCode: 403, Code: "Unauthorized", Message: "denied by sts or ram"}, true, "access_key_id", "Unauthorized"},
		{&sdk.Error{HTTPCode: 404, Code: "ConsumerGroupNotExist", Message: "gone"}, true, "consumer_group", "ConsumerGroupNotExist"},
		{&sdk.Error{HTTPCode: 503, Code: "ServerBusy", Message: "busy\nnow"}, false, "", "SLS ServerBusy: busy now (HTTP 503)"},
		{&sdk.Error{HTTPCode: 403, Code: "ReadQuotaExceed", Message: "shard read quota exceed"}, false, "", "ReadQuotaExceed"},
		{&sdk.BadResponseError{HTTPCode: 502, RespBody: "<html>\n<body>Bad Gateway</body>\n</html>"}, false, "", "SLS bad response (HTTP 502): <html> <body>Bad Gateway</body> </html>"},
		{errors.New("dial tcp: connection refused"), false, "", "dial tcp: connection refused"},
	}
	for _, tt := range tests {
		got := explain(tt.err).Error()
		if strings.ContainsAny(got, "\n\r") || strings.Contains(got, `"errorCode"`) || !strings.Contains(got, tt.want) {
			t.Errorf("explain(%T) = %q, want one line containing %q", tt.err, got, tt.want)
		}
		if p := classify(tt.err); p.permanent != tt.permanent || p.attr != tt.attr {
			t.Errorf("classify(%q) = %+v, want permanent=%v attr=%q", got, p, tt.permanent, tt.attr)
		}
		if tt.permanent && !strings.Contains(got, tt.attr+":") {
			t.Errorf("explain(%q) does not name %s", got, tt.attr)
		}
	}
}

// TestCredentialAttrs: the credential attributes are checked without I/O.
func TestCredentialAttrs(t *testing.T) {
	base := func() *Config {
		c := NewConfig()
		c.Endpoint, c.Project, c.Logstore, c.ConsumerGroup = "https://cn-hangzhou.log.aliyuncs.com", "p", "l", "g"
		return c
	}
	tests := []struct {
		name string
		set  func(c *Config)
		attr string // "" = valid
	}{
		{"static keys", func(c *Config) { c.AccessKeyID, c.AccessKeySecret = "id", "s" }, ""},
		{"ecs role", func(c *Config) { c.Credentials = "ecs_ram_role" }, ""},
		{"oidc with assume role", func(c *Config) { c.Credentials, c.AssumeRoleARN = "oidc", "acs:ram::1:role/r" }, ""},
		{"unknown mode", func(c *Config) { c.Credentials = "magic" }, "credentials"},
		{"keys with ecs role", func(c *Config) { c.Credentials, c.AccessKeyID, c.AccessKeySecret = "ecs_ram_role", "id", "s" }, "access_key_id"},
		{"file mode without file", func(c *Config) { c.Credentials = "file" }, "credentials_file"},
		{"bad metadata endpoint", func(c *Config) { c.MetadataEndpoint = "100.100.100.200" }, "metadata_endpoint"},
		{"short session", func(c *Config) { c.AssumeRoleDuration = "5m" }, "assume_role_duration"},
		{"sts url instead of host", func(c *Config) { c.STSEndpoint = "https://sts.aliyuncs.com/" }, "sts_endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.set(c)
			err := c.Validate()
			if tt.attr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.credentialsProvider(); err != nil && c.Credentials != "oidc" {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(fmt.Sprintf("%+v", err), tt.attr) {
				t.Fatalf("err = %v, want one naming %s", err, tt.attr)
			}
		})
	}
}
