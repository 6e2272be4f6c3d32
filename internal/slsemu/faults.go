package slsemu

import (
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Fault describes an injected failure. A request matches when every
// non-empty scope field equals the request's; matching faults apply in the
// order they were added: latencies add up, and the first error or drop ends
// the request before authentication and processing.
type Fault struct {
	// API limits the fault to one API (APIPullLogs, APIHeartbeat, …);
	// empty matches every SLS API (never the /_emu/ admin API).
	API string `json:"api,omitempty"`
	// Project, Logstore and Consumer (the consumer= query parameter of
	// heartbeat and checkpoint calls) narrow the scope further.
	Project  string `json:"project,omitempty"`
	Logstore string `json:"logstore,omitempty"`
	Consumer string `json:"consumer,omitempty"`

	// Latency delays the request (interrupted by Close).
	Latency time.Duration `json:"latency,omitempty"`
	// Status and Code make the request fail with SLS's JSON error. With
	// only Code set the status is the code's usual one (500 for
	// InternalServerError, 503 for ServerBusy, 403 for quota codes,
	// 404 for *NotExist, else 400); with only Status set the code is
	// InternalServerError (5xx) or ParameterInvalid.
	Status  int    `json:"status,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	// Drop closes the connection without a response.
	Drop bool `json:"drop,omitempty"`
	// StuckCursor makes PullLogs answer with its data but the request's
	// cursor as x-log-cursor, as a broken server or proxy might: a reader
	// that trusts it reads the same range forever.
	StuckCursor bool `json:"stuck_cursor,omitempty"`

	// Rate is the probability that a matching request is affected; 0 or
	// ≥1 means always.
	Rate float64 `json:"rate,omitempty"`
	// Times limits how many requests the fault affects; 0 is unlimited.
	Times int `json:"times,omitempty"`
}

// faultState is an installed fault with its remaining budget.
type faultState struct {
	id   int
	f    Fault
	left int // remaining applications; <0 unlimited
	hits int
}

// faultSet holds installed faults.
type faultSet struct {
	mu     sync.Mutex
	rng    *rand.Rand
	list   []*faultState
	nextID int
}

// InjectFault installs f and returns its id for RemoveFault.
func (s *Server) InjectFault(f Fault) int {
	fs := &s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.nextID++
	st := &faultState{id: fs.nextID, f: f, left: -1}
	if f.Times > 0 {
		st.left = f.Times
	}
	fs.list = append(fs.list, st)
	return st.id
}

// RemoveFault uninstalls the fault with the given id.
func (s *Server) RemoveFault(id int) {
	fs := &s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, st := range fs.list {
		if st.id == id {
			fs.list = append(fs.list[:i], fs.list[i+1:]...)
			return
		}
	}
}

// ClearFaults uninstalls every fault.
func (s *Server) ClearFaults() {
	fs := &s.faults
	fs.mu.Lock()
	fs.list = nil
	fs.mu.Unlock()
}

// FaultHits returns how many requests the fault with the given id affected
// (0 once it was removed; exhausted faults keep their count).
func (s *Server) FaultHits(id int) int {
	fs := &s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, st := range fs.list {
		if st.id == id {
			return st.hits
		}
	}
	return 0
}

// faultAction is what the matching faults decided for one request.
type faultAction struct {
	latency time.Duration
	err     *Error
	drop    bool
	stuck   bool
}

// match evaluates the installed faults for a request. Exhausted faults stay
// installed (for FaultHits) but no longer apply.
func (fs *faultSet) match(rt route, consumer string) faultAction {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var act faultAction
	for _, st := range fs.list {
		f := st.f
		if st.left == 0 || act.err != nil || act.drop ||
			(f.API != "" && f.API != rt.api) ||
			(f.Project != "" && f.Project != rt.project) ||
			(f.Logstore != "" && f.Logstore != rt.logstore) ||
			(f.Consumer != "" && f.Consumer != consumer) {
			continue
		}
		if f.Rate > 0 && f.Rate < 1 && fs.rng.Float64() >= f.Rate {
			continue
		}
		st.hits++
		if st.left > 0 {
			st.left--
		}
		act.latency += f.Latency
		switch {
		case f.Drop:
			act.drop = true
		case f.Status != 0 || f.Code != "":
			act.err = f.asError()
		case f.StuckCursor:
			act.stuck = true
		}
	}
	return act
}

// asError builds the SLS error a fault returns.
func (f Fault) asError() *Error {
	status, code := f.Status, f.Code
	if code == "" {
		code = CodeParameterInvalid
		if status >= 500 {
			code = CodeInternalServerError
		}
	}
	if status == 0 {
		status = statusForCode(code)
	}
	msg := f.Message
	if msg == "" {
		msg = "injected fault: " + code
	}
	return &Error{Status: status, Code: code, Message: msg}
}

// statusForCode is the usual HTTP status of an SLS error code.
func statusForCode(code string) int {
	switch code {
	case CodeInternalServerError:
		return http.StatusInternalServerError
	case CodeServerBusy:
		return http.StatusServiceUnavailable
	case CodeReadQuotaExceed, CodeWriteQuotaExceed, CodeShardReadQuotaExceed, "ShardWriteQuotaExceed":
		return http.StatusForbidden
	case CodeSignatureNotMatch, CodeUnauthorized:
		return http.StatusUnauthorized
	case CodeProjectNotExist, CodeLogStoreNotExist, CodeConsumerGroupNotExist, CodeConsumerNotExist:
		return http.StatusNotFound
	}
	return http.StatusBadRequest
}
