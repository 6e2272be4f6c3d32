package slsemu

import (
	"maps"
	"sync"
)

// stats counts requests per API and the SPL queries PullLogs received.
type stats struct {
	mu       sync.Mutex
	requests map[string]int64
	queries  map[string]int64
	groups   int64 // log groups PullLogs answered with (read past, for queries)
}

func (st *stats) init() {
	st.requests = make(map[string]int64)
	st.queries = make(map[string]int64)
	st.groups = 0
}

func (st *stats) count(api string) {
	st.mu.Lock()
	st.requests[api]++
	st.mu.Unlock()
}

func (st *stats) served(groups int64) {
	st.mu.Lock()
	st.groups += groups
	st.mu.Unlock()
}

func (st *stats) query(q string) {
	st.mu.Lock()
	st.queries[q]++
	st.mu.Unlock()
}

// Stats is a snapshot of the request counters.
type Stats struct {
	// Requests counts every SLS request by API name (see the API*
	// constants), including refused and faulted ones.
	Requests map[string]int64 `json:"requests"`
	// Queries counts PullLogs requests by their query parameter.
	Queries map[string]int64 `json:"queries"`
}

// Stats returns a copy of the request counters.
func (s *Server) Stats() Stats {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return Stats{Requests: maps.Clone(s.stats.requests), Queries: maps.Clone(s.stats.queries)}
}

// RequestCount returns how many requests of one API arrived.
func (s *Server) RequestCount(api string) int64 {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return s.stats.requests[api]
}

// PulledGroups returns how many stored log groups PullLogs answers have
// read past, over every shard and consumer: a test's sign that data was
// pulled, whatever the number of requests it took.
func (s *Server) PulledGroups() int64 {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return s.stats.groups
}

// ResetStats zeroes the counters.
func (s *Server) ResetStats() {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	s.stats.init()
}
