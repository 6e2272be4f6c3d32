package objectstore

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	_ "time/tzdata" // time_zone works on hosts without a zoneinfo database

	"github.com/forwarder/forwarder/internal/units"
	"github.com/forwarder/forwarder/plugin"
)

// Type is the sink type, the first label of `sink "object_store" "name" {…}`.
const Type = "object_store"

// Formats.
const (
	FormatJSON    = "json"    // NDJSON: the file sink's flat JSON form, one object per line
	FormatCSV     = "csv"     // columns from csv { columns = […] }
	FormatParquet = "parquet" // typed columns from parquet { column "name" { type = … } }
)

// Compressions. For json and csv the whole object is compressed; for parquet
// the codec compresses the column pages inside the file.
const (
	CompressionNone   = "none"
	CompressionGzip   = "gzip"
	CompressionSnappy = "snappy" // json/csv: the snappy framing format (a stream); parquet: snappy pages
	CompressionZstd   = "zstd"
)

// Defaults filled in by NewConfig. zstd at its fastest level is the default
// codec: 500 MB/s per core at a ratio of 8 on audit JSON (reference/libraries.md
// §3). Objects roll at 64 MiB of encoded bytes or 5 minutes, the middle of the
// SLS shipper's ranges (5–256 MB, 300–900 s).
const (
	DefaultFormat        = FormatJSON
	DefaultCompression   = CompressionZstd
	DefaultPartition     = "%Y/%m/%d/%H"
	DefaultTimeZone      = "UTC"
	DefaultMaxObjectSize = "64MiB"
	DefaultMaxObjectAge  = "5m"
	DefaultFlushIdle     = "5s"
	DefaultMemoryBuffer  = "8MiB"
	DefaultPartSize      = "16MiB"
	DefaultMaxOpen       = 16
	DefaultTimeout       = "5m"
)

// Config is the body of a `sink "object_store" "name" { … }` block. Its JSON
// form is the sink's fingerprint; secrets appear in it only as hashes.
type Config struct {
	// Endpoint is the S3 API endpoint: https://s3.oss-cn-hangzhou.aliyuncs.com
	// for OSS, https://s3.us-east-1.amazonaws.com for AWS, http://127.0.0.1:7070
	// for a local store.
	Endpoint string `hcl:"endpoint" json:"endpoint"`
	// Bucket is the bucket objects are written to. It must exist.
	Bucket string `hcl:"bucket" json:"bucket"`
	// Region is the signing region; empty asks the store (AWS) or uses us-east-1.
	Region string `hcl:"region,optional" json:"region,omitempty"`
	// PathStyle addresses the bucket as endpoint/bucket/key instead of
	// bucket.endpoint/key. OSS needs virtual-hosted (the default); MinIO and
	// versitygw on 127.0.0.1 need path style.
	PathStyle bool `hcl:"path_style,optional" json:"path_style"`
	// AccessKeyID, AccessKeySecret and SecurityToken (STS) sign requests.
	AccessKeyID     plugin.Secret `hcl:"access_key_id,optional" json:"access_key_id"`
	AccessKeySecret plugin.Secret `hcl:"access_key_secret,optional" json:"access_key_secret"`
	SecurityToken   plugin.Secret `hcl:"security_token,optional" json:"security_token,omitempty"`

	// Prefix starts every object key, for example "actiontrail/".
	Prefix string `hcl:"prefix,optional" json:"prefix,omitempty"`
	// Partition is a strftime pattern applied to each event's time:
	// %Y %m %d %H %M %S %j %y %%; Hive-style directories are literal text
	// such as "year=%Y/month=%m/day=%d".
	Partition string `hcl:"partition,optional" json:"partition"`
	// Suffix ends every object key; empty means the format's and codec's
	// extension (".json.zst", ".csv.gz", ".parquet").
	Suffix *string `hcl:"suffix,optional" json:"suffix,omitempty"`
	// TimeZone names the zone the partition is computed in (IANA name).
	TimeZone string `hcl:"time_zone,optional" json:"time_zone"`

	// Format is json, csv or parquet.
	Format string `hcl:"format,optional" json:"format"`
	// Compression is none, gzip, snappy or zstd.
	Compression string `hcl:"compression,optional" json:"compression"`
	// Meta writes the "__meta__" object in json objects (default false).
	Meta bool `hcl:"meta,optional" json:"meta"`

	// MaxObjectSize rolls an object once its encoded (uncompressed) bytes
	// reach this size.
	MaxObjectSize string `hcl:"max_object_size,optional" json:"max_object_size"`
	// MaxObjectAge rolls an object this long after its first event.
	MaxObjectAge string `hcl:"max_object_age,optional" json:"max_object_age"`
	// FlushIdle rolls an object that received no event for this long. Events
	// are acknowledged only once their object is stored, so a source whose
	// in-flight window is full waits for this, not for MaxObjectAge.
	FlushIdle string `hcl:"flush_idle,optional" json:"flush_idle"`
	// MaxOpenObjects bounds the partitions written at once; opening one more
	// rolls the one idle longest.
	MaxOpenObjects int `hcl:"max_open_objects,optional" json:"max_open_objects"`
	// MemoryBuffer is how many bytes of an object are held in memory; a larger
	// object moves to a temporary file in TempDir.
	MemoryBuffer string `hcl:"memory_buffer,optional" json:"memory_buffer"`
	// TempDir holds spilled objects (default: the system's temporary directory).
	TempDir string `hcl:"temp_dir,optional" json:"temp_dir,omitempty"`
	// PartSize is the multipart part size; objects up to it go in one PUT.
	PartSize string `hcl:"part_size,optional" json:"part_size"`
	// Timeout bounds one object's upload.
	Timeout string `hcl:"timeout,optional" json:"timeout"`

	CSV     *CSVConfig     `hcl:"csv,block" json:"csv,omitempty"`
	Parquet *ParquetConfig `hcl:"parquet,block" json:"parquet,omitempty"`
	TLS     *plugin.TLS    `hcl:"tls,block" json:"tls,omitempty"`
}

