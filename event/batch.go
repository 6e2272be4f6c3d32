package event

// Batch is what one pull of one source shard returned: the unit of
// acknowledgement and checkpointing. A batch may be empty; it is
// acknowledged (and checkpointed) all the same.
type Batch struct {
	// Events are the records, in order.
	Events []*Event
	// Footprint is the memory the batch holds while its events live
	// (buffers plus event structures), as the source measured it; 0 when the
	// source does not know. Byte budgets count it: the engine apportions it
	// to the events by their raw size (see MemSize).
	Footprint int
}

// MemSize is what one event of raw size size costs in memory, given the
// batch's raw size raw: its share of the footprint, or, when the source set
// none, an estimate of twice the raw bytes (strings plus the event and
// field structures, as measured on SLS answers).
func (b *Batch) MemSize(size, raw int) int {
	if b.Footprint <= 0 || raw <= 0 {
		return EstimateMem(size)
	}
	return int(int64(b.Footprint) * int64(size) / int64(raw))
}

// EstimateMem is the memory an event of raw size size is estimated to hold
// when no source measured it: twice its raw bytes.
func EstimateMem(size int) int { return 2 * size }

// RawSize is the sum of the events' raw sizes.
func (b *Batch) RawSize() int {
	n := 0
	for _, e := range b.Events {
		n += e.RawSize()
	}
	return n
}

// SetOrigin points every event of b at o.
func (b *Batch) SetOrigin(o *Origin) {
	for _, e := range b.Events {
		e.Origin = o
	}
}
