package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/minidev/mini/cluster/docker"
)

// MaxNodes is the most nodes a cluster may have: each node is a container
// with its own agent, and a laptop runs out of memory and inotify watches
// long before a thousand (k3d#376).
const MaxNodes = 100

var nameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// ValidateName checks a cluster name: a DNS label of at most 32 characters,
// so that node names (<name>-node-N) stay valid hostnames.
func ValidateName(name string) error {
	if len(name) == 0 || len(name) > 32 || !nameRE.MatchString(name) {
		return fmt.Errorf("--name %q is not valid: use 1 to 32 lowercase letters, digits and '-', starting and ending with a letter or digit", name)
	}
	return nil
}

// MaxSimulatedNodes bounds --simulated-nodes: their pod ranges
// (10.246.0.0/15) hold 511 nodes.
const MaxSimulatedNodes = 5000

// ValidateSimulatedNodes checks a simulated node count.
func ValidateSimulatedNodes(n int) error {
	if n < 0 || n > MaxSimulatedNodes {
		return fmt.Errorf("--simulated-nodes %d is out of range: a cluster simulates 0 to %d nodes", n, MaxSimulatedNodes)
	}
	return nil
}

// SimulatedPrefix names a cluster's simulated nodes: <prefix>-<i>.
func SimulatedPrefix(cluster string) string { return cluster + "-sim" }

// ValidateNodes checks a node count.
func ValidateNodes(n int) error {
	if n < 1 || n > MaxNodes {
		return fmt.Errorf("--nodes %d is out of range: a cluster has 1 to %d nodes", n, MaxNodes)
	}
	return nil
}

// DefaultHome is $MINI_HOME, else ~/.mini.
func DefaultHome() string {
	if h := os.Getenv("MINI_HOME"); h != "" {
		return h
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ".mini"
	}
	return filepath.Join(home, ".mini")
}

// State is what a cluster's directory records.
type State struct {
	Name      string    `json:"name"`
	Nodes     []string  `json:"nodes"`
	Port      int       `json:"port"`
	DNSPort   int       `json:"dnsPort,omitempty"` // the cluster DNS, UDP and TCP (kube-dns's targetPort)
	Network   string    `json:"network"`
	Image     string    `json:"image"`
	Created   time.Time `json:"created"`
	NodeGrace string    `json:"nodeMonitorGrace,omitempty"`
	// DefaultTolerationSeconds is how long pods stay on a NotReady or
	// unreachable node (0: Kubernetes' 300 s).
	DefaultTolerationSeconds int64 `json:"defaultTolerationSeconds,omitempty"`
	// SimulatedNodes is how many nodes the control plane simulates.
	SimulatedNodes int `json:"simulatedNodes,omitempty"`
	// Publish are the host ports mapped to NodePorts on the first node.
	Publish []docker.PortMapping `json:"publish,omitempty"`
}

// Files of a cluster directory.
const (
	stateFile      = "state.json"
	pidFile        = "controlplane.pid"
	logFile        = "controlplane.log"
	kubeconfigFile = "kubeconfig"
)

// dir is a cluster's state directory.
func (p *Provider) dir(name string) string { return filepath.Join(p.Home, "clusters", name) }

func (p *Provider) readState(name string) (*State, error) {
	b, err := os.ReadFile(filepath.Join(p.dir(name), stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("cluster %q does not exist: create it with `mini up --name %s`", name, name)
	}
	if err != nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("cluster %q: %s is damaged (%v): remove it with `mini down --name %s`", name, filepath.Join(p.dir(name), stateFile), err, name)
	}
	return &st, nil
}

func (p *Provider) writeState(st *State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(p.dir(st.Name), stateFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// NetworkName is the Docker network of a cluster.
func NetworkName(cluster string) string { return "mini-" + cluster }

// NodeName is the n-th node's name (and hostname); n counts from 1.
func NodeName(cluster string, n int) string { return fmt.Sprintf("%s-node-%d", cluster, n) }

// nodeIndex is n of NodeName(cluster, n); it numbers the node's pod CIDR
// (10.244.n.0/24). 0 when node is not named so.
func nodeIndex(cluster, node string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(node, cluster+"-node-"))
	if err != nil || !strings.HasPrefix(node, cluster+"-node-") {
		return 0
	}
	return n
}

// ContainerName is the Docker container of a node.
func ContainerName(node string) string { return "mini-" + node }

// VolumeName is the Docker volume holding a node's /var/lib/mini.
func VolumeName(node string) string { return "mini-" + node + "-var" }

// ReadStateDir reads the state of the cluster whose directory is dir.
func ReadStateDir(dir string) (*State, error) {
	p := &Provider{Home: filepath.Dir(filepath.Dir(dir))}
	return p.readState(filepath.Base(dir))
}
