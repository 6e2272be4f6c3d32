package objectstore

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"

	"strings"
	"sync"
	"time"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/sinks"
)

// Factory returns the object_store sink factory.
//
// A write returns only once the objects holding its events are stored, and
// objects fill over many writes, so many writes wait at once: in_flight
// defaults to 64. Batches are only the unit of waiting; objects roll by
// max_object_size, max_object_age and flush_idle.
func Factory() sinks.Factory {
	f := sinks.NewFactory(Type, NewConfig, New)
	f.MaxInFlight = 64
	f.Batch = sinks.BatchDefaults{MaxEvents: 1000, MaxBytes: 4 << 20}
	return f
}

// Sink writes events into objects, one open object per partition, and
// acknowledges a batch once every object holding its events is stored.
type Sink struct {
	cfg  Config
	set  *settings
	name string
	log  *slog.Logger

	mu       sync.Mutex
	st       *store
	open     map[string]*object
	closed   bool
	lastSec  int64
	lastPart string
	partBuf  []byte

	ctx     context.Context // ends uploads on Close
	cancel  context.CancelFunc
	loop    sync.WaitGroup
	uploads sync.WaitGroup
	slots   chan struct{} // bounds concurrent uploads
}

// New returns a sink. It does no I/O.
func New(cfg *Config, set sinks.Settings) (*Sink, error) {
	s, err := cfg.settings()
	if err != nil {
		return nil, fmt.Errorf("sink %q: %w", set.Name, err)
	}
	log := set.Logger
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Sink{cfg: *cfg, set: s, name: set.Name, log: log, open: map[string]*object{}, lastSec: -1,
		ctx: ctx, cancel: cancel, slots: make(chan struct{}, 4)}, nil
}

// object is one object being filled. done closes once it is stored (err nil)
// or failed; every batch with an event in it waits for done.
type object struct {
	partition string
	first     time.Time // earliest event time, names the object
	opened    time.Time
	touched   time.Time
	raw       int64
	events    int
	sp        *spool
	enc       encoder
	done      chan struct{}
	err       error
	key       string
}

// Connect builds the client and checks the bucket with a signed request.
func (s *Sink) Connect(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("object_store sink %q: closed", s.name)
	}
	if s.st != nil {
		return nil
	}
	st, err := newStore(&s.cfg, s.set)
	if err != nil {
		return fmt.Errorf("object_store sink %q: %w", s.name, err)
	}
	if err := st.check(ctx); err != nil {
		return fmt.Errorf("object_store sink %q: %w", s.name, err)
	}
	s.st = st
	s.loop.Add(1)
	go s.roller()
	return nil
}

