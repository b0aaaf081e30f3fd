package testimages

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test server is built once per test binary and run on the host.
var (
	serverOnce sync.Once
	serverBin  string
	serverErr  error
)

func testServer(t *testing.T) string {
	t.Helper()
	serverOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mini-testserver-")
		if err != nil {
			serverErr = err
			return
		}
		serverBin, serverErr = BuildServer(t.Context(), "../..", filepath.Join(dir, "server"))
	})
	if serverErr != nil {
		t.Fatalf("BuildServer: %v", serverErr)
	}
	return serverBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if serverBin != "" {
		os.RemoveAll(filepath.Dir(serverBin))
	}
	os.Exit(code)
}

// proc is a test server running on the host on free ports.
type proc struct {
	cmd            *exec.Cmd
	http           string // "127.0.0.1:port"
	udp            string
	stdout, stderr *syncBuffer
	done           chan error
}

// freePort returns a port nothing listens on (for network "tcp" or "udp").
func freePort(t *testing.T, network string) string {
	t.Helper()
	var addr net.Addr
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = c.LocalAddr()
		c.Close()
	} else {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = l.Addr()
		l.Close()
	}
	_, port, _ := net.SplitHostPort(addr.String())
	return port
}

// startServer runs the test server with env (besides PORT and UDP_PORT)
// and args, and waits until it says it listens.
func startServer(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	port, udpPort := freePort(t, "tcp"), freePort(t, "udp")
	p := &proc{http: "127.0.0.1:" + port, udp: "127.0.0.1:" + udpPort,
		stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(testServer(t), args...)
	p.cmd.Env = append([]string{"PORT=" + port, "UDP_PORT=" + udpPort, "HOME=/"}, env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() { _ = p.cmd.Process.Kill() })
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(p.stdout.String(), "listening on :"+port+"\n"); {
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: stdout %q stderr %q", p.stdout, p.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return p
}

// wait returns the server's exit status once it has exited.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case err := <-p.done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(10 * time.Second):
		t.Fatalf("server did not exit: stdout %q", p.stdout)
		return -1
	}
}

// get fetches path and returns the status and body.
func (p *proc) get(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, "http://"+p.http+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Test", "yes")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestServerHTTP(t *testing.T) {
	t.Parallel()
	p := startServer(t, []string{"ZZZ=last", "AAA=first"})
	hostname, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		method, path, body string
		status             int
		want               string // the body, or its prefix when it ends in "…"
	}{
		{"GET", "/", "", 200, "hello from " + hostname + "\n"},
		{"GET", "/hostname", "", 200, hostname + "\n"},
		{"GET", "/env", "", 200, "AAA=first\nHOME=/\nPORT="},
		{"GET", "/healthz", "", 200, "ok\n"},
		{"GET", "/fail", "", 200, "healthz now fails\n"},
		{"GET", "/healthz", "", 500, "failing\n"},
		{"GET", "/recover", "", 200, "healthz now ok\n"},
		{"GET", "/healthz", "", 200, "ok\n"},
		{"POST", "/echo", "some body", 200, "some body"},
		{"GET", "/headers", "", 200, "Accept-Encoding: gzip\nHost: " + p.http + "\nUser-Agent: Go-http-client/1.1\nX-Test: yes\n"},
		{"GET", "/sleep?d=50ms", "", 200, "slept 50ms\n"},
		{"GET", "/sleep", "", 400, "want /sleep?d=DURATION\n"},
		{"GET", "/dns?name=localhost", "", 200, `{"name":"localhost","addrs":[`},
		{"GET", "/dns?name=no-such-host.invalid", "", 502, `{"name":"no-such-host.invalid","addrs":[],"error":"lookup no-such-host.invalid`},
		{"GET", "/no-such-page", "", 404, "404 page not found\n"},
	}
	for _, s := range steps {
		status, body := p.get(t, s.method, s.path, s.body)
		if status != s.status || !strings.HasPrefix(body, s.want) {
			t.Errorf("%s %s = %d %q, want %d %q", s.method, s.path, status, body, s.status, s.want)
		}
	}
	if env := p.stdout.String(); !strings.Contains(env, "GET /healthz 500 ") || !strings.Contains(env, "POST /echo 200 ") {
		t.Errorf("stdout lacks request lines: %q", env)
	}

	// UDP echo.
	c, err := net.Dial("udp", p.udp)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 512)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "udp:"+hostname+" ping" {
		t.Errorf("UDP echo = %q, %v; want %q", buf[:n], err, "udp:"+hostname+" ping")
	}

	// SIGTERM: "got SIGTERM", status 0.
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != 0 {
		t.Errorf("exit status after SIGTERM = %d, want 0", code)
	}
	if out := p.stdout.String(); !strings.HasSuffix(out, "got SIGTERM\n") {
		t.Errorf("stdout = %q, want it to end with got SIGTERM", out)
	}
	if errOut := p.stderr.String(); errOut != "started\n" {
		t.Errorf("stderr = %q, want started", errOut)
	}
}

