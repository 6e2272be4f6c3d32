// Command sdkcount is a benchmark peer: the unchanged SDK consumer library
// doing nothing but count the logs it pulls (the SDK's decode ceiling). It
// prints the count and exits once it has seen -n logs.
package main

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	sls "github.com/aliyun/aliyun-log-go-sdk"
	consumerLibrary "github.com/aliyun/aliyun-log-go-sdk/consumer"

	"github.com/forwarder/forwarder/bench/peers"
)

func main() {
	n := flag.Int64("n", 0, "exit after this many logs")
	f := peers.Parse()
	var seen atomic.Int64
	done := make(chan struct{})
	var once sync.Once
	w := consumerLibrary.InitConsumerWorkerWithCheckpointTracker(f.Config(), func(_ int, gl *sls.LogGroupList, tr consumerLibrary.CheckPointTracker) (string, error) {
		c := 0
		for _, g := range gl.LogGroups {
			c += len(g.Logs)
		}
		if seen.Add(int64(c)) >= *n {
			once.Do(func() { close(done) })
		}
		_ = tr.SaveCheckPoint(false)
		return "", nil
	})
	w.Start()
	<-done
	fmt.Println(seen.Load())
	os.Exit(0)
}
