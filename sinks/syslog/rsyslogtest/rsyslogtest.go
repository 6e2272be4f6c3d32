// Package rsyslogtest runs a real rsyslogd in the foreground as a test
// peer: TCP (octet counting or LF framing), TLS and UDP inputs on loopback
// ports, every received message written as one %jsonmesg% line to a file
// the test reads. Each server has its own directory, pid file and work
// directory, and loads no local-logging modules (no imuxsock or imklog), so
// it touches nothing of the machine's own syslog.
//
// Install the peer with
//
//	apt-get install -y --no-install-recommends rsyslog rsyslog-openssl rsyslog-gnutls
//
// When rsyslogd is missing, Start fails the test if CI=true and skips it
// otherwise.
package rsyslogtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// InstallHint says how to install the peer.
const InstallHint = "rsyslogd not found: install it with " +
	"`apt-get update && apt-get install -y --no-install-recommends rsyslog rsyslog-openssl rsyslog-gnutls`"

// ProbeMsgID marks the messages WaitUDP sends; they go to a separate file
// and never show in Messages.
const ProbeMsgID = "rsyslogtest-probe"

// TLS names the server's certificate files. CAFile is also used to check
// client certificates when Mutual is set.
type TLS struct {
	CAFile, CertFile, KeyFile string
	// Mutual requires a client certificate signed by CAFile.
	Mutual bool
	// Driver is the netstream driver, "ossl" (default) or "gtls".
	Driver string
}

// Options configure a server.
type Options struct {
	// TLS adds a TLS input when set.
	TLS *TLS
	// MaxMessageSize is rsyslog's maxMessageSize (default "256k").
	MaxMessageSize string
}

// Server is one running rsyslogd.
type Server struct {
	// Dir holds the config, pid file, work directory and output files.
	Dir string
	// TCPAddr, TLSAddr (when TLS is set) and UDPAddr are the inputs.
	TCPAddr, TLSAddr, UDPAddr string
	// OutFile receives one %jsonmesg% line per message.
	OutFile string

	t       testing.TB
	conf    string
	pidFile string
	cmd     *exec.Cmd
	done    chan struct{}
	starts  int
}

// Message is the part of rsyslog's %jsonmesg% the tests compare.
type Message struct {
	Msg             string `json:"msg"`
	RawMsg          string `json:"rawmsg"`
	TimeReported    string `json:"timereported"`
	Hostname        string `json:"hostname"`
	SyslogTag       string `json:"syslogtag"`
	ProgramName     string `json:"programname"`
	AppName         string `json:"app-name"`
	ProcID          string `json:"procid"`
	MsgID           string `json:"msgid"`
	StructuredData  string `json:"structured-data"`
	Pri             string `json:"pri"`
	Facility        string `json:"syslogfacility"`
	Severity        string `json:"syslogseverity"`
	ProtocolVersion string `json:"protocol-version"`
	InputName       string `json:"inputname"`
}

// Binary returns the path of rsyslogd, or "" when it is not installed.
func Binary() string {
	if p, err := exec.LookPath("rsyslogd"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/rsyslogd"); err == nil {
		return "/usr/sbin/rsyslogd"
	}
	return ""
}

// Require returns rsyslogd's path, or ends the test: t.Fatal when the
// environment variable CI is "true", t.Skip otherwise.
func Require(t testing.TB) string {
	t.Helper()
	bin := Binary()
	if bin != "" {
		return bin
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(InstallHint)
	}
	t.Skip(InstallHint)
	return ""
}

