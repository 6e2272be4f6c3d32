package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: the controller, to read what is
// written, and the terminal, which term.IsTerminal recognises.
func openPTY(t *testing.T) (ctl, tty *os.File) {
	t.Helper()
	ctl, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { ctl.Close() })
	if err := unix.IoctlSetPointerInt(int(ctl.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ctl.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	return ctl, tty
}

// TestDiagnosticsOnTerminal: on a terminal the default text format is the
// block form, each diagnostic once; elsewhere it is the one-line form (the
// testscript golden files cover that side).
func TestDiagnosticsOnTerminal(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	ctl, tty := openPTY(t)
	rng := hcl.Range{Filename: "conf.hcl", Start: hcl.Pos{Line: 2, Column: 3, Byte: 20}, End: hcl.Pos{Line: 2, Column: 9, Byte: 26}}
	diags := hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unsupported argument", Detail: `An argument named "colour" is not expected here.`, Subject: &rng}}
	if err := writeDiags(tty, formatText, diags, nil); err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(tty, "END\n")
	var out strings.Builder
	buf := make([]byte, 4096)
	_ = ctl.SetReadDeadline(time.Now().Add(10 * time.Second))
	for !strings.Contains(out.String(), "END") {
		n, err := ctl.Read(buf)
		if err != nil {
			t.Fatalf("read terminal: %v (got %q)", err, out.String())
		}
		out.Write(buf[:n])
	}
	got := strings.ReplaceAll(out.String(), "\r\n", "\n")
	if !strings.Contains(got, "Error: Unsupported argument\n") || !strings.Contains(got, "on conf.hcl line 2") {
		t.Errorf("not the block form:\n%s", got)
	}
	if strings.Count(got, "Unsupported argument") != 1 || strings.Contains(got, "conf.hcl:2:3") {
		t.Errorf("printed more than once, or in the one-line form too:\n%s", got)
	}
}
