package testcerts

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"testing"
)

func pool(t *testing.T, file string) *x509.CertPool {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(b) {
		t.Fatalf("%s holds no PEM certificate", file)
	}
	return p
}

// handshake runs one TLS handshake over 127.0.0.1 and returns the client's
// and the server's errors.
func handshake(t *testing.T, server, client *tls.Config) (cliErr, srvErr error) {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", server)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srvDone := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			srvDone <- err
			return
		}
		defer c.Close()
		err = c.(*tls.Conn).Handshake()
		if err == nil {
			_, err = c.Write([]byte("x")) // lets a TLS 1.3 client see a rejected certificate
		}
		srvDone <- err
	}()
	c, err := tls.Dial("tcp", ln.Addr().String(), client)
	if err == nil {
		_, err = c.Read(make([]byte, 1))
		c.Close()
	}
	return err, <-srvDone
}

// TestSet: the files are PEM, the server certificate verifies against the
// CA for 127.0.0.1 and localhost but not against the other CA, and mTLS
// accepts the client certificate and refuses a client without one.
func TestSet(t *testing.T) {
	s := New(t)
	for _, f := range []string{s.CAFile, s.ServerCert, s.ServerKey, s.ClientCert, s.ClientKey, s.OtherCAFile} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if blk, _ := pem.Decode(b); blk == nil {
			t.Errorf("%s is not PEM", f)
		}
	}
	client, err := tls.LoadX509KeyPair(s.ClientCert, s.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		mTLS   bool
		client *tls.Config
		ok     bool
	}{
		{"trusted CA", false, &tls.Config{RootCAs: pool(t, s.CAFile)}, true},
		{"localhost name", false, &tls.Config{RootCAs: s.CAPool, ServerName: "localhost"}, true},
		{"wrong name", false, &tls.Config{RootCAs: s.CAPool, ServerName: "example.com"}, false},
		{"other CA", false, &tls.Config{RootCAs: pool(t, s.OtherCAFile)}, false},
		{"mTLS with client certificate", true, &tls.Config{RootCAs: s.CAPool, Certificates: []tls.Certificate{client}}, true},
		{"mTLS without client certificate", true, &tls.Config{RootCAs: s.CAPool}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cliErr, srvErr := handshake(t, s.ServerConfig(tc.mTLS), tc.client)
			if ok := cliErr == nil && srvErr == nil; ok != tc.ok {
				t.Errorf("handshake ok = %v, want %v (client: %v, server: %v)", ok, tc.ok, cliErr, srvErr)
			}
			var nerr net.Error
			if errors.As(cliErr, &nerr) && nerr.Timeout() {
				t.Errorf("timeout: %v", cliErr)
			}
		})
	}
	if other := New(t); other.CAFile == s.CAFile {
		t.Error("two sets share a directory")
	}
}
