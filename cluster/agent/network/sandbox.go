package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Sandbox is a pod's network: its netns (a bind-mounted file) with eth0
// holding IP, and a default route via Gateway.
type Sandbox struct {
	ID      string // the pod UID
	NetNS   string // path of the netns file, for setns
	IP      net.IP
	Gateway net.IP
	MAC     net.HardwareAddr // of eth0 in the pod
	Veth    string           // host side of the veth pair, on mini0
}

// NetNSPath is where the netns of pod id is (or would be) bind-mounted.
func (n *Network) NetNSPath(id string) string { return filepath.Join(n.cfg.RunDir, id) }

// Add creates the sandbox of pod id, or returns it if it exists already: a
// fresh netns with lo up, a veth pair (host side vethName(id) on mini0 with
// hairpin on, pod side eth0 with a MAC derived from the IP), the lowest
// free IP of the pod CIDR (or the one id holds already), a default route
// via the gateway, and the node's MTU. A half-made sandbox (say, from an
// agent that died in Add) is torn down and made again with the same IP.
func (n *Network) Add(ctx context.Context, id string) (Sandbox, error) {
	if err := checkID(id); err != nil {
		return Sandbox{}, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return Sandbox{}, fmt.Errorf("add sandbox for pod %s: %w", id, err)
	}
	ip, err := n.ipam.Allocate(id)
	if err != nil {
		return Sandbox{}, err
	}
	sb := Sandbox{ID: id, NetNS: n.NetNSPath(id), IP: ip, Gateway: n.Gateway(), MAC: podMAC(ip), Veth: vethName(id)}
	if n.complete(sb) {
		return sb, nil
	}
	// Tear down whatever is left of an earlier attempt, keeping the IP.
	if err := n.teardown(sb.ID); err != nil {
		return Sandbox{}, err
	}
	if err := n.create(sb); err != nil {
		if terr := n.teardown(sb.ID); terr != nil {
			n.log.Warn("Failed to clean up a half-made sandbox", "pod", id, "err", terr)
		}
		if rerr := n.ipam.Release(id); rerr != nil {
			n.log.Warn("Failed to release IP of a failed sandbox", "pod", id, "err", rerr)
		}
		return Sandbox{}, err
	}
	n.log.Debug("sandbox added", "pod", id, "ip", ip, "veth", sb.Veth, "netns", sb.NetNS)
	return sb, nil
}

// complete tells whether sb's netns is mounted, its eth0 holds sb.IP and
// the host side of its veth exists.
func (n *Network) complete(sb Sandbox) bool {
	if !isNetns(sb.NetNS) {
		return false
	}
	if _, err := netlink.LinkByName(sb.Veth); err != nil {
		return false
	}
	ns, err := netns.GetFromPath(sb.NetNS)
	if err != nil {
		return false
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return false
	}
	defer h.Close()
	eth0, err := h.LinkByName(podIfName)
	if err != nil {
		return false
	}
	addrs, err := h.AddrList(eth0, netlink.FAMILY_V4)
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if a.IP.Equal(sb.IP) {
			return true
		}
	}
	return false
}

// create makes the netns and the veth pair of sb and configures both ends.
func (n *Network) create(sb Sandbox) error {
	br, err := bridgeIndex()
	if err != nil {
		return fmt.Errorf("add sandbox for pod %s: %w", sb.ID, err)
	}
	if err := newNetns(sb.NetNS); err != nil {
		return fmt.Errorf("add sandbox for pod %s: %w", sb.ID, err)
	}
	ns, err := netns.GetFromPath(sb.NetNS)
	if err != nil {
		return fmt.Errorf("add sandbox for pod %s: open netns %s: %w", sb.ID, sb.NetNS, err)
	}
	defer ns.Close()
	veth := &netlink.Veth{
		LinkAttrs:        netlink.LinkAttrs{Name: sb.Veth, MTU: n.mtu, MasterIndex: br},
		PeerName:         podIfName,
		PeerHardwareAddr: sb.MAC,
		PeerNamespace:    netlink.NsFd(int(ns)),
	}
	if err := netlink.LinkAdd(veth); err != nil {
		return fmt.Errorf("add sandbox for pod %s: create veth %s: %w", sb.ID, sb.Veth, err)
	}
	host, err := netlink.LinkByName(sb.Veth)
	if err != nil {
		return fmt.Errorf("add sandbox for pod %s: find veth %s: %w", sb.ID, sb.Veth, err)
	}
	if err := netlink.LinkSetHairpin(host, true); err != nil {
		return fmt.Errorf("add sandbox for pod %s: hairpin on %s: %w", sb.ID, sb.Veth, err)
	}
	if err := netlink.LinkSetUp(host); err != nil {
		return fmt.Errorf("add sandbox for pod %s: bring %s up: %w", sb.ID, sb.Veth, err)
	}
	if err := n.configurePod(ns, sb); err != nil {
		return fmt.Errorf("add sandbox for pod %s: %w", sb.ID, err)
	}
	return nil
}

