package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/minidev/mini/cluster/docker"
	"github.com/minidev/mini/cluster/kubeconfig"
	"github.com/minidev/mini/cluster/pki"
	"github.com/minidev/mini/nodeimage"
)

// UpOptions configure a new cluster.
type UpOptions struct {
	Name  string
	Nodes int
	// Wait bounds the wait for every node to be Ready.
	Wait time.Duration
	// MergeKubeconfig adds the cluster to the default kubeconfig as mini-<name>.
	MergeKubeconfig bool
	// NodeMonitorGrace overrides the 40 s a node may miss heartbeats.
	NodeMonitorGrace time.Duration
	// DefaultTolerationSeconds overrides the 300 s pods tolerate a NotReady
	// or unreachable node before they are evicted.
	DefaultTolerationSeconds int64
	// SimulatedNodes adds nodes the control plane simulates (no containers).
	SimulatedNodes int
	// Publish maps 127.0.0.1 ports of the host to NodePorts on the first
	// node, as kind's extraPortMappings: "8080:30080" or "5353:30053/udp".
	Publish []string
}

// ParsePublish reads --publish values: HOSTPORT:NODEPORT[/tcp|/udp].
func ParsePublish(values []string) ([]docker.PortMapping, error) {
	var out []docker.PortMapping
	for _, v := range values {
		spec, proto, _ := strings.Cut(v, "/")
		if proto == "" {
			proto = "tcp"
		}
		h, n, ok := strings.Cut(spec, ":")
		host, err1 := strconv.Atoi(h)
		node, err2 := strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil || (proto != "tcp" && proto != "udp") || host < 1 || host > 65535 || node < 1 || node > 65535 {
			return nil, fmt.Errorf("--publish %q: want HOSTPORT:NODEPORT or HOSTPORT:NODEPORT/udp, for example 8080:30080", v)
		}
		out = append(out, docker.PortMapping{HostPort: host, NodePort: node, Protocol: proto})
	}
	return out, nil
}

// ErrAlreadyUp is returned (wrapped) by Up for a cluster that is running.
var ErrAlreadyUp = errors.New("already up")

