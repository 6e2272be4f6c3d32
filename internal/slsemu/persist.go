package slsemu

import (
	"encoding/gob"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// Persistence: with Options.DataDir set, Start loads DataDir/slsemu.gob and
// Close writes it (to a temporary file renamed into place). The snapshot
// holds projects, logstores, shards with their log groups and cursor bases,
// and consumer groups with their checkpoints. Consumers and assignments are
// not kept: consumers re-register with their next heartbeat, as after an SLS
// group timeout.

const snapshotFile = "slsemu.gob"
const snapshotVersion = 1

type snapshot struct {
	Version  int
	Projects []snapProject
}

type snapProject struct {
	Name, Description string
	CreateTime        int64
	Logstores         []snapLogstore
}

type snapLogstore struct {
	Name       string
	TTLDays    int
	CreateTime int64
	Seq        int64
	RR         int
	Shards     []snapShard
	Groups     []snapGroup
}

type snapShard struct {
	ID                       int
	Status, BeginKey, EndKey string
	CreateTime, Base, First  int64
	Parents                  []int
	Entries                  []snapEntry
}

type snapEntry struct {
	Raw   []byte
	Recv  int64
	NLogs int
}

type snapGroup struct {
	Name        string
	Timeout     int
	Order       bool
	Checkpoints []snapCheckpoint
}

type snapCheckpoint struct {
	Shard      int
	Cursor     string
	UpdateTime int64
	Consumer   string
}

func (s *Server) snapshot() snapshot {
	s.mu.RLock()
	defer s.mu.RUnlock()
	snap := snapshot{Version: snapshotVersion}
	for _, p := range s.projects {
		sp := snapProject{Name: p.name, Description: p.description, CreateTime: p.createTime}
		for _, ls := range p.logstores {
			ls.mu.RLock()
			sl := snapLogstore{Name: ls.name, TTLDays: ls.ttlDays, CreateTime: ls.createTime, Seq: ls.seq, RR: ls.rr}
			for _, sh := range ls.shards {
				ss := snapShard{ID: sh.id, Status: sh.status, BeginKey: sh.beginKey, EndKey: sh.endKey,
					CreateTime: sh.createTime, Base: sh.base, First: sh.first, Parents: sh.parents}
				for _, e := range sh.entries {
					ss.Entries = append(ss.Entries, snapEntry{Raw: e.raw(), Recv: e.recv, NLogs: e.nLogs})
				}
				sl.Shards = append(sl.Shards, ss)
			}
			for _, g := range ls.groups {
				sg := snapGroup{Name: g.name, Timeout: g.timeout, Order: g.order}
				for id, cp := range g.checkpoints {
					sg.Checkpoints = append(sg.Checkpoints, snapCheckpoint{Shard: id, Cursor: cp.cursor, UpdateTime: cp.updateTime, Consumer: cp.consumer})
				}
				sort.Slice(sg.Checkpoints, func(i, j int) bool { return sg.Checkpoints[i].Shard < sg.Checkpoints[j].Shard })
				sl.Groups = append(sl.Groups, sg)
			}
			ls.mu.RUnlock()
			sp.Logstores = append(sp.Logstores, sl)
		}
		snap.Projects = append(snap.Projects, sp)
	}
	return snap
}

// save writes the snapshot atomically.
func (s *Server) save() error {
	if err := os.MkdirAll(s.opts.DataDir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	tmp, err := os.CreateTemp(s.opts.DataDir, snapshotFile+".tmp*")
	if err != nil {
		return fmt.Errorf("create snapshot: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := gob.NewEncoder(tmp).Encode(s.snapshot()); err != nil {
		tmp.Close()
		return fmt.Errorf("encode snapshot: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync snapshot: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close snapshot: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.opts.DataDir, snapshotFile)); err != nil {
		return fmt.Errorf("install snapshot: %w", err)
	}
	return nil
}

// load restores the snapshot, if there is one. Stored log groups are
// validated and recompressed.
func (s *Server) load() error {
	f, err := os.Open(filepath.Join(s.opts.DataDir, snapshotFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open snapshot: %w", err)
	}
	defer f.Close()
	var snap snapshot
	if err := gob.NewDecoder(f).Decode(&snap); err != nil {
		return fmt.Errorf("decode snapshot: %w", err)
	}
	if snap.Version != snapshotVersion {
		return fmt.Errorf("snapshot version %d, want %d", snap.Version, snapshotVersion)
	}
	projects := map[string]*project{}
	for _, sp := range snap.Projects {
		p := &project{name: sp.Name, description: sp.Description, createTime: sp.CreateTime, logstores: map[string]*logstore{}}
		for _, sl := range sp.Logstores {
			ls := &logstore{name: sl.Name, ttlDays: sl.TTLDays, createTime: sl.CreateTime, seq: sl.Seq, rr: sl.RR, groups: map[string]*group{}}
			for _, ss := range sl.Shards {
				sh := &shard{id: ss.ID, status: ss.Status, beginKey: ss.BeginKey, endKey: ss.EndKey,
					createTime: ss.CreateTime, base: ss.Base, first: ss.First, parents: ss.Parents}
				for _, se := range ss.Entries {
					if _, e := validateLogGroup(se.Raw); e != nil {
						return fmt.Errorf("logstore %s shard %d: %w", sl.Name, ss.ID, e)
					}
					sh.entries = append(sh.entries, newEntry(se.Raw, se.Recv, se.NLogs))
				}
				ls.shards = append(ls.shards, sh)
			}
			sort.Slice(ls.shards, func(i, j int) bool { return ls.shards[i].id < ls.shards[j].id })
			for _, sg := range sl.Groups {
				g := newGroup(sg.Name, sg.Timeout, sg.Order)
				for _, cp := range sg.Checkpoints {
					g.checkpoints[cp.Shard] = &checkpointState{cursor: cp.Cursor, updateTime: cp.UpdateTime, consumer: cp.Consumer}
				}
				g.sync(ls, s.now())
				g.history = nil
				ls.groups[sg.Name] = g
			}
			p.logstores[sl.Name] = ls
		}
		projects[sp.Name] = p
	}
	s.mu.Lock()
	s.projects = projects
	s.mu.Unlock()
	return nil
}
