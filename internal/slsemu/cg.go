package slsemu

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// groupOf finds a consumer group; the caller holds ls.mu.
func groupOf(ls *logstore, name string) (*group, *Error) {
	g := ls.groups[name]
	if g == nil {
		return nil, errorf(http.StatusNotFound, CodeConsumerGroupNotExist, "consumer group %s does not exist", name)
	}
	return g, nil
}

type consumerGroupJSON struct {
	Name    string `json:"name"`
	Timeout int    `json:"timeout"`
	Order   bool   `json:"order"`
}

func (s *Server) handleListConsumerGroups(w http.ResponseWriter, rt route) *Error {
	ls, e := s.lookup(rt.project, rt.logstore)
	if e != nil {
		return e
	}
	ls.mu.RLock()
	out := make([]consumerGroupJSON, 0, len(ls.groups))
	for _, g := range ls.groups {
		out = append(out, consumerGroupJSON{Name: g.name, Timeout: g.timeout, Order: g.order})
	}
	ls.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, out)
	return nil
}

// CreateConsumerGroup creates a group as the API would (timeout in seconds).
func (s *Server) CreateConsumerGroup(projectName, logstoreName, name string, timeout int, order bool) error {
	ls, e := s.lookup(projectName, logstoreName)
	if e != nil {
		return e
	}
	if e := s.createGroup(ls, name, timeout, order); e != nil {
		return e
	}
	return nil
}

