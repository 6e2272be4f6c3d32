package slsemu

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	sls "github.com/aliyun/aliyun-log-go-sdk"
)

// The admin API lives under /_emu/, outside SLS's paths, and is not
// authenticated (the server binds loopback only). Bodies and responses are
// JSON; errors use SLS's {errorCode, errorMessage} shape.
//
//	GET    /_emu/state                      projects, logstores, shards, groups
//	GET    /_emu/group?project=&logstore=&group=   GroupInfo + history + violations
//	GET    /_emu/stats                      request counters; POST /_emu/stats/reset
//	GET    /_emu/faults                     installed faults
//	POST   /_emu/faults                     install a Fault (latency as "250ms")
//	DELETE /_emu/faults[/ID]                remove all faults, or one
//	POST   /_emu/logstores                  {project, logstore, shards, ttlDays}
//	POST   /_emu/logs                       {project, logstore, shard?, topic, source, logs:[{time, contents}]}
//	POST   /_emu/split                      {project, logstore, shard, key | count}
//	POST   /_emu/merge                      {project, logstore, shard}
//	POST   /_emu/expire                     {project, logstore, before (unix s) | all}

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/_emu"), "/")
	var e *Error
	switch {
	case path == "/state" && r.Method == http.MethodGet:
		writeJSON(w, s.State())
	case path == "/group" && r.Method == http.MethodGet:
		e = s.adminGroup(w, r)
	case path == "/stats" && r.Method == http.MethodGet:
		writeJSON(w, s.Stats())
	case path == "/stats/reset" && r.Method == http.MethodPost:
		s.ResetStats()
		writeEmpty(w)
	case path == "/faults" && r.Method == http.MethodGet:
		writeJSON(w, s.Faults())
	case path == "/faults" && r.Method == http.MethodPost:
		e = s.adminAddFault(w, r)
	case path == "/faults" && r.Method == http.MethodDelete:
		s.ClearFaults()
		writeEmpty(w)
	case strings.HasPrefix(path, "/faults/") && r.Method == http.MethodDelete:
		id, err := strconv.Atoi(strings.TrimPrefix(path, "/faults/"))
		if err != nil {
			e = errorf(http.StatusBadRequest, CodeParameterInvalid, "fault id %q is not an integer", path)
			break
		}
		s.RemoveFault(id)
		writeEmpty(w)
	case path == "/logstores" && r.Method == http.MethodPost:
		e = s.adminCreateLogstore(w, r)
	case path == "/logs" && r.Method == http.MethodPost:
		e = s.adminAppend(w, r)
	case path == "/split" && r.Method == http.MethodPost:
		e = s.adminShardOp(w, r, false)
	case path == "/merge" && r.Method == http.MethodPost:
		e = s.adminShardOp(w, r, true)
	case path == "/expire" && r.Method == http.MethodPost:
		e = s.adminExpire(w, r)
	default:
		e = errorf(http.StatusNotFound, CodeRequestNotSupported, "admin API: %s %s is not supported", r.Method, r.URL.Path)
	}
	if e != nil {
		writeError(w, e)
	}
}

// decodeAdmin reads a bounded JSON body into v.
func (s *Server) decodeAdmin(w http.ResponseWriter, r *http.Request, v any) *Error {
	body, e := s.readBody(w, r)
	if e != nil {
		return e
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errorf(http.StatusBadRequest, CodeJSONInfoInvalid, "admin body: %v", err)
	}
	return nil
}

// asError converts an error from the Go API to an SLS error.
func asError(err error) *Error {
	if err == nil {
		return nil
	}
	if e, ok := err.(*Error); ok {
		return e
	}
	return errorf(http.StatusInternalServerError, CodeInternalServerError, "%v", err)
}

// State is a snapshot of every project for the admin API.
type State struct {
	Projects []ProjectState `json:"projects"`
}

// ProjectState is one project.
type ProjectState struct {
	Name      string          `json:"name"`
	Logstores []LogstoreState `json:"logstores"`
}