// CSVConfig is the `csv {}` block.
type CSVConfig struct {
	// Columns are field names, in order. __time__ (Unix seconds), __topic__,
	// __source__ and __tag__:NAME name the SLS reserved fields.
	Columns []string `hcl:"columns" json:"columns"`
	// Delimiter, Quote and Escape are single characters (defaults ",", "\"",
	// and the quote itself, which doubles quotes as RFC 4180 does).
	Delimiter *string `hcl:"delimiter,optional" json:"delimiter,omitempty"`
	Quote     *string `hcl:"quote,optional" json:"quote,omitempty"`
	Escape    *string `hcl:"escape,optional" json:"escape,omitempty"`
	// Header writes the column names as the first row (default true).
	Header *bool `hcl:"header,optional" json:"header,omitempty"`
	// Null is written for a missing field (default empty).
	Null string `hcl:"null,optional" json:"null,omitempty"`
}

// ParquetConfig is the `parquet {}` block.
type ParquetConfig struct {
	Columns []ParquetColumn `hcl:"column,block" json:"columns"`
}

// ParquetColumn is one `column "name" { type = "int64" }` block. Every
// column is optional: a missing field, or a value that does not convert to
// the type, is null.
type ParquetColumn struct {
	Name string `hcl:"name,label" json:"name"`
	// Type is string, boolean, int32, int64, float or double.
	Type string `hcl:"type" json:"type"`
}

// NewConfig returns a Config with the defaults filled in.
func NewConfig() *Config {
	return &Config{
		Partition: DefaultPartition, TimeZone: DefaultTimeZone, Format: DefaultFormat,
		Compression: DefaultCompression, MaxObjectSize: DefaultMaxObjectSize, MaxObjectAge: DefaultMaxObjectAge,
		FlushIdle: DefaultFlushIdle, MaxOpenObjects: DefaultMaxOpen, MemoryBuffer: DefaultMemoryBuffer,
		PartSize: DefaultPartSize, Timeout: DefaultTimeout,
	}
}

// settings is the parsed, validated form of a Config.
type settings struct {
	endpoint      *url.URL
	partition     *layout
	loc           *time.Location
	suffix        string
	maxObjectSize int64
	maxObjectAge  time.Duration
	flushIdle     time.Duration
	memoryBuffer  int64
	partSize      int64
	timeout       time.Duration
	csv           *csvFormat
	parquet       []ParquetColumn
}

// Validate checks every attribute without I/O and reports every bad one.
func (c *Config) Validate() error {
	_, err := c.settings()
	return err
}

func attrErr(attr, format string, args ...any) error {
	return &plugin.AttrError{Attr: attr, Err: fmt.Errorf(format, args...)}
}

