package plugin

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

type fac string

func (f fac) TypeName() string { return string(f) }

func TestRegistry(t *testing.T) {
	tests := []struct {
		name    string
		fs      []fac
		wantErr string
		types   []string
	}{
		{"sorted", []fac{"syslog", "file", "splunk_hec"}, "", []string{"file", "splunk_hec", "syslog"}},
		{"duplicate", []fac{"file", "file"}, `sink registry: duplicate factory for type "file"`, nil},
		{"no type", []fac{""}, "sink registry: factory without a type", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRegistry("sink", tt.fs...)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Types(); !slices.Equal(got, tt.types) {
				t.Errorf("Types() = %v, want %v", got, tt.types)
			}
			if f, ok := r.Lookup(tt.types[0]); !ok || string(f) != tt.types[0] {
				t.Errorf("Lookup(%q) = %q, %v", tt.types[0], f, ok)
			}
			if _, ok := r.Lookup("nope"); ok {
				t.Error("Lookup of an unknown type succeeded")
			}
			if r.Kind() != "sink" {
				t.Errorf("Kind() = %q", r.Kind())
			}
		})
	}
}

func TestMustRegistryPanicsOnDuplicate(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustRegistry with a duplicate did not panic")
		}
	}()
	MustRegistry("source", fac("sls"), fac("sls"))
}

func TestSecretNeverPrinted(t *testing.T) {
	s := Secret("hunter2-token")
	out := fmt.Sprintf("%v %s %+v %#v %q", s, s, struct{ S Secret }{s}, s, s)
	js, err := json.Marshal(struct{ S Secret }{s})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{out, string(js)} {
		if strings.Contains(text, "hunter2") {
			t.Errorf("secret printed: %s", text)
		}
	}
	if s.Reveal() != "hunter2-token" {
		t.Errorf("Reveal() = %q", s.Reveal())
	}
	js2, _ := json.Marshal(Secret("other"))
	if string(js2) == string(js) || !strings.Contains(string(js), "sha256:") {
		t.Errorf("fingerprint does not change with the secret: %s vs %s", js, js2)
	}
}

func TestAttrError(t *testing.T) {
	inner := fmt.Errorf("must be positive")
	e := &AttrError{Attr: "tls.min_version", Err: inner}
	if e.Error() != "tls.min_version: must be positive" {
		t.Errorf("Error() = %q", e.Error())
	}
	if e.Unwrap() != inner {
		t.Error("Unwrap lost the cause")
	}
}
