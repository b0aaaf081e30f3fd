package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	binary = os.Getenv("MINI_BINARY")
	if binary == "" && !testing.Short() {
		dir, err := os.MkdirTemp("", "mini-e2e-")
		if err != nil {
			panic(err)
		}
		binary = filepath.Join(dir, "mini")
		cmd := exec.Command("go", "build", "-o", binary, "../../cmd/mini")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			panic("build mini: " + err.Error() + "\n" + string(out))
		}
		code := m.Run()
		os.RemoveAll(dir)
		removeKubectl()
		os.Exit(code)
	}
	code := m.Run()
	removeKubectl()
	os.Exit(code)
}

// env is one test's MINI_HOME and KUBECONFIG.
type env struct {
	t    *testing.T
	home string
	kube string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped under -short")
	}
	dir := t.TempDir()
	return &env{t: t, home: filepath.Join(dir, "home"), kube: filepath.Join(dir, "kubeconfig")}
}

// uniqueName is a cluster name no other test run uses.
func uniqueName(prefix string) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// mini runs the binary and returns its combined output and error.
func (e *env) mini(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), "MINI_HOME="+e.home, "KUBECONFIG="+e.kube)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// must runs mini and fails the test on error.
func (e *env) must(args ...string) string {
	e.t.Helper()
	out, err := e.mini(args...)
	if err != nil {
		e.t.Fatalf("mini %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// up creates a cluster and registers its removal, and a check that nothing
// labelled with it remains.
func (e *env) up(name string, args ...string) string {
	e.t.Helper()
	e.t.Cleanup(func() {
		if out, err := e.mini("down", "--name", name); err != nil {
			e.t.Errorf("down %s: %v\n%s", name, err, out)
		}
		assertNothingLeft(e.t, name)
	})
	return e.must(append([]string{"up", "--name", name, "--wait", "90s"}, args...)...)
}

// client returns a clientset for the cluster, from `mini kubeconfig`.
func (e *env) client(name string) kubernetes.Interface {
	e.t.Helper()
	out := e.must("kubeconfig", "--name", name)
	cfg, err := clientcmd.RESTConfigFromKubeConfig([]byte(out))
	if err != nil {
		e.t.Fatalf("kubeconfig of %s: %v", name, err)
	}
	cfg.QPS, cfg.Burst = 500, 1000 // client-go's default of 5/s would measure the client
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// waitNodes waits until cond holds for the cluster's nodes.
func waitNodes(t *testing.T, c kubernetes.Interface, timeout time.Duration, what string, cond func([]corev1.Node) bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last []corev1.Node
	for time.Now().Before(deadline) {
		list, err := c.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
		if err == nil {
			last = list.Items
			if cond(list.Items) {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	var states []string
	for _, n := range last {
		states = append(states, n.Name+"="+readiness(&n))
	}
	t.Fatalf("timed out after %s waiting for %s; nodes: %v", timeout, what, states)
}

func readiness(n *corev1.Node) string {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return string(c.Status)
		}
	}
	return "none"
}

func allReady(want int) func([]corev1.Node) bool {
	return func(nodes []corev1.Node) bool {
		ready := 0
		for i := range nodes {
			if readiness(&nodes[i]) == "True" {
				ready++
			}
		}
		return len(nodes) == want && ready == want
	}
}

// docker runs the docker CLI (tests only; the product talks to the engine API).
func docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// assertNothingLeft checks no container, network or volume carries the cluster label.
func assertNothingLeft(t *testing.T, name string) {
	t.Helper()
	filter := "label=io.mini.cluster=" + name
	for _, kind := range [][]string{{"ps", "-aq"}, {"network", "ls", "-q"}, {"volume", "ls", "-q"}} {
		out := docker(t, append(kind, "--filter", filter)...)
		if strings.TrimSpace(out) != "" {
			t.Errorf("docker %s --filter %s still lists:\n%s", strings.Join(kind, " "), filter, out)
		}
	}
}
