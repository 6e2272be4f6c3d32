package objectstore

import (
	"encoding/csv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzCSVField: any value written by the CSV encoder in the default dialect
// reads back unchanged with encoding/csv.
func FuzzCSVField(f *testing.F) {
	for _, s := range []string{"", "plain", "a,b", `say "hi"`, "two\nlines", " lead", "trail ", `""`, "✓,\"\n"} {
		f.Add(s)
	}
	cf, err := (&CSVConfig{Columns: []string{"a", "b"}}).compile()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsRune(s, '\r') || !utf8.ValidString(s) {
			t.Skip() // encoding/csv drops \r before \n even inside quotes
		}
		line := cf.appendField(nil, []byte(s))
		line = append(line, ',', 'x', '\n')
		rec, err := csv.NewReader(strings.NewReader(string(line))).Read()
		if err != nil {
			t.Fatalf("%q → %q: %v", s, line, err)
		}
		if len(rec) != 2 || rec[0] != s || rec[1] != "x" {
			t.Fatalf("%q → %q → %q", s, line, rec)
		}
	})
}

// FuzzLayout: any partition pattern either fails to parse with an error or
// formats without panicking, and formats the same time the same way.
func FuzzLayout(f *testing.F) {
	for _, s := range []string{"%Y/%m/%d/%H", "year=%Y/month=%m", "%", "%%", "%Q", "%s-%j", ""} {
		f.Add(s)
	}
	tm := time.Date(2026, 12, 1, 20, 15, 7, 0, time.UTC)
	f.Fuzz(func(t *testing.T, p string) {
		l, err := parseLayout(p)
		if err != nil {
			return
		}
		a, b := l.append(nil, tm), l.append(nil, tm)
		if string(a) != string(b) {
			t.Fatalf("%q formats as %q and %q", p, a, b)
		}
		if !strings.Contains(p, "%") && string(a) != p {
			t.Fatalf("literal %q formats as %q", p, a)
		}
	})
}
