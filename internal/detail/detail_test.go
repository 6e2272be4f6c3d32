package detail

import (
	"errors"
	"testing"
)

func TestFromError(t *testing.T) {
	if got := FromError(errors.New(`invalid size "x": want a number`)); got != `Invalid size "x": want a number.` {
		t.Errorf("got %q", got)
	}
	if got := FromError(errors.New("")); got != "" {
		t.Errorf("empty message: %q", got)
	}
}
