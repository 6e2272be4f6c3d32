// Package detail turns Go errors into the Detail text of HCL diagnostics:
// full sentences, capitalised, ending with a period (the hcl guide's style),
// while Go error strings stay lowercase with no final punctuation.
package detail

import "strings"

// FromError returns err's message as a sentence.
func FromError(err error) string {
	s := err.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}
