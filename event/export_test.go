package event

// AppendQuoteWords is AppendQuote done by the portable word-at-a-time loop,
// for the benchmark to set beside the vector one.
func AppendQuoteWords(dst []byte, s string) []byte {
	return append(quoteWords(append(dst, '"'), s), '"')
}
