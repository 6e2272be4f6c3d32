package objectstore

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/forwarder/forwarder/plugin"
)

func TestValidate(t *testing.T) {
	str := func(s string) *string { return &s }
	tests := []struct {
		name string
		mod  func(c *Config)
		attr string // "" = valid
		msg  string
	}{
		{"defaults", func(*Config) {}, "", ""},
		{"no endpoint", func(c *Config) { c.Endpoint = "" }, "endpoint", "must be set"},
		{"endpoint path", func(c *Config) { c.Endpoint = "https://s3.example.com/bucket" }, "endpoint", "without a path"},
		{"endpoint scheme", func(c *Config) { c.Endpoint = "ftp://x" }, "endpoint", "scheme"},
		{"no bucket", func(c *Config) { c.Bucket = "" }, "bucket", "must be set"},
		{"secret without id", func(c *Config) { c.AccessKeyID = "" }, "access_key_id", "with access_key_secret"},
		{"no keys", func(c *Config) { c.AccessKeyID, c.AccessKeySecret = "", "" }, "access_key_id", "must be set"},
		{"token without keys", func(c *Config) { c.AccessKeySecret, c.SecurityToken = "", "t" }, "access_key_secret", "with access_key_id"},
		{"bad directive", func(c *Config) { c.Partition = "%Y/%Q" }, "partition", "unsupported directive %Q"},
		{"lone percent", func(c *Config) { c.Partition = "%Y/%" }, "partition", "lone"},
		{"zone", func(c *Config) { c.TimeZone = "Mars/Olympus" }, "time_zone", "unknown time zone"},
		{"format", func(c *Config) { c.Format = "xml" }, "format", "must be"},
		{"csv without block", func(c *Config) { c.Format = FormatCSV }, "format", "csv {"},
		{"csv block with json", func(c *Config) { c.CSV = &CSVConfig{Columns: []string{"a"}} }, "csv", "format = \"csv\""},
		{"csv delimiter", func(c *Config) { c.Format, c.CSV = FormatCSV, &CSVConfig{Columns: []string{"a"}, Delimiter: str("ab")} }, "csv.delimiter", "one ASCII character"},
		{"csv duplicate", func(c *Config) { c.Format, c.CSV = FormatCSV, &CSVConfig{Columns: []string{"a", "a"}} }, "csv.columns", "listed twice"},
		{"csv quote is delimiter", func(c *Config) { c.Format, c.CSV = FormatCSV, &CSVConfig{Columns: []string{"a"}, Quote: str(",")} }, "csv.quote", "differ"},
		{"compression", func(c *Config) { c.Compression = "lz4" }, "compression", "must be"},
		{"suffix slash", func(c *Config) { c.Suffix = str("/x") }, "suffix", "must not contain"},
		{"prefix slash", func(c *Config) { c.Prefix = "/x" }, "prefix", "must not start"},
		{"size", func(c *Config) { c.MaxObjectSize = "10" }, "max_object_size", "between 1KiB and 5GiB"},
		{"size unit", func(c *Config) { c.MaxObjectSize = "lots" }, "max_object_size", "invalid size"},
		{"part size", func(c *Config) { c.PartSize = "1MiB" }, "part_size", "between 5MiB"},
		{"age", func(c *Config) { c.MaxObjectAge = "0s" }, "max_object_age", "longer than zero"},
		{"idle", func(c *Config) { c.FlushIdle = "soon" }, "flush_idle", "invalid duration"},
		{"open", func(c *Config) { c.MaxOpenObjects = 0 }, "max_open_objects", "at least 1"},
		{"tls over http", func(c *Config) { c.Endpoint, c.TLS = "http://127.0.0.1:1", &plugin.TLS{} }, "tls", "https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewConfig()
			c.Endpoint, c.Bucket = "https://s3.oss-cn-hangzhou.aliyuncs.com", "b"
			c.AccessKeyID, c.AccessKeySecret = "id", "s3cr3t-VALUE"
			tt.mod(c)
			err := c.Validate()
			if tt.attr == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			var ae *plugin.AttrError
			if !errors.As(err, &ae) || ae.Attr != tt.attr || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Validate = %v; want an error on %s containing %q", err, tt.attr, tt.msg)
			}
			if strings.Contains(err.Error(), "s3cr3t-VALUE") {
				t.Fatalf("error shows the secret: %v", err)
			}
		})
	}
}

func TestSuffixDefaults(t *testing.T) {
	for _, tt := range []struct{ format, comp, want string }{
		{FormatJSON, CompressionZstd, ".json.zst"}, {FormatJSON, CompressionGzip, ".json.gz"},
		{FormatJSON, CompressionSnappy, ".json.sz"}, {FormatJSON, CompressionNone, ".json"},
		{FormatCSV, CompressionGzip, ".csv.gz"},
	} {
		c := NewConfig()
		c.Endpoint, c.Bucket, c.Format, c.Compression = "http://127.0.0.1:1", "b", tt.format, tt.comp
		c.AccessKeyID, c.AccessKeySecret = "id", "key"
		if tt.format == FormatCSV {
			c.CSV = &CSVConfig{Columns: []string{"a"}}
		}
		s, err := c.settings()
		if err != nil {
			t.Fatal(err)
		}
		if s.suffix != tt.want {
			t.Errorf("%s+%s: suffix %q, want %q", tt.format, tt.comp, s.suffix, tt.want)
		}
	}
}

func TestLayout(t *testing.T) {
	tm := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, tt := range []struct{ in, want string }{
		{"%Y/%m/%d/%H/%M", "2026/03/04/05/06"},
		{"year=%Y/month=%m/day=%d", "year=2026/month=03/day=04"},
		{"%y%j-%S%%", "26063-07%"},
		{"%s", "1772600767"},
		{"", ""},
	} {
		l, err := parseLayout(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(l.append(nil, tm)); got != tt.want {
			t.Errorf("%q → %q, want %q", tt.in, got, tt.want)
		}
	}
}