// WriteBatch adds the events to their partitions' objects and waits until
// each of those objects is stored.
func (s *Sink) WriteBatch(ctx context.Context, evs []*event.Event) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("object_store sink %q: closed", s.name)
	}
	if s.st == nil {
		s.mu.Unlock()
		return sinks.ErrNotConnected
	}
	var wait []*object
	now := time.Now()
	for _, ev := range evs {
		part := s.partition(ev.Time)
		o := s.open[part]
		if o == nil {
			var err error
			if o, err = s.newObject(part, now); err != nil {
				s.mu.Unlock()
				return fmt.Errorf("object_store sink %q: %w", s.name, err)
			}
		}
		n, err := o.enc.add(ev)
		if err != nil {
			s.fail(o, fmt.Errorf("encode: %w", err))
			s.mu.Unlock()
			return fmt.Errorf("object_store sink %q: %w", s.name, o.err)
		}
		o.raw += int64(n)
		o.events++
		o.touched = now
		if ev.Time.Before(o.first) {
			o.first = ev.Time
		}
		if len(wait) == 0 || wait[len(wait)-1] != o {
			wait = append(wait, o)
		}
		if o.raw >= s.set.maxObjectSize {
			s.seal(o)
		}
	}
	s.mu.Unlock()
	seen := make(map[*object]bool, len(wait))
	for _, o := range wait {
		if seen[o] {
			continue
		}
		seen[o] = true
		select {
		case <-o.done:
			if o.err != nil {
				return fmt.Errorf("object_store sink %q: %w", s.name, o.err)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// partition returns the partition of an event time; s.mu is held.
func (s *Sink) partition(t time.Time) string {
	if sec := t.Unix(); sec == s.lastSec {
		return s.lastPart
	}
	s.partBuf = s.set.partition.append(s.partBuf[:0], t.In(s.set.loc))
	s.lastSec, s.lastPart = t.Unix(), string(s.partBuf)
	return s.lastPart
}

// newObject opens an object for a partition, first rolling the object idle
// longest when max_open_objects are open; s.mu is held.
func (s *Sink) newObject(part string, now time.Time) (*object, error) {
	if len(s.open) >= s.cfg.MaxOpenObjects {
		var oldest *object
		for _, o := range s.open {
			if oldest == nil || o.touched.Before(oldest.touched) {
				oldest = o
			}
		}
		s.seal(oldest)
	}
	o := &object{partition: part, first: time.Unix(1<<62, 0), opened: now, touched: now,
		sp: newSpool(s.cfg.TempDir, s.set.memoryBuffer), done: make(chan struct{})}
	enc, err := newEncoder(&s.cfg, s.set, o.sp)
	if err != nil {
		return nil, err
	}
	o.enc = enc
	s.open[part] = o
	return o, nil
}

// fail ends an open object with err; its writers retry their batches.
func (s *Sink) fail(o *object, err error) {
	delete(s.open, o.partition)
	o.err = err
	o.sp.release()
	close(o.done)
}

// seal takes an object out of the open set and uploads it; s.mu is held.
func (s *Sink) seal(o *object) {
	delete(s.open, o.partition)
	s.uploads.Add(1)
	go func() {
		defer s.uploads.Done()
		o.err = s.upload(o)
		o.sp.release()
		close(o.done)
	}()
}

func (s *Sink) upload(o *object) error {
	if err := o.enc.finish(); err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	o.key = s.objectKey(o)
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-s.ctx.Done():
		return fmt.Errorf("upload %s: sink closed", o.key)
	}
	r, err := o.sp.reader()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.set.timeout)
	defer cancel()
	start := time.Now()
	if err := s.st.upload(ctx, o.key, r, o.sp.size()); err != nil {
		return fmt.Errorf("upload %s: %w", o.key, err)
	}
	s.log.Debug("object stored", "key", o.key, "events", o.events, "raw_bytes", o.raw, "bytes", o.sp.size(),
		"spilled", o.sp.spilled(), "took", time.Since(start))
	return nil
}

// objectKey is prefix + partition + "/" + first event time + "-" + hash of
// the object's bytes + suffix. The same events encoded the same way get the
// same key, so an upload retried after an unclear failure, or a replay that
// rebuilds an identical object, overwrites it instead of adding a copy;
// different contents never share a key.
func (s *Sink) objectKey(o *object) string {
	var b strings.Builder
	b.WriteString(s.cfg.Prefix)
	b.WriteString(o.partition)
	if o.partition != "" && !strings.HasSuffix(o.partition, "/") {
		b.WriteByte('/')
	}
	b.WriteString(o.first.UTC().Format("20060102T150405Z"))
	b.WriteByte('-')
	var h [8]byte
	binary.BigEndian.PutUint64(h[:], o.sp.sum())
	b.WriteString(hex.EncodeToString(h[:]))
	b.WriteString(s.set.suffix)
	return b.String()
}

// roller seals objects that reached max_object_age or flush_idle.
func (s *Sink) roller() {
	defer s.loop.Done()
	tick := min(s.set.flushIdle, s.set.maxObjectAge) / 4
	tick = max(10*time.Millisecond, min(tick, time.Second))
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case now := <-t.C:
			s.mu.Lock()
			for _, o := range s.open {
				if now.Sub(o.opened) >= s.set.maxObjectAge || now.Sub(o.touched) >= s.set.flushIdle {
					s.seal(o)
				}
			}
			s.mu.Unlock()
		}
	}
}

// Close stops the roller, waits for uploads under way (until ctx ends) and
// drops objects not yet sealed: their batches were not acknowledged, so the
// source sends those events again.
func (s *Sink) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for _, o := range s.open {
		s.fail(o, errors.New("sink closed before the object was stored"))
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.uploads.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	s.cancel()
	s.loop.Wait()
	s.uploads.Wait()
	return nil
}

var _ sinks.Sink = (*Sink)(nil)
