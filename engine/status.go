package engine

import (
	"slices"
	"strings"
	"time"

	"github.com/forwarder/forwarder/sources"
)

// Status is what /health and /-/ready report: the state of every component.
type Status struct {
	// Status is "ready", "not_ready", "degraded" (ready but for a source
	// waiting on a permanent error only an operator can fix: the other
	// sources run, and a reload may fix it) or "starting" (no plan yet).
	Status string `json:"status"`
	// Reasons say why the process is not ready.
	Reasons []string `json:"reasons,omitempty"`
	// Plan is the running plan's version.
	Plan   string         `json:"plan,omitempty"`
	Reload ReloadStatus   `json:"reload"`
	Sinks  []SinkStatus   `json:"sinks"`
	Lanes  []SourceStatus `json:"sources"`
	// Problems are the sources' permanent errors, by source key.
	Problems map[string][]sources.Problem `json:"problems,omitempty"`
}

// ReloadStatus is the result of the last configuration load.
type ReloadStatus struct {
	OK          bool      `json:"ok"`
	LastSuccess time.Time `json:"last_success,omitzero"`
}

// SinkStatus is one sink's state.
type SinkStatus struct {
	Name string `json:"name"`
	// State is "connected" (its last write succeeded), "idle" (nothing
	// written yet) or "retrying".
	State               string    `json:"state"`
	RetryingSince       time.Time `json:"retrying_since,omitzero"`
	ConsecutiveFailures int64     `json:"consecutive_failures,omitempty"`
	LastError           string    `json:"last_error,omitempty"`
	LastSuccess         time.Time `json:"last_success,omitzero"`
	PendingEvents       int64     `json:"pending_events"`
	PendingBytes        int64     `json:"pending_bytes"`
	InFlightWrites      int64     `json:"in_flight_writes"`
	Retries             int64     `json:"retries"`
}

// SourceStatus is one source lane's state.
type SourceStatus struct {
	Name string `json:"name"`
	// Lane is the sink a per-sink lane reads for; "" for a single lane.
	Lane string `json:"lane,omitempty"`
	// State is "starting", "running", "restarting" (it failed and waits to
	// run again) or "finished" (a bounded source is done).
	State     string    `json:"state"`
	Since     time.Time `json:"since"`
	LastError string    `json:"last_error,omitempty"`
	// Detail is what the source reports of itself (SLS: shards and lag),
	// when it implements sources.StatusReporter.
	Detail any `json:"detail,omitempty"`
}

// statusReporter is implemented by sources that can describe their state
// (shards owned, lag, permanent errors).
type statusReporter interface{ Status() any }

// Status reports the state of every component. The process is ready when a
// plan runs, no sink has been failing for longer than unreadyAfter, and
// every source lane runs (or finished by itself).
func (rt *Runtime) Status(unreadyAfter time.Duration) Status {
	st := Status{Status: "starting"}
	snap := rt.cur.Load()
	if snap == nil {
		st.Reasons = []string{"no plan applied yet"}
		return st
	}
	st.Status, st.Plan = "ready", snap.plan.Version()
	now := time.Now()
	v := rt.view.Load()
	sinkRunners, srcRunners := slices.Clone(v.sinks), slices.Clone(v.sources)
	if rt.stopping.Load() {
		st.Reasons = append(st.Reasons, "shutting down")
	}
	slices.SortFunc(sinkRunners, func(a, b *sinkRunner) int { return strings.Compare(a.key, b.key) })
	slices.SortFunc(srcRunners, func(a, b *laneRunner) int { return strings.Compare(a.key, b.key) })
	for _, r := range sinkRunners {
		r.errMu.Lock()
		s := SinkStatus{Name: r.key, State: "idle", LastSuccess: r.lastOK, LastError: r.lastErr,
			ConsecutiveFailures: r.failures.Load(), PendingEvents: r.pending.Load(), PendingBytes: r.pendingBytes.Load(),
			InFlightWrites: r.inFlight.Load(), Retries: r.retryCount.Load()}
		if s.ConsecutiveFailures > 0 {
			s.State, s.RetryingSince = "retrying", r.failingSince
		} else if !r.lastOK.IsZero() {
			s.State = "connected"
		}
		r.errMu.Unlock()
		if s.State == "retrying" && now.Sub(s.RetryingSince) >= unreadyAfter {
			st.Reasons = append(st.Reasons, "sink "+r.key+" has been failing since "+s.RetryingSince.UTC().Format(time.RFC3339)+": "+s.LastError)
		}
		st.Sinks = append(st.Sinks, s)
	}
	for _, sr := range srcRunners {
		sr.stMu.Lock()
		s := SourceStatus{Name: sr.source, Lane: sr.lane, State: sr.state, Since: sr.since, LastError: sr.lastErr}
		sr.stMu.Unlock()
		if rep, ok := sr.src.(statusReporter); ok {
			s.Detail = rep.Status()
		}
		if s.State != "running" && s.State != "finished" {
			name := sr.source
			if sr.lane != "" {
				name += " (lane " + sr.lane + ")"
			}
			st.Reasons = append(st.Reasons, "source "+name+" is "+s.State)
		}
		st.Lanes = append(st.Lanes, s)
	}
	// Only permanent source problems: "degraded" (the rest runs); anything
	// else as well: "not_ready".
	notReady := len(st.Reasons) > 0
	if probs := rt.SourceProblems(); len(probs) > 0 {
		st.Problems = probs
		for src, ps := range probs {
			for _, p := range ps {
				st.Reasons = append(st.Reasons, "source "+src+": "+p.Scope+": check "+p.Attr+": "+p.Error)
			}
		}
	}
	switch {
	case notReady:
		st.Status = "not_ready"
	case len(st.Reasons) > 0:
		st.Status = "degraded"
	}
	return st
}
