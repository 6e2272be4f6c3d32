package sinks_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/sinks"
)

type fakeConfig struct{ fail bool }

func (*fakeConfig) Validate() error { return nil }

type fakeSink struct{ set sinks.Settings }

func (*fakeSink) Connect(context.Context) error                    { return nil }
func (*fakeSink) WriteBatch(context.Context, []*event.Event) error { return nil }
func (*fakeSink) Close(context.Context) error                      { return nil }

func newFake(c *fakeConfig, set sinks.Settings) (*fakeSink, error) {
	if c.fail {
		return nil, errors.New("refused")
	}
	return &fakeSink{set: set}, nil
}

// TestNewFactory: the generic factory hands its own config type to the
// typed constructor, and turns any other config, a nil one and a failed
// constructor into an error with a nil Sink (never a typed nil, never a
// panic).
func TestNewFactory(t *testing.T) {
	f := sinks.NewFactory("fake", func() *fakeConfig { return &fakeConfig{} }, newFake)
	if f.TypeName() != "fake" || f.MaxInFlight != 0 || f.Batch != (sinks.BatchDefaults{}) {
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
		{"other type", otherConfig{}, `fake sink "fake.x": config is a sinks_test.otherConfig, want *sinks_test.fakeConfig`},
		{"nil", nil, `fake sink "fake.x": config is a <nil>, want *sinks_test.fakeConfig`},
		{"constructor fails", &fakeConfig{fail: true}, "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := f.New(tt.cfg, sinks.Settings{Name: "fake.x"})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
				if s != nil {
					t.Errorf("sink = %#v, want a nil interface", s)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fs, ok := s.(*fakeSink); !ok || fs.set.Name != "fake.x" {
				t.Errorf("sink = %#v, want a *fakeSink with the settings", s)
			}
		})
	}
}
