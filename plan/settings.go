package plan

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"

	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/internal/detail"
	"github.com/forwarder/forwarder/internal/units"
)

// commonSinkSchema is the part of every sink body that the engine owns.
var commonSinkSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "in_flight"}, {Name: "buffer_events"}, {Name: "buffer_bytes"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "batch"}, {Type: "retry"}},
}

type batchBlock struct {
	MaxEvents *int    `hcl:"max_events,optional"`
	MaxBytes  *string `hcl:"max_bytes,optional"`
	Timeout   *string `hcl:"timeout,optional"`
}

type retryBlock struct {
	Initial *string `hcl:"initial_backoff,optional"`
	Max     *string `hcl:"max_backoff,optional"`
}

// Defaults of the engine-owned sink settings.
const (
	DefaultMaxEvents    = 500
	DefaultMaxBytes     = 1 << 20
	DefaultFlushTimeout = time.Second
	DefaultBuffer       = 20000
	// DefaultBufferBytes bounds the memory of the events a sink holds
	// (queued, batched, being written or retried), counted as their share of
	// the source's measured footprint.
	DefaultBufferBytes  = 16 << 20
	DefaultRetryInitial = 200 * time.Millisecond
	DefaultRetryMax     = 30 * time.Second
)

func (c *compiler) sink(s *config.Component) (*SinkSpec, hcl.Diagnostics) {
	f, ok := c.reg.Sinks.Lookup(s.Type)
	if !ok {
		return nil, unsupported("sink", s, c.reg.Sinks.Types())
	}
	content, remain, diags := s.Body.PartialContent(commonSinkSchema)
	r := Delivery{MaxEvents: DefaultMaxEvents, MaxBytes: DefaultMaxBytes, FlushTimeout: DefaultFlushTimeout,
		InFlight: max(f.MaxInFlight, 1), BufferEvents: DefaultBuffer, BufferBytes: DefaultBufferBytes, RetryInitial: DefaultRetryInitial, RetryMax: DefaultRetryMax}
	if f.Batch.MaxEvents > 0 {
		r.MaxEvents = f.Batch.MaxEvents
	}
	if f.Batch.MaxBytes > 0 {
		r.MaxBytes = int64(f.Batch.MaxBytes)
	}
	intAttr := func(name string, dst *int, min int) {
		if a, ok := content.Attributes[name]; ok {
			d := gohcl.DecodeExpression(a.Expr, c.ectx, dst)
			diags = append(diags, d...)
			if !d.HasErrors() && *dst < min {
				diags = append(diags, attrDiag("Invalid "+name, fmt.Sprintf("Must be at least %d.", min), a.Expr.Range()))
			}
		}
	}
	intAttr("in_flight", &r.InFlight, 1)
	intAttr("buffer_events", &r.BufferEvents, 1)
	if a, ok := content.Attributes["buffer_bytes"]; ok {
		var v string
		d := gohcl.DecodeExpression(a.Expr, c.ectx, &v)
		diags = append(diags, d...)
		if !d.HasErrors() {
			n, err := units.ParseSize(v)
			switch {
			case err != nil:
				diags = append(diags, attrDiag("Invalid size", detail.FromError(err), a.Expr.Range()))
			case n < 64<<10:
				diags = append(diags, attrDiag("Invalid buffer_bytes", "Must be at least 64KiB.", a.Expr.Range()))
			default:
				r.BufferBytes = n
			}
		}
	}
	dur := func(body hcl.Body, name string, v *string, dst *time.Duration) {
		if v == nil {
			return
		}
		d, err := units.ParseDuration(*v)
		if err != nil {
			diags = append(diags, attrDiag("Invalid duration", detail.FromError(err), config.AttrRange(body, name, s.DefRange)))
			return
		}
		*dst = d
	}
	for _, b := range content.Blocks {
		switch b.Type {
		case "batch":
			var bb batchBlock
			d := gohcl.DecodeBody(b.Body, c.ectx, &bb)
			diags = append(diags, d...)
			if bb.MaxEvents != nil {
				if *bb.MaxEvents < 1 {
					diags = append(diags, attrDiag("Invalid max_events", "Must be at least 1.", config.AttrRange(b.Body, "max_events", b.DefRange)))
				}
				r.MaxEvents = *bb.MaxEvents
			}
			if bb.MaxBytes != nil {
				n, err := units.ParseSize(*bb.MaxBytes)
				if err != nil {
					diags = append(diags, attrDiag("Invalid size", detail.FromError(err), config.AttrRange(b.Body, "max_bytes", b.DefRange)))
				}
				r.MaxBytes = n
			}
			dur(b.Body, "timeout", bb.Timeout, &r.FlushTimeout)
		case "retry":
			var rb retryBlock
			diags = append(diags, gohcl.DecodeBody(b.Body, c.ectx, &rb)...)
			dur(b.Body, "initial_backoff", rb.Initial, &r.RetryInitial)
			dur(b.Body, "max_backoff", rb.Max, &r.RetryMax)
		}
	}
	cfg := f.NewConfig()
	diags = append(diags, c.decode(s, remain, cfg)...)
	if diags.HasErrors() {
		return nil, diags
	}
	return &SinkSpec{Key: s.Key(), Type: s.Type, Config: cfg, Factory: f, Delivery: r, Fingerprint: fingerprint(s.Type, cfg, r)}, diags
}
