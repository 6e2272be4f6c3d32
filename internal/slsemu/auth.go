package slsemu

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Signature verification (reference/sls-protocol.md §3). The string to sign
// is rebuilt from what arrived: decoded query values, every x-log-/x-acs-
// header, and the digest of the body actually received (so a tampered body
// fails the signature, not only a tampered header).

const (
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	v4Algorithm = "SLS4-HMAC-SHA256"
	apiVersion  = "0.6.0"
)

// authenticate verifies r's signature. It returns nil when auth is off.
func (s *Server) authenticate(r *http.Request, body []byte) *Error {
	s.keysMu.RLock()
	open := len(s.keys) == 0
	s.keysMu.RUnlock()
	if open {
		return nil
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		if s.opts.AllowUnsigned {
			return nil
		}
		return errorf(http.StatusUnauthorized, CodeUnauthorized, "the request is not signed")
	}
	if v := r.Header.Get("x-log-apiversion"); v == "" {
		return errorf(http.StatusBadRequest, CodeMissingAPIVersion, "x-log-apiversion header is missing")
	} else if v != apiVersion {
		return errorf(http.StatusBadRequest, CodeInvalidAPIVersion, "x-log-apiversion %q is not supported", v)
	}
	switch {
	case strings.HasPrefix(auth, "LOG "):
		return s.verifyV1(r, body, auth[len("LOG "):])
	case strings.HasPrefix(auth, v4Algorithm+" "):
		return s.verifyV4(r, body, auth[len(v4Algorithm)+1:])
	default:
		return errorf(http.StatusUnauthorized, CodeUnauthorized, "unsupported Authorization scheme")
	}
}

func (s *Server) checkSkew(t time.Time) *Error {
	d := s.now().Sub(t)
	if d < 0 {
		d = -d
	}
	if d > s.opts.MaxClockSkew {
		return errorf(http.StatusBadRequest, CodeRequestTimeTooSkewed, "request time %s is too far from server time %s", t.UTC().Format(time.RFC3339), s.now().UTC().Format(time.RFC3339))
	}
	return nil
}

func (s *Server) secret(id string) (string, *Error) {
	if id == "" {
		return "", errorf(http.StatusBadRequest, CodeMissAccessKeyID, "access key id is missing")
	}
	s.keysMu.RLock()
	secret, ok := s.keys[id]
	s.keysMu.RUnlock()
	if !ok {
		return "", errorf(http.StatusUnauthorized, CodeUnauthorized, "access key id %s does not exist", id)
	}
	return secret, nil
}

func (s *Server) verifyV1(r *http.Request, body []byte, cred string) *Error {
	id, sig, ok := strings.Cut(cred, ":")
	if !ok {
		return errorf(http.StatusUnauthorized, CodeUnauthorized, "malformed Authorization header")
	}
	secret, e := s.secret(id)
	if e != nil {
		return e
	}
	date := r.Header.Get("Date")
	if date == "" {
		return errorf(http.StatusBadRequest, CodeMissingDate, "Date header is missing")
	}
	t, err := time.Parse(time.RFC1123, date)
	if err != nil {
		return errorf(http.StatusBadRequest, CodeMissingDate, "Date header %q is not RFC 1123", date)
	}
	if e := s.checkSkew(t); e != nil {
		return e
	}
	switch m := r.Header.Get("x-log-signaturemethod"); m {
	case "":
		return errorf(http.StatusBadRequest, CodeMissingSignatureMethod, "x-log-signaturemethod header is missing")
	case "hmac-sha1":
	default:
		return errorf(http.StatusBadRequest, CodeInvalidSignatureMethod, "signature method %q is not supported", m)
	}
	contentMD5 := ""
	if r.Header.Get("Content-MD5") != "" || len(body) > 0 {
		if r.Header.Get("Content-MD5") == "" {
			return errorf(http.StatusBadRequest, CodeInvalidContentMD5, "Content-MD5 header is required with a body")
		}
		contentMD5 = fmt.Sprintf("%X", md5.Sum(body))
	}
	want := signV1(secret, r.Method, contentMD5, r.Header.Get("Content-Type"), date, r.Header, r.URL)
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return errorf(http.StatusUnauthorized, CodeSignatureNotMatch, "signature %s is not matched", sig)
	}
	return nil
}

// signV1 computes the v1 signature (base64 HMAC-SHA1).
func signV1(secret, method, contentMD5, contentType, date string, h http.Header, u *url.URL) string {
	var b strings.Builder
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(contentMD5)
	b.WriteByte('\n')
	b.WriteString(contentType)
	b.WriteByte('\n')
	b.WriteString(date)
	b.WriteByte('\n')
	keys := slsHeaderKeys(h, false)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(k)
		b.WriteByte(':')
		b.WriteString(strings.TrimSpace(h.Get(k)))
	}
	b.WriteByte('\n')
	b.WriteString(u.EscapedPath())
	if u.RawQuery != "" {
		vals := u.Query()
		qk := make([]string, 0, len(vals))
		for k := range vals {
			qk = append(qk, k)
		}
		sort.Strings(qk)
		b.WriteByte('?')
		for i, k := range qk {
			if i > 0 {
				b.WriteByte('&')
			}
			for _, v := range vals[k] {
				b.WriteString(k)
				b.WriteByte('=')
				b.WriteString(v)
			}
		}
	}
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// slsHeaderKeys returns the sorted lowercase names of x-log-* and x-acs-*
// headers; v4 excludes x-log-meta-*.
func slsHeaderKeys(h http.Header, v4 bool) []string {
	var keys []string
	for k := range h {
		l := strings.ToLower(strings.TrimSpace(k))
		if !strings.HasPrefix(l, "x-log-") && !strings.HasPrefix(l, "x-acs-") {
			continue
		}
		if v4 && strings.HasPrefix(l, "x-log-meta-") {
			continue
		}
		keys = append(keys, l)
	}
	sort.Strings(keys)
	return keys
}