func (c *Config) settings() (*settings, error) {
	var (
		s    settings
		errs []error
	)
	fail := func(attr, format string, args ...any) { errs = append(errs, attrErr(attr, format, args...)) }

	u, err := url.Parse(c.Endpoint)
	switch {
	case c.Endpoint == "":
		fail("endpoint", "must be set, for example \"https://s3.oss-cn-hangzhou.aliyuncs.com\"")
	case err != nil:
		fail("endpoint", "not a valid URL")
	case u.Scheme != "https" && u.Scheme != "http":
		fail("endpoint", "scheme must be https or http, not %q", u.Scheme)
	case u.Host == "":
		fail("endpoint", "has no host")
	case u.User != nil:
		fail("endpoint", "must not hold credentials; use access_key_id and access_key_secret")
	case u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "":
		fail("endpoint", "must be scheme://host[:port] only, without a path; the bucket goes in bucket")
	default:
		s.endpoint = u
	}
	if c.Bucket == "" {
		fail("bucket", "must be set")
	} else if strings.ContainsAny(c.Bucket, "/ ") {
		fail("bucket", "must be a bucket name, without \"/\" or spaces")
	}
	switch id, key := c.AccessKeyID.Reveal(), c.AccessKeySecret.Reveal(); {
	case id == "" && key == "":
		fail("access_key_id", "must be set, with access_key_secret (static or STS keys; use env() or file())")
	case id == "" && key != "":
		fail("access_key_id", "must be set with access_key_secret")
	case id != "" && key == "":
		fail("access_key_secret", "must be set with access_key_id")
	}
	if c.SecurityToken.Reveal() != "" && (c.AccessKeyID.Reveal() == "" || c.AccessKeySecret.Reveal() == "") {
		fail("security_token", "needs access_key_id and access_key_secret (the STS temporary keys)")
	}

	if strings.HasPrefix(c.Prefix, "/") {
		fail("prefix", "must not start with \"/\"; object keys are relative to the bucket")
	}
	if l, err := parseLayout(c.Partition); err != nil {
		fail("partition", "%v", err)
	} else {
		s.partition = l
	}
	if loc, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "" {
		fail("time_zone", "unknown time zone %q; use an IANA name such as \"UTC\" or \"Asia/Shanghai\"", c.TimeZone)
	} else {
		s.loc = loc
	}

	ext := ""
	switch c.Format {
	case FormatJSON:
		ext = ".json"
	case FormatCSV:
		ext = ".csv"
		if c.CSV == nil {
			fail("format", "csv needs a csv { columns = [\"__time__\", …] } block")
		} else if f, err := c.CSV.compile(); err != nil {
			errs = append(errs, err)
		} else {
			s.csv = f
		}
	case FormatParquet:
		ext = ".parquet"
		if c.Parquet == nil || len(c.Parquet.Columns) == 0 {
			fail("format", "parquet needs a parquet { column \"NAME\" { type = \"string\" } … } block")
		} else if err := validateColumns(c.Parquet.Columns); err != nil {
			errs = append(errs, err)
		} else {
			s.parquet = c.Parquet.Columns
		}
	default:
		fail("format", "must be \"json\", \"csv\" or \"parquet\", not %q", c.Format)
	}
	if c.Format != FormatCSV && c.CSV != nil {
		fail("csv", "a csv block needs format = \"csv\"")
	}
	if c.Format != FormatParquet && c.Parquet != nil {
		fail("parquet", "a parquet block needs format = \"parquet\"")
	}
	switch c.Compression {
	case CompressionNone, CompressionGzip, CompressionSnappy, CompressionZstd:
		if c.Format != FormatParquet {
			ext += map[string]string{CompressionNone: "", CompressionGzip: ".gz", CompressionSnappy: ".sz", CompressionZstd: ".zst"}[c.Compression]
		}
	default:
		fail("compression", "must be \"none\", \"gzip\", \"snappy\" or \"zstd\", not %q", c.Compression)
	}
	s.suffix = ext
	if c.Suffix != nil {
		s.suffix = *c.Suffix
	}
	if strings.Contains(s.suffix, "/") {
		fail("suffix", "must not contain \"/\"")
	}

	size := func(attr, v string, min, max int64) int64 {
		n, err := units.ParseSize(v)
		switch {
		case err != nil:
			errs = append(errs, &plugin.AttrError{Attr: attr, Err: err})
		case n < min || n > max:
			fail(attr, "must be between %s and %s", human(min), human(max))
		}
		return n
	}
	s.maxObjectSize = size("max_object_size", c.MaxObjectSize, 1<<10, 5<<30)
	s.memoryBuffer = size("memory_buffer", c.MemoryBuffer, 0, 1<<30)
	s.partSize = size("part_size", c.PartSize, 5<<20, 5<<30) // S3's part size limits
	dur := func(attr, v string) time.Duration {
		d, err := units.ParseDuration(v)
		switch {
		case err != nil:
			errs = append(errs, &plugin.AttrError{Attr: attr, Err: err})
		case d <= 0:
			fail(attr, "must be longer than zero")
		}
		return d
	}
	s.maxObjectAge = dur("max_object_age", c.MaxObjectAge)
	s.flushIdle = dur("flush_idle", c.FlushIdle)
	s.timeout = dur("timeout", c.Timeout)
	if c.MaxOpenObjects < 1 {
		fail("max_open_objects", "must be at least 1, not %d", c.MaxOpenObjects)
	}
	if c.TLS != nil {
		if s.endpoint != nil && s.endpoint.Scheme != "https" {
			fail("tls", "a tls block needs an https endpoint")
		}
		errs = append(errs, c.TLS.Validate())
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &s, nil
}

func human(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}
