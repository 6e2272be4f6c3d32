package slsemu

import (
	sls "github.com/aliyun/aliyun-log-go-sdk"

	"github.com/forwarder/forwarder/event"
)

// LogFromEvent converts an event's time and content fields into an SLS log,
// so tests, benchmarks and the emulator's demo preload store the demo
// generator's events as SLS would.
func LogFromEvent(ev *event.Event) *sls.Log {
	kv := make([]string, 0, 2*len(ev.Fields))
	for _, f := range ev.Fields {
		kv = append(kv, f.Key, f.Value.Str())
	}
	return NewLog(ev.Time, kv...)
}
