package sources_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/sources"
)

type fakeConfig struct{ fail bool }

func (*fakeConfig) Validate() error { return nil }

type otherConfig struct{}

func (otherConfig) Validate() error { return nil }

type fakeSource struct{ set sources.Settings }

func (*fakeSource) Run(context.Context, sources.Output) error { return nil }

func newFake(c *fakeConfig, set sources.Settings) (*fakeSource, error) {
	if c.fail {
		return nil, errors.New("refused")
	}
	return &fakeSource{set: set}, nil
}

// TestNewFactory: the generic factory hands its own config type to the
// typed constructor, and turns any other config, a nil one and a failed
// constructor into an error with a nil Source (never a typed nil, never a
// panic).
func TestNewFactory(t *testing.T) {
	f := sources.NewFactory("fake", func() *fakeConfig { return &fakeConfig{} }, newFake)
	if f.TypeName() != "fake" {
		t.Fatalf("factory %+v", f)
	}
	if _, ok := f.NewConfig().(*fakeConfig); !ok {
		t.Fatalf("NewConfig() = %T", f.NewConfig())
	}
	tests := []struct {
		name    string
		cfg     plugin.Config
		wantErr string
	}{
		{"own type", &fakeConfig{}, ""},
		{"other type", otherConfig{}, `fake source "fake.x": config is a sources_test.otherConfig, want *sources_test.fakeConfig`},
		{"nil", nil, `fake source "fake.x": config is a <nil>, want *sources_test.fakeConfig`},
		{"constructor fails", &fakeConfig{fail: true}, "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := f.New(tt.cfg, sources.Settings{Name: "fake.x"})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
				if s != nil {
					t.Errorf("source = %#v, want a nil interface", s)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fs, ok := s.(*fakeSource); !ok || fs.set.Name != "fake.x" {
				t.Errorf("source = %#v, want a *fakeSource with the settings", s)
			}
		})
	}
}