// Start writes a config into a new t.TempDir(), starts rsyslogd in the
// foreground, waits until its TCP inputs accept connections and registers
// a cleanup that stops it.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin := Require(t)
	dir := t.TempDir()
	s := &Server{
		Dir:     dir,
		OutFile: filepath.Join(dir, "out.json"),
		t:       t,
		conf:    filepath.Join(dir, "rsyslog.conf"),
		pidFile: filepath.Join(dir, "rsyslogd.pid"),
	}
	if err := os.Mkdir(filepath.Join(dir, "work"), 0o755); err != nil {
		t.Fatal(err)
	}
	s.TCPAddr = freeAddr(t, "tcp")
	s.UDPAddr = freeAddr(t, "udp")
	if opts.TLS != nil {
		s.TLSAddr = freeAddr(t, "tcp")
	}
	if err := os.WriteFile(s.conf, []byte(s.config(opts)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	s.start(bin)
	return s
}

func freeAddr(t testing.TB, network string) string {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().String()
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

func (s *Server) config(opts Options) string {
	max := opts.MaxMessageSize
	if max == "" {
		max = "256k"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "global(workDirectory=%q maxMessageSize=%q net.enableDNS=\"off\"\n", filepath.Join(s.Dir, "work"), max)
	b.WriteString("  parser.escapeControlCharactersOnReceive=\"off\" parser.escapeControlCharacterTab=\"off\"")
	if opts.TLS != nil {
		fmt.Fprintf(&b, "\n  defaultNetstreamDriverCAFile=%q defaultNetstreamDriverCertFile=%q defaultNetstreamDriverKeyFile=%q",
			opts.TLS.CAFile, opts.TLS.CertFile, opts.TLS.KeyFile)
	}
	b.WriteString(")\n")
	// Direct queues: a message is in the output file once rsyslog has read
	// and processed it, so what a killed rsyslog read is on disk.
	b.WriteString("main_queue(queue.type=\"Direct\")\n")
	b.WriteString("module(load=\"imtcp\" maxSessions=\"200\")\nmodule(load=\"imudp\")\n")
	b.WriteString("template(name=\"json\" type=\"string\" string=\"%jsonmesg%\\n\")\n")
	fmt.Fprintf(&b, "ruleset(name=\"out\" queue.type=\"Direct\") {\n"+
		"  if $msgid == %q then {\n    action(type=\"omfile\" file=%q template=\"json\")\n    stop\n  }\n"+
		"  action(type=\"omfile\" file=%q template=\"json\")\n}\n",
		ProbeMsgID, filepath.Join(s.Dir, "probe.json"), s.OutFile)
	fmt.Fprintf(&b, "input(type=\"imtcp\" address=\"127.0.0.1\" port=%q ruleset=\"out\")\n", port(s.TCPAddr))
	fmt.Fprintf(&b, "input(type=\"imudp\" address=\"127.0.0.1\" port=%q ruleset=\"out\" rcvBufSize=\"4m\")\n", port(s.UDPAddr))
	if opts.TLS != nil {
		driver, auth := opts.TLS.Driver, "anon"
		if driver == "" {
			driver = "ossl"
		}
		if opts.TLS.Mutual {
			auth = "x509/certvalid"
		}
		fmt.Fprintf(&b, "input(type=\"imtcp\" address=\"127.0.0.1\" port=%q ruleset=\"out\"\n"+
			"  streamDriver.name=%q streamDriver.mode=\"1\" streamDriver.authMode=%q)\n",
			port(s.TLSAddr), driver, auth)
	}
	return b.String()
}

func (s *Server) start(bin string) {
	s.t.Helper()
	s.starts++
	logf, err := os.OpenFile(filepath.Join(s.Dir, "rsyslogd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	_ = os.Remove(s.pidFile)
	cmd := exec.Command(bin, "-n", "-f", s.conf, "-i", s.pidFile)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		s.t.Fatalf("start rsyslogd: %v", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}()
	s.cmd, s.done = cmd, done
	addrs := []string{s.TCPAddr}
	if s.TLSAddr != "" {
		addrs = append(addrs, s.TLSAddr)
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, a := range addrs {
		for {
			c, err := net.DialTimeout("tcp", a, time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-done:
				s.t.Fatalf("rsyslogd exited at start-up: %s", s.Log())
			default:
			}
			if time.Now().After(deadline) {
				s.t.Fatalf("rsyslogd does not listen on %s: %s", a, s.Log())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// Log returns what rsyslogd printed, for failure messages.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "rsyslogd.log"))
	return string(b)
}

// Running reports whether rsyslogd is up.
func (s *Server) Running() bool {
	if s.done == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// Kill stops rsyslogd with SIGKILL: no flushing, no goodbye to clients.
func (s *Server) Kill() { s.signal(syscall.SIGKILL) }

// Stop stops rsyslogd with SIGTERM (SIGKILL after 10 s). Safe to repeat.
func (s *Server) Stop() { s.signal(syscall.SIGTERM) }

func (s *Server) signal(sig syscall.Signal) {
	if !s.Running() {
		return
	}
	_ = s.cmd.Process.Signal(sig)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// Restart starts rsyslogd again, on the same ports, appending to the same
// output file. The server must be stopped.
func (s *Server) Restart() {
	s.t.Helper()
	if s.Running() {
		s.t.Fatal("rsyslogtest: Restart of a running server")
	}
	s.start(Require(s.t))
}

// Messages reads every message received so far. A partly written last
// line is left for the next call.
func (s *Server) Messages() ([]Message, error) { return readMessages(s.OutFile) }

func readMessages(path string) ([]Message, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		data = data[:i+1]
	} else {
		return nil, nil
	}
	var out []Message
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for line := 1; sc.Scan(); line++ {
		var m Message
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, line, err)
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

// WaitMessages polls until at least n messages arrived or timeout passed,
// and returns what arrived.
func (s *Server) WaitMessages(n int, timeout time.Duration) ([]Message, error) {
	deadline := time.Now().Add(timeout)
	for {
		ms, err := s.Messages()
		if err != nil || len(ms) >= n {
			return ms, err
		}
		if time.Now().After(deadline) {
			return ms, fmt.Errorf("rsyslogtest: %d of %d messages after %s", len(ms), n, timeout)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// WaitUDP sends probe datagrams until rsyslog's UDP input shows one, so a
// UDP test does not lose its first messages to a socket not yet bound.
func (s *Server) WaitUDP(timeout time.Duration) error {
	c, err := net.Dial("udp", s.UDPAddr)
	if err != nil {
		return err
	}
	defer c.Close()
	probe := filepath.Join(s.Dir, "probe.json")
	deadline := time.Now().Add(timeout)
	for i := 0; ; i++ {
		_, _ = fmt.Fprintf(c, "<14>1 - - rsyslogtest - %s - probe %s", ProbeMsgID, strconv.Itoa(i))
		time.Sleep(20 * time.Millisecond)
		if ms, _ := readMessages(probe); len(ms) > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("rsyslogtest: UDP input %s not ready after %s: %s", s.UDPAddr, timeout, s.Log())
		}
	}
}
