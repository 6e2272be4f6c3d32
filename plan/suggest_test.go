package plan

import "testing"

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"", "abc", 3},
		{"out", "out", 0},
		{"outt", "out", 1}, // deletion
		{"ot", "out", 1},   // insertion
		{"oat", "out", 1},  // substitution
		{"kitten", "sitting", 3},
		{"héllo", "hello", 1}, // runes, not bytes
	} {
		if got := distance(tc.a, tc.b); got != tc.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := distance(tc.b, tc.a); got != tc.want {
			t.Errorf("distance(%q, %q) = %d, want %d (symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestClosest(t *testing.T) {
	cands := []string{"sink.file.out", "sink.splunk_hec.main", "sink.syslog.qradar"}
	for _, tc := range []struct{ s, want string }{
		{"sink.file.outt", "sink.file.out"},
		{"sink.syslog.qradr", "sink.syslog.qradar"},
		{"sink.splunk_hec.mian", "sink.splunk_hec.main"},
		{"sink.nothing.like_it", ""}, // too far: no suggestion
		{"x", ""},
	} {
		if got := closest(tc.s, cands); got != tc.want {
			t.Errorf("closest(%q) = %q, want %q", tc.s, got, tc.want)
		}
	}
	if got := closest("abc", nil); got != "" {
		t.Errorf("closest with no candidates = %q", got)
	}
}
