package e2e

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// TestLifecycle walks a 3-node cluster through up, status, a node container
// restart, stop/start, a killed control plane, and down.
func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	name := uniqueName("life")
	out := e.up(name, "--nodes", "3", "-v")
	for _, want := range []string{"Node image", "Network", "Control plane", "Nodes", "Waiting for nodes Ready", "is ready in"} {
		if !strings.Contains(out, want) {
			t.Errorf("up output lacks %q:\n%s", want, out)
		}
	}
	c := e.client(name)
	waitNodes(t, c, 10*time.Second, "3 Ready nodes", allReady(3))

	list := e.must("list")
	if !strings.Contains(list, name) || !strings.Contains(list, "Running") || !strings.Contains(list, "3/3") {
		t.Errorf("list does not show %s running with 3/3 nodes:\n%s", name, list)
	}
	status := e.must("status", "--name", name)
	if strings.Count(status, "True") != 3 || !strings.Contains(status, "Control plane: running") {
		t.Errorf("status does not show a running control plane and 3 Ready nodes:\n%s", status)
	}

	// up again is idempotent: it says so and succeeds.
	if again := e.must("up", "--name", name); !strings.Contains(again, "already up") {
		t.Errorf("second up does not say the cluster is already up:\n%s", again)
	}

	// A restarted node container comes back Ready with its agent re-registering.
	node := name + "-node-2"
	docker(t, "restart", "-t", "1", "mini-"+node)
	waitNodes(t, c, 30*time.Second, "3 Ready nodes after a node restart", allReady(3))

	// stop keeps state; start brings everything back Ready.
	e.must("stop", "--name", name)
	if st := e.must("list"); !strings.Contains(st, "Stopped") {
		t.Errorf("list after stop does not say Stopped:\n%s", st)
	}
	// The API port taken by another program: start says so in one line and changes nothing.
	port := apiPort(t, e, name)
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := e.mini("start", "--name", name); err == nil || !strings.Contains(out, "API port "+port+" of cluster") || !strings.Contains(out, "in use by another program") {
		t.Errorf("start with the port in use: %v\n%s", err, out)
	}
	ln.Close()
	e.must("start", "--name", name)
	waitNodes(t, c, 30*time.Second, "3 Ready nodes after stop/start", allReady(3))

	// A control plane killed with SIGKILL comes back with `mini start`; the
	// nodes reconnect by themselves.
	pidText, err := os.ReadFile(filepath.Join(e.home, "clusters", name, "controlplane.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(pidText)))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill control plane %d: %v", pid, err)
	}
	e.must("start", "--name", name)
	waitNodes(t, c, 30*time.Second, "3 Ready nodes after a control plane restart", allReady(3))
}

// TestNodeNotReady: a node whose agent stops heartbeating is marked
// NotReady (Unknown) within the grace period, then Ready again when back.
func TestNodeNotReady(t *testing.T) {
	e := newEnv(t)
	name := uniqueName("nr")
	e.up(name, "--nodes", "2", "--node-monitor-grace", "6s")
	c := e.client(name)
	waitNodes(t, c, 10*time.Second, "2 Ready nodes", allReady(2))
	docker(t, "stop", "-t", "1", "mini-"+name+"-node-1")
	start := time.Now()
	waitNodes(t, c, 40*time.Second, "node-1 Unknown", func(nodes []corev1.Node) bool {
		for i := range nodes {
			if nodes[i].Name == name+"-node-1" && readiness(&nodes[i]) == "Unknown" {
				return hasTaint(&nodes[i], corev1.TaintNodeUnreachable)
			}
		}
		return false
	})
	t.Logf("node-1 NotReady %s after its container stopped", time.Since(start).Round(time.Second))
	docker(t, "start", "mini-"+name+"-node-1")
	waitNodes(t, c, 30*time.Second, "2 Ready nodes without taints", func(nodes []corev1.Node) bool {
		for i := range nodes {
			if hasTaint(&nodes[i], corev1.TaintNodeUnreachable) {
				return false
			}
		}
		return allReady(2)(nodes)
	})
}

func hasTaint(n *corev1.Node, key string) bool {
	for _, t := range n.Spec.Taints {
		if t.Key == key {
			return true
		}
	}
	return false
}

