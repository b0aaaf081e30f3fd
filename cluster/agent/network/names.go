package network

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"strings"
)

// podIfName is the pod side of the veth pair, inside the pod's netns.
const podIfName = "eth0"

// vethName is the host side of a pod's veth pair: "veth" and the first 8
// hex digits of the SHA-256 of the pod ID (12 bytes, under IFNAMSIZ).
func vethName(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "veth" + hex.EncodeToString(sum[:4])
}

// podMAC is the pod's eth0 address, derived from its IP as OVN-Kubernetes
// does (0a:58 then the four IP bytes): locally administered, unicast,
// stable for a pod, and the same for whoever gets the IP next, so other
// pods' ARP caches never go stale when an IP is reused.
func podMAC(ip net.IP) net.HardwareAddr {
	v4 := ip.To4()
	return net.HardwareAddr{0x0a, 0x58, v4[0], v4[1], v4[2], v4[3]}
}

// checkID refuses IDs that cannot name a file in RunDir.
func checkID(id string) error {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/\x00") || len(id) > 255 {
		return fmt.Errorf("pod ID %q: must be a non-empty file name (a pod UID)", id)
	}
	return nil
}