// configurePod sets up lo and eth0 inside the pod's netns through a
// netlink socket opened there: no thread has to switch namespaces.
func (n *Network) configurePod(ns netns.NsHandle, sb Sandbox) error {
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return fmt.Errorf("open netlink in netns %s: %w", sb.NetNS, err)
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("find lo in netns %s: %w", sb.NetNS, err)
	}
	if err := h.LinkSetUp(lo); err != nil {
		return fmt.Errorf("bring lo up in netns %s: %w", sb.NetNS, err)
	}
	eth0, err := h.LinkByName(podIfName)
	if err != nil {
		return fmt.Errorf("find %s in netns %s: %w", podIfName, sb.NetNS, err)
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: sb.IP, Mask: n.podNet.Mask}}
	if err := h.AddrAdd(eth0, addr); err != nil {
		return fmt.Errorf("set address %s on %s: %w", addr.IPNet, podIfName, err)
	}
	if err := h.LinkSetUp(eth0); err != nil {
		return fmt.Errorf("bring %s up: %w", podIfName, err)
	}
	def := &netlink.Route{LinkIndex: eth0.Attrs().Index, Gw: sb.Gateway}
	if err := h.RouteAdd(def); err != nil {
		return fmt.Errorf("add default route via %s: %w", sb.Gateway, err)
	}
	return nil
}

// teardown deletes the host veth and the netns of id, not its IP.
func (n *Network) teardown(id string) error {
	var errs []error
	if l, err := netlink.LinkByName(vethName(id)); err == nil {
		if err := netlink.LinkDel(l); err != nil {
			errs = append(errs, fmt.Errorf("delete veth %s of pod %s: %w", vethName(id), id, err))
		}
	} else if !isNotFound(err) {
		errs = append(errs, fmt.Errorf("find veth %s of pod %s: %w", vethName(id), id, err))
	}
	if err := removeNetns(n.NetNSPath(id)); err != nil {
		errs = append(errs, fmt.Errorf("pod %s: %w", id, err))
	}
	return errors.Join(errs...)
}

// Remove deletes the sandbox of pod id: its veth, its netns file (after
// unmounting it) and its IP. Removing a missing sandbox is no error.
func (n *Network) Remove(id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.remove(id)
}

func (n *Network) remove(id string) error {
	err := n.teardown(id)
	return errors.Join(err, n.ipam.Release(id))
}

// IDs returns the sorted pod IDs holding an IP on this node.
func (n *Network) IDs() ([]string, error) { return n.ipam.IDs() }

// Cleanup removes every sandbox and IP whose pod ID is not in keep: IP
// files, netns files in RunDir and veths on mini0 left by an earlier life
// of the agent or the node.
func (n *Network) Cleanup(keep map[string]bool) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	ids, err := n.ipam.IDs()
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(n.cfg.RunDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("clean up pod network: %w", err)
	}
	for _, e := range entries {
		ids = append(ids, e.Name())
	}
	var errs []error
	done := map[string]bool{}
	for _, id := range ids {
		if keep[id] || done[id] || checkID(id) != nil {
			continue
		}
		done[id] = true
		n.log.Info("removing stale pod sandbox", "pod", id)
		errs = append(errs, n.remove(id))
	}
	errs = append(errs, n.removeStrayVeths(keep))
	return errors.Join(errs...)
}

// removeStrayVeths deletes veths on mini0 that belong to no kept pod.
func (n *Network) removeStrayVeths(keep map[string]bool) error {
	br, err := bridgeIndex()
	if err != nil {
		return err
	}
	ports, err := bridgePorts(br)
	if err != nil {
		return err
	}
	kept := map[string]bool{}
	for id := range keep {
		kept[vethName(id)] = true
	}
	var errs []error
	for _, p := range ports {
		name := p.Attrs().Name
		if p.Type() != "veth" || len(name) != len(vethName("")) || name[:4] != "veth" || kept[name] {
			continue
		}
		n.log.Info("removing stray veth", "veth", name)
		if err := netlink.LinkDel(p); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("delete stray veth %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

func isNotFound(err error) bool {
	var nf netlink.LinkNotFoundError
	return errors.As(err, &nf)
}