// LogstoreState is one logstore with its shards and groups.
type LogstoreState struct {
	Name    string       `json:"name"`
	TTLDays int          `json:"ttlDays"`
	Shards  []ShardState `json:"shards"`
	Groups  []GroupInfo  `json:"groups"`
}

// ShardState is a shard with its cursor range and size.
type ShardState struct {
	ShardInfo
	Parents     []int  `json:"parents,omitempty"`
	BeginCursor string `json:"beginCursor"`
	EndCursor   string `json:"endCursor"`
	LogGroups   int    `json:"logGroups"`
	Logs        int    `json:"logs"`
}

// State returns every project, logstore, shard and consumer group.
func (s *Server) State() State {
	s.mu.RLock()
	names := make([]string, 0, len(s.projects))
	for n := range s.projects {
		names = append(names, n)
	}
	s.mu.RUnlock()
	sort.Strings(names)
	st := State{Projects: []ProjectState{}}
	now := s.now()
	for _, pn := range names {
		s.mu.RLock()
		p := s.projects[pn]
		var stores []*logstore
		if p != nil {
			for _, ls := range p.logstores {
				stores = append(stores, ls)
			}
		}
		s.mu.RUnlock()
		if p == nil {
			continue
		}
		sort.Slice(stores, func(i, j int) bool { return stores[i].name < stores[j].name })
		ps := ProjectState{Name: pn, Logstores: []LogstoreState{}}
		for _, ls := range stores {
			ls.mu.Lock()
			lst := LogstoreState{Name: ls.name, TTLDays: ls.ttlDays, Groups: []GroupInfo{}}
			for _, sh := range ls.shards {
				logs := 0
				for _, e := range sh.entries {
					logs += e.nLogs
				}
				lst.Shards = append(lst.Shards, ShardState{
					ShardInfo: sh.info(), Parents: sh.parents,
					BeginCursor: EncodeCursor(sh.beginCursor()), EndCursor: EncodeCursor(sh.endCursor()),
					LogGroups: len(sh.entries), Logs: logs,
				})
			}
			var gnames []string
			for gn := range ls.groups {
				gnames = append(gnames, gn)
			}
			sort.Strings(gnames)
			for _, gn := range gnames {
				g := ls.groups[gn]
				g.expire(now)
				g.sync(ls, now)
				lst.Groups = append(lst.Groups, g.info())
			}
			ls.mu.Unlock()
			ps.Logstores = append(ps.Logstores, lst)
		}
		st.Projects = append(st.Projects, ps)
	}
	return st
}

func (s *Server) adminGroup(w http.ResponseWriter, r *http.Request) *Error {
	q := r.URL.Query()
	p, l, g := q.Get("project"), q.Get("logstore"), q.Get("group")
	gi, err := s.Group(p, l, g)
	if err != nil {
		return asError(err)
	}
	hist, _ := s.AssignmentHistory(p, l, g)
	viol, _ := s.Violations(p, l, g)
	writeJSON(w, map[string]any{"group": gi, "history": hist, "violations": viol})
	return nil
}

// FaultInfo is an installed fault with its id and hit count.
type FaultInfo struct {
	ID    int   `json:"id"`
	Fault Fault `json:"fault"`
	Hits  int   `json:"hits"`
}

// Faults lists installed faults.
func (s *Server) Faults() []FaultInfo {
	fs := &s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]FaultInfo, 0, len(fs.list))
	for _, st := range fs.list {
		out = append(out, FaultInfo{ID: st.id, Fault: st.f, Hits: st.hits})
	}
	return out
}

func (s *Server) adminAddFault(w http.ResponseWriter, r *http.Request) *Error {
	var req struct {
		Fault
		Latency json.RawMessage `json:"latency,omitempty"`
	}
	if e := s.decodeAdmin(w, r, &req); e != nil {
		return e
	}
	f := req.Fault
	if len(req.Latency) > 0 {
		var str string
		var ns int64
		switch {
		case json.Unmarshal(req.Latency, &str) == nil:
			d, err := time.ParseDuration(str)
			if err != nil {
				return errorf(http.StatusBadRequest, CodeParameterInvalid, "latency %q: %v", str, err)
			}
			f.Latency = d
		case json.Unmarshal(req.Latency, &ns) == nil:
			f.Latency = time.Duration(ns)
		default:
			return errorf(http.StatusBadRequest, CodeParameterInvalid, "latency must be a duration string or nanoseconds")
		}
	}
	writeJSON(w, map[string]int{"id": s.InjectFault(f)})
	return nil
}

