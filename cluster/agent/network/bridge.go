package network

import (
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/vishvananda/netlink"
)

const defaultMTU = 1500

// enableForwarding sets net.ipv4.ip_forward=1 in the node's netns.
func enableForwarding() error {
	const path = "/proc/sys/net/ipv4/ip_forward"
	if b, err := os.ReadFile(path); err == nil && len(b) > 0 && b[0] == '1' {
		return nil
	}
	if err := os.WriteFile(path, []byte("1"), 0o644); err != nil {
		return fmt.Errorf("enable IPv4 forwarding: %w", err)
	}
	return nil
}

// nodeMTU is the MTU of the node's eth0 (its link on the Docker network),
// else of the default route's link, else 1500.
func nodeMTU() int {
	if l, err := netlink.LinkByName("eth0"); err == nil && l.Attrs().MTU > 0 {
		return l.Attrs().MTU
	}
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err == nil {
		for _, r := range routes {
			if r.Dst != nil && r.Dst.String() != "0.0.0.0/0" {
				continue
			}
			if l, err := netlink.LinkByIndex(r.LinkIndex); err == nil && l.Attrs().MTU > 0 {
				return l.Attrs().MTU
			}
		}
	}
	return defaultMTU
}

// ensureBridge makes mini0 exist, be up, carry gw/mask with a MAC derived
// from the gateway (so it never changes as ports come and go), have the
// node's MTU, and hairpin mode on every port.
func ensureBridge(gw net.IP, mask net.IPMask, mtu int) error {
	mac := podMAC(gw)
	l, err := netlink.LinkByName(BridgeName)
	var notFound netlink.LinkNotFoundError
	switch {
	case errors.As(err, &notFound):
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: BridgeName, MTU: mtu, HardwareAddr: mac}}
		if err := netlink.LinkAdd(br); err != nil {
			return fmt.Errorf("create bridge %s: %w", BridgeName, err)
		}
		if l, err = netlink.LinkByName(BridgeName); err != nil {
			return fmt.Errorf("find bridge %s after creating it: %w", BridgeName, err)
		}
	case err != nil:
		return fmt.Errorf("find bridge %s: %w", BridgeName, err)
	case l.Type() != "bridge":
		return fmt.Errorf("link %s exists but is a %s, not a bridge: delete it", BridgeName, l.Type())
	}
	if l.Attrs().MTU != mtu {
		if err := netlink.LinkSetMTU(l, mtu); err != nil {
			return fmt.Errorf("set MTU %d on bridge %s: %w", mtu, BridgeName, err)
		}
	}
	if l.Attrs().HardwareAddr.String() != mac.String() {
		if err := netlink.LinkSetHardwareAddr(l, mac); err != nil {
			return fmt.Errorf("set MAC %s on bridge %s: %w", mac, BridgeName, err)
		}
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: gw, Mask: mask}}
	if err := netlink.AddrReplace(l, addr); err != nil {
		return fmt.Errorf("set address %s on bridge %s: %w", addr.IPNet, BridgeName, err)
	}
	if err := netlink.LinkSetUp(l); err != nil {
		return fmt.Errorf("bring bridge %s up: %w", BridgeName, err)
	}
	ports, err := bridgePorts(l.Attrs().Index)
	if err != nil {
		return err
	}
	for _, p := range ports {
		if err := netlink.LinkSetHairpin(p, true); err != nil {
			return fmt.Errorf("set hairpin on %s: %w", p.Attrs().Name, err)
		}
	}
	return nil
}

// bridgePorts lists the links enslaved to the bridge with index brIndex.
func bridgePorts(brIndex int) ([]netlink.Link, error) {
	var links []netlink.Link
	var err error
	for range 3 { // a dump interrupted by a concurrent change is retried
		if links, err = netlink.LinkList(); !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("list links of bridge %s: %w", BridgeName, err)
	}
	var ports []netlink.Link
	for _, l := range links {
		if l.Attrs().MasterIndex == brIndex {
			ports = append(ports, l)
		}
	}
	return ports, nil
}

// bridgeIndex is mini0's link index.
func bridgeIndex() (int, error) {
	l, err := netlink.LinkByName(BridgeName)
	if err != nil {
		return 0, fmt.Errorf("find bridge %s: %w", BridgeName, err)
	}
	return l.Attrs().Index, nil
}
