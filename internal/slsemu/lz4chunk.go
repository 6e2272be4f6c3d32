package slsemu

import (
	"fmt"

	"github.com/pierrec/lz4/v4"
)

// lz4Chunk is one stored LogGroup, framed as a LogGroupList element
// (0x0A, varint length, LogGroup bytes) and compressed once at ingest as an
// LZ4 raw block. The block is kept split so that the blocks of consecutive
// entries can be spliced into one valid LZ4 block at serve time without
// recompressing:
//
//	[token][lead literals][body: offset+match, then whole sequences][trail literals]
//
// An LZ4 block ends with a literal-only sequence, so two blocks cannot simply
// be concatenated: the trailing literals of one entry must be merged into the
// first sequence of the next. Matches only reference bytes of their own entry,
// and offsets are relative, so they stay valid in the spliced output.
type lz4Chunk struct {
	hasMatch bool   // false: the whole entry is literals (trail)
	matchNib byte   // low nibble of the first sequence's token
	lead     []byte // literals of the first sequence
	body     []byte // from the first offset to the end of the last match
	trail    []byte // literals of the final literal-only sequence
}

// newLZ4Chunk compresses framed into a chunk. Incompressible input becomes a
// literal-only chunk.
func newLZ4Chunk(framed []byte) lz4Chunk {
	dst := make([]byte, lz4.CompressBlockBound(len(framed)))
	n, err := lz4.CompressBlock(framed, dst, nil)
	if err != nil || n == 0 {
		return lz4Chunk{trail: framed}
	}
	c, err := parseLZ4Block(dst[:n:n])
	if err != nil {
		return lz4Chunk{trail: framed}
	}
	return c
}

// parseLZ4Block splits a block into the lz4Chunk parts, checking bounds.
func parseLZ4Block(b []byte) (lz4Chunk, error) {
	var c lz4Chunk
	pos := 0
	first := true
	bodyStart := 0
	for pos < len(b) {
		tok := b[pos]
		pos++
		lit := int(tok >> 4)
		if lit == 15 {
			for {
				if pos >= len(b) {
					return c, fmt.Errorf("lz4 block: truncated literal length")
				}
				x := b[pos]
				pos++
				lit += int(x)
				if x != 255 {
					break
				}
			}
		}
		if lit > len(b)-pos {
			return c, fmt.Errorf("lz4 block: literals overrun")
		}
		litStart := pos
		pos += lit
		if pos == len(b) { // final literal-only sequence
			c.trail = b[litStart:pos]
			if c.hasMatch {
				c.body = b[bodyStart : litStart-lenOfToken(lit)]
			}
			return c, nil
		}
		if len(b)-pos < 2 {
			return c, fmt.Errorf("lz4 block: truncated offset")
		}
		if first {
			c.hasMatch = true
			c.matchNib = tok & 15
			c.lead = b[litStart:pos]
			bodyStart = pos
			first = false
		}
		pos += 2
		if tok&15 == 15 {
			for {
				if pos >= len(b) {
					return c, fmt.Errorf("lz4 block: truncated match length")
				}
				x := b[pos]
				pos++
				if x != 255 {
					break
				}
			}
		}
	}
	// The block ended right after a match: no trailing literals.
	if c.hasMatch {
		c.body = b[bodyStart:]
	}
	return c, nil
}

// lenOfToken is the size of a token plus its literal-length extension bytes
// for a literal run of n bytes.
func lenOfToken(n int) int {
	if n < 15 {
		return 1
	}
	return 2 + (n-15)/255
}

// lz4Splicer concatenates chunks into one LZ4 block.
type lz4Splicer struct {
	out     []byte
	pending [][]byte // literal runs waiting for the next sequence
	npend   int
}

// add appends one chunk.
func (s *lz4Splicer) add(c *lz4Chunk) {
	if !c.hasMatch {
		s.pend(c.trail)
		return
	}
	s.emitToken(s.npend+len(c.lead), c.matchNib)
	for _, p := range s.pending {
		s.out = append(s.out, p...)
	}
	s.out = append(s.out, c.lead...)
	s.out = append(s.out, c.body...)
	s.pending = s.pending[:0]
	s.npend = 0
	s.pend(c.trail)
}

func (s *lz4Splicer) pend(b []byte) {
	if len(b) == 0 {
		return
	}
	s.pending = append(s.pending, b)
	s.npend += len(b)
}

// finish writes the final literal-only sequence and returns the block.
func (s *lz4Splicer) finish() []byte {
	if s.npend > 0 || len(s.out) == 0 {
		s.emitToken(s.npend, 0)
		for _, p := range s.pending {
			s.out = append(s.out, p...)
		}
		s.pending = s.pending[:0]
		s.npend = 0
	}
	return s.out
}

func (s *lz4Splicer) emitToken(lit int, matchNib byte) {
	if lit < 15 {
		s.out = append(s.out, byte(lit)<<4|matchNib)
		return
	}
	s.out = append(s.out, 0xF0|matchNib)
	lit -= 15
	for lit >= 255 {
		s.out = append(s.out, 255)
		lit -= 255
	}
	s.out = append(s.out, byte(lit))
}
