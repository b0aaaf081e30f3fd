package proxy

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/utils/ptr"
)

// DefaultAffinityTimeout is sessionAffinityConfig.clientIP.timeoutSeconds'
// default (3 hours), as in Kubernetes.
const DefaultAffinityTimeout = 10800 * time.Second

// Build computes the rules for services and their EndpointSlices (matched
// by the kubernetes.io/service-name label). Services without a ClusterIP
// (headless, ExternalName) and ports other than TCP and UDP are skipped.
// The result is sorted, so equal inputs give equal plans.
func Build(services []*corev1.Service, epSlices []*discoveryv1.EndpointSlice, opts Options) Plan {
	bySvc := map[string][]*discoveryv1.EndpointSlice{}
	for _, s := range epSlices {
		if name := s.Labels[discoveryv1.LabelServiceName]; name != "" && s.AddressType == discoveryv1.AddressTypeIPv4 {
			bySvc[s.Namespace+"/"+name] = append(bySvc[s.Namespace+"/"+name], s)
		}
	}
	svcs := slices.Clone(services)
	slices.SortFunc(svcs, func(a, b *corev1.Service) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	var p Plan
	for _, svc := range svcs {
		clusterIP, err := netip.ParseAddr(svc.Spec.ClusterIP)
		if err != nil || !clusterIP.Is4() || svc.Spec.Type == corev1.ServiceTypeExternalName {
			continue
		}
		p.ClusterIPs = append(p.ClusterIPs, clusterIP)
		for _, sp := range svc.Spec.Ports {
			p.addPort(svc, clusterIP, sp, bySvc[svc.Namespace+"/"+svc.Name], opts)
		}
	}
	return p
}

// addPort adds the maps and chains of one service port.
func (p *Plan) addPort(svc *corev1.Service, clusterIP netip.Addr, sp corev1.ServicePort, epSlices []*discoveryv1.EndpointSlice, opts Options) {
	proto, ok := protoOf(sp.Protocol)
	if !ok || sp.Port <= 0 || sp.Port > 65535 {
		return
	}
	key := portKey(svc, sp, proto)
	port := uint16(sp.Port)
	extIPs := externalIPs(svc)
	eps := endpointsFor(sp, epSlices, svc.Spec.PublishNotReadyAddresses)
	if len(eps) == 0 {
		p.NoEndpointIPs = append(p.NoEndpointIPs, MapElem{IP: clusterIP, Proto: proto, Port: port})
		for _, ip := range extIPs {
			p.NoEndpointIPs = append(p.NoEndpointIPs, MapElem{IP: ip, Proto: proto, Port: port})
		}
		if sp.NodePort > 0 {
			p.NoEndpointNodePorts = append(p.NoEndpointNodePorts, MapElem{Proto: proto, Port: uint16(sp.NodePort)})
		}
		return
	}
	svcChain := ServiceChain{Name: "service-" + key, ClusterIP: clusterIP, Proto: proto, Port: port}
	if opts.ClusterCIDR.IsValid() {
		svcChain.MasqueradeNotFrom = opts.ClusterCIDR.Masked()
	}
	affinity := svc.Spec.SessionAffinity == corev1.ServiceAffinityClientIP
	svcChain.Affinity = affinity
	for _, ep := range eps {
		ec := EndpointChain{Name: "endpoint-" + key + "__" + ep.String(), IP: ep.Addr(), Port: ep.Port(), Proto: proto,
			MasqueradeFrom: netip.PrefixFrom(ep.Addr(), 32)}
		if !opts.BridgeNetfilter && opts.PodCIDR.IsValid() && opts.PodCIDR.Contains(ep.Addr()) {
			ec.MasqueradeFrom = opts.PodCIDR.Masked()
		}
		if affinity {
			ec.AffinitySet = "affinity-" + key + "__" + ep.String()
			ec.AffinityTimeout = affinityTimeout(svc)
		}
		p.Endpoints = append(p.Endpoints, ec)
		svcChain.Endpoints = append(svcChain.Endpoints, ec.Name)
	}
	p.Services = append(p.Services, svcChain)
	p.ServiceIPs = append(p.ServiceIPs, MapElem{IP: clusterIP, Proto: proto, Port: port, Chain: svcChain.Name})
	if sp.NodePort <= 0 && len(extIPs) == 0 {
		return
	}
	ext := ExternalChain{Name: "external-" + key, Service: svcChain.Name}
	p.Externals = append(p.Externals, ext)
	if sp.NodePort > 0 {
		p.NodePorts = append(p.NodePorts, MapElem{Proto: proto, Port: uint16(sp.NodePort), Chain: ext.Name})
	}
	for _, ip := range extIPs {
		p.ServiceIPs = append(p.ServiceIPs, MapElem{IP: ip, Proto: proto, Port: port, Chain: ext.Name})
	}
}

// endpointsFor lists the distinct addresses:ports of the usable endpoints
// for sp: the slice port of the same name and protocol; endpoints ready
// (or with readiness unknown), or all when publishNotReadyAddresses;
// never terminating ones.
func endpointsFor(sp corev1.ServicePort, epSlices []*discoveryv1.EndpointSlice, publishNotReady bool) []netip.AddrPort {
	want := cmp.Or(sp.Protocol, corev1.ProtocolTCP)
	var out []netip.AddrPort
	for _, s := range epSlices {
		var port int32
		for _, p := range s.Ports {
			if ptr.Deref(p.Name, "") == sp.Name && ptr.Deref(p.Protocol, corev1.ProtocolTCP) == want && p.Port != nil {
				port = *p.Port
				break
			}
		}
		if port <= 0 || port > 65535 {
			continue
		}
		for _, ep := range s.Endpoints {
			if ptr.Deref(ep.Conditions.Terminating, false) || (!publishNotReady && !ptr.Deref(ep.Conditions.Ready, true)) {
				continue
			}
			for _, a := range ep.Addresses {
				if ip, err := netip.ParseAddr(a); err == nil && ip.Is4() {
					out = append(out, netip.AddrPortFrom(ip, uint16(port)))
				}
			}
		}
	}
	slices.SortFunc(out, netip.AddrPort.Compare)
	return slices.Compact(out)
}

// externalIPs are the service's external IPs and load-balancer ingress IPs.
func externalIPs(svc *corev1.Service) []netip.Addr {
	var out []netip.Addr
	for _, s := range svc.Spec.ExternalIPs {
		if ip, err := netip.ParseAddr(s); err == nil && ip.Is4() {
			out = append(out, ip)
		}
	}
	for _, in := range svc.Status.LoadBalancer.Ingress {
		if ip, err := netip.ParseAddr(in.IP); err == nil && ip.Is4() {
			out = append(out, ip)
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return slices.Compact(out)
}

func affinityTimeout(svc *corev1.Service) time.Duration {
	if c := svc.Spec.SessionAffinityConfig; c != nil && c.ClientIP != nil && c.ClientIP.TimeoutSeconds != nil && *c.ClientIP.TimeoutSeconds > 0 {
		return time.Duration(*c.ClientIP.TimeoutSeconds) * time.Second
	}
	return DefaultAffinityTimeout
}

func protoOf(p corev1.Protocol) (Proto, bool) {
	switch cmp.Or(p, corev1.ProtocolTCP) {
	case corev1.ProtocolTCP:
		return TCP, true
	case corev1.ProtocolUDP:
		return UDP, true
	}
	return 0, false
}

// portKey names a service port in chain names: ns/name/proto/port-name
// (the port number when the port has no name).
func portKey(svc *corev1.Service, sp corev1.ServicePort, proto Proto) string {
	name := sp.Name
	if name == "" {
		name = strconv.Itoa(int(sp.Port))
	}
	return svc.Namespace + "/" + svc.Name + "/" + proto.String() + "/" + name
}
