package slsemu

import (
	"encoding/binary"
	"net/http"
	"sort"
	"sync"
	"time"

	sls "github.com/aliyun/aliyun-log-go-sdk"
)

// Shard statuses as ListShards reports them.
const (
	StatusReadWrite = "readwrite"
	StatusReadOnly  = "readonly"
)

// entry is one stored LogGroup: its LogGroupList framing and bytes, kept
// verbatim, plus the ingest-time LZ4 chunk and a lazily built zstd frame.
type entry struct {
	framed []byte // 0x0A, varint(len), LogGroup bytes
	hdr    int    // length of the framing prefix
	recv   int64  // server receive time, unix seconds
	nLogs  int
	lz     lz4Chunk

	zOnce sync.Once
	zst   []byte
}

// raw returns the LogGroup protobuf bytes.
func (e *entry) raw() []byte { return e.framed[e.hdr:] }

// newEntry frames raw (already validated as a LogGroup) and compresses it.
func newEntry(raw []byte, recv int64, nLogs int) *entry {
	framed := make([]byte, 0, len(raw)+1+binary.MaxVarintLen64)
	framed = append(framed, 0x0A)
	framed = binary.AppendUvarint(framed, uint64(len(raw)))
	hdr := len(framed)
	framed = append(framed, raw...)
	return &entry{framed: framed, hdr: hdr, recv: recv, nLogs: nLogs, lz: newLZ4Chunk(framed)}
}

// shard is one shard of a logstore. Entries are append-only; TTL expiry
// drops a prefix and advances first.
type shard struct {
	id         int
	status     string
	beginKey   string
	endKey     string
	createTime int64
	parents    []int
	base       int64 // cursor of absolute index 0
	first      int64 // absolute index of entries[0]
	entries    []*entry
}

func (sh *shard) beginCursor() int64 { return sh.base + sh.first }
func (sh *shard) endCursor() int64   { return sh.base + sh.first + int64(len(sh.entries)) }

// ShardInfo is a shard as ListShards returns it (JSON names match the API).
type ShardInfo struct {
	ShardID           int    `json:"shardID"`
	Status            string `json:"status"`
	InclusiveBeginKey string `json:"inclusiveBeginKey"`
	ExclusiveEndKey   string `json:"exclusiveEndKey"`
	CreateTime        int64  `json:"createTime"`
}

func (sh *shard) info() ShardInfo {
	return ShardInfo{ShardID: sh.id, Status: sh.status, InclusiveBeginKey: sh.beginKey, ExclusiveEndKey: sh.endKey, CreateTime: sh.createTime}
}

// logstore holds shards and consumer groups; mu guards everything in it.
type logstore struct {
	name       string
	ttlDays    int
	createTime int64

	mu     sync.RWMutex
	shards []*shard // sorted by id
	rr     int
	groups map[string]*group
	seq    int64 // last cursor base handed out, keeps bases distinct
}

func (ls *logstore) shard(id int) *shard {
	i := sort.Search(len(ls.shards), func(i int) bool { return ls.shards[i].id >= id })
	if i < len(ls.shards) && ls.shards[i].id == id {
		return ls.shards[i]
	}
	return nil
}

func (ls *logstore) nextShardID() int {
	if len(ls.shards) == 0 {
		return 0
	}
	return ls.shards[len(ls.shards)-1].id + 1
}

// newShard creates a shard with a realistic cursor base.
func (ls *logstore) newShard(id int, begin, end string, now time.Time, parents []int) *shard {
	base := now.UnixMilli() * 1_000_000
	if base <= ls.seq {
		base = ls.seq + 1_000_000
	}
	ls.seq = base
	return &shard{id: id, status: StatusReadWrite, beginKey: begin, endKey: end, createTime: now.Unix(), parents: parents, base: base}
}

// appendEntry stores e in sh with a non-decreasing receive time and returns
// its cursor.
func (sh *shard) appendEntry(e *entry) int64 {
	if n := len(sh.entries); n > 0 && sh.entries[n-1].recv > e.recv {
		e.recv = sh.entries[n-1].recv
	}
	sh.entries = append(sh.entries, e)
	return sh.endCursor() - 1
}

// pickShard chooses the target shard for a write: by hash key when given,
// else round-robin over read-write shards.
func (ls *logstore) pickShard(key string) (*shard, *Error) {
	if key != "" {
		k, err := normalizeKey(key)
		if err != nil {
			return nil, errorf(http.StatusBadRequest, CodeParameterInvalid, "%v", err)
		}
		for _, sh := range ls.shards {
			if sh.status == StatusReadWrite && keyInRange(k, sh.beginKey, sh.endKey) {
				return sh, nil
			}
		}
		return nil, errorf(http.StatusBadRequest, CodeShardNotExist, "no read-write shard for hash key %s", k)
	}
	var rw []*shard
	for _, sh := range ls.shards {
		if sh.status == StatusReadWrite {
			rw = append(rw, sh)
		}
	}
	if len(rw) == 0 {
		return nil, errorf(http.StatusBadRequest, CodeLogStoreWithoutShard, "logstore %s has no read-write shard", ls.name)
	}
	sh := rw[ls.rr%len(rw)]
	ls.rr++
	return sh, nil
}

// expireBefore drops entries received before t from every shard and returns
// how many were removed.
func (ls *logstore) expireBefore(t int64) int {
	removed := 0
	for _, sh := range ls.shards {
		k := sort.Search(len(sh.entries), func(i int) bool { return sh.entries[i].recv >= t })
		if k == 0 {
			continue
		}
		removed += k
		sh.first += int64(k)
		rest := make([]*entry, len(sh.entries)-k)
		copy(rest, sh.entries[k:])
		sh.entries = rest
	}
	return removed
}

// project is an SLS project.
type project struct {
	name        string
	description string
	createTime  int64
	logstores   map[string]*logstore
}

// NewLog builds an *sls.Log from a time and key/value pairs (an odd trailing
// key gets an empty value). It never leaves nil pointers, which the SDK's
// marshaller rejects.
func NewLog(t time.Time, kv ...string) *sls.Log {
	l := &sls.Log{Time: uint32Ptr(uint32(t.Unix()))}
	if ns := uint32(t.Nanosecond()); ns != 0 {
		l.TimeNs = &ns
	}
	for i := 0; i < len(kv); i += 2 {
		k, v := kv[i], ""
		if i+1 < len(kv) {
			v = kv[i+1]
		}
		l.Contents = append(l.Contents, &sls.LogContent{Key: strPtr(k), Value: strPtr(v)})
	}
	return l
}

func uint32Ptr(v uint32) *uint32 { return &v }
func strPtr(s string) *string    { return &s }
