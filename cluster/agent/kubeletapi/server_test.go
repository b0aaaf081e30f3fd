package kubeletapi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/agent/kubeletapi"
	"github.com/minidev/mini/cluster/agent/kubeletapi/kubeletapitest"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/utils/exec"
)

func restConfig(a kubeletapitest.Agent) *rest.Config {
	return &rest.Config{Host: a.URL, BearerToken: a.Token, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
}

func get(t *testing.T, a kubeletapitest.Agent, path, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", a.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := insecureClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

var insecureClient = &http.Client{Transport: &http.Transport{TLSClientConfig: insecureTLS()}}

func TestNewRejectsIncompleteConfig(t *testing.T) {
	t.Parallel()
	p := kubeletapitest.NewProvider(t)
	for _, cfg := range []kubeletapi.Config{{Provider: p}, {Token: "x"}} {
		if _, err := kubeletapi.New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}

func TestTokenRequired(t *testing.T) {
	t.Parallel()
	p := kubeletapitest.NewProvider(t)
	run, err := p.Start("ns", "p", "c")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(run.Log.Stdout(), "secret")
	run.End()
	a := kubeletapitest.Start(t, p)
	for _, tok := range []string{"", "wrong", a.Token + "x"} {
		if code, body := get(t, a, "/containerLogs/ns/p/c", tok); code != http.StatusUnauthorized || strings.Contains(body, "secret") {
			t.Errorf("token %q: got %d %q, want 401", tok, code, body)
		}
	}
	if code, body := get(t, a, "/containerLogs/ns/p/c", a.Token); code != 200 || body != "secret\n" {
		t.Errorf("with the token: got %d %q", code, body)
	}
}

func TestContainerLogs(t *testing.T) {
	t.Parallel()
	p := kubeletapitest.NewProvider(t)
	old, err := p.Start("ns", "p", "c")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(old.Log.Stdout(), "old 1\nold 2\n")
	cur, err := p.Start("ns", "p", "c")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(cur.Log.Stdout(), "one\ntwo\nthree\n")
	cur.End()
	a := kubeletapitest.Start(t, p)
	tests := []struct {
		name, query string
		code        int
		want        string
	}{
		{"current run", "", 200, "one\ntwo\nthree\n"},
		{"previous", "?previous=true", 200, "old 1\nold 2\n"},
		{"tail", "?tailLines=1", 200, "three\n"},
		{"limit", "?limitBytes=5", 200, "one\nt"},
		{"since seconds", "?sinceSeconds=3600", 200, "one\ntwo\nthree\n"},
		{"since time in the future", "?sinceTime=" + url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339)), 200, ""},
		{"timestamps", "?timestamps=true&tailLines=1", 200, " three\n"},
		{"follow of an ended run returns", "?follow=true", 200, "one\ntwo\nthree\n"},
		{"bad tail", "?tailLines=-1", 400, "tailLines"},
		{"bad bool", "?follow=maybe", 400, "follow"},
		{"both since", "?sinceSeconds=1&sinceTime=2026-01-01T00:00:00Z", 400, "at most one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, body := get(t, a, "/containerLogs/ns/p/c"+tt.query, a.Token)
			ok := body == tt.want
			if tt.code != 200 || strings.HasPrefix(tt.want, " ") {
				ok = strings.Contains(body, tt.want)
			}
			if code != tt.code || !ok {
				t.Errorf("got %d %q, want %d %q", code, body, tt.code, tt.want)
			}
		})
	}
	t.Run("errors from the provider", func(t *testing.T) {
		t.Parallel()
		if code, body := get(t, a, "/containerLogs/ns/p/nope", a.Token); code != 400 || !strings.Contains(body, `container "nope" in pod "ns/p" not found`) {
			t.Errorf("got %d %q", code, body)
		}
	})
}

func TestContainerLogsFollow(t *testing.T) {
	t.Parallel()
	p := kubeletapitest.NewProvider(t)
	run, err := p.Start("ns", "p", "c")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(run.Log.Stdout(), "first")
	a := kubeletapitest.Start(t, p)
	req, _ := http.NewRequest("GET", a.URL+"/containerLogs/ns/p/c?follow=true", nil)
	req.Header.Set("Authorization", "Bearer "+a.Token)
	resp, err := insecureClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 100)
	n, err := io.ReadAtLeast(resp.Body, buf, len("first\n"))
	if err != nil || string(buf[:n]) != "first\n" {
		t.Fatalf("got %q, %v", buf[:n], err)
	}
	// The line written now reaches the open response before the run ends.
	fmt.Fprintln(run.Log.Stdout(), "second")
	n, err = io.ReadAtLeast(resp.Body, buf, len("second\n"))
	if err != nil || string(buf[:n]) != "second\n" {
		t.Fatalf("got %q, %v", buf[:n], err)
	}
	fmt.Fprint(run.Log.Stdout(), "last")
	run.End()
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(rest) != "last\n" {
		t.Fatalf("after the run ended: %q, %v", rest, err)
	}
}