func (s *Server) verifyV4(r *http.Request, body []byte, rest string) *Error {
	var cred, sig string
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		if v, ok := strings.CutPrefix(part, "Credential="); ok {
			cred = v
		} else if v, ok := strings.CutPrefix(part, "Signature="); ok {
			sig = v
		}
	}
	// Credential = id/yyyymmdd/region/sls/aliyun_v4_request
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[3] != "sls" || parts[4] != "aliyun_v4_request" || sig == "" {
		return errorf(http.StatusUnauthorized, CodeUnauthorized, "malformed v4 Authorization header")
	}
	id, day, region := parts[0], parts[1], parts[2]
	secret, e := s.secret(id)
	if e != nil {
		return e
	}
	dateTime := r.Header.Get("x-log-date")
	if dateTime == "" {
		return errorf(http.StatusBadRequest, CodeMissingDate, "x-log-date header is missing")
	}
	t, err := time.Parse("20060102T150405Z", dateTime)
	if err != nil || !strings.HasPrefix(dateTime, day) {
		return errorf(http.StatusBadRequest, CodeMissingDate, "x-log-date %q is not valid", dateTime)
	}
	if e := s.checkSkew(t); e != nil {
		return e
	}
	actual := emptySHA256
	if len(body) > 0 {
		sum := sha256.Sum256(body)
		actual = hex.EncodeToString(sum[:])
	}
	payload := r.Header.Get("x-log-content-sha256")
	if payload != actual && payload != emptySHA256 {
		return errorf(http.StatusUnauthorized, CodeSignatureNotMatch, "x-log-content-sha256 does not match the body")
	}
	want := signV4(secret, region, day, dateTime, payload, r)
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return errorf(http.StatusUnauthorized, CodeSignatureNotMatch, "signature %s is not matched", sig)
	}
	return nil
}

// signV4 computes the v4 signature (hex HMAC-SHA256) of r.
func signV4(secret, region, day, dateTime, payload string, r *http.Request) string {
	var c strings.Builder
	c.WriteString(r.Method)
	c.WriteByte('\n')
	c.WriteString(r.URL.EscapedPath())
	c.WriteByte('\n')
	vals := r.URL.Query()
	qk := make([]string, 0, len(vals))
	for k := range vals {
		qk = append(qk, k)
	}
	sort.Strings(qk)
	for i, k := range qk {
		if i > 0 {
			c.WriteByte('&')
		}
		c.WriteString(k)
		if v := vals[k][0]; v != "" {
			c.WriteByte('=')
			c.WriteString(strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
		}
	}
	c.WriteByte('\n')
	signed := slsHeaderKeys(r.Header, true)
	signed = append(signed, "host")
	if r.Header.Get("Content-Type") != "" {
		signed = append(signed, "content-type")
	}
	sort.Strings(signed)
	for _, k := range signed {
		c.WriteString(k)
		c.WriteByte(':')
		if k == "host" {
			c.WriteString(r.Host)
		} else {
			c.WriteString(r.Header.Get(k))
		}
		c.WriteByte('\n')
	}
	c.WriteByte('\n')
	c.WriteString(strings.Join(signed, ";"))
	c.WriteByte('\n')
	c.WriteString(payload)

	reqHash := sha256.Sum256([]byte(c.String()))
	scope := day + "/" + region + "/sls/aliyun_v4_request"
	toSign := v4Algorithm + "\n" + dateTime + "\n" + scope + "\n" + hex.EncodeToString(reqHash[:])
	key := hmacSHA256([]byte("aliyun_v4"+secret), day)
	key = hmacSHA256(key, region)
	key = hmacSHA256(key, "sls")
	key = hmacSHA256(key, "aliyun_v4_request")
	return hex.EncodeToString(hmacSHA256(key, toSign))
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// AddAccessKey lets requests signed with id and secret in, as an STS
// service handing out temporary keys would; tests of credential refresh
// use it.
func (s *Server) AddAccessKey(id, secret string) {
	s.keysMu.Lock()
	s.keys[id] = secret
	s.keysMu.Unlock()
}

// RemoveAccessKey refuses id from now on (401 Unauthorized), as SLS does
// once temporary credentials expire.
func (s *Server) RemoveAccessKey(id string) {
	s.keysMu.Lock()
	delete(s.keys, id)
	s.keysMu.Unlock()
}
