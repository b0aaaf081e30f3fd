// Package kubeletapitest runs a real kubelet API server (kubeletapi.Server)
// over a fake Provider in tests: logs are files the test writes, exec runs
// a few built-in commands, port-forward dials 127.0.0.1.
package kubeletapitest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/minidev/mini/cluster/agent/kubeletapi"
	"github.com/minidev/mini/cluster/agent/logs"
	"k8s.io/utils/exec"
)

// Provider is a fake pod manager. Containers exist once AddContainer made
// them.
type Provider struct {
	dir string
	mu  sync.Mutex
	// runs holds each container's runs, oldest first.
	runs map[string][]*Run
}

// Run is one run of a fake container: write its log, End it.
type Run struct {
	Log  *logs.File
	path string
	done chan struct{}
	once sync.Once
}

// End closes the run's log and marks the run ended.
func (r *Run) End() {
	r.once.Do(func() {
		_ = r.Log.Close()
		close(r.done)
	})
}

var _ kubeletapi.Provider = (*Provider)(nil)

// NewProvider returns a provider keeping logs under t.TempDir().
func NewProvider(t testing.TB) *Provider {
	return &Provider{dir: t.TempDir(), runs: map[string][]*Run{}}
}

func key(ns, pod, ctr string) string { return ns + "/" + pod + "/" + ctr }

// Start begins a new run of the container (ending the current one) and
// returns it.
func (p *Provider) Start(ns, pod, ctr string) (*Run, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := key(ns, pod, ctr)
	if runs := p.runs[k]; len(runs) > 0 {
		runs[len(runs)-1].End()
	}
	path := filepath.Join(p.dir, ns+"_"+pod, ctr, strconv.Itoa(len(p.runs[k]))+".log")
	f, err := logs.Create(path)
	if err != nil {
		return nil, err
	}
	r := &Run{Log: f, path: path, done: make(chan struct{})}
	p.runs[k] = append(p.runs[k], r)
	return r, nil
}

// LogFile implements kubeletapi.Provider.
func (p *Provider) LogFile(ns, pod, ctr string, previous bool) (string, <-chan struct{}, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	runs := p.runs[key(ns, pod, ctr)]
	i := len(runs) - 1
	if previous {
		i--
	}
	switch {
	case len(runs) == 0:
		return "", nil, fmt.Errorf("container %q in pod %q not found", ctr, ns+"/"+pod)
	case i < 0:
		return "", nil, fmt.Errorf("previous terminated container %q in pod %q not found", ctr, pod)
	}
	return runs[i].path, runs[i].done, nil
}

// Exec implements kubeletapi.Provider with these commands:
//
//	echo ARGS...   prints ARGS to stdout
//	cat            copies stdin to stdout
//	warn ARGS...   prints ARGS to stderr
//	exit N         exits with code N
//	size           (tty) prints the first terminal size it is sent
func (p *Provider) Exec(ctx context.Context, ns, pod, ctr string, cmd []string, stdin io.Reader, stdout, stderr io.WriteCloser, tty bool, resize <-chan kubeletapi.TerminalSize) error {
	p.mu.Lock()
	_, ok := p.runs[key(ns, pod, ctr)]
	p.mu.Unlock()
	if !ok {
		return fmt.Errorf("container %q in pod %q not found", ctr, ns+"/"+pod)
	}
	switch cmd[0] {
	case "echo":
		_, err := fmt.Fprintln(stdout, strings.Join(cmd[1:], " "))
		return err
	case "warn":
		_, err := fmt.Fprintln(stderr, strings.Join(cmd[1:], " "))
		return err
	case "cat":
		_, err := io.Copy(stdout, stdin)
		return err
	case "exit":
		n, _ := strconv.Atoi(cmd[1])
		return exec.CodeExitError{Err: fmt.Errorf("exit status %d", n), Code: n}
	case "size":
		// A real process reads its terminal; over WebSocket an unread
		// stdin would hold up the resize channel behind it.
		if stdin != nil {
			go func() { _, _ = io.Copy(io.Discard, stdin) }()
		}
		select {
		case s := <-resize:
			_, err := fmt.Fprintf(stdout, "%dx%d\n", s.Width, s.Height)
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return exec.CodeExitError{Err: fmt.Errorf("%s: command not found", cmd[0]), Code: 127}
}

// PortForward implements kubeletapi.Provider: the pod's IP is 127.0.0.1.
func (p *Provider) PortForward(ctx context.Context, ns, pod string, port int32, stream io.ReadWriteCloser) error {
	defer stream.Close()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port))))
	if err != nil {
		return fmt.Errorf("forward port %d of pod %s/%s: %w", port, ns, pod, err)
	}
	defer conn.Close()
	errc := make(chan error, 2)
	go func() { _, err := io.Copy(conn, stream); errc <- err }()
	go func() { _, err := io.Copy(stream, conn); errc <- err }()
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	return err
}

// Agent is a running kubelet API server.
type Agent struct {
	URL   string // https://127.0.0.1:PORT
	Host  string // 127.0.0.1
	Port  int32
	Token string
}

// Start serves a kubeletapi.Server over p with TLS until the test ends.
func Start(t testing.TB, p kubeletapi.Provider) Agent {
	t.Helper()
	const token = "node-token-for-tests"
	s, err := kubeletapi.New(kubeletapi.Config{Token: token, Provider: p})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(s.Handler())
	ts.TLS = s.TLSConfig()
	ts.StartTLS()
	t.Cleanup(ts.Close)
	addr := ts.Listener.Addr().(*net.TCPAddr)
	return Agent{URL: ts.URL, Host: addr.IP.String(), Port: int32(addr.Port), Token: token}
}

// EchoServer listens on 127.0.0.1 until the test ends, echoing what each
// connection sends; it returns the port.
func EchoServer(t testing.TB) int32 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return int32(ln.Addr().(*net.TCPAddr).Port)
}
