package event

// Batch is what one pull of one source shard returned: the unit of
// acknowledgement and checkpointing. A batch may be empty; it is
// acknowledged (and checkpointed) all the same.
type Batch struct {
	// Events are the records, in order.
	Events []*Event
}

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
