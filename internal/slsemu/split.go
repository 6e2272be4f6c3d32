package slsemu

import (
	"net/http"
	"strconv"
	"time"
)

// splitShard makes a read-write shard read-only and creates children with new
// ids covering its range, split at key or evenly into n parts. The caller
// holds ls.mu.
func (ls *logstore) splitShard(id int, key string, n int, now time.Time) ([]ShardInfo, *Error) {
	sh := ls.shard(id)
	if sh == nil {
		return nil, errorf(http.StatusNotFound, CodeShardNotExist, "shard %d does not exist", id)
	}
	if sh.status != StatusReadWrite {
		return nil, errorf(http.StatusBadRequest, CodeShardReadOnly, "shard %d is read-only and cannot be split", id)
	}
	var bounds []string
	switch {
	case key != "":
		k, err := normalizeKey(key)
		if err != nil {
			return nil, errorf(http.StatusBadRequest, CodeParameterInvalid, "split key: %v", err)
		}
		if k <= sh.beginKey || (k >= sh.endKey && sh.endKey != maxKey) || k == maxKey {
			return nil, errorf(http.StatusBadRequest, CodeParameterInvalid, "split key %s is not inside shard %d's range [%s, %s)", k, id, sh.beginKey, sh.endKey)
		}
		bounds = []string{sh.beginKey, k, sh.endKey}
	default:
		if n < 2 || n > 64 {
			return nil, errorf(http.StatusBadRequest, CodeParameterInvalid, "shardCount %d must be in [2, 64]", n)
		}
		bounds = splitRange(sh.beginKey, sh.endKey, n)
		for i := 1; i < len(bounds); i++ {
			if bounds[i] <= bounds[i-1] {
				return nil, errorf(http.StatusBadRequest, CodeParameterInvalid, "shard %d's range is too narrow to split in %d", id, n)
			}
		}
	}
	sh.status = StatusReadOnly
	out := []ShardInfo{sh.info()}
	for i := 0; i+1 < len(bounds); i++ {
		child := ls.newShard(ls.nextShardID(), bounds[i], bounds[i+1], now, []int{id})
		ls.shards = append(ls.shards, child)
		out = append(out, child.info())
	}
	for _, g := range ls.groups {
		g.sync(ls, now)
	}
	return out, nil
}

// mergeShards merges a read-write shard with the read-write shard whose range
// starts where its range ends. Both become read-only.
func (ls *logstore) mergeShards(id int, now time.Time) ([]ShardInfo, *Error) {
	a := ls.shard(id)
	if a == nil {
		return nil, errorf(http.StatusNotFound, CodeShardNotExist, "shard %d does not exist", id)
	}
	if a.status != StatusReadWrite {
		return nil, errorf(http.StatusBadRequest, CodeShardReadOnly, "shard %d is read-only and cannot be merged", id)
	}
	var b *shard
	for _, sh := range ls.shards {
		if sh.status == StatusReadWrite && sh.beginKey == a.endKey {
			b = sh
		}
	}
	if b == nil {
		return nil, errorf(http.StatusBadRequest, CodeParameterInvalid, "shard %d has no adjacent read-write shard to merge with", id)
	}
	a.status, b.status = StatusReadOnly, StatusReadOnly
	child := ls.newShard(ls.nextShardID(), a.beginKey, b.endKey, now, []int{a.id, b.id})
	ls.shards = append(ls.shards, child)
	for _, g := range ls.groups {
		g.sync(ls, now)
	}
	return []ShardInfo{child.info(), a.info(), b.info()}, nil
}

// SplitShard splits a shard at a hash key (32 hex digits), or evenly into n
// shards when key is empty. It returns the parent (now read-only) and the
// children.
func (s *Server) SplitShard(projectName, logstoreName string, shard int, key string, n int) ([]ShardInfo, error) {
	ls, e := s.lookup(projectName, logstoreName)
	if e != nil {
		return nil, e
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	out, e := ls.splitShard(shard, key, n, s.now())
	if e != nil {
		return nil, e
	}
	return out, nil
}

// MergeShards merges a shard with its right neighbour and returns the new
// shard followed by the two read-only parents.
func (s *Server) MergeShards(projectName, logstoreName string, shard int) ([]ShardInfo, error) {
	ls, e := s.lookup(projectName, logstoreName)
	if e != nil {
		return nil, e
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	out, e := ls.mergeShards(shard, s.now())
	if e != nil {
		return nil, e
	}
	return out, nil
}

func (s *Server) handleSplitShard(w http.ResponseWriter, r *http.Request, rt route) *Error {
	q := r.URL.Query()
	n := 0
	if v := q.Get("shardCount"); v != "" {
		c, err := strconv.Atoi(v)
		if err != nil {
			return errorf(http.StatusBadRequest, CodeParameterInvalid, "shardCount %q is not an integer", v)
		}
		n = c
	}
	key := q.Get("key")
	if key == "" && n == 0 {
		n = 2
	}
	out, err := s.SplitShard(rt.project, rt.logstore, rt.shard, key, n)
	if err != nil {
		return asError(err)
	}
	writeJSON(w, out)
	return nil
}

func (s *Server) handleMergeShards(w http.ResponseWriter, rt route) *Error {
	out, err := s.MergeShards(rt.project, rt.logstore, rt.shard)
	if err != nil {
		return asError(err)
	}
	writeJSON(w, out)
	return nil
}
