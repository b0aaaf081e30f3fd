package apiserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/agent/kubeletapi/kubeletapitest"
	"github.com/minidev/mini/cluster/store"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/utils/exec"
	"k8s.io/utils/ptr"
)

// proxyCluster is an API server with one real node whose agent is a
// kubeletapi.Server over a fake provider, and one simulated node.
type proxyCluster struct {
	c     kubernetes.Interface
	cfg   *rest.Config
	pods  *kubeletapitest.Provider
	agent kubeletapitest.Agent
}

func newProxyCluster(t *testing.T) *proxyCluster {
	t.Helper()
	pods := kubeletapitest.NewProvider(t)
	agent := kubeletapitest.Start(t, pods)
	st, err := store.Open(filepath.Join(t.TempDir(), "store.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	nodeToken := func(node string) (string, bool) { return agent.Token, node == "node-1" }
	ts := httptest.NewServer(New(Config{Store: st, NodeToken: nodeToken}).Handler())
	t.Cleanup(ts.Close)
	cfg := &rest.Config{Host: ts.URL, QPS: 1000, Burst: 1000}
	c := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}))
	must(c.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1"}, Status: corev1.NodeStatus{
		Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: agent.Host}},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: agent.Port}},
	}}, metav1.CreateOptions{}))
	must(c.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "sim-1", Labels: map[string]string{"mini.dev/node": "simulated"}}}, metav1.CreateOptions{}))
	must(c.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "old-1"}}, metav1.CreateOptions{}))
	pod := func(name, node string, annotations map[string]string, ctrs ...string) {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations}, Spec: corev1.PodSpec{NodeName: node}}
		for _, ctr := range ctrs {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: ctr, Image: "busybox"})
		}
		must(c.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}))
	}
	pod("web", "node-1", nil, "app")
	pod("two", "node-1", nil, "a", "b")
	pod("annotated", "node-1", map[string]string{defaultContainerAnnotation: "b"}, "a", "b")
	pod("pending", "", nil, "app")
	pod("sim", "sim-1", nil, "app")
	pod("old", "old-1", nil, "app")
	for _, k := range [][2]string{{"web", "app"}, {"two", "a"}, {"two", "b"}, {"annotated", "a"}, {"annotated", "b"}} {
		if _, err := pods.Start("default", k[0], k[1]); err != nil {
			t.Fatal(err)
		}
	}
	return &proxyCluster{c: c, cfg: cfg, pods: pods, agent: agent}
}

