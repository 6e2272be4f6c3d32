package file

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// TestGrowPipe: a pipe the sink writes to gets a 1MiB buffer; a regular
// file is left alone.
func TestGrowPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	growPipe(w)
	if n, err := unix.FcntlInt(w.Fd(), unix.F_GETPIPE_SZ, 0); err != nil || n != pipeSize {
		t.Errorf("pipe buffer %d (%v), want %d", n, err, pipeSize)
	}
	f, err := os.CreateTemp(t.TempDir(), "f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	growPipe(f) // no pipe: nothing to do, nothing to fail
}
