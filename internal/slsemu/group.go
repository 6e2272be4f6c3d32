package slsemu

import (
	"net/http"
	"slices"
	"sort"
	"time"
)

// Consumer-group shard states (reference/sls-protocol.md §8).
const (
	StateNotAlloc     = "not_alloc"     // consumable, unowned
	StateAlreadyAlloc = "already_alloc" // owned
	StateTransfer     = "transfer"      // owned, moving to Next once released
	StateWait         = "wait"          // order=true and an ancestor is unfinished
	StateOver         = "over"          // read-only shard checkpointed at its end
)

// maxHeartbeatHistory bounds the per-consumer heartbeat log.
const maxHeartbeatHistory = 4096

// group is one consumer group's server-side state; guarded by its
// logstore's mu.
type group struct {
	name    string
	timeout int // seconds
	order   bool

	consumers   map[string]*consumerState
	shards      map[int]*assignment
	checkpoints map[int]*checkpointState

	// holders is the wire view of who holds a shard: a consumer holds it
	// from the heartbeat response that grants it until a heartbeat body
	// omits it or the consumer expires. Granting a shard that another
	// consumer still holds is recorded as a violation.
	holders    map[int]map[string]bool
	history    []AssignmentEvent
	violations []Violation
	departed   []ConsumerInfo // expired consumers, most recent last
}

// maxDeparted bounds the departed-consumer log.
const maxDeparted = 256

type consumerState struct {
	name    string
	first   time.Time
	last    time.Time
	beats   []time.Time
	granted []int // shards in the last heartbeat response
}

type assignment struct {
	state string
	owner string
	next  string
}

type checkpointState struct {
	cursor     string
	updateTime int64 // microseconds
	consumer   string
}

// AssignmentEvent records one change of a shard's owner or state.
type AssignmentEvent struct {
	Time   time.Time `json:"time"`
	Shard  int       `json:"shard"`
	From   string    `json:"from,omitempty"`
	To     string    `json:"to,omitempty"`
	State  string    `json:"state"`
	Reason string    `json:"reason"`
}

// Violation records a shard granted to a consumer while another consumer
// still held it (it should never happen).
type Violation struct {
	Time    time.Time `json:"time"`
	Shard   int       `json:"shard"`
	Granted string    `json:"granted"`
	Holders []string  `json:"holders"`
}

func newGroup(name string, timeout int, order bool) *group {
	return &group{
		name: name, timeout: timeout, order: order,
		consumers:   map[string]*consumerState{},
		shards:      map[int]*assignment{},
		checkpoints: map[int]*checkpointState{},
		holders:     map[int]map[string]bool{},
	}
}

func (g *group) record(now time.Time, shard int, from, to, state, reason string) {
	g.history = append(g.history, AssignmentEvent{Time: now, Shard: shard, From: from, To: to, State: state, Reason: reason})
}

// expire deletes consumers silent for longer than the group timeout and
// releases their shards.
func (g *group) expire(now time.Time) {
	limit := time.Duration(g.timeout) * time.Second
	var dead []string
	for name, c := range g.consumers {
		if now.Sub(c.last) > limit {
			dead = append(dead, name)
		}
	}
	sort.Strings(dead)
	for _, name := range dead {
		c := g.consumers[name]
		ci := c.info()
		ci.ExpiredAt = now
		g.departed = append(g.departed, ci)
		if len(g.departed) > maxDeparted {
			g.departed = slices.Delete(g.departed, 0, len(g.departed)-maxDeparted)
		}
		delete(g.consumers, name)
		g.releaseAll(now, name)
	}
}

// releaseAll frees every shard of a departed consumer and cancels transfers
// to it.
func (g *group) releaseAll(now time.Time, name string) {
	for _, id := range g.shardIDs() {
		a := g.shards[id]
		switch {
		case a.owner == name && a.state == StateTransfer && g.consumers[a.next] != nil:
			a.owner, a.next, a.state = a.next, "", StateAlreadyAlloc
			g.record(now, id, name, a.owner, a.state, "owner expired during transfer")
		case a.owner == name && (a.state == StateAlreadyAlloc || a.state == StateTransfer):
			a.owner, a.next, a.state = "", "", StateNotAlloc
			g.record(now, id, name, "", a.state, "owner expired")
		case a.next == name && a.state == StateTransfer:
			a.next, a.state = "", StateAlreadyAlloc
			g.record(now, id, a.owner, a.owner, a.state, "transfer target expired")
		}
	}
	for _, hs := range g.holders {
		delete(hs, name)
	}
}