// TestTwoClusters: two clusters side by side, and two `up` of one name at
// once where one wins and the other fails clearly.
func TestTwoClusters(t *testing.T) {
	e := newEnv(t)
	a, b := uniqueName("twa"), uniqueName("twb")
	e.up(a, "--nodes", "1")
	var wg sync.WaitGroup
	outs := make([]string, 2)
	errs := make([]error, 2)
	t.Cleanup(func() { e.mini("down", "--name", b); assertNothingLeft(t, b) })
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = e.mini("up", "--name", b, "--nodes", "1", "--wait", "90s")
		}()
	}
	wg.Wait()
	wins := 0
	for i := range outs {
		if errs[i] == nil && strings.Contains(outs[i], "is ready in") {
			wins++
		} else if !strings.Contains(outs[i], "another mini process") && !strings.Contains(outs[i], "already up") {
			t.Errorf("the losing up does not say why clearly:\n%s", outs[i])
		}
	}
	if wins != 1 {
		t.Fatalf("want exactly one winning up, got %d:\n%s\n---\n%s", wins, outs[0], outs[1])
	}
	waitNodes(t, e.client(a), 10*time.Second, "cluster a Ready", allReady(1))
	waitNodes(t, e.client(b), 10*time.Second, "cluster b Ready", allReady(1))
}

// TestBadInput: each bad input gets a one-line error naming the flag and
// the rule, and creates nothing.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		args []string
		env  string
		want string
	}{
		{args: []string{"up", "--nodes", "0"}, want: "--nodes 0 is out of range: a cluster has 1 to 100 nodes"},
		{args: []string{"up", "--nodes", "-1"}, want: "--nodes -1 is out of range"},
		{args: []string{"up", "--nodes", "500"}, want: "1 to 100 nodes"},
		{args: []string{"up", "--name", "Bad_Name"}, want: `--name "Bad_Name" is not valid`},
		{args: []string{"up", "--frobnicate"}, want: "unknown flag: --frobnicate"},
		{args: []string{"up", "--name", "nodocker"}, env: "DOCKER_HOST=unix:///nonexistent/docker.sock", want: "unix:///nonexistent/docker.sock"},
		{args: []string{"start", "--name", "nosuch"}, want: `cluster "nosuch" does not exist`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			cmdEnv := e
			out, err := func() (string, error) {
				if tt.env != "" {
					t.Setenv(strings.SplitN(tt.env, "=", 2)[0], strings.SplitN(tt.env, "=", 2)[1])
				}
				return cmdEnv.mini(tt.args...)
			}()
			if err == nil {
				t.Fatalf("mini %v succeeded; want an error containing %q\n%s", tt.args, tt.want, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("mini %v said:\n%s\nwant it to contain %q", tt.args, out, tt.want)
			}
			if lines := strings.Count(strings.TrimSpace(out), "\n") + 1; lines > 1 && !strings.Contains(tt.want, "unknown flag") {
				t.Errorf("error is %d lines; want one:\n%s", lines, out)
			}
		})
	}
	if entries, _ := os.ReadDir(filepath.Join(e.home, "clusters")); len(entries) > 0 {
		t.Errorf("bad input left state behind: %v", entries)
	}
}

// apiPort reads the cluster's API port from its state.
func apiPort(t *testing.T, e *env, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e.home, "clusters", name, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Port int `json:"port"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(st.Port)
}

// TestUpRollback: an up that fails (here: nodes cannot be Ready within a
// 1 ms wait) removes everything it created, and down stays safe to repeat.
func TestUpRollback(t *testing.T) {
	e := newEnv(t)
	name := uniqueName("rb")
	out, err := e.mini("up", "--name", name, "--nodes", "2", "--wait", "1ms", "--no-kubeconfig-merge")
	if err == nil {
		t.Fatalf("up with a 1ms wait succeeded:\n%s", out)
	}
	if !strings.Contains(out, "✗ Waiting for nodes Ready") || !strings.Contains(out, "Removing what this run created") {
		t.Errorf("up output does not show the failed step and the rollback:\n%s", out)
	}
	assertNothingLeft(t, name)
	if _, err := os.Stat(filepath.Join(e.home, "clusters", name)); !os.IsNotExist(err) {
		t.Errorf("state directory left behind: %v", err)
	}
	for i := 0; i < 2; i++ {
		if out := e.must("down", "--name", name); !strings.Contains(out, "does not exist") {
			t.Errorf("down #%d of a cluster that is gone said:\n%s", i+1, out)
		}
	}
}

// TestLogsDump collects the control plane's and each node's log.
func TestLogsDump(t *testing.T) {
	e := newEnv(t)
	name := uniqueName("logs")
	e.up(name, "--nodes", "2", "--no-kubeconfig-merge")
	dir := filepath.Join(t.TempDir(), "dump")
	e.must("logs-dump", "--name", name, "--dir", dir)
	for file, want := range map[string]string{
		"controlplane.log":   "API server listening",
		name + "-node-1.log": "node registered and ready",
		name + "-node-2.log": "node registered and ready",
	} {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Errorf("logs-dump did not write %s: %v", file, err)
			continue
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q:\n%s", file, want, b)
		}
	}
}
