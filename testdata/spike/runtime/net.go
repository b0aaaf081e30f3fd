package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"

	"github.com/spf13/cobra"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

const netnsDir = "/run/spike/netns"
const bridgeName = "mini0"

func sandboxCmd() *cobra.Command {
	return &cobra.Command{Use: "sandbox NAME IP/PREFIX GATEWAY", Args: cobra.ExactArgs(3),
		RunE: func(_ *cobra.Command, a []string) error { return sandbox(a[0], a[1], a[2]) }}
}

func routeCmd() *cobra.Command {
	return &cobra.Command{Use: "route CIDR VIA", Args: cobra.ExactArgs(2), RunE: func(_ *cobra.Command, a []string) error {
		_, dst, err := net.ParseCIDR(a[0])
		if err != nil {
			return err
		}
		return netlink.RouteReplace(&netlink.Route{Dst: dst, Gw: net.ParseIP(a[1])})
	}}
}

// newNetns creates a network namespace kept alive by a bind mount at path,
// without a process: unshare on a locked thread, bind the thread's ns file,
// switch the thread back.
func newNetns(path string) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return err
	}
	defer orig.Close()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, nil, 0o444); err != nil {
		return err
	}
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("unshare net: %w", err)
	}
	defer netns.Set(orig)
	src := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
	if err := unix.Mount(src, path, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s: %w", src, err)
	}
	return nil
}

func ensureBridge(gw net.IP, mask net.IPMask) (netlink.Link, error) {
	if l, err := netlink.LinkByName(bridgeName); err == nil {
		return l, nil
	}
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: bridgeName}}
	if err := netlink.LinkAdd(br); err != nil {
		return nil, fmt.Errorf("add bridge: %w", err)
	}
	l, err := netlink.LinkByName(bridgeName)
	if err != nil {
		return nil, err
	}
	if err := netlink.AddrAdd(l, &netlink.Addr{IPNet: &net.IPNet{IP: gw, Mask: mask}}); err != nil {
		return nil, fmt.Errorf("bridge addr: %w", err)
	}
	if err := netlink.LinkSetUp(l); err != nil {
		return nil, err
	}
	// Forward between pods, nodes; per-netns sysctl, writable in the node.
	if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644); err != nil {
		return nil, fmt.Errorf("ip_forward: %w", err)
	}
	return l, nil
}

func sandbox(name, cidr, gateway string) error {
	ip, ipnet, err := net.ParseCIDR(cidr)
	if err != nil {
		return err
	}
	gw := net.ParseIP(gateway)
	br, err := ensureBridge(gw, ipnet.Mask)
	if err != nil {
		return err
	}
	path := filepath.Join(netnsDir, name)
	if err := newNetns(path); err != nil {
		return err
	}
	ns, err := netns.GetFromPath(path)
	if err != nil {
		return err
	}
	defer ns.Close()
	hostName, tmpPeer := "veth"+name, "p"+name
	if len(hostName) > 15 {
		hostName, tmpPeer = hostName[:15], tmpPeer[:15]
	}
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: hostName, MasterIndex: br.Attrs().Index, MTU: 1500}, PeerName: tmpPeer}
	if err := netlink.LinkAdd(veth); err != nil {
		return fmt.Errorf("add veth: %w", err)
	}
	peer, err := netlink.LinkByName(tmpPeer)
	if err != nil {
		return err
	}
	if err := netlink.LinkSetNsFd(peer, int(ns)); err != nil {
		return fmt.Errorf("move peer: %w", err)
	}
	hl, _ := netlink.LinkByName(hostName)
	if err := netlink.LinkSetUp(hl); err != nil {
		return err
	}
	// Configure inside the pod netns through a netlink socket opened there;
	// no thread switching needed.
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	p, err := h.LinkByName(tmpPeer)
	if err != nil {
		return err
	}
	if err := h.LinkSetName(p, "eth0"); err != nil {
		return err
	}
	if err := h.AddrAdd(p, &netlink.Addr{IPNet: &net.IPNet{IP: ip, Mask: ipnet.Mask}}); err != nil {
		return err
	}
	if err := h.LinkSetUp(p); err != nil {
		return err
	}
	lo, err := h.LinkByName("lo")
	if err != nil {
		return err
	}
	if err := h.LinkSetUp(lo); err != nil {
		return err
	}
	if err := h.RouteAdd(&netlink.Route{LinkIndex: p.Attrs().Index, Gw: gw}); err != nil {
		return fmt.Errorf("default route: %w", err)
	}
	fmt.Printf("sandbox %s: netns %s, eth0 %s, gw %s, host veth %s on %s\n", name, path, cidr, gateway, hostName, bridgeName)
	return nil
}
