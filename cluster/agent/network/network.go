package network

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
)

// Defaults for Config fields left empty.
const (
	DefaultClusterCIDR = "10.244.0.0/16"
	DefaultStateDir    = "/var/lib/mini/network"
	DefaultRunDir      = "/run/mini/netns"
)

// BridgeName is the node bridge every pod's veth is attached to.
const BridgeName = "mini0"

// Config says where the node's pod network lives.
type Config struct {
	// PodCIDR is this node's pod range, e.g. 10.244.1.0/24; the gateway is
	// its first address, on the bridge mini0.
	PodCIDR string
	// ClusterCIDR holds every pod of the cluster (DefaultClusterCIDR if
	// empty); traffic from PodCIDR to outside it is masqueraded.
	ClusterCIDR string
	// StateDir keeps IP allocations across node restarts (DefaultStateDir).
	StateDir string
	// RunDir holds the bind mounts of pod netns (DefaultRunDir).
	RunDir string
	// Log receives progress and clean-up messages (discarded if nil).
	Log *slog.Logger
}

// Network is a node's pod network, made by Setup.
type Network struct {
	cfg     Config
	podNet  *net.IPNet
	cluster *net.IPNet
	gw      net.IP
	mtu     int
	ipam    *ipam
	log     *slog.Logger

	mu sync.Mutex // serialises Add, Remove and Cleanup
}

// Setup prepares the node for pods and returns its Network. It is
// idempotent: the bridge mini0 is created (or checked) and up with the
// gateway address, hairpin mode is set on its ports, IPv4 forwarding is on,
// and the nftables table "mini" holds the masquerade and forward rules.
func Setup(ctx context.Context, cfg Config) (*Network, error) {
	n, err := newNetwork(cfg)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("set up pod network: %w", err)
	}
	for _, d := range []string{n.ipam.dir, n.cfg.RunDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("set up pod network: %w", err)
		}
	}
	if err := enableForwarding(); err != nil {
		return nil, err
	}
	n.mtu = nodeMTU()
	if err := ensureBridge(n.gw, n.podNet.Mask, n.mtu); err != nil {
		return nil, err
	}
	if err := ensureNAT(n.podNet, n.cluster); err != nil {
		return nil, err
	}
	n.log.Info("pod network ready", "bridge", BridgeName, "gateway", n.gw, "podCIDR", n.podNet, "mtu", n.mtu)
	return n, nil
}

// newNetwork validates and defaults cfg; it touches nothing on the node.
func newNetwork(cfg Config) (*Network, error) {
	if cfg.ClusterCIDR == "" {
		cfg.ClusterCIDR = DefaultClusterCIDR
	}
	if cfg.StateDir == "" {
		cfg.StateDir = DefaultStateDir
	}
	if cfg.RunDir == "" {
		cfg.RunDir = DefaultRunDir
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	podNet, err := parseIPv4CIDR("pod CIDR", cfg.PodCIDR)
	if err != nil {
		return nil, err
	}
	cluster, err := parseIPv4CIDR("cluster CIDR", cfg.ClusterCIDR)
	if err != nil {
		return nil, err
	}
	ones, _ := podNet.Mask.Size()
	if ones > 30 {
		return nil, fmt.Errorf("pod CIDR %s: too small for a gateway and a pod (need /30 or larger)", podNet)
	}
	pOnes, _ := cluster.Mask.Size()
	if !cluster.Contains(podNet.IP) || pOnes > ones {
		return nil, fmt.Errorf("pod CIDR %s is not inside cluster CIDR %s", podNet, cluster)
	}
	alloc, err := newIPAM(filepath.Join(cfg.StateDir, "ips"), podNet)
	if err != nil {
		return nil, err
	}
	return &Network{
		cfg:     cfg,
		podNet:  podNet,
		cluster: cluster,
		gw:      nthIP(podNet, 1),
		mtu:     defaultMTU,
		ipam:    alloc,
		log:     cfg.Log,
	}, nil
}

// Gateway is the bridge's address, the pods' default gateway.
func (n *Network) Gateway() net.IP { return append(net.IP(nil), n.gw...) }

// PodCIDR is this node's pod range.
func (n *Network) PodCIDR() *net.IPNet {
	return &net.IPNet{IP: append(net.IP(nil), n.podNet.IP...), Mask: append(net.IPMask(nil), n.podNet.Mask...)}
}

func parseIPv4CIDR(what, s string) (*net.IPNet, error) {
	ip, ipn, err := net.ParseCIDR(s)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", what, s, err)
	}
	if ip.To4() == nil {
		return nil, fmt.Errorf("%s %q: only IPv4 is supported", what, s)
	}
	return &net.IPNet{IP: ipn.IP.To4(), Mask: ipn.Mask}, nil
}
