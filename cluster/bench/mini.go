package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// miniEnv runs the mini binary with the bench's own MINI_HOME and
// KUBECONFIG, and remembers every cluster it brought up, for clean-up.
type miniEnv struct {
	binary     string
	home       string
	kubeconfig string

	mu       sync.Mutex
	clusters []string
}

// run runs mini and returns its combined output. When ctx ends, mini gets
// SIGINT, as from Ctrl-C, so that `mini up` rolls back what it created.
func (m *miniEnv) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, m.binary, args...)
	cmd.Env = append(os.Environ(), "MINI_HOME="+m.home, "KUBECONFIG="+m.kubeconfig)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = time.Minute
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("mini %s: %w\n%s", strings.Join(args, " "), err, tail(out.String(), 15))
	}
	return out.String(), nil
}

// up runs `mini up` and returns how long it took: until every node is Ready
// and the command has exited, as a user waits for it.
func (m *miniEnv) up(ctx context.Context, name string, nodes int, extra ...string) (time.Duration, error) {
	m.mu.Lock()
	if !slices.Contains(m.clusters, name) {
		m.clusters = append(m.clusters, name)
	}
	m.mu.Unlock()
	begin := time.Now()
	_, err := m.run(ctx, append([]string{"up", "--name", name, "--nodes", strconv.Itoa(nodes), "--no-kubeconfig-merge", "--wait", "3m"}, extra...)...)
	return time.Since(begin), err
}

func (m *miniEnv) down(ctx context.Context, name string) error {
	_, err := m.run(ctx, "down", "--name", name)
	return err
}

// controlPlanePID reads the pid file `mini up` writes.
func (m *miniEnv) controlPlanePID(name string) (int, error) {
	path := filepath.Join(m.home, "clusters", name, "controlplane.pid")
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("control plane of %s: %w", name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("control plane of %s: %s does not hold a pid", name, path)
	}
	return pid, nil
}

// restConfig is the API client config of `mini kubeconfig`, without
// client-side rate limits.
func (m *miniEnv) restConfig(ctx context.Context, name string) (*rest.Config, error) {
	out, err := m.run(ctx, "kubeconfig", "--name", name)
	if err != nil {
		return nil, err
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig([]byte(out))
	if err != nil {
		return nil, fmt.Errorf("kubeconfig of %s: %w", name, err)
	}
	cfg.QPS, cfg.Burst = 1e6, 1e6
	cfg.UserAgent = "minibench"
	return cfg, nil
}

// newClients returns n clients of cfg, each with its own connection (client-go
// shares one per config otherwise; an explicit Proxy makes it skip that
// cache, and ProxyFromEnvironment is what it uses anyway, never proxying
// 127.0.0.1).
func newClients(cfg *rest.Config, n int) ([]kubernetes.Interface, error) {
	cs := make([]kubernetes.Interface, n)
	for i := range cs {
		c := rest.CopyConfig(cfg)
		c.Proxy = http.ProxyFromEnvironment
		var err error
		if cs[i], err = kubernetes.NewForConfig(c); err != nil {
			return nil, err
		}
	}
	return cs, nil
}

// docker runs the docker CLI, as a user would type it, and returns its
// trimmed standard output.
func docker(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		// Only the first words: args may hold a whole certificate.
		shown := args[:min(len(args), 3)]
		return "", fmt.Errorf("docker %s: %w: %s", strings.Join(shown, " "), err, strings.TrimSpace(errOut.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// containerPID is the host pid of a container's first process.
func containerPID(ctx context.Context, container string) (int, error) {
	out, err := docker(ctx, "inspect", "--format", "{{.State.Pid}}", container)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(out)
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("container %s has no running process (pid %q)", container, out)
	}
	return pid, nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