func (pc *proxyCluster) write(t *testing.T, pod, ctr, text string, end bool) {
	t.Helper()
	run, err := pc.pods.Start("default", pod, ctr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(run.Log.Stdout(), text)
	if end {
		run.End()
	}
}

func TestPodLogsThroughAgent(t *testing.T) {
	t.Parallel()
	pc := newProxyCluster(t)
	pc.write(t, "web", "app", "previous run\n", true)
	pc.write(t, "web", "app", "hello\nworld\n", true)
	pc.write(t, "annotated", "b", "from b\n", true)
	tests := []struct {
		name, pod string
		opts      corev1.PodLogOptions
		want      string
		code      int
		msg       string
	}{
		{"only container", "web", corev1.PodLogOptions{}, "hello\nworld\n", 200, ""},
		{"tail", "web", corev1.PodLogOptions{TailLines: ptr.To[int64](1)}, "world\n", 200, ""},
		{"previous", "web", corev1.PodLogOptions{Previous: true}, "previous run\n", 200, ""},
		{"limit", "web", corev1.PodLogOptions{LimitBytes: ptr.To[int64](3)}, "hel", 200, ""},
		{"named container", "web", corev1.PodLogOptions{Container: "app"}, "hello\nworld\n", 200, ""},
		{"default-container annotation", "annotated", corev1.PodLogOptions{}, "from b\n", 200, ""},
		{"no previous run", "two", corev1.PodLogOptions{Container: "a", Previous: true}, "", 400, `previous terminated container "a" in pod "two" not found`},
		{"container not in pod", "web", corev1.PodLogOptions{Container: "nope"}, "", 400, "container nope is not valid for pod web"},
		{"several containers", "two", corev1.PodLogOptions{}, "", 400, "a container name must be specified for pod two, choose one of: [a b]"},
		{"not scheduled", "pending", corev1.PodLogOptions{}, "", 400, `pod "pending" is not scheduled yet`},
		{"simulated node", "sim", corev1.PodLogOptions{}, "", 400, "pod sim runs on simulated node sim-1: it has no containers"},
		{"node without agent endpoint", "old", corev1.PodLogOptions{}, "", 400, "reports no kubelet endpoint"},
		{"missing pod", "nope", corev1.PodLogOptions{}, "", 404, `pods "nope" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Stream, as kubectl logs reads them.
			got, err := readLogs(pc.c, tt.pod, &tt.opts)
			if tt.code == 200 {
				if err != nil || string(got) != tt.want {
					t.Fatalf("got %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			var se *apierrors.StatusError
			if !errors.As(err, &se) || int(se.Status().Code) != tt.code || !strings.Contains(se.Status().Message, tt.msg) {
				t.Fatalf("got %v, want %d %q", err, tt.code, tt.msg)
			}
		})
	}
}

func readLogs(c kubernetes.Interface, pod string, opts *corev1.PodLogOptions) ([]byte, error) {
	rc, err := c.CoreV1().Pods("default").GetLogs(pod, opts).Stream(context.Background())
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestPodLogsFollowThroughAgent(t *testing.T) {
	t.Parallel()
	pc := newProxyCluster(t)
	run, err := pc.pods.Start("default", "web", "app")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(run.Log.Stdout(), "first")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rc, err := pc.c.CoreV1().Pods("default").GetLogs("web", &corev1.PodLogOptions{Follow: true}).Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	lines := bufio.NewReader(rc)
	if l, err := lines.ReadString('\n'); err != nil || l != "first\n" {
		t.Fatalf("got %q, %v", l, err)
	}
	fmt.Fprintln(run.Log.Stdout(), "second")
	if l, err := lines.ReadString('\n'); err != nil || l != "second\n" {
		t.Fatalf("a line written while following: %q, %v", l, err)
	}
	run.End()
	if l, err := lines.ReadString('\n'); l != "" || err == nil {
		t.Fatalf("after the run ended: %q, %v; want EOF", l, err)
	}
}

func TestPodExecThroughAgent(t *testing.T) {
	t.Parallel()
	pc := newProxyCluster(t)
	tests := []struct {
		name, pod string
		opts      corev1.PodExecOptions
		stdin     string
		stdout    string
		exit      int
	}{
		{"stdout", "web", corev1.PodExecOptions{Command: []string{"echo", "hi", "there"}, Stdout: true, Stderr: true}, "", "hi there\n", 0},
		{"stdin", "web", corev1.PodExecOptions{Command: []string{"cat"}, Stdin: true, Stdout: true, Stderr: true}, "typed\n", "typed\n", 0},
		{"exit code", "web", corev1.PodExecOptions{Command: []string{"exit", "7"}, Stdout: true, Stderr: true}, "", "", 7},
		{"annotated default container", "annotated", corev1.PodExecOptions{Command: []string{"echo", "ok"}, Stdout: true}, "", "ok\n", 0},
	}
	for _, kind := range []string{"SPDY", "WebSocket"} {
		for _, tt := range tests {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				u := pc.c.CoreV1().RESTClient().Post().Namespace("default").Resource("pods").Name(tt.pod).SubResource("exec").
					VersionedParams(&tt.opts, scheme.ParameterCodec).URL()
				var ex remotecommand.Executor
				var err error
				if kind == "SPDY" {
					ex, err = remotecommand.NewSPDYExecutor(pc.cfg, "POST", u)
				} else {
					ex, err = remotecommand.NewWebSocketExecutor(pc.cfg, "GET", u.String())
				}
				if err != nil {
					t.Fatal(err)
				}
				var stdout, stderr bytes.Buffer
				// The streams match the request's, as kubectl's do.
				so := remotecommand.StreamOptions{Stdout: &stdout}
				if tt.opts.Stderr {
					so.Stderr = &stderr
				}
				if tt.stdin != "" {
					so.Stdin = strings.NewReader(tt.stdin)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				err = ex.StreamWithContext(ctx, so)
				var ee exec.ExitError
				switch {
				case tt.exit == 0 && err != nil:
					t.Fatalf("exec: %v", err)
				case tt.exit != 0 && (!errors.As(err, &ee) || ee.ExitStatus() != tt.exit):
					t.Fatalf("got %v, want exit code %d", err, tt.exit)
				}
				if stdout.String() != tt.stdout {
					t.Errorf("stdout %q, want %q", stdout.String(), tt.stdout)
				}
			})
		}
	}
}

// TestPodStreamRefusals: what the API server answers before reaching an agent.
func TestPodStreamRefusals(t *testing.T) {
	t.Parallel()
	pc := newProxyCluster(t)
	tests := []struct {
		name, pod, sub string
		params         string
		code           int
		msg            string
	}{
		{"attach", "web", "attach", "stdout=true", 400, "attach is not supported yet"},
		{"exec without command", "web", "exec", "stdout=true", 400, "at least one command"},
		{"exec without streams", "web", "exec", "command=ls", 400, "at least 1 of stdin, stdout, stderr"},
		{"exec in unknown container", "web", "exec", "command=ls&stdout=true&container=x", 400, "container x is not valid for pod web"},
		{"exec in simulated pod", "sim", "exec", "command=ls&stdout=true", 400, "simulated node"},
		{"port-forward to pending pod", "pending", "portforward", "ports=80", 400, "not scheduled yet"},
		{"exec without upgrade", "web", "exec", "command=ls&stdout=true", 400, "Upgrade request required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := pc.c.CoreV1().RESTClient().Post().RequestURI("/api/v1/namespaces/default/pods/" + tt.pod + "/" + tt.sub + "?" + tt.params).Do(context.Background())
			var se *apierrors.StatusError
			if err := res.Error(); !errors.As(err, &se) || int(se.Status().Code) != tt.code || !strings.Contains(se.Status().Message, tt.msg) {
				t.Fatalf("got %v, want %d %q", err, tt.code, tt.msg)
			}
		})
	}
}

func TestPodPortForwardThroughAgent(t *testing.T) {
	t.Parallel()
	pc := newProxyCluster(t)
	echo := kubeletapitest.EchoServer(t)
	u := pc.c.CoreV1().RESTClient().Post().Namespace("default").Resource("pods").Name("web").SubResource("portforward").URL()
	kubeletapitest.CheckPortForward(t, pc.cfg, u, echo)
}