func TestServerReady(t *testing.T) {
	// /ready looks at the fixed path /tmp/notready: not parallel.
	if _, err := os.Stat("/tmp/notready"); err == nil {
		t.Skip("/tmp/notready exists on this host")
	}
	p := startServer(t, nil)
	if status, _ := p.get(t, "GET", "/ready", ""); status != 200 {
		t.Errorf("/ready = %d, want 200", status)
	}
	if err := os.WriteFile("/tmp/notready", nil, 0o644); err != nil {
		t.Skipf("cannot create /tmp/notready: %v", err)
	}
	defer os.Remove("/tmp/notready")
	if status, body := p.get(t, "GET", "/ready", ""); status != 503 {
		t.Errorf("/ready with /tmp/notready = %d %q, want 503", status, body)
	}
}

func TestServerExits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  []string
		args []string
		// exit, when set, is called on the running server.
		exit     string
		wantCode int
		wantOut  string
	}{
		{"/exit?code=3", nil, nil, "/exit?code=3", 3, "exiting with 3\n"},
		{"--crash-after", nil, []string{"--crash-after=100ms"}, "", 1, "crashing after 100ms with status 1\n"},
		{"--crash-after --exit-code", nil, []string{"--crash-after=100ms", "--exit-code=4"}, "", 4, "crashing after 100ms with status 4\n"},
		{"CRASH_AFTER and EXIT_CODE", []string{"CRASH_AFTER=100ms", "EXIT_CODE=5"}, nil, "", 5, "crashing after 100ms with status 5\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := startServer(t, tt.env, tt.args...)
			if tt.exit != "" {
				if status, body := p.get(t, "GET", tt.exit, ""); status != 200 || body != tt.wantOut {
					t.Errorf("GET %s = %d %q, want 200 %q", tt.exit, status, body, tt.wantOut)
				}
			}
			if code := p.wait(t); code != tt.wantCode {
				t.Errorf("exit status = %d, want %d", code, tt.wantCode)
			}
			if out := p.stdout.String(); !strings.HasSuffix(out, tt.wantOut) {
				t.Errorf("stdout = %q, want it to end with %q", out, tt.wantOut)
			}
		})
	}
}

func TestServerExitCodeAlone(t *testing.T) {
	t.Parallel()
	// --exit-code without --crash-after: exit at once, after the startup lines.
	for _, code := range []int{0, 7} {
		cmd := exec.Command(testServer(t), fmt.Sprintf("--exit-code=%d", code), "--port="+freePort(t, "tcp"), "--udp-port="+freePort(t, "udp"))
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		if got := cmd.ProcessState.ExitCode(); got != code || !strings.HasPrefix(stdout.String(), "listening on :") {
			t.Errorf("--exit-code=%d: status %d, stdout %q", code, got, stdout.String())
		}
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