func (s *Server) createGroup(ls *logstore, name string, timeout int, order bool) *Error {
	if name == "" {
		return errorf(http.StatusBadRequest, CodeParameterInvalid, "consumer group name is empty")
	}
	if timeout <= 0 || timeout > 86400 {
		return errorf(http.StatusBadRequest, CodeParameterInvalid, "timeout %d must be in [1, 86400] seconds", timeout)
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if _, ok := ls.groups[name]; ok {
		return errorf(http.StatusBadRequest, CodeConsumerGroupExist, "consumer group %s already exists", name)
	}
	if len(ls.groups) >= s.opts.MaxConsumerGroups {
		return errorf(http.StatusBadRequest, CodeConsumerGroupQuotaExceed, "logstore %s already has %d consumer groups", ls.name, len(ls.groups))
	}
	g := newGroup(name, timeout, order)
	g.sync(ls, s.now())
	ls.groups[name] = g
	return nil
}

func (s *Server) handleCreateConsumerGroup(w http.ResponseWriter, rt route, body []byte) *Error {
	ls, e := s.lookup(rt.project, rt.logstore)
	if e != nil {
		return e
	}
	var req struct {
		Name    string `json:"consumerGroup"`
		Timeout int    `json:"timeout"`
		Order   bool   `json:"order"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errorf(http.StatusBadRequest, CodeJSONInfoInvalid, "consumer group body is not valid JSON: %v", err)
	}
	if e := s.createGroup(ls, req.Name, req.Timeout, req.Order); e != nil {
		return e
	}
	writeEmpty(w)
	return nil
}

func (s *Server) handleUpdateConsumerGroup(w http.ResponseWriter, rt route, body []byte) *Error {
	ls, e := s.lookup(rt.project, rt.logstore)
	if e != nil {
		return e
	}
	var req struct {
		Order   *bool `json:"order"`
		Timeout *int  `json:"timeout"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errorf(http.StatusBadRequest, CodeJSONInfoInvalid, "consumer group body is not valid JSON: %v", err)
	}
	if req.Timeout != nil && (*req.Timeout <= 0 || *req.Timeout > 86400) {
		return errorf(http.StatusBadRequest, CodeParameterInvalid, "timeout %d must be in [1, 86400] seconds", *req.Timeout)
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	g, e := groupOf(ls, rt.group)
	if e != nil {
		return e
	}
	if req.Order != nil {
		g.order = *req.Order
	}
	if req.Timeout != nil {
		g.timeout = *req.Timeout
	}
	g.sync(ls, s.now())
	writeEmpty(w)
	return nil
}

func (s *Server) handleDeleteConsumerGroup(w http.ResponseWriter, rt route) *Error {
	ls, e := s.lookup(rt.project, rt.logstore)
	if e != nil {
		return e
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if _, e := groupOf(ls, rt.group); e != nil {
		return e
	}
	delete(ls.groups, rt.group)
	writeEmpty(w)
	return nil
}

func (s *Server) handleHeartbeat(w http.ResponseWriter, r *http.Request, rt route, body []byte) *Error {
	ls, e := s.lookup(rt.project, rt.logstore)
	if e != nil {
		return e
	}
	consumer := r.URL.Query().Get("consumer")
	if consumer == "" {
		return errorf(http.StatusBadRequest, CodeParameterInvalid, "consumer is missing")
	}
	var shards []int
	if len(body) > 0 {
		if err := json.Unmarshal(body, &shards); err != nil {
			return errorf(http.StatusBadRequest, CodeJSONInfoInvalid, "heartbeat body must be a JSON array of shard ids: %v", err)
		}
	}
	ls.mu.Lock()
	g, e := groupOf(ls, rt.group)
	if e != nil {
		ls.mu.Unlock()
		return e
	}
	held, e := g.heartbeat(ls, consumer, shards, s.now(), s.opts.MaxGrantPerHeartbeat)
	ls.mu.Unlock()
	if e != nil {
		return e
	}
	writeJSON(w, held)
	return nil
}

func (s *Server) handleUpdateCheckpoint(w http.ResponseWriter, r *http.Request, rt route, body []byte) *Error {
	ls, e := s.lookup(rt.project, rt.logstore)
	if e != nil {
		return e
	}
	q := r.URL.Query()
	consumer := q.Get("consumer")
	force := strings.EqualFold(q.Get("forceSuccess"), "true") // Python sends "True"
	var req struct {
		Shard      *int    `json:"shard"`
		Checkpoint *string `json:"checkpoint"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Shard == nil || req.Checkpoint == nil {
		return errorf(http.StatusBadRequest, CodeJSONInfoInvalid, "checkpoint body must be {\"shard\":N,\"checkpoint\":\"…\"}")
	}
	if _, ok := DecodeCursor(*req.Checkpoint); !ok {
		return errorf(http.StatusBadRequest, CodeInvalidShardCheckPoint, "checkpoint %q is not a valid cursor", *req.Checkpoint)
	}
	now := s.now()
	ls.mu.Lock()
	defer ls.mu.Unlock()
	g, e := groupOf(ls, rt.group)
	if e != nil {
		return e
	}
	sh := ls.shard(*req.Shard)
	if sh == nil {
		return errorf(http.StatusNotFound, CodeShardNotExist, "shard %d does not exist", *req.Shard)
	}
	g.expire(now)
	if !force {
		if g.consumers[consumer] == nil {
			return errorf(http.StatusNotFound, CodeConsumerNotExist, "consumer %s does not exist", consumer)
		}
		if a := g.shards[sh.id]; a == nil || a.owner != consumer || (a.state != StateAlreadyAlloc && a.state != StateTransfer) {
			return errorf(http.StatusBadRequest, CodeConsumerNotMatch, "shard %d is not held by consumer %s", sh.id, consumer)
		}
	}
	g.checkpoints[sh.id] = &checkpointState{cursor: *req.Checkpoint, updateTime: now.UnixMicro(), consumer: consumer}
	g.sync(ls, now)
	writeEmpty(w)
	return nil
}

type checkpointJSON struct {
	Shard      int    `json:"shard"`
	Checkpoint string `json:"checkpoint"`
	UpdateTime int64  `json:"updateTime"`
	Consumer   string `json:"consumer"`
}

func (s *Server) handleGetCheckpoint(w http.ResponseWriter, r *http.Request, rt route) *Error {
	ls, e := s.lookup(rt.project, rt.logstore)
	if e != nil {
		return e
	}
	only := -1
	if v := r.URL.Query().Get("shard"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errorf(http.StatusBadRequest, CodeParameterInvalid, "shard %q is not valid", v)
		}
		only = n
	}
	ls.mu.RLock()
	defer ls.mu.RUnlock()
	g, e := groupOf(ls, rt.group)
	if e != nil {
		return e
	}
	out := []checkpointJSON{}
	for _, sh := range ls.shards {
		if only >= 0 && sh.id != only {
			continue
		}
		cj := checkpointJSON{Shard: sh.id}
		if cp := g.checkpoints[sh.id]; cp != nil {
			cj.Checkpoint, cj.UpdateTime, cj.Consumer = cp.cursor, cp.updateTime, cp.consumer
		}
		out = append(out, cj)
	}
	writeJSON(w, out)
	return nil
}