func (s *Server) adminCreateLogstore(w http.ResponseWriter, r *http.Request) *Error {
	var req struct {
		Project  string `json:"project"`
		Logstore string `json:"logstore"`
		Shards   int    `json:"shards"`
		TTLDays  int    `json:"ttlDays"`
	}
	if e := s.decodeAdmin(w, r, &req); e != nil {
		return e
	}
	if err := s.CreateLogstore(req.Project, req.Logstore, LogstoreConfig{Shards: req.Shards, TTLDays: req.TTLDays}); err != nil {
		return asError(err)
	}
	writeEmpty(w)
	return nil
}

func (s *Server) adminAppend(w http.ResponseWriter, r *http.Request) *Error {
	var req struct {
		Project  string `json:"project"`
		Logstore string `json:"logstore"`
		Shard    *int   `json:"shard"`
		Topic    string `json:"topic"`
		Source   string `json:"source"`
		Logs     []struct {
			Time     int64             `json:"time"`
			Contents map[string]string `json:"contents"`
		} `json:"logs"`
	}
	if e := s.decodeAdmin(w, r, &req); e != nil {
		return e
	}
	lg := &sls.LogGroup{Topic: strPtr(req.Topic), Source: strPtr(req.Source)}
	for _, l := range req.Logs {
		t := time.Unix(l.Time, 0)
		if l.Time == 0 {
			t = s.now()
		}
		keys := make([]string, 0, len(l.Contents))
		for k := range l.Contents {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		kv := make([]string, 0, 2*len(keys))
		for _, k := range keys {
			kv = append(kv, k, l.Contents[k])
		}
		lg.Logs = append(lg.Logs, NewLog(t, kv...))
	}
	shard := -1
	if req.Shard != nil {
		shard = *req.Shard
	}
	cur, err := s.AppendLogGroupToShard(req.Project, req.Logstore, shard, lg)
	if err != nil {
		return asError(err)
	}
	writeJSON(w, map[string]string{"cursor": cur})
	return nil
}

func (s *Server) adminShardOp(w http.ResponseWriter, r *http.Request, merge bool) *Error {
	var req struct {
		Project  string `json:"project"`
		Logstore string `json:"logstore"`
		Shard    int    `json:"shard"`
		Key      string `json:"key"`
		Count    int    `json:"count"`
	}
	if e := s.decodeAdmin(w, r, &req); e != nil {
		return e
	}
	var out []ShardInfo
	var err error
	if merge {
		out, err = s.MergeShards(req.Project, req.Logstore, req.Shard)
	} else {
		if req.Key == "" && req.Count == 0 {
			req.Count = 2
		}
		out, err = s.SplitShard(req.Project, req.Logstore, req.Shard, req.Key, req.Count)
	}
	if err != nil {
		return asError(err)
	}
	writeJSON(w, out)
	return nil
}

func (s *Server) adminExpire(w http.ResponseWriter, r *http.Request) *Error {
	var req struct {
		Project  string `json:"project"`
		Logstore string `json:"logstore"`
		Before   int64  `json:"before"`
		All      bool   `json:"all"`
	}
	if e := s.decodeAdmin(w, r, &req); e != nil {
		return e
	}
	var n int
	var err error
	if req.All {
		n, err = s.ExpireAll(req.Project, req.Logstore)
	} else {
		n, err = s.ExpireBefore(req.Project, req.Logstore, time.Unix(req.Before, 0))
	}
	if err != nil {
		return asError(err)
	}
	writeJSON(w, map[string]int{"expired": n})
	return nil
}
