package sls

import (
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/forwarder/forwarder/sources"
)

// slowRetry is how long a call that failed with a permanent error (missing
// project or logstore, denied access) waits before it is tried again: ten
// heartbeat intervals (50 s by default). A fix in SLS, rotated credentials
// or a reload may make it pass; retrying at the transient pace would only
// flood SLS and the log.
func (s *Source) slowRetry() time.Duration { return 10 * mustDuration(s.cfg.HeartbeatInterval) }

// health tracks the permanent problems of a source, one per scope (a
// logstore and what was done there: its consumer group, or reading its
// shards) and error code, so each is logged once and /health can list it.
// Only a success of the same kind clears a problem.
type health struct {
	mu    sync.Mutex
	probs map[string]problemState
}

type problemState struct {
	code string
	p    sources.Problem
}

// trouble classifies err for scope. A permanent error is logged once (one
// line naming the attribute to fix) until the scope recovers or the error
// changes, and recorded for Problems; it returns true. Transient errors
// return false and are left to the caller's backoff.
func (h *health) trouble(lg *slog.Logger, scope string, err error, retry time.Duration) bool {
	p := classify(err)
	if !p.permanent {
		return false
	}
	code := errCode(err)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.probs == nil {
		h.probs = map[string]problemState{}
	}
	if old, ok := h.probs[scope]; ok && old.code == code {
		return true
	}
	msg := oneLine(err).Error()
	h.probs[scope] = problemState{code: code, p: sources.Problem{Scope: scope, Attr: p.attr, Error: msg, Since: time.Now()}}
	lg.Error("SLS refused the source's configuration; fix the attribute and reload (retrying slowly meanwhile)",
		"scope", scope, "attr", p.attr, "hint", p.hint, "retry", retry, "err", msg)
	return true
}

// clear forgets scope's problem, logging the recovery.
func (h *health) clear(lg *slog.Logger, scope string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.probs[scope]; ok {
		delete(h.probs, scope)
		lg.Info("SLS accepts the source again", "scope", scope)
	}
}

// Scopes of problems: group membership (setup and heartbeats) and reading
// (checkpoints, cursors, pulls).
const (
	inGroup = "consumer group"
	reading = "reading shards"
)

// Problems implements sources.HealthReporter.
func (s *Source) Problems() []sources.Problem {
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]sources.Problem, 0, len(h.probs))
	for _, k := range slices.Sorted(maps.Keys(h.probs)) {
		out = append(out, h.probs[k].p)
	}
	return out
}

var _ sources.HealthReporter = (*Source)(nil)
