package slsemu

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/pierrec/lz4/v4"
)

func TestLZ4Splice(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	repetitive := func(n int) []byte {
		return bytes.Repeat([]byte(fmt.Sprintf("key=value-%d;", n%7)), n/12+1)[:n]
	}
	tests := []struct {
		name   string
		chunks [][]byte
	}{
		{"one compressible", [][]byte{repetitive(1000)}},
		{"one random", [][]byte{random(300)}},
		{"tiny", [][]byte{{1}, {2, 3}, {}}},
		{"mixed", [][]byte{repetitive(100), random(20), repetitive(5000), random(400), random(3), repetitive(70000)}},
		{"long literal runs", [][]byte{random(70000), random(300), repetitive(64)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s lz4Splicer
			var want []byte
			for _, c := range tt.chunks {
				ch := newLZ4Chunk(c)
				s.add(&ch)
				want = append(want, c...)
			}
			block := s.finish()
			got := make([]byte, len(want))
			n, err := lz4.UncompressBlock(block, got)
			if len(want) == 0 {
				if n != 0 {
					t.Fatalf("decoded %d bytes from empty input", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("UncompressBlock: %v", err)
			}
			if n != len(want) || !bytes.Equal(got[:n], want) {
				t.Fatalf("spliced block decodes to %d bytes, want %d (equal=%v)", n, len(want), bytes.Equal(got[:n], want))
			}
		})
	}
}

func TestParseLZ4BlockRejectsGarbage(t *testing.T) {
	for _, b := range [][]byte{{0xF0}, {0x20, 1}, {0x10, 'a', 1}, {0x1F, 'a', 1, 0, 255}} {
		if _, err := parseLZ4Block(b); err == nil {
			t.Errorf("parseLZ4Block(%x) accepted a truncated block", b)
		}
	}
}
