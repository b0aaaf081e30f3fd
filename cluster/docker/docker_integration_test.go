package docker

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/minidev/mini/nodeimage"
)

// testNodeProgram stands in for `mini agent`: it reports its arguments,
// writes to both streams, probes whether its cgroup is writable (a node
// must be able to make cgroups for pods) and waits for SIGTERM.
const testNodeProgram = `package main

import (
	"bufio"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	fmt.Println("node started args=" + strings.Join(os.Args[1:], ","), "env=" + os.Getenv("MINI_TEST"))
	fmt.Fprintln(os.Stderr, "node stderr line")
	fmt.Println("cgroup-writable=" + cgroupProbe())
	<-signals
	fmt.Println("node stopping")
}

// cgroupProbe makes and removes a child of this process's cgroup.
func cgroupProbe() string {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return "false: " + err.Error()
	}
	defer f.Close()
	var dir string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" && dir == "" { // cgroup v2
			dir = filepath.Join("/sys/fs/cgroup", parts[2])
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == "memory" { // cgroup v1
				dir = filepath.Join("/sys/fs/cgroup/memory", parts[2])
			}
		}
	}
	probe := filepath.Join(dir, fmt.Sprintf("mini-probe-%d", os.Getpid()))
	if err := os.Mkdir(probe, 0o755); err != nil {
		return "false: " + err.Error()
	}
	if err := os.Remove(probe); err != nil {
		return "false: " + err.Error()
	}
	return "true"
}
`