// Up creates and starts a cluster. On failure it removes everything it
// created and leaves what existed before untouched.
func (p *Provider) Up(ctx context.Context, o UpOptions) (err error) {
	if err := ValidateName(o.Name); err != nil {
		return err
	}
	publish, err := ParsePublish(o.Publish)
	if err != nil {
		return err
	}
	if err := ValidateNodes(o.Nodes); err != nil {
		return err
	}
	if err := ValidateSimulatedNodes(o.SimulatedNodes); err != nil {
		return err
	}
	if err := nodeimage.Check(p.Binary); err != nil {
		return err
	}
	unlock, err := p.lock(o.Name)
	if err != nil {
		return err
	}
	defer unlock()
	if st, err := p.readState(o.Name); err == nil {
		if p.controlPlanePID(o.Name) != 0 {
			return fmt.Errorf("cluster %q is %w (%d nodes): use it, or `mini down --name %s` first", o.Name, ErrAlreadyUp, len(st.Nodes), o.Name)
		}
		return fmt.Errorf("cluster %q exists but is stopped: run `mini start --name %s`", o.Name, o.Name)
	}
	if nodes, err := p.Docker.ListNodes(ctx, p.labels(o.Name)); err == nil && len(nodes) > 0 {
		return fmt.Errorf("containers labelled %s=%s exist but mini has no state for them: remove them with `mini down --name %s`", docker.LabelCluster, o.Name, o.Name)
	}

	st := &State{Name: o.Name, Network: NetworkName(o.Name), Created: time.Now().UTC(), SimulatedNodes: o.SimulatedNodes}
	if o.NodeMonitorGrace > 0 {
		st.NodeGrace = o.NodeMonitorGrace.String()
	}
	st.DefaultTolerationSeconds = o.DefaultTolerationSeconds
	st.Publish = publish
	for i := 1; i <= o.Nodes; i++ {
		st.Nodes = append(st.Nodes, NodeName(o.Name, i))
	}
	if o.SimulatedNodes > 0 {
		fmt.Fprintf(p.Out, "Creating cluster %q with %d node(s) and %d simulated node(s) ...\n", o.Name, o.Nodes, o.SimulatedNodes)
	} else {
		fmt.Fprintf(p.Out, "Creating cluster %q with %d node(s) ...\n", o.Name, o.Nodes)
	}
	created := &undo{}
	defer func() {
		if err != nil {
			fmt.Fprintf(p.Out, "Removing what this run created ...\n")
			created.run(context.WithoutCancel(ctx), p)
		}
	}()
	begin := time.Now()
	var caPEM []byte
	var nodeTokens map[string]string
	var gateway string
	steps := []struct {
		name string
		fn   func(ctx context.Context) (string, error)
	}{
		{"Node image", func(ctx context.Context) (string, error) {
			ref, built, err := p.ensureImage(ctx)
			st.Image = ref
			if built {
				return ref + " built", err
			}
			return ref + " present", err
		}},
		{"Credentials", func(ctx context.Context) (string, error) {
			if err := os.MkdirAll(p.dir(o.Name), 0o700); err != nil {
				return "", err
			}
			created.dir = p.dir(o.Name)
			port, err := freePort()
			if err != nil {
				return "", err
			}
			st.Port = port
			if st.DNSPort, err = freeDNSPort(port); err != nil {
				return "", err
			}
			caPEM, nodeTokens, err = p.writeCredentials(st)
			if err != nil {
				return "", err
			}
			return "", p.writeState(st)
		}},
		{"Network", func(ctx context.Context) (string, error) {
			nw, made, err := p.Docker.EnsureNetwork(ctx, st.Network, p.labels(o.Name))
			if made {
				created.network = st.Network
			}
			gateway = nw.Gateway
			return fmt.Sprintf("%s %s", st.Network, nw.Subnet), err
		}},
		{"Control plane", func(ctx context.Context) (string, error) {
			pid, err := p.startControlPlane(o.Name, gateway)
			if err != nil {
				return "", err
			}
			created.controlPlane = o.Name
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			return fmt.Sprintf("pid %d, https://127.0.0.1:%d", pid, st.Port), p.waitAPI(wctx, o.Name, st.Port, caPEM)
		}},
		{"Nodes", func(ctx context.Context) (string, error) {
			known := p.rememberedRefusal(ctx)
			fellBack, err := p.runNodes(ctx, st, st.Nodes, caPEM, nodeTokens, created)
			if fellBack && !known {
				p.rememberRefusal(ctx)
			}
			if fellBack && p.Verbose {
				how := "refused --privileged (\"unable to apply caps\")"
				if known {
					how = "is known to refuse --privileged (remembered in " + p.enginesPath() + "; delete it to try again)"
				}
				fmt.Fprintf(p.Out, "   the engine %s: nodes run with all grantable capabilities, seccomp/apparmor unconfined and a read-write /sys/fs/cgroup\n", how)
			}
			detail := fmt.Sprintf("%d started", len(st.Nodes))
			if fellBack {
				detail += " (unprivileged fallback)"
			}
			return detail, err
		}},
		{"Waiting for nodes Ready", func(ctx context.Context) (string, error) {
			wctx, cancel := context.WithTimeout(ctx, o.Wait)
			defer cancel()
			return "", p.waitReady(wctx, st, caPEM)
		}},
		{"Kubeconfig", func(ctx context.Context) (string, error) {
			path, err := p.writeKubeconfig(st, o.MergeKubeconfig)
			if o.MergeKubeconfig && err == nil {
				created.kubeconfig = o.Name
			}
			return path, err
		}},
	}
	for _, s := range steps {
		if err := p.step(ctx, s.name, s.fn); err != nil {
			return fmt.Errorf("up %s: %s: %w", o.Name, s.name, err)
		}
	}
	fmt.Fprintf(p.Out, "Cluster %q is ready in %s.\n\nNext:\n", o.Name, time.Since(begin).Round(10*time.Millisecond))
	if o.MergeKubeconfig {
		fmt.Fprintf(p.Out, "  kubectl --context %s get nodes\n", kubeconfig.ContextName(o.Name))
	}
	fmt.Fprintf(p.Out, "  KUBECONFIG=%s kubectl get nodes\n  mini status --name %s\n  mini down --name %s\n",
		filepath.Join(p.dir(o.Name), kubeconfigFile), o.Name, o.Name)
	return nil
}

// ensureImage loads the node image for this binary unless present.
func (p *Provider) ensureImage(ctx context.Context) (ref string, built bool, err error) {
	ref, err = nodeimage.Ref(p.Binary)
	if err != nil {
		return "", false, err
	}
	ok, err := p.Docker.ImageExists(ctx, ref)
	if err != nil || ok {
		return ref, false, err
	}
	rc := nodeimage.Open(p.Binary, ref)
	defer rc.Close()
	return ref, true, p.Docker.LoadImage(ctx, rc)
}