// executors are client-go's two exec transports, as kubectl uses them.
var executors = map[string]func(cfg *rest.Config, u string) (remotecommand.Executor, error){
	"SPDY": func(cfg *rest.Config, u string) (remotecommand.Executor, error) {
		return remotecommand.NewSPDYExecutor(cfg, "POST", mustURL(u))
	},
	"WebSocket": func(cfg *rest.Config, u string) (remotecommand.Executor, error) {
		return remotecommand.NewWebSocketExecutor(cfg, "GET", u)
	},
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// terminalSizes sends one size, then none.
type terminalSizes struct{ sent bool }

func (q *terminalSizes) Next() *remotecommand.TerminalSize {
	if q.sent {
		time.Sleep(time.Hour)
		return nil
	}
	q.sent = true
	return &remotecommand.TerminalSize{Width: 120, Height: 40}
}

// RunExec runs an exec with executor kind against base+path and returns
// stdout, stderr and the error (exec.ExitError for exit codes).
func runExec(t *testing.T, kind string, cfg *rest.Config, u, stdin string, tty bool) (string, string, error) {
	t.Helper()
	ex, err := executors[kind](cfg, u)
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	opts := remotecommand.StreamOptions{Stdout: &stdout, Tty: tty}
	if !tty {
		opts.Stderr = &stderr
	}
	if stdin != "" {
		opts.Stdin = strings.NewReader(stdin)
	}
	if tty {
		opts.TerminalSizeQueue = &terminalSizes{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = ex.StreamWithContext(ctx, opts)
	return stdout.String(), stderr.String(), err
}

func TestExec(t *testing.T) {
	t.Parallel()
	p := kubeletapitest.NewProvider(t)
	if _, err := p.Start("ns", "p", "c"); err != nil {
		t.Fatal(err)
	}
	a := kubeletapitest.Start(t, p)
	cfg := restConfig(a)
	tests := []struct {
		name, query, stdin string
		tty                bool
		stdout, stderr     string
		exit               int // -1: any other error
	}{
		{"stdout", "command=echo&command=hello&command=world&output=1&error=1", "", false, "hello world\n", "", 0},
		{"stderr", "command=warn&command=careful&output=1&error=1", "", false, "", "careful\n", 0},
		{"stdin to EOF", "command=cat&input=1&output=1&error=1", "line 1\nline 2\n", false, "line 1\nline 2\n", "", 0},
		{"exit code", "command=exit&command=3&output=1&error=1", "", false, "", "", 3},
		{"tty resize", "command=size&output=1&tty=1&input=1", "x", true, "120x40\n", "", 0},
	}
	for _, kind := range []string{"SPDY", "WebSocket"} {
		for _, tt := range tests {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				stdout, stderr, err := runExec(t, kind, cfg, a.URL+"/exec/ns/p/c?"+tt.query, tt.stdin, tt.tty)
				if tt.exit == 0 && err != nil {
					t.Fatalf("exec: %v", err)
				}
				if tt.exit > 0 {
					var ee exec.ExitError
					if !errors.As(err, &ee) || ee.ExitStatus() != tt.exit {
						t.Fatalf("got error %v, want exit code %d", err, tt.exit)
					}
				}
				if stdout != tt.stdout || stderr != tt.stderr {
					t.Errorf("stdout %q stderr %q, want %q %q", stdout, stderr, tt.stdout, tt.stderr)
				}
			})
		}
	}
}

func TestExecBadRequests(t *testing.T) {
	t.Parallel()
	a := kubeletapitest.Start(t, kubeletapitest.NewProvider(t))
	for _, q := range []string{"?output=1", "?command=ls"} {
		if code, _ := get(t, a, "/exec/ns/p/c"+q, a.Token); code != 400 {
			t.Errorf("%s: got %d, want 400", q, code)
		}
	}
}

func TestPortForward(t *testing.T) {
	t.Parallel()
	p := kubeletapitest.NewProvider(t)
	a := kubeletapitest.Start(t, p)
	echo := kubeletapitest.EchoServer(t)
	kubeletapitest.CheckPortForward(t, restConfig(a), mustURL(a.URL+"/portForward/ns/p"), echo)
}
