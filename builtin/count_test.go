package builtin_test

import (
	"time"

	"github.com/forwarder/forwarder/sources/demo"
)

// demoCount counts the ActionTrail events among the first n demo events of
// seed 1 (the demo source's default), computed from the generator itself.
func demoCount(n int) int {
	g := demo.NewGenerator(1, time.Now())
	c := 0
	for range n {
		if g.Next().Topic == demo.TopicActionTrail {
			c++
		}
	}
	return c
}
