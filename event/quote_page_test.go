//go:build linux || darwin || freebsd

package event

import (
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// TestAppendQuotePageEnd quotes strings that end at the last byte of a page
// followed by an unmapped one: the vector code reads sixteen bytes at a
// time and must never read across into the next page (that would fault).
func TestAppendQuotePageEnd(t *testing.T) {
	page := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	defer syscall.Munmap(mem)
	if err := syscall.Mprotect(mem[page:], syscall.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	text := strings.Repeat(`{"k":"v\\w"}abcdefgh`, 8)
	for n := range 100 {
		b := mem[page-n : page]
		copy(b, text[:n])
		s := unsafe.String(unsafe.SliceData(b), n)
		for _, q := range quoters {
			if got, want := string(q.quote(nil, s)), string(appendQuoteRef(nil, s)); got != want {
				t.Fatalf("%s: %d bytes before the page end: %s, want %s", q.name, n, got, want)
			}
		}
	}
}
