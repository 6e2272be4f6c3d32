//go:build !amd64 || purego

package event

// appendQuoted appends the escaped form of s: the word-at-a-time loop on
// platforms without the vector one.
func appendQuoted(dst []byte, s string) []byte { return quoteWords(dst, s) }
