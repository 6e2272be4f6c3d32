package file

import (
	"os"

	"golang.org/x/sys/unix"
)

// pipeSize is the capacity asked of a pipe the sink writes to (Linux's
// default /proc/sys/fs/pipe-max-size): with the default 64KiB, a reader
// such as a log shipper is woken, and the sink put to sleep, sixteen times
// as often for the same lines.
const pipeSize = 1 << 20

// growPipe enlarges f's pipe buffer when f is a pipe. It is best effort: a
// smaller limit or another kind of file leaves f as it is.
func growPipe(f *os.File) {
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		return
	}
	if sc, err := f.SyscallConn(); err == nil {
		_ = sc.Control(func(fd uintptr) { _, _ = unix.FcntlInt(fd, unix.F_SETPIPE_SZ, pipeSize) })
	}
}
