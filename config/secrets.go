package config

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
)

// Every value env() and file() read is a secret: the functions record it
// here, and Redact replaces it, wherever it appears, with the call that
// produced it (`env("SLS_AK_KEY")`). Diagnostics (WriteCompact, WriteBlock, WriteJSON,
// Headline) and logs (RedactHandler) pass through Redact, so a token that
// fails validation, or an address echoed by a dial error, shows as the
// attribute and the function, never as its value.
//
// The registry is process-wide and only grows: a reload that drops a
// secret does not make its old value printable. Values shorter than
// minSecret bytes are not redacted, so env("PROTO") = "tcp" does not blank
// every "tcp" in the logs.
const minSecret = 4

var secrets struct {
	mu     sync.RWMutex
	source map[string]string // value → `env("NAME")`
	repl   *strings.Replacer
}

// remember records a secret value read by call (for example `env("T")`).
func remember(value, call string) {
	if len(value) < minSecret {
		return
	}
	secrets.mu.Lock()
	defer secrets.mu.Unlock()
	if secrets.source == nil {
		secrets.source = map[string]string{}
	}
	if _, ok := secrets.source[value]; ok {
		return
	}
	secrets.source[value] = call
	values := make([]string, 0, len(secrets.source))
	for v := range secrets.source {
		values = append(values, v)
	}
	// Longest first: strings.Replacer tries patterns in argument order at
	// each position, so a secret that contains another is replaced whole.
	sort.Slice(values, func(i, j int) bool { return len(values[i]) > len(values[j]) })
	var pairs []string
	for _, v := range values {
		c := secrets.source[v]
		// The quoted forms first, so `"TOKEN" is not host:port` becomes
		// `env("T") is not host:port`, and escaped values are found too.
		if q := strconv.Quote(v); q[1:len(q)-1] != v {
			pairs = append(pairs, q, c, q[1:len(q)-1], c)
		} else {
			pairs = append(pairs, q, c)
		}
		pairs = append(pairs, v, c)
	}
	secrets.repl = strings.NewReplacer(pairs...)
}

// Redact replaces every secret value in s by the env() or file() call that
// read it.
func Redact(s string) string {
	secrets.mu.RLock()
	r := secrets.repl
	secrets.mu.RUnlock()
	if r == nil {
		return s
	}
	return r.Replace(s)
}

// RedactDiagnostics returns diags with secret values removed from their
// summaries and details.
func RedactDiagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
	out := make(hcl.Diagnostics, len(diags))
	for i, d := range diags {
		c := *d
		c.Summary, c.Detail = Redact(d.Summary), Redact(d.Detail)
		// The snippet writer would print values of the expression's
		// variables; bodies have none, but drop them anyway.
		c.Expression, c.EvalContext = nil, nil
		out[i] = &c
	}
	return out
}

// RedactHandler wraps h so that log records carry no secret value: the
// message and every attribute (strings, errors, anything printed) pass
// through Redact.
func RedactHandler(h slog.Handler) slog.Handler { return redactHandler{h} }

type redactHandler struct{ h slog.Handler }

func (r redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return r.h.Enabled(ctx, l) }

func (r redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, Redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = redactAttr(a)
	}
	return redactHandler{r.h.WithAttrs(red)}
}

func (r redactHandler) WithGroup(name string) slog.Handler { return redactHandler{r.h.WithGroup(name)} }

func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Redact(v.String()))
	case slog.KindGroup:
		g := v.Group()
		red := make([]any, len(g))
		for i, e := range g {
			red[i] = redactAttr(e)
		}
		return slog.Group(a.Key, red...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, Redact(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, Redact(x.String()))
		case []byte:
			return slog.String(a.Key, Redact(string(x)))
		default:
			return slog.String(a.Key, Redact(fmt.Sprint(x)))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
