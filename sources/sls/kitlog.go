package sls

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	sdk "github.com/aliyun/aliyun-log-go-sdk"
	kitlog "github.com/go-kit/kit/log"
)

var (
	bridgeOnce sync.Once
	sdkLogger  atomic.Pointer[slog.Logger]
)

// BridgeSDKLogs sends the SDK's go-kit logs (its retries, mostly) to lg,
// tagged component=sls-sdk, instead of logfmt on standard output (where
// they would mix into a file sink writing to "-"). The SDK's logger is one
// package variable for the whole process, so this is process-wide set-up:
// `forwarder run` calls it once its logger is configured, before any source
// starts. The SDK variable is written only once (a source reading it while
// another run writes it would race); later calls swap the slog logger
// behind it atomically.
func BridgeSDKLogs(lg *slog.Logger) {
	sdkLogger.Store(lg.With("component", "sls-sdk"))
	bridgeOnce.Do(func() { sdk.Logger = kitAdapter{} })
}

// kitAdapter is a go-kit Logger writing to the slog logger BridgeSDKLogs
// last set. go-kit's level package stores the level under the key "level";
// SDK warnings and errors keep their level, everything else is debug.
// Messages and values are folded onto one line.
type kitAdapter struct{}

func (kitAdapter) Log(keyvals ...any) error {
	level := slog.LevelDebug
	msg := "sdk"
	attrs := make([]any, 0, len(keyvals))
	for i := 0; i+1 < len(keyvals); i += 2 {
		k := fmt.Sprint(keyvals[i])
		v := keyvals[i+1]
		switch k {
		case "level":
			switch fmt.Sprint(v) {
			case "error":
				level = slog.LevelError
			case "warn":
				level = slog.LevelWarn
			case "info":
				level = slog.LevelInfo
			}
		case "msg":
			msg = fold(fmt.Sprint(v), 2000)
		default:
			// SDK errors print as indented JSON: keep every record on
			// one line.
			switch x := v.(type) {
			case error:
				v = oneLine(x).Error()
			case string:
				v = fold(x, 2000)
			}
			attrs = append(attrs, k, v)
		}
	}
	sdkLogger.Load().Log(context.Background(), level, msg, attrs...)
	return nil
}

var _ kitlog.Logger = kitAdapter{}
