// Package testcerts generates a throwaway CA with a server and a client
// certificate for TLS and mTLS tests. Nothing here is for production.
package testcerts

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// Set is a generated CA with a server and a client certificate, written as
// PEM files into a test's temporary directory.
type Set struct {
	CAFile                string // CA certificate
	ServerCert, ServerKey string // for 127.0.0.1, ::1 and "localhost"
	ClientCert, ClientKey string // client certificate signed by the CA
	CAPool                *x509.CertPool
	ServerTLS             tls.Certificate
	OtherCAFile           string // a second CA that signed nothing here
}

// New generates a Set in t.TempDir().
func New(t testing.TB) *Set {
	t.Helper()
	dir := t.TempDir()
	caKey, caCert, caDER := newCA(t, "forwarder test CA")
	_, _, otherDER := newCA(t, "other CA")
	s := &Set{CAFile: filepath.Join(dir, "ca.pem"), OtherCAFile: filepath.Join(dir, "other-ca.pem")}
	writePEM(t, s.CAFile, "CERTIFICATE", caDER)
	writePEM(t, s.OtherCAFile, "CERTIFICATE", otherDER)
	s.CAPool = x509.NewCertPool()
	s.CAPool.AddCert(caCert)

	srvDER, srvKey := leaf(t, caCert, caKey, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "localhost"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	s.ServerCert, s.ServerKey = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem")
	writePEM(t, s.ServerCert, "CERTIFICATE", srvDER)
	writePEM(t, s.ServerKey, "EC PRIVATE KEY", srvKey)
	var err error
	if s.ServerTLS, err = tls.LoadX509KeyPair(s.ServerCert, s.ServerKey); err != nil {
		t.Fatal(err)
	}

	cliDER, cliKey := leaf(t, caCert, caKey, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "forwarder-client"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	s.ClientCert, s.ClientKey = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
	writePEM(t, s.ClientCert, "CERTIFICATE", cliDER)
	writePEM(t, s.ClientKey, "EC PRIVATE KEY", cliKey)
	return s
}

// ServerConfig returns a server TLS config; with mTLS it requires a client
// certificate signed by the CA.
func (s *Set) ServerConfig(mTLS bool) *tls.Config {
	cfg := &tls.Config{Certificates: []tls.Certificate{s.ServerTLS}, MinVersion: tls.VersionTLS12}
	if mTLS {
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		cfg.ClientCAs = s.CAPool
	}
	return cfg
}

// serial numbers certificates; parallel tests make them at once.
var serial atomic.Int64

func newCA(t testing.TB, name string) (*ecdsa.PrivateKey, *x509.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial.Add(1) + 1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert, der
}

func leaf(t testing.TB, ca *x509.Certificate, caKey *ecdsa.PrivateKey, tmpl *x509.Certificate) (der, keyDER []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = big.NewInt(serial.Add(1) + 1)
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	if der, err = x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey); err != nil {
		t.Fatal(err)
	}
	if keyDER, err = x509.MarshalECPrivateKey(key); err != nil {
		t.Fatal(err)
	}
	return der, keyDER
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
