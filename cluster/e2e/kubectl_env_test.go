package e2e

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/apiserver"
	"github.com/minidev/mini/cluster/kubeconfig"
	"github.com/minidev/mini/cluster/pki"
	"github.com/minidev/mini/cluster/store"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// kubectlVersion is the version testdata/kubectl/go.mod pins (k8s.io/kubectl
// v0.37.2 is kubectl v1.37.2); the build stamps it so `kubectl version`
// reports it instead of "master".
const kubectlVersion = "v1.37.2"

// kubectlBuild is the kubectl binary built once per test process.
var kubectlBuild struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// kubectlBinary builds the real kubectl from testdata/kubectl (its own
// module, so its dependencies stay out of mini's go.mod) on first use.
func kubectlBinary(t *testing.T) string {
	t.Helper()
	b := &kubectlBuild
	b.once.Do(func() {
		root, err := filepath.Abs("../..")
		if err != nil {
			b.err = err
			return
		}
		src := filepath.Join(root, "testdata", "kubectl")
		if _, err := os.Stat(filepath.Join(src, "go.mod")); err != nil {
			b.err = fmt.Errorf("kubectl sources not found (run the test from cluster/e2e): %w", err)
			return
		}
		if b.dir, err = os.MkdirTemp("", "mini-kubectl-"); err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(b.dir, "kubectl")
		ldflags := "-X k8s.io/component-base/version.gitVersion=" + kubectlVersion +
			" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37"
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-C", src, "-ldflags", ldflags, "-o", b.path, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off")
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("build kubectl from %s: %w\n%s", src, err, out)
			return
		}
		t.Logf("built kubectl %s in %s", kubectlVersion, time.Since(start).Round(time.Millisecond))
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// removeKubectl deletes the kubectl build, if any; TestMain calls it.
func removeKubectl() {
	if kubectlBuild.dir != "" {
		os.RemoveAll(kubectlBuild.dir)
	}
}

// kubectlEnv is one in-process API server over a fresh store, served with
// TLS and token authentication as the control plane serves it, and a
// kubeconfig for it.
type kubectlEnv struct {
	t        *testing.T
	bin      string
	client   kubernetes.Interface
	dir      string // kubectl's HOME
	kubeconf string
	cacheDir string
	requests *requestLog
}

const adminToken = "e2e-admin-token"

func newKubectlEnv(t *testing.T) *kubectlEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped under -short")
	}
	bin := kubectlBinary(t)
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "store.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := apiserver.New(apiserver.Config{
		Store:  st,
		Tokens: pki.Tokens{adminToken: {User: "mini-admin", Groups: []string{"system:masters"}}},
	})
	log := &requestLog{}
	ts := httptest.NewUnstartedServer(log.wrap(srv.Handler()))
	ts.EnableHTTP2 = true
	ts.StartTLS()
	t.Cleanup(ts.Close)

	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	data, err := kubeconfig.Build(kubeconfig.Cluster{Name: "e2e", Server: ts.URL, CAPEM: caPEM, Token: adminToken})
	if err != nil {
		t.Fatal(err)
	}
	e := &kubectlEnv{t: t, bin: bin, dir: dir, kubeconf: filepath.Join(dir, "kubeconfig"), cacheDir: filepath.Join(dir, "cache"), requests: log}
	if err := os.WriteFile(e.kubeconf, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	if e.client, err = kubernetes.NewForConfig(cfg); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{"default", "kube-system"} {
		e.createNamespace(ns)
	}
	// On failure, show what the server refused: that is where a server bug shows.
	t.Cleanup(func() {
		if t.Failed() {
			if failed := log.failed(); len(failed) > 0 {
				t.Logf("requests the server answered with an error:\n%s", strings.Join(failed, "\n"))
			}
		}
	})
	return e
}

func (e *kubectlEnv) createNamespace(name string) {
	e.t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := e.client.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		e.t.Fatalf("create namespace %s: %v", name, err)
	}
}

// command returns kubectl with args, using the env's kubeconfig and cache and
// a HOME of its own so nothing of the user's ~/.kube is read.
func (e *kubectlEnv) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, e.bin, append([]string{"--kubeconfig", e.kubeconf, "--cache-dir", e.cacheDir}, args...)...)
	env := []string{"HOME=" + e.dir, "KUBERC=off"}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name != "HOME" && name != "KUBECONFIG" && name != "KUBERC" && !strings.HasPrefix(name, "KUBECTL_") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	return cmd
}

// kubectl runs kubectl to completion and returns its output and exit code.
func (e *kubectlEnv) kubectl(args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := e.command(ctx, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	default:
		e.t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), code
}

// must runs kubectl and fails the test unless it exits 0 with nothing on stderr.
func (e *kubectlEnv) must(args ...string) string {
	e.t.Helper()
	out, errOut, code := e.kubectl(args...)
	if code != 0 || errOut != "" {
		e.t.Fatalf("kubectl %s: exit code %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// fails runs kubectl, expects exit code 1, and returns its stderr.
func (e *kubectlEnv) fails(args ...string) string {
	e.t.Helper()
	out, errOut, code := e.kubectl(args...)
	if code != 1 {
		e.t.Fatalf("kubectl %s: exit code %d, want 1\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return errOut
}

// writeFile writes a manifest into the env's directory and returns its path.
func (e *kubectlEnv) writeFile(name, content string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// requestLog records every request the server answered, with its status.
type requestLog struct {
	mu      sync.Mutex
	entries []request
}

// request is one request the server answered.
type request struct {
	method, uri string // uri with its query
	contentType string
	code        int
}

func (r request) String() string {
	s := r.method + " " + r.uri
	if r.contentType != "" {
		s += " (" + r.contentType + ")"
	}
	return fmt.Sprintf("%s -> %d", s, r.code)
}

func (l *requestLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(rec, r)
		l.mu.Lock()
		defer l.mu.Unlock()
		l.entries = append(l.entries, request{method: r.Method, uri: r.URL.RequestURI(), contentType: r.Header.Get("Content-Type"), code: rec.code})
	})
}

// all returns the requests recorded since the last reset.
func (l *requestLog) all() []request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.entries)
}

// failed lists the requests answered with a 4xx or 5xx.
func (l *requestLog) failed() []string {
	var out []string
	for _, r := range l.all() {
		if r.code >= 400 {
			out = append(out, r.String())
		}
	}
	return out
}

// reset forgets what was recorded so far.
func (l *requestLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = nil
}

// statusRecorder keeps the status code and still streams (watch needs Flush).
type statusRecorder struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.code, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
