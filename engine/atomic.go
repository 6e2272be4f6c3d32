package engine

import "sync/atomic"

// atomicSnapshot is the current snapshot pointer.
type atomicSnapshot = atomic.Pointer[snapshot]
