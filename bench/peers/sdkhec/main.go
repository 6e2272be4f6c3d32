// Command sdkhec is a benchmark peer: what a plain Go program on the
// unchanged SDK consumer library does to forward to Splunk HEC. Each pull
// becomes one HEC POST of encoding/json event objects (time, host, source,
// event = the log's fields), and the checkpoint is saved after HEC accepts
// it; a failed POST is retried.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	sls "github.com/aliyun/aliyun-log-go-sdk"
	consumerLibrary "github.com/aliyun/aliyun-log-go-sdk/consumer"

	"github.com/forwarder/forwarder/bench/peers"
)

type hecEvent struct {
	Time   float64           `json:"time"`
	Host   string            `json:"host,omitempty"`
	Source string            `json:"source,omitempty"`
	Event  map[string]string `json:"event"`
}

func main() {
	hec := flag.String("hec", "http://127.0.0.1:8088", "HEC base URL")
	token := flag.String("token", "bench-token", "HEC token")
	f := peers.Parse()
	hc := &http.Client{Timeout: 30 * time.Second}
	url := *hec + "/services/collector/event"
	w := consumerLibrary.InitConsumerWorkerWithCheckpointTracker(f.Config(), func(_ int, gl *sls.LogGroupList, tr consumerLibrary.CheckPointTracker) (string, error) {
		var body bytes.Buffer
		enc := json.NewEncoder(&body)
		for _, g := range gl.LogGroups {
			for _, l := range g.Logs {
				ev := hecEvent{Time: float64(l.GetTime()) + float64(l.GetTimeNs())/1e9, Host: g.GetSource(), Source: g.GetTopic(),
					Event: make(map[string]string, len(l.Contents))}
				for _, c := range l.Contents {
					ev.Event[c.GetKey()] = c.GetValue()
				}
				if err := enc.Encode(&ev); err != nil {
					return "", err
				}
			}
		}
		if body.Len() > 0 {
			req, _ := http.NewRequest(http.MethodPost, url, &body)
			req.Header.Set("Authorization", "Splunk "+*token)
			resp, err := hc.Do(req)
			if err != nil {
				return "", err // the library calls Process again with the same batch
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return "", fmt.Errorf("HEC: %s", resp.Status)
			}
		}
		return "", tr.SaveCheckPoint(false)
	})
	w.Start()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	w.StopAndWait()
}
