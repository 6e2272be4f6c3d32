package slsemu

import (
	"slices"
	"sort"
	"time"
)

// GroupInfo is a consumer group's server-side state, for tests and the admin
// API.
type GroupInfo struct {
	Name        string            `json:"name"`
	Timeout     int               `json:"timeout"`
	Order       bool              `json:"order"`
	Consumers   []ConsumerInfo    `json:"consumers"`
	Shards      []ShardAssignment `json:"shards"`
	Checkpoints []CheckpointInfo  `json:"checkpoints"`
	// Departed lists consumers removed after the group timeout.
	Departed []ConsumerInfo `json:"departed,omitempty"`
}

// ConsumerInfo is one live consumer.
type ConsumerInfo struct {
	Name          string      `json:"name"`
	FirstSeen     time.Time   `json:"firstSeen"`
	LastHeartbeat time.Time   `json:"lastHeartbeat"`
	Heartbeats    []time.Time `json:"heartbeats"` // most recent last, bounded
	Held          []int       `json:"held"`       // shards granted by the last heartbeat response
	ExpiredAt     time.Time   `json:"expiredAt,omitzero"`
}

func (c *consumerState) info() ConsumerInfo {
	return ConsumerInfo{Name: c.name, FirstSeen: c.first, LastHeartbeat: c.last, Heartbeats: slices.Clone(c.beats), Held: slices.Clone(c.granted)}
}

// ShardAssignment is one shard's consumer-group state.
type ShardAssignment struct {
	Shard int    `json:"shard"`
	State string `json:"state"`
	Owner string `json:"owner,omitempty"`
	Next  string `json:"next,omitempty"`
}

// CheckpointInfo is one shard's committed checkpoint.
type CheckpointInfo struct {
	Shard      int       `json:"shard"`
	Checkpoint string    `json:"checkpoint"`
	UpdateTime time.Time `json:"updateTime"`
	Consumer   string    `json:"consumer"`
}

// withGroup runs fn on a group under its logstore's lock, after expiring
// silent consumers so the view matches what the next request would see.
func (s *Server) withGroup(projectName, logstoreName, groupName string, fn func(ls *logstore, g *group)) error {
	ls, e := s.lookup(projectName, logstoreName)
	if e != nil {
		return e
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	g, e := groupOf(ls, groupName)
	if e != nil {
		return e
	}
	now := s.now()
	g.expire(now)
	g.sync(ls, now)
	fn(ls, g)
	return nil
}

// Group returns a consumer group's state.
func (s *Server) Group(projectName, logstoreName, groupName string) (GroupInfo, error) {
	var gi GroupInfo
	err := s.withGroup(projectName, logstoreName, groupName, func(ls *logstore, g *group) { gi = g.info() })
	return gi, err
}

func (g *group) info() GroupInfo {
	gi := GroupInfo{Name: g.name, Timeout: g.timeout, Order: g.order}
	for _, id := range g.shardIDs() {
		a := g.shards[id]
		gi.Shards = append(gi.Shards, ShardAssignment{Shard: id, State: a.state, Owner: a.owner, Next: a.next})
		if cp := g.checkpoints[id]; cp != nil {
			gi.Checkpoints = append(gi.Checkpoints, CheckpointInfo{Shard: id, Checkpoint: cp.cursor, UpdateTime: time.UnixMicro(cp.updateTime), Consumer: cp.consumer})
		}
	}
	for _, c := range g.consumers {
		gi.Consumers = append(gi.Consumers, c.info())
	}
	gi.Departed = slices.Clone(g.departed)
	sort.Slice(gi.Consumers, func(i, j int) bool { return gi.Consumers[i].Name < gi.Consumers[j].Name })
	return gi
}

// Assignments maps each owned shard to its owner (shards in transfer still
// belong to their current owner).
func (s *Server) Assignments(projectName, logstoreName, groupName string) (map[int]string, error) {
	out := map[int]string{}
	err := s.withGroup(projectName, logstoreName, groupName, func(_ *logstore, g *group) {
		for id, a := range g.shards {
			if a.state == StateAlreadyAlloc || a.state == StateTransfer {
				out[id] = a.owner
			}
		}
	})
	return out, err
}

// AssignmentHistory returns every ownership and state change of a group's
// shards, oldest first.
func (s *Server) AssignmentHistory(projectName, logstoreName, groupName string) ([]AssignmentEvent, error) {
	var out []AssignmentEvent
	err := s.withGroup(projectName, logstoreName, groupName, func(_ *logstore, g *group) { out = slices.Clone(g.history) })
	return out, err
}

// Violations returns every time the group granted a shard to a consumer
// while another consumer still held it. It must stay empty.
func (s *Server) Violations(projectName, logstoreName, groupName string) ([]Violation, error) {
	var out []Violation
	err := s.withGroup(projectName, logstoreName, groupName, func(_ *logstore, g *group) { out = slices.Clone(g.violations) })
	return out, err
}

// MaxHeartbeatGap returns the longest interval between consecutive
// heartbeats of one consumer (within the bounded history), and how many
// heartbeats it sent. A consumer that expired and rejoined starts over.
func (s *Server) MaxHeartbeatGap(projectName, logstoreName, groupName, consumer string) (time.Duration, int, error) {
	var gap time.Duration
	n := 0
	err := s.withGroup(projectName, logstoreName, groupName, func(_ *logstore, g *group) {
		c := g.consumers[consumer]
		if c == nil {
			return
		}
		n = len(c.beats)
		for i := 1; i < len(c.beats); i++ {
			gap = max(gap, c.beats[i].Sub(c.beats[i-1]))
		}
	})
	return gap, n, err
}

// ExpireBefore drops every log group of a logstore received before t, as
// the TTL would, and returns how many were dropped. Cursors before the new
// beginning then get InvalidCursor.
func (s *Server) ExpireBefore(projectName, logstoreName string, t time.Time) (int, error) {
	ls, e := s.lookup(projectName, logstoreName)
	if e != nil {
		return 0, e
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.expireBefore(t.Unix()), nil
}

// ExpireAll drops every stored log group of a logstore (TTL of zero).
func (s *Server) ExpireAll(projectName, logstoreName string) (int, error) {
	ls, e := s.lookup(projectName, logstoreName)
	if e != nil {
		return 0, e
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.expireBefore(1 << 62), nil
}