func (g *group) shardIDs() []int {
	ids := make([]int, 0, len(g.shards))
	for id := range g.shards {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// sync brings the group's shard table in line with the logstore: new shards
// appear, waiting shards start when their ancestors are over, finished
// read-only shards become over.
func (g *group) sync(ls *logstore, now time.Time) {
	for _, sh := range ls.shards {
		a := g.shards[sh.id]
		if a == nil {
			a = &assignment{state: StateNotAlloc}
			if g.order && !g.ancestorsOver(ls, sh) {
				a.state = StateWait
			}
			g.shards[sh.id] = a
		}
		if a.state == StateWait && (!g.order || g.ancestorsOver(ls, sh)) {
			a.state = StateNotAlloc
			g.record(now, sh.id, "", "", a.state, "ancestors finished")
		}
		g.updateOver(sh, a, now)
	}
	for id := range g.shards {
		if ls.shard(id) == nil {
			delete(g.shards, id)
			delete(g.holders, id)
		}
	}
}

// updateOver moves a read-only shard to over when its checkpoint reached its
// end, and back to not_alloc when the checkpoint moved away from the end.
func (g *group) updateOver(sh *shard, a *assignment, now time.Time) {
	cp := g.checkpoints[sh.id]
	atEnd := sh.status == StatusReadOnly && cp != nil && cp.cursor == EncodeCursor(sh.endCursor())
	switch {
	case atEnd && a.state != StateOver:
		g.record(now, sh.id, a.owner, "", StateOver, "read-only shard finished")
		a.state, a.owner, a.next = StateOver, "", ""
	case !atEnd && a.state == StateOver:
		a.state = StateNotAlloc
		g.record(now, sh.id, "", "", a.state, "checkpoint moved off the end")
	}
}

func (g *group) ancestorsOver(ls *logstore, sh *shard) bool {
	for _, pid := range sh.parents {
		p := ls.shard(pid)
		a := g.shards[pid]
		if p == nil {
			continue
		}
		if a == nil || a.state != StateOver || !g.ancestorsOver(ls, p) {
			return false
		}
	}
	return true
}

// balance hands unowned shards to the least loaded consumers and starts
// transfers until loads differ by at most one. A transfer's shard counts
// for its target so one heartbeat does not start two moves for one gap.
func (g *group) balance(now time.Time) {
	if len(g.consumers) == 0 {
		return
	}
	names := make([]string, 0, len(g.consumers))
	for n := range g.consumers {
		names = append(names, n)
	}
	sort.Strings(names)
	load := map[string]int{}
	ids := g.shardIDs()
	for _, id := range ids {
		a := g.shards[id]
		switch a.state {
		case StateAlreadyAlloc:
			load[a.owner]++
		case StateTransfer:
			load[a.next]++
		}
	}
	least := func() string {
		best := names[0]
		for _, n := range names[1:] {
			if load[n] < load[best] {
				best = n
			}
		}
		return best
	}
	most := func() string {
		best := names[0]
		for _, n := range names[1:] {
			if load[n] > load[best] {
				best = n
			}
		}
		return best
	}
	for _, id := range ids {
		if a := g.shards[id]; a.state == StateNotAlloc {
			c := least()
			a.state, a.owner = StateAlreadyAlloc, c
			load[c]++
			g.record(now, id, "", c, a.state, "assigned")
		}
	}
	for range ids {
		hi, lo := most(), least()
		if load[hi]-load[lo] <= 1 {
			return
		}
		moved := false
		for i := len(ids) - 1; i >= 0; i-- {
			a := g.shards[ids[i]]
			if a.state == StateAlreadyAlloc && a.owner == hi {
				a.state, a.next = StateTransfer, lo
				load[hi]--
				load[lo]++
				g.record(now, ids[i], hi, lo, a.state, "rebalance")
				moved = true
				break
			}
		}
		if !moved {
			return
		}
	}
}

// heartbeat runs rules 1–3 of §8 for one consumer and returns the shards it
// may hold. maxGrant > 0 limits how many shards the response adds to those
// the consumer already holds; the others stay assigned and follow in later
// heartbeats.
func (g *group) heartbeat(ls *logstore, name string, body []int, now time.Time, maxGrant int) ([]int, *Error) {
	g.expire(now)
	c := g.consumers[name]
	if c == nil {
		if len(body) > 0 {
			return nil, errorf(http.StatusBadRequest, CodeNotExistConsumerWithBody, "consumer %s does not exist but sent shards %v", name, body)
		}
		c = &consumerState{name: name, first: now}
		g.consumers[name] = c
	}
	c.last = now
	c.beats = append(c.beats, now)
	if len(c.beats) > maxHeartbeatHistory {
		c.beats = slices.Delete(c.beats, 0, len(c.beats)-maxHeartbeatHistory)
	}
	reported := map[int]bool{}
	for _, id := range body {
		reported[id] = true
	}
	for id, hs := range g.holders {
		if hs[name] && !reported[id] {
			delete(hs, name)
		}
	}
	for _, id := range g.shardIDs() {
		a := g.shards[id]
		if a.state == StateTransfer && a.owner == name && !reported[id] {
			from := a.owner
			a.owner, a.next, a.state = a.next, "", StateAlreadyAlloc
			g.record(now, id, from, a.owner, a.state, "released by holder")
		}
	}
	g.sync(ls, now)
	g.balance(now)
	held := []int{}
	added := 0
	for _, id := range g.shardIDs() {
		a := g.shards[id]
		if a.state != StateAlreadyAlloc || a.owner != name {
			continue
		}
		hs := g.holders[id]
		if hs == nil {
			hs = map[string]bool{}
			g.holders[id] = hs
		}
		if !hs[name] {
			if maxGrant > 0 && added >= maxGrant {
				continue
			}
			added++
		}
		held = append(held, id)
		var others []string
		for h := range hs {
			if h != name {
				others = append(others, h)
			}
		}
		if len(others) > 0 {
			sort.Strings(others)
			g.violations = append(g.violations, Violation{Time: now, Shard: id, Granted: name, Holders: others})
		}
		hs[name] = true
	}
	c.granted = held
	return held, nil
}