// integrationClient returns a client, or skips when the test cannot run.
func integrationClient(t *testing.T) *Client {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped under -short")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c, err := New(ctx)
	if err != nil {
		t.Skipf("Docker unreachable: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// testLabel returns a label value unique to this test run.
func testLabel(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "minitest-" + hex.EncodeToString(b)
}

// cleanupByLabel removes every container, network and volume carrying
// LabelCluster=id, and the image ref if it is set.
func cleanupByLabel(t *testing.T, c *Client, id, ref string) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		labels := map[string]string{LabelCluster: id}
		if nodes, err := c.ListNodes(ctx, labels); err == nil {
			for _, n := range nodes {
				if err := c.RemoveContainer(ctx, n.ID); err != nil {
					t.Errorf("cleanup: %v", err)
				}
			}
		}
		if nets, err := c.ListNetworks(ctx, labels); err == nil {
			for _, n := range nets {
				if err := c.RemoveNetwork(ctx, n.ID); err != nil {
					t.Errorf("cleanup: %v", err)
				}
			}
		}
		if vols, err := c.ListVolumes(ctx, labels); err == nil {
			for _, v := range vols {
				if err := c.RemoveVolume(ctx, v); err != nil {
					t.Errorf("cleanup: %v", err)
				}
			}
		}
		if ref != "" {
			if _, err := c.api.ImageRemove(ctx, ref, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil && !IsNotFound(err) {
				t.Errorf("cleanup: remove image %s: %v", ref, err)
			}
		}
	})
}

// buildTestNode builds testNodeProgram statically and returns its path.
func buildTestNode(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain on PATH")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte(testNodeProgram), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "mini")
	cmd := exec.Command(gobin, "build", "-o", out, src)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOFLAGS=", "GO111MODULE=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

// loadTestImage builds, checks and loads a node image of the test program.
func loadTestImage(ctx context.Context, t *testing.T, c *Client, id string) string {
	t.Helper()
	bin := buildTestNode(t)
	if err := nodeimage.Check(bin); err != nil {
		t.Fatalf("Check: %v", err)
	}
	ref, err := nodeimage.Ref(bin)
	if err != nil {
		t.Fatal(err)
	}
	ref = strings.Replace(ref, nodeimage.Repository, id+"/node", 1)
	cleanupByLabel(t, c, id, ref)
	if ok, err := c.ImageExists(ctx, ref); err != nil || ok {
		t.Fatalf("ImageExists(%s) before load = %v, %v; want false, nil", ref, ok, err)
	}
	rc := nodeimage.Open(bin, ref)
	defer rc.Close()
	if err := c.LoadImage(ctx, rc); err != nil {
		t.Fatalf("LoadImage: %v", err)
	}
	if ok, err := c.ImageExists(ctx, ref); err != nil || !ok {
		t.Fatalf("ImageExists(%s) after load = %v, %v; want true, nil", ref, ok, err)
	}
	return ref
}

func TestIntegrationNodeLifecycle(t *testing.T) {
	c := integrationClient(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	id := testLabel(t)
	labels := map[string]string{LabelCluster: id}
	ref := loadTestImage(ctx, t, c, id)

	// Broken archives are refused with the engine's reason.
	if err := c.LoadImage(ctx, strings.NewReader("this is not a tar")); err == nil {
		t.Error("LoadImage of garbage succeeded")
	} else {
		t.Logf("LoadImage of garbage: %v", err)
	}
	missing := nodeimage.Open(filepath.Join(t.TempDir(), "missing"), id+"/node:missing")
	if err := c.LoadImage(ctx, missing); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("LoadImage of a missing binary = %v, want its error", err)
	} else {
		t.Logf("LoadImage of a missing binary: %v", err)
	}
	missing.Close()

	img, err := c.api.ImageInspect(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if img.Config == nil || img.Config.Labels[nodeimage.LabelBinarySHA256] == "" || len(img.Config.Entrypoint) != 1 {
		t.Errorf("image config %+v lacks the entrypoint or %s", img.Config, nodeimage.LabelBinarySHA256)
	}

	// Network: created once, then found.
	netName := id
	net1, created, err := c.EnsureNetwork(ctx, netName, labels)
	if err != nil || !created {
		t.Fatalf("EnsureNetwork = %+v, %v, %v; want created", net1, created, err)
	}
	if net1.Name != netName || net1.ID == "" || !isIPv4Prefix(net1.Subnet) || net1.Gateway == "" || net1.Labels[LabelCluster] != id {
		t.Errorf("EnsureNetwork = %+v", net1)
	}
	net2, created, err := c.EnsureNetwork(ctx, netName, labels)
	if err != nil || created || net2.ID != net1.ID {
		t.Fatalf("second EnsureNetwork = %+v, %v, %v; want %s, not created", net2, created, err, net1.ID)
	}
	if got, err := c.InspectNetwork(ctx, netName); err != nil || got.ID != net1.ID || got.Subnet != net1.Subnet {
		t.Errorf("InspectNetwork = %+v, %v", got, err)
	}

	// Volume: created once, then found.
	volName := id + "-node-1"
	if created, err := c.EnsureVolume(ctx, volName, labels); err != nil || !created {
		t.Fatalf("EnsureVolume = %v, %v; want created", created, err)
	}
	if created, err := c.EnsureVolume(ctx, volName, labels); err != nil || created {
		t.Fatalf("second EnsureVolume = %v, %v; want not created", created, err)
	}

	// Node.
	nodeLabels := map[string]string{LabelCluster: id, LabelRole: RoleNode, LabelNode: "node-1"}
	spec := NodeSpec{
		Name:     id + "-node-1",
		Hostname: "node-1",
		Image:    ref,
		Network:  netName,
		Labels:   nodeLabels,
		Env:      map[string]string{"MINI_TEST": "yes"},
		Cmd:      []string{"agent", "--test"},
		Volume:   volName,
	}
	fellBack, err := c.RunNode(ctx, spec)
	if err != nil {
		t.Fatalf("RunNode: %v", err)
	}
	t.Logf("RunNode fell back to the unprivileged node: %v", fellBack)
	info, err := c.InspectNode(ctx, spec.Name)
	if err != nil {
		t.Fatalf("InspectNode: %v", err)
	}
	subnet := netip.MustParsePrefix(net1.Subnet)
	checkRunning := func(info NodeInfo) {
		t.Helper()
		if !info.Running || info.State != "running" {
			t.Errorf("node %s: state %q running %v, want running", info.Name, info.State, info.Running)
		}
		ip, err := netip.ParseAddr(info.IP)
		if err != nil || !subnet.Contains(ip) {
			t.Errorf("node %s: IP %q not in the network's subnet %s", info.Name, info.IP, subnet)
		}
		if info.StartedAt.IsZero() || info.Created.IsZero() {
			t.Errorf("node %s: created %v started %v", info.Name, info.Created, info.StartedAt)
		}
	}
	checkRunning(info)
	if info.Name != spec.Name || info.Network != netName || info.Privileged == fellBack {
		t.Errorf("InspectNode = %+v (fellBack %v)", info, fellBack)
	}
	for k, v := range nodeLabels {
		if info.Labels[k] != v {
			t.Errorf("node label %s = %q, want %q", k, info.Labels[k], v)
		}
	}
	logs := waitForLog(ctx, t, c, spec.Name, "cgroup-writable=")
	if !strings.Contains(logs, "node started args=agent,--test env=yes") {
		t.Errorf("logs lack the start line with args and env:\n%s", logs)
	}
	if !strings.Contains(logs, "cgroup-writable=true") {
		t.Errorf("the node cannot make cgroups (fellBack %v):\n%s", fellBack, logs)
	}

	nodes, err := c.ListNodes(ctx, map[string]string{LabelCluster: id, LabelRole: RoleNode})
	if err != nil || len(nodes) != 1 || nodes[0].ID != info.ID || nodes[0].IP != info.IP {
		t.Fatalf("ListNodes = %+v, %v; want the one node", nodes, err)
	}

	// A second node of the same name is refused, and the first survives.
	if _, err := c.RunNode(ctx, spec); err == nil || !strings.Contains(err.Error(), spec.Name) {
		t.Errorf("RunNode of a taken name = %v, want an error naming it", err)
	}
	if again, err := c.InspectNode(ctx, spec.Name); err != nil || again.ID != info.ID {
		t.Errorf("after the refused RunNode the node is %+v, %v; want it untouched", again, err)
	}
	// A node whose image is missing is refused and leaves nothing behind.
	bad := spec
	bad.Name, bad.Image, bad.Volume = id+"-bad", id+"/missing:nope", ""
	if _, err := c.RunNode(ctx, bad); err == nil {
		t.Error("RunNode with a missing image succeeded")
	}
	if _, err := c.InspectNode(ctx, bad.Name); !IsNotFound(err) {
		t.Errorf("after a failed RunNode: InspectNode = %v, want not found", err)
	}

	// Stop and start: the node's address is re-read, not cached.
	if err := c.StopContainer(ctx, spec.Name, 10*time.Second); err != nil {
		t.Fatalf("StopContainer: %v", err)
	}
	stopped, err := c.InspectNode(ctx, spec.Name)
	if err != nil || stopped.Running || stopped.State != "exited" || stopped.IP != "" {
		t.Errorf("after stop: %+v, %v; want exited without an IP", stopped, err)
	}
	if err := c.StartContainer(ctx, spec.Name); err != nil {
		t.Fatalf("StartContainer: %v", err)
	}
	restarted, err := c.InspectNode(ctx, spec.Name)
	if err != nil {
		t.Fatal(err)
	}
	checkRunning(restarted)
	if !restarted.StartedAt.After(info.StartedAt) {
		t.Errorf("StartedAt %v not after the first start %v", restarted.StartedAt, info.StartedAt)
	}
	logs = waitForLog(ctx, t, c, spec.Name, "node stopping")
	for _, want := range []string{"node stderr line", "node stopping"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if _, err := time.Parse(time.RFC3339Nano, strings.SplitN(line, " ", 2)[0]); err != nil {
			t.Errorf("log line %q has no timestamp", line)
		}
	}

	// Removal, twice each: the second is a no-op.
	for range 2 {
		if err := c.RemoveContainer(ctx, spec.Name); err != nil {
			t.Fatalf("RemoveContainer: %v", err)
		}
	}
	if _, err := c.InspectNode(ctx, spec.Name); !IsNotFound(err) {
		t.Errorf("InspectNode after removal = %v, want not found", err)
	}
	for range 2 {
		if err := c.RemoveNetwork(ctx, netName); err != nil {
			t.Fatalf("RemoveNetwork: %v", err)
		}
		if err := c.RemoveVolume(ctx, volName); err != nil {
			t.Fatalf("RemoveVolume: %v", err)
		}
	}
	if _, err := c.InspectNetwork(ctx, netName); !IsNotFound(err) {
		t.Errorf("InspectNetwork after removal = %v, want not found", err)
	}
	assertNothingLabelled(ctx, t, c, id)
}

// waitForLog polls the container's log until it contains want.
func waitForLog(ctx context.Context, t *testing.T, c *Client, name, want string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var buf bytes.Buffer
		if err := c.ContainerLogs(ctx, name, &buf); err != nil {
			t.Fatalf("ContainerLogs: %v", err)
		}
		if strings.Contains(buf.String(), want) || time.Now().After(deadline) {
			return buf.String()
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func assertNothingLabelled(ctx context.Context, t *testing.T, c *Client, id string) {
	t.Helper()
	labels := map[string]string{LabelCluster: id}
	if nodes, err := c.ListNodes(ctx, labels); err != nil || len(nodes) != 0 {
		t.Errorf("containers left: %+v, %v", nodes, err)
	}
	if nets, err := c.ListNetworks(ctx, labels); err != nil || len(nets) != 0 {
		t.Errorf("networks left: %+v, %v", nets, err)
	}
	if vols, err := c.ListVolumes(ctx, labels); err != nil || len(vols) != 0 {
		t.Errorf("volumes left: %v, %v", vols, err)
	}
}

// createDuplicateNetwork makes a second network called name behind the
// engine's duplicate check, as a lost race between two creates would.
func createDuplicateNetwork(ctx context.Context, t *testing.T, c *Client, name string, labels map[string]string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"Name": name, "Driver": "bridge", "CheckDuplicate": false, "Labels": labels})
	url := fmt.Sprintf("http://docker/v%s/networks/create", c.api.ClientVersion())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.api.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("create duplicate network: %v", err)
	}
	defer resp.Body.Close()
	var out struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
		t.Skipf("this engine refuses duplicate network names (%s); de-duplication cannot be staged", resp.Status)
	}
	return out.ID
}

func TestIntegrationNetworkDedup(t *testing.T) {
	c := integrationClient(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	id := testLabel(t)
	labels := map[string]string{LabelCluster: id}
	cleanupByLabel(t, c, id, "")

	first, created, err := c.EnsureNetwork(ctx, id, labels)
	if err != nil || !created {
		t.Fatalf("EnsureNetwork = %v, %v", created, err)
	}
	dup := createDuplicateNetwork(ctx, t, c, id, labels)
	if nets, _ := c.networksNamed(ctx, id); len(nets) != 2 {
		t.Fatalf("staging: %d networks named %s, want 2", len(nets), id)
	}
	got, created, err := c.EnsureNetwork(ctx, id, labels)
	if err != nil || created || got.ID != first.ID {
		t.Fatalf("EnsureNetwork over a duplicate = %+v, %v, %v; want the oldest %s", got, created, err, first.ID)
	}
	nets, err := c.networksNamed(ctx, id)
	if err != nil || len(nets) != 1 || nets[0].ID != first.ID {
		t.Fatalf("after de-duplication: %+v, %v; want only %s (the duplicate %s removed)", nets, err, first.ID, dup)
	}

	// Parallel callers without a lock (mini's callers hold one) may each
	// get a network that a later caller then removes as a duplicate, but
	// when the storm is over exactly one network of the name is left, and
	// the next caller gets it.
	name := id + "-par"
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := c.EnsureNetwork(ctx, name, labels); err != nil {
				t.Errorf("parallel EnsureNetwork: %v", err)
			}
		}()
	}
	wg.Wait()
	nets, err = c.networksNamed(ctx, name)
	if err != nil || len(nets) != 1 {
		t.Fatalf("after parallel EnsureNetwork: %d networks named %s, %v; want 1", len(nets), name, err)
	}
	if got, created, err := c.EnsureNetwork(ctx, name, labels); err != nil || created || got.ID != nets[0].ID {
		t.Errorf("EnsureNetwork after the storm = %+v, %v, %v; want the survivor %s", got, created, err, nets[0].ID)
	}
	for _, n := range []string{id, name} {
		if err := c.RemoveNetwork(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	assertNothingLabelled(ctx, t, c, id)
}

func TestIntegrationNewUnreachable(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: skipped under -short")
	}
	sock := filepath.Join(t.TempDir(), "nothing.sock")
	t.Setenv("DOCKER_HOST", "unix://"+sock)
	_, err := New(t.Context())
	if err == nil {
		t.Fatal("New with a dead DOCKER_HOST succeeded")
	}
	msg := err.Error()
	for _, want := range []string{"DOCKER_HOST=unix://" + sock, "is the Docker daemon running? start it or set DOCKER_HOST"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error %q spans lines", msg)
	}
}
