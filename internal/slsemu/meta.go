package slsemu

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
)

// LogstoreConfig configures a logstore created through the Go API.
type LogstoreConfig struct {
	// Shards is the number of read-write shards, splitting the hash space
	// evenly. Default 2, as SLS.
	Shards int
	// TTLDays is the data retention in days; 0 keeps data forever.
	TTLDays int
}

// CreateProject creates a project; an existing one is an error with code
// ProjectAlreadyExist.
func (s *Server) CreateProject(name, description string) error {
	if name == "" {
		return errorf(http.StatusBadRequest, CodeParameterInvalid, "project name is empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.projects[name]; ok {
		return errorf(http.StatusBadRequest, CodeProjectAlreadyExist, "project %s already exists", name)
	}
	s.projects[name] = &project{name: name, description: description, createTime: s.now().Unix(), logstores: map[string]*logstore{}}
	return nil
}

// CreateLogstore creates a logstore, and its project when missing. An
// existing logstore is an error with code LogStoreAlreadyExist.
func (s *Server) CreateLogstore(projectName, name string, cfg LogstoreConfig) error {
	if name == "" {
		return errorf(http.StatusBadRequest, CodeParameterInvalid, "logstore name is empty")
	}
	if cfg.Shards <= 0 {
		cfg.Shards = 2
	}
	if cfg.Shards > 256 {
		return errorf(http.StatusBadRequest, CodeParameterInvalid, "shard count %d exceeds 256", cfg.Shards)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.projects[projectName]
	if !ok {
		if projectName == "" {
			return errorf(http.StatusBadRequest, CodeParameterInvalid, "project name is empty")
		}
		p = &project{name: projectName, createTime: s.now().Unix(), logstores: map[string]*logstore{}}
		s.projects[projectName] = p
	}
	if _, ok := p.logstores[name]; ok {
		return errorf(http.StatusBadRequest, CodeLogStoreAlreadyExist, "logstore %s already exists", name)
	}
	now := s.now()
	ls := &logstore{name: name, ttlDays: cfg.TTLDays, createTime: now.Unix(), groups: map[string]*group{}}
	bounds := splitRange("00000000000000000000000000000000", maxKey, cfg.Shards)
	for i := 0; i < cfg.Shards; i++ {
		ls.shards = append(ls.shards, ls.newShard(i, bounds[i], bounds[i+1], now, nil))
	}
	p.logstores[name] = ls
	return nil
}

// lookup finds a logstore.
func (s *Server) lookup(projectName, name string) (*logstore, *Error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.projects[projectName]
	if !ok {
		return nil, errorf(http.StatusNotFound, CodeProjectNotExist, "Project %s does not exist", projectName)
	}
	ls, ok := p.logstores[name]
	if !ok {
		return nil, errorf(http.StatusNotFound, CodeLogStoreNotExist, "logstore %s does not exist", name)
	}
	return ls, nil
}

// Shards lists a logstore's shards in id order.
func (s *Server) Shards(projectName, logstoreName string) ([]ShardInfo, error) {
	ls, e := s.lookup(projectName, logstoreName)
	if e != nil {
		return nil, e
	}
	ls.mu.RLock()
	defer ls.mu.RUnlock()
	out := make([]ShardInfo, len(ls.shards))
	for i, sh := range ls.shards {
		out[i] = sh.info()
	}
	return out, nil
}

func (s *Server) handleGetProject(w http.ResponseWriter, rt route) *Error {
	s.mu.RLock()
	p, ok := s.projects[rt.project]
	s.mu.RUnlock()
	if !ok {
		return errorf(http.StatusNotFound, CodeProjectNotExist, "Project %s does not exist", rt.project)
	}
	ct := strconv.FormatInt(p.createTime, 10)
	writeJSON(w, map[string]string{
		"projectName": p.name, "description": p.description, "status": "Normal", "owner": "",
		"region": "emulator", "createTime": ct, "lastModifyTime": ct,
	})
	return nil
}

func (s *Server) handleCreateProject(w http.ResponseWriter, rt route, body []byte) *Error {
	var req struct {
		ProjectName string `json:"projectName"`
		Description string `json:"description"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errorf(http.StatusBadRequest, CodePostBodyInvalid, "project body is not valid JSON: %v", err)
	}
	if req.ProjectName != "" && req.ProjectName != rt.project {
		return errorf(http.StatusBadRequest, CodeParameterInvalid, "projectName %s does not match host project %s", req.ProjectName, rt.project)
	}
	if err := s.CreateProject(rt.project, req.Description); err != nil {
		return asError(err)
	}
	writeEmpty(w)
	return nil
}

func (s *Server) handleDeleteProject(w http.ResponseWriter, rt route) *Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.projects[rt.project]; !ok {
		return errorf(http.StatusNotFound, CodeProjectNotExist, "Project %s does not exist", rt.project)
	}
	delete(s.projects, rt.project)
	writeEmpty(w)
	return nil
}

func (s *Server) handleListLogStore(w http.ResponseWriter, rt route) *Error {
	s.mu.RLock()
	p, ok := s.projects[rt.project]
	var names []string
	if ok {
		for n := range p.logstores {
			names = append(names, n)
		}
	}
	s.mu.RUnlock()
	if !ok {
		return errorf(http.StatusNotFound, CodeProjectNotExist, "Project %s does not exist", rt.project)
	}
	sort.Strings(names)
	if names == nil {
		names = []string{}
	}
	writeJSON(w, map[string]any{"count": len(names), "total": len(names), "logstores": names})
	return nil
}

func (s *Server) handleCreateLogStore(w http.ResponseWriter, rt route, body []byte) *Error {
	var req struct {
		Name       string `json:"logstoreName"`
		TTL        int    `json:"ttl"`
		ShardCount int    `json:"shardCount"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errorf(http.StatusBadRequest, CodePostBodyInvalid, "logstore body is not valid JSON: %v", err)
	}
	s.mu.RLock()
	_, ok := s.projects[rt.project]
	s.mu.RUnlock()
	if !ok {
		return errorf(http.StatusNotFound, CodeProjectNotExist, "Project %s does not exist", rt.project)
	}
	if req.TTL == 3650 { // SLS's "forever"
		req.TTL = 0
	}
	if err := s.CreateLogstore(rt.project, req.Name, LogstoreConfig{Shards: req.ShardCount, TTLDays: req.TTL}); err != nil {
		return asError(err)
	}
	writeEmpty(w)
	return nil
}

func (s *Server) handleGetLogStore(w http.ResponseWriter, rt route) *Error {
	ls, e := s.lookup(rt.project, rt.logstore)
	if e != nil {
		return e
	}
	ls.mu.RLock()
	rw := 0
	for _, sh := range ls.shards {
		if sh.status == StatusReadWrite {
			rw++
		}
	}
	ttl := ls.ttlDays
	ls.mu.RUnlock()
	if ttl == 0 {
		ttl = 3650
	}
	writeJSON(w, map[string]any{
		"logstoreName": ls.name, "ttl": ttl, "shardCount": rw, "enable_tracking": false,
		"autoSplit": false, "maxSplitShard": 0, "appendMeta": false, "telemetryType": "",
		"createTime": ls.createTime, "lastModifyTime": ls.createTime,
	})
	return nil
}

func (s *Server) handleUpdateLogStore(w http.ResponseWriter, rt route, body []byte) *Error {
	ls, e := s.lookup(rt.project, rt.logstore)
	if e != nil {
		return e
	}
	var req struct {
		TTL *int `json:"ttl"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errorf(http.StatusBadRequest, CodePostBodyInvalid, "logstore body is not valid JSON: %v", err)
	}
	if req.TTL != nil {
		ls.mu.Lock()
		ls.ttlDays = *req.TTL
		if ls.ttlDays >= 3650 {
			ls.ttlDays = 0
		}
		ls.mu.Unlock()
	}
	writeEmpty(w)
	return nil
}

func (s *Server) handleDeleteLogStore(w http.ResponseWriter, rt route) *Error {
	if _, e := s.lookup(rt.project, rt.logstore); e != nil {
		return e
	}
	s.mu.Lock()
	if p, ok := s.projects[rt.project]; ok {
		delete(p.logstores, rt.logstore)
	}
	s.mu.Unlock()
	writeEmpty(w)
	return nil
}

func (s *Server) handleListShards(w http.ResponseWriter, rt route) *Error {
	infos, err := s.Shards(rt.project, rt.logstore)
	if err != nil {
		return asError(err)
	}
	writeJSON(w, infos)
	return nil
}

// EnsureLogstore creates a logstore (and its project) unless it exists,
// e.g. restored from DataDir; an existing logstore is left unchanged.
func (s *Server) EnsureLogstore(projectName, name string, cfg LogstoreConfig) error {
	if _, e := s.lookup(projectName, name); e == nil {
		return nil
	}
	err := s.CreateLogstore(projectName, name, cfg)
	if e, ok := err.(*Error); ok && e.Code == CodeLogStoreAlreadyExist {
		return nil
	}
	return err
}
