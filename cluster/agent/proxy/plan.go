package proxy

import (
	"net/netip"
	"strconv"
	"time"
)

// Proto is an IP protocol number the proxy handles (TCP or UDP).
type Proto uint8

// Protocols the proxy programs (SCTP is not supported).
const (
	TCP Proto = 6
	UDP Proto = 17
)

func (p Proto) String() string {
	switch p {
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	}
	return strconv.Itoa(int(p))
}

// Plan is every rule, map and chain the proxy programs on a node, as plain
// data: Build makes it from API objects, Write programs it.
type Plan struct {
	// ServiceIPs maps destination IP . protocol . port to a chain
	// (service-... for ClusterIPs, external-... for external IPs).
	ServiceIPs []MapElem
	// NodePorts maps protocol . port, on any local address of the node, to
	// an external-... chain.
	NodePorts []MapElem
	// NoEndpointIPs and NoEndpointNodePorts are the service ports without a
	// usable endpoint: new connections to them are rejected.
	NoEndpointIPs       []MapElem
	NoEndpointNodePorts []MapElem
	// ClusterIPs are every ClusterIP: traffic to a port none of their
	// services has is rejected.
	ClusterIPs []netip.Addr
	Services   []ServiceChain
	Externals  []ExternalChain
	Endpoints  []EndpointChain
}

// MapElem is one element of a verdict map: the key (IP zero for the
// node-port maps) and the chain it jumps to ("" for the no-endpoint maps,
// whose verdict is the reject chain).
type MapElem struct {
	IP    netip.Addr
	Proto Proto
	Port  uint16
	Chain string
}

// ServiceChain balances one service port over its endpoints.
type ServiceChain struct {
	Name string
	// ClusterIP, Proto and Port identify the traffic that, when it does not
	// come from MasqueradeNotFrom (the cluster CIDR: pods), is marked for
	// masquerade. No such rule when MasqueradeNotFrom is the zero Prefix.
	ClusterIP         netip.Addr
	Proto             Proto
	Port              uint16
	MasqueradeNotFrom netip.Prefix
	// Endpoints are the endpoint chains, picked by numgen random mod N.
	Endpoints []string
	// Affinity: a client found in an endpoint's affinity set goes to it.
	Affinity bool
}

// ExternalChain is the entry for traffic from outside the cluster
// (NodePort, external and load-balancer IPs): marked for masquerade, then
// balanced by the service chain.
type ExternalChain struct {
	Name    string
	Service string
}

// EndpointChain DNATs to one endpoint.
type EndpointChain struct {
	Name  string
	IP    netip.Addr
	Port  uint16
	Proto Proto
	// MasqueradeFrom: connections from these sources are masqueraded, so
	// replies come back through the node: the endpoint itself (hairpin), or
	// the node's whole pod CIDR when bridged traffic bypasses netfilter.
	MasqueradeFrom netip.Prefix
	// AffinitySet, if set, records each client (ip saddr) for
	// AffinityTimeout.
	AffinitySet     string
	AffinityTimeout time.Duration
}

// Options are the node facts Build needs.
type Options struct {
	// ClusterCIDR holds every pod: ClusterIP traffic from outside it is
	// masqueraded.
	ClusterCIDR netip.Prefix
	// PodCIDR is this node's pod range.
	PodCIDR netip.Prefix
	// BridgeNetfilter says bridged traffic between pods on mini0 passes
	// through netfilter (br_netfilter with bridge-nf-call-iptables=1). If
	// false, connections from this node's pods to an endpoint on this node
	// are all masqueraded, or the endpoint's replies, bridged straight to
	// the client, would skip the reverse DNAT.
	BridgeNetfilter bool
}
