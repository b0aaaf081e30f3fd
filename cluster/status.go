package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/minidev/mini/cluster/docker"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Summary is one row of `mini list`.
type Summary struct {
	Name    string
	Nodes   int
	Running int
	Status  string // Running, Stopped, Degraded
	API     string
	Age     time.Duration
}

// List returns the clusters under MINI_HOME.
func (p *Provider) List(ctx context.Context) ([]Summary, error) {
	entries, err := os.ReadDir(filepath.Join(p.Home, "clusters"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Summary
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		st, err := p.readState(e.Name())
		if err != nil {
			continue
		}
		nodes, err := p.Docker.ListNodes(ctx, p.labels(st.Name))
		if err != nil {
			return nil, err
		}
		s := Summary{Name: st.Name, Nodes: len(st.Nodes), API: fmt.Sprintf("https://127.0.0.1:%d", st.Port), Age: time.Since(st.Created)}
		for _, n := range nodes {
			if n.Running {
				s.Running++
			}
		}
		cp := p.controlPlanePID(st.Name) != 0
		switch {
		case cp && s.Running == s.Nodes:
			s.Status = "Running"
		case !cp && s.Running == 0:
			s.Status = "Stopped"
		default:
			s.Status = "Degraded"
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// NodeStatus is a node as Docker and the API see it.
type NodeStatus struct {
	Name, Container, State, IP string
	Ready                      string // True, False, Unknown, or "-" when the API is down
	Version                    string
	Privileged                 bool
}

// ClusterStatus is `mini status`.
type ClusterStatus struct {
	Name   string
	PID    int
	API    string
	Uptime time.Duration
	Log    string
	Nodes  []NodeStatus
	// Simulated is how many simulated nodes the control plane runs.
	Simulated int
	APIError  error
}

// Status reports the control plane and each node.
func (p *Provider) Status(ctx context.Context, name string) (*ClusterStatus, error) {
	st, err := p.readState(name)
	if err != nil {
		return nil, err
	}
	cs := &ClusterStatus{Name: name, PID: p.controlPlanePID(name), Simulated: st.SimulatedNodes, API: fmt.Sprintf("https://127.0.0.1:%d", st.Port), Log: filepath.Join(p.dir(name), logFile)}
	if cs.PID != 0 {
		if fi, err := os.Stat(fmt.Sprintf("/proc/%d", cs.PID)); err == nil {
			cs.Uptime = time.Since(fi.ModTime()).Round(time.Second)
		}
	}
	containers, err := p.Docker.ListNodes(ctx, p.labels(name))
	if err != nil {
		return nil, err
	}
	byNode := map[string]docker.NodeInfo{}
	for _, c := range containers {
		byNode[c.Labels[docker.LabelNode]] = c
	}
	ready, versions := map[string]string{}, map[string]string{}
	if cfg, err := p.RESTConfig(name); err == nil && cs.PID != 0 {
		cfg.Timeout = 3 * time.Second
		client, err := kubernetes.NewForConfig(cfg)
		if err == nil {
			list, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
			if err != nil {
				cs.APIError = err
			} else {
				for _, n := range list.Items {
					ready[n.Name] = "False"
					for _, c := range n.Status.Conditions {
						if c.Type == "Ready" {
							ready[n.Name] = string(c.Status)
						}
					}
					versions[n.Name] = n.Status.NodeInfo.KubeletVersion
				}
			}
		}
	}
	for _, n := range st.Nodes {
		c, ok := byNode[n]
		ns := NodeStatus{Name: n, Container: ContainerName(n), State: "missing", IP: c.IP, Ready: "-", Version: versions[n], Privileged: c.Privileged}
		if ok {
			ns.State = c.State
		}
		if r, ok := ready[n]; ok {
			ns.Ready = r
		}
		cs.Nodes = append(cs.Nodes, ns)
	}
	return cs, nil
}

// LogsDump copies every log of a cluster into dir: the control plane's and
// each node container's, like `kind export logs`.
func (p *Provider) LogsDump(ctx context.Context, name, dir string) ([]string, error) {
	st, err := p.readState(name)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	src := filepath.Join(p.dir(name), logFile)
	if b, err := os.ReadFile(src); err == nil {
		dst := filepath.Join(dir, "controlplane.log")
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return nil, err
		}
		files = append(files, dst)
	}
	for _, n := range st.Nodes {
		dst := filepath.Join(dir, n+".log")
		f, err := os.Create(dst)
		if err != nil {
			return nil, err
		}
		err = p.Docker.ContainerLogs(ctx, ContainerName(n), f)
		f.Close()
		if err != nil {
			fmt.Fprintf(f, "logs of %s: %v\n", ContainerName(n), err)
		}
		files = append(files, dst)
	}
	return files, nil
}
