package sls

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFileCredentialsRereads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.json")
	put := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	put(`{"AccessKeyId":"A","AccessKeySecret":"sa","SecurityToken":"ta"}`)
	f := &fileCredentials{path: path}
	c, err := f.GetCredentials()
	if err != nil || c.AccessKeyID != "A" || c.SecurityToken != "ta" {
		t.Fatalf("first read: %+v %v", c, err)
	}
	put(`{"Credentials":{"AccessKeyId":"B","AccessKeySecret":"sb-longer","SecurityToken":"tb"}}`)
	time.Sleep(1100 * time.Millisecond)
	if c, _ = f.GetCredentials(); c.AccessKeyID != "B" || c.AccessKeySecret != "sb-longer" {
		t.Fatalf("after rotation: %+v", c)
	}
	put(`{"AccessKeyId": "C", "AccessKeySecret": "TOP-SECRET-VALUE"`) // half-written
	time.Sleep(1100 * time.Millisecond)
	if c, err = f.GetCredentials(); err != nil || c.AccessKeyID != "B" {
		t.Fatalf("a half-written file must keep the last good keys: %+v %v", c, err)
	}
	g := &fileCredentials{path: path}
	if _, err := g.GetCredentials(); err == nil || strings.Contains(err.Error(), "TOP-SECRET") {
		t.Fatalf("bad file with no previous keys: %v", err)
	}
}