// writeCredentials makes the CA and the tokens of the admin and each node.
func (p *Provider) writeCredentials(st *State) (caPEM []byte, nodeTokens map[string]string, err error) {
	dir := p.dir(st.Name)
	ca, err := pki.NewCA(st.Name)
	if err != nil {
		return nil, nil, err
	}
	if err := ca.Write(dir); err != nil {
		return nil, nil, err
	}
	tokens := map[string]pki.Identity{}
	admin, err := pki.NewToken()
	if err != nil {
		return nil, nil, err
	}
	tokens[admin] = pki.Identity{User: "mini-admin", Groups: []string{"system:masters"}}
	nodeTokens = map[string]string{}
	for _, n := range st.Nodes {
		t, err := pki.NewToken()
		if err != nil {
			return nil, nil, err
		}
		tokens[t] = pki.Identity{User: "system:node:" + n, Groups: []string{"system:nodes"}}
		nodeTokens[n] = t
	}
	return ca.CertPEM, nodeTokens, pki.WriteTokens(filepath.Join(dir, pki.TokensFile), tokens)
}

// runNodes starts the node containers in parallel.
func (p *Provider) runNodes(ctx context.Context, st *State, nodes []string, caPEM []byte, tokens map[string]string, created *undo) (fellBack bool, err error) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, len(nodes))
	for i, node := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fb, err := p.runNode(ctx, st, nodeIndex(st.Name, node), node, caPEM, tokens[node], created, &mu)
			mu.Lock()
			fellBack = fellBack || fb
			mu.Unlock()
			errs[i] = err
		}()
	}
	wg.Wait()
	return fellBack, errors.Join(errs...)
}

func (p *Provider) runNode(ctx context.Context, st *State, index int, node string, caPEM []byte, token string, created *undo, mu *sync.Mutex) (bool, error) {
	labels := p.labels(st.Name)
	labels[docker.LabelRole] = docker.RoleNode
	labels[docker.LabelNode] = node
	vol := VolumeName(node)
	made, err := p.Docker.EnsureVolume(ctx, vol, labels)
	if made {
		mu.Lock()
		created.volumes = append(created.volumes, vol)
		mu.Unlock()
	}
	if err != nil {
		return false, err
	}
	fb, err := p.Docker.RunNode(ctx, docker.NodeSpec{
		Name: ContainerName(node), Hostname: node, Image: st.Image, Network: st.Network,
		Labels: labels, Cmd: []string{"agent"}, Volume: vol, Publish: publishedOn(st, index),
		Env: map[string]string{
			"MINI_NODE_NAME":  node,
			"MINI_API_PORT":   strconv.Itoa(st.Port),
			"MINI_CA":         string(caPEM),
			"MINI_NODE_TOKEN": token,
			"MINI_POD_CIDR":   fmt.Sprintf("10.244.%d.0/24", index),
		},
	})
	if err == nil {
		mu.Lock()
		created.containers = append(created.containers, ContainerName(node))
		mu.Unlock()
	}
	return fb, err
}

// publishedOn is what the node numbered index publishes: the first node
// carries the cluster's --publish ports.
func publishedOn(st *State, index int) []docker.PortMapping {
	if index == 1 {
		return st.Publish
	}
	return nil
}

// freePort picks a free TCP port on 127.0.0.1 (never a fixed one: two
// clusters must not collide, k3d#208).
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// freeDNSPort picks a port free over both UDP and TCP on 127.0.0.1, other
// than the API's.
func freeDNSPort(apiPort int) (int, error) {
	var err error
	for range 10 {
		var pc net.PacketConn
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			continue
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		var ln net.Listener
		ln, err = net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		pc.Close()
		if err == nil {
			ln.Close()
			if port != apiPort {
				return port, nil
			}
		}
	}
	return 0, fmt.Errorf("find a free port for the cluster DNS: %w", err)
}

// undo records what an Up created, to remove exactly that on failure.
type undo struct {
	dir          string
	network      string
	controlPlane string
	containers   []string
	volumes      []string
	kubeconfig   string
}

func (u *undo) run(ctx context.Context, p *Provider) {
	for _, c := range u.containers {
		_ = p.Docker.RemoveContainer(ctx, c)
	}
	for _, v := range u.volumes {
		_ = p.Docker.RemoveVolume(ctx, v)
	}
	if u.controlPlane != "" {
		_ = p.stopControlPlane(u.controlPlane)
	}
	if u.network != "" {
		_ = p.Docker.RemoveNetwork(ctx, u.network)
	}
	if u.kubeconfig != "" {
		_ = kubeconfig.Remove(kubeconfig.DefaultPath(), u.kubeconfig)
	}
	if u.dir != "" {
		_ = os.RemoveAll(u.dir)
	}
}
