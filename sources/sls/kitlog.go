package sls

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	sdk "github.com/aliyun/aliyun-log-go-sdk"
	kitlog "github.com/go-kit/kit/log"
)

var bridgeOnce sync.Once

// bridgeSDKLogs sends the SDK's go-kit logs (its retries, mostly) to slog,
// tagged component=sls-sdk, instead of logfmt on stdout. The SDK's logger is
// a package variable, so the first source's logger wins.
func bridgeSDKLogs(lg *slog.Logger) {
	bridgeOnce.Do(func() {
		sdk.Logger = kitAdapter{lg.With("component", "sls-sdk")}
	})
}

// kitAdapter is a go-kit Logger writing to slog. go-kit's level package
// stores the level under the key "level"; SDK warnings and errors keep
// their level, everything else is debug. Messages and values are folded
// onto one line.
type kitAdapter struct{ lg *slog.Logger }

func (a kitAdapter) Log(keyvals ...any) error {
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
	a.lg.Log(context.Background(), level, msg, attrs...)
	return nil
}

var _ kitlog.Logger = kitAdapter{}
