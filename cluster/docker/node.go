package docker

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/go-connections/nat"
)

// NodeStateDir is where a node keeps its state; NodeSpec.Volume is mounted
// there (overlayfs works on a volume, not on the container's own overlay).
const NodeStateDir = "/var/lib/mini"

// NodeSpec describes a node container.
type NodeSpec struct {
	Name     string            // container name
	Hostname string            // the node name
	Image    string            // node image reference; its ENTRYPOINT is /mini
	Network  string            // cluster network to attach to
	Labels   map[string]string // LabelCluster, LabelRole, LabelNode, ...
	Env      map[string]string
	Cmd      []string // arguments to the ENTRYPOINT, e.g. ["agent"]
	Volume   string   // named volume mounted at NodeStateDir; "" for none
	// Publish maps ports of 127.0.0.1 on the host to the node (docker run
	// -p 127.0.0.1:HOST:NODE/PROTO), for NodePorts reached from the host.
	Publish []PortMapping
}

// PortMapping is one published port.
type PortMapping struct {
	HostPort, NodePort int
	Protocol           string // "tcp" or "udp"
}

// RunNode creates and starts a node container: restart policy
// unless-stopped, tmpfs on /run and /tmp, the volume at /var/lib/mini,
// attached to spec.Network with the hostname as a DNS alias, no init
// process (mini is PID 1). It adds LabelNetwork to the labels.
//
// It asks for --privileged first. If the engine refuses it when the
// container starts (see IsPrivilegedRefused), RunNode removes that
// container and recreates it with the fallback (every capability but the
// ones the host lacks, seccomp/AppArmor/system paths unconfined, a
// read-write /sys/fs/cgroup), and returns fellBack=true. Once refused, later
// calls on the same Client go straight to the fallback.
//
// On any error RunNode removes the container it created, and only that one:
// a container that already had the name is left alone. (If ctx ends while
// the engine is still creating the container, the engine may finish without
// RunNode learning its ID; roll back by label, as `mini up` does.)
func (c *Client) RunNode(ctx context.Context, spec NodeSpec) (fellBack bool, err error) {
	if spec.Name == "" || spec.Image == "" {
		return false, fmt.Errorf("run node %q: a container name and an image are required", spec.Name)
	}
	if !c.unprivileged.Load() {
		err := c.createAndStart(ctx, spec, true)
		if err == nil || !IsPrivilegedRefused(err) {
			return false, err
		}
		c.unprivileged.Store(true)
	}
	return true, c.createAndStart(ctx, spec, false)
}

// createAndStart creates and starts spec's container, removing it again if
// it cannot start.
func (c *Client) createAndStart(ctx context.Context, spec NodeSpec, privileged bool) error {
	cfg, hostCfg, netCfg := nodeConfig(spec, privileged)
	resp, err := c.api.ContainerCreate(ctx, cfg, hostCfg, netCfg, nil, spec.Name)
	if err != nil {
		return fmt.Errorf("create node container %s: %w", spec.Name, err)
	}
	if err := c.api.ContainerStart(ctx, resp.ID, container.StartOptions{}); err != nil {
		// Clean up even if ctx was cancelled (Ctrl-C during `mini up`).
		rmErr := c.api.ContainerRemove(context.WithoutCancel(ctx), resp.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
		if rmErr != nil && !IsNotFound(rmErr) {
			return fmt.Errorf("start node container %s: %w (and removing it failed: %v)", spec.Name, err, rmErr)
		}
		return fmt.Errorf("start node container %s: %w", spec.Name, err)
	}
	return nil
}

// nodeConfig builds the engine's create request for spec.
func nodeConfig(spec NodeSpec, privileged bool) (*container.Config, *container.HostConfig, *network.NetworkingConfig) {
	labels := maps.Clone(spec.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	if spec.Network != "" {
		labels[LabelNetwork] = spec.Network
	}
	env := make([]string, 0, len(spec.Env))
	for _, k := range slices.Sorted(maps.Keys(spec.Env)) {
		env = append(env, k+"="+spec.Env[k])
	}
	exposed, bindings := nat.PortSet{}, nat.PortMap{}
	for _, m := range spec.Publish {
		port := nat.Port(fmt.Sprintf("%d/%s", m.NodePort, m.Protocol))
		exposed[port] = struct{}{}
		bindings[port] = append(bindings[port], nat.PortBinding{HostIP: "127.0.0.1", HostPort: strconv.Itoa(m.HostPort)})
	}
	cfg := &container.Config{
		ExposedPorts: exposed,
		Hostname:     spec.Hostname,
		Image:        spec.Image,
		Env:          env,
		Cmd:          spec.Cmd,
		Labels:       labels,
		// Docker's default stop signal; the agent shuts pods down on it.
		StopSignal: "SIGTERM",
	}

	noInit := false
	hostCfg := &container.HostConfig{
		NetworkMode:   container.NetworkMode(spec.Network),
		RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyUnlessStopped},
		Init:          &noInit,
		PortBindings:  bindings,
		// exec: the agent may run helpers from them; Docker's default is noexec.
		Tmpfs: map[string]string{
			"/run": "rw,nosuid,nodev,exec,mode=755",
			"/tmp": "rw,nosuid,nodev,exec,mode=1777",
		},
	}
	if spec.Volume != "" {
		hostCfg.Mounts = append(hostCfg.Mounts, mount.Mount{Type: mount.TypeVolume, Source: spec.Volume, Target: NodeStateDir})
	}
	if privileged {
		hostCfg.Privileged = true
		hostCfg.SecurityOpt = []string{"seccomp=unconfined", "apparmor=unconfined"}
	} else {
		// The closest to --privileged an engine that refuses it grants:
		// all capabilities but CAP_SYS_RESOURCE (missing from the host's
		// bounding set where this was seen), no seccomp or AppArmor
		// profile, nothing of /proc masked or read-only, and the cgroup
		// tree writable (Docker mounts it read-only otherwise).
		hostCfg.CapAdd = []string{"ALL"}
		hostCfg.CapDrop = []string{"SYS_RESOURCE"}
		hostCfg.SecurityOpt = []string{"seccomp=unconfined", "apparmor=unconfined"}
		// What the CLI's --security-opt systempaths=unconfined means: the
		// engine itself does not know that option. Empty, not nil: nil
		// asks for the defaults.
		hostCfg.MaskedPaths = []string{}
		hostCfg.ReadonlyPaths = []string{}
		hostCfg.Mounts = append(hostCfg.Mounts, mount.Mount{Type: mount.TypeBind, Source: "/sys/fs/cgroup", Target: "/sys/fs/cgroup"})
	}

	netCfg := &network.NetworkingConfig{}
	if spec.Network != "" {
		ep := &network.EndpointSettings{}
		if spec.Hostname != "" {
			ep.Aliases = []string{spec.Hostname}
		}
		netCfg.EndpointsConfig = map[string]*network.EndpointSettings{spec.Network: ep}
	}
	return cfg, hostCfg, netCfg
}

func isIPv4Prefix(s string) bool {
	p, err := netip.ParsePrefix(s)
	return err == nil && p.Addr().Is4()
}
