//go:build !linux

package file

import "os"

// growPipe is Linux only (F_SETPIPE_SZ).
func growPipe(*os.File) {}
