package dns

import (
	"net/netip"
	"strings"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// DefaultZone is the cluster domain.
const DefaultZone = "cluster.local."

// Resolver answers questions about the cluster domain from an Index.
type Resolver struct {
	Index *Index
	// Zone is the cluster domain, DefaultZone if empty (lower case, fully
	// qualified).
	Zone string
	// DNSIP is the cluster DNS Service's address, the A record of
	// ns.dns.<zone> (the zone's name server, as CoreDNS).
	DNSIP netip.Addr
}

func (r *Resolver) zone() string {
	if r.Zone == "" {
		return DefaultZone
	}
	return r.Zone
}

// Answer builds the reply to req when its question is about the zone or is
// a PTR question for an address the zone knows; ok false means req is not
// ours and must be forwarded.
func (r *Resolver) Answer(req *dns.Msg) (reply *dns.Msg, ok bool) {
	if len(req.Question) != 1 {
		return nil, false
	}
	q := req.Question[0]
	name := strings.ToLower(dns.Fqdn(q.Name))
	var res result
	switch {
	case dns.IsSubDomain(r.zone(), name):
		res = r.lookup(q.Name, name, q.Qtype)
	case q.Qtype == dns.TypePTR:
		ip, isRev := reverseAddr(name)
		if !isRev {
			return nil, false
		}
		res.answer = r.ptr(q.Name, ip)
		if len(res.answer) == 0 {
			return nil, false
		}
	default:
		return nil, false
	}
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative, m.RecursionAvailable, m.Compress = true, true, true
	m.Rcode = res.rcode
	m.Answer, m.Extra = res.answer, res.extra
	if len(m.Answer) == 0 {
		m.Ns = []dns.RR{r.soa()}
	}
	return m, true
}

// result is a lookup's outcome: NXDOMAIN, or success with answers (none
// is NODATA: the name exists, not the type).
type result struct {
	rcode         int
	answer, extra []dns.RR
}

var (
	nxdomain = result{rcode: dns.RcodeNameError}
	nodata   = result{}
)

func (r *Resolver) soa() dns.RR {
	z := r.zone()
	return &dns.SOA{Hdr: hdr(z, dns.TypeSOA), Ns: "ns.dns." + z, Mbox: "hostmaster." + z,
		Serial: 1, Refresh: 7200, Retry: 1800, Expire: 86400, Minttl: TTL}
}

// lookup answers for name (lower case) inside the zone; qname is the name
// as asked, used in the answers.
func (r *Resolver) lookup(qname, name string, qtype uint16) result {
	z := r.zone()
	if name == z {
		switch qtype {
		case dns.TypeSOA:
			return result{answer: []dns.RR{r.soa()}}
		case dns.TypeNS:
			ns := "ns.dns." + z
			res := result{answer: []dns.RR{&dns.NS{Hdr: hdr(qname, dns.TypeNS), Ns: ns}}}
			if r.DNSIP.IsValid() {
				res.extra = []dns.RR{addrOf(ns, r.DNSIP)}
			}
			return res
		}
		return nodata
	}
	l := dns.SplitDomainName(strings.TrimSuffix(name, "."+z))
	n := len(l)
	switch l[n-1] {
	case "svc":
		switch n {
		case 1:
			return nodata
		case 2:
			if r.Index.namespaceHasServices(l[0]) {
				return nodata
			}
		case 3:
			return r.service(qname, qtype, l[1], l[0])
		case 4:
			return r.endpoint(qname, qtype, l[2], l[1], l[0])
		case 5:
			if port, ok := strings.CutPrefix(l[0], "_"); ok {
				if proto, ok := strings.CutPrefix(l[1], "_"); ok {
					return r.srv(qname, qtype, l[3], l[2], port, proto)
				}
			}
		}
	case "pod":
		switch n {
		case 1, 2:
			return nodata
		case 3:
			if ip, ok := undashed(l[0]); ok {
				return addrs(qname, qtype, ip)
			}
		}
	case "dns":
		if n == 1 {
			return nodata
		}
		if n == 2 && l[0] == "ns" && r.DNSIP.IsValid() {
			return addrs(qname, qtype, r.DNSIP)
		}
	}
	return nxdomain
}

// addrs is the answer of a name whose addresses are ips.
func addrs(qname string, qtype uint16, ips ...netip.Addr) result {
	var res result
	for _, ip := range ips {
		if rr := addrRR(qname, ip, qtype); rr != nil {
			res.answer = append(res.answer, rr)
		}
	}
	return res
}

func headless(s *corev1.Service) bool { return s.Spec.ClusterIP == corev1.ClusterIPNone }

func clusterIPs(s *corev1.Service) []netip.Addr {
	var out []netip.Addr
	for _, a := range s.Spec.ClusterIPs {
		if ip, err := netip.ParseAddr(a); err == nil {
			out = append(out, ip)
		}
	}
	if len(out) == 0 {
		if ip, err := netip.ParseAddr(s.Spec.ClusterIP); err == nil {
			out = append(out, ip)
		}
	}
	return out
}

// service answers <svc>.<ns>.svc.<zone>.
func (r *Resolver) service(qname string, qtype uint16, ns, name string) result {
	s := r.Index.service(ns, name)
	if s == nil {
		return nxdomain
	}
	if s.Spec.Type == corev1.ServiceTypeExternalName {
		return result{answer: []dns.RR{&dns.CNAME{Hdr: hdr(qname, dns.TypeCNAME), Target: dns.Fqdn(s.Spec.ExternalName)}}}
	}
	switch qtype {
	case dns.TypeA, dns.TypeAAAA:
		if !headless(s) {
			return addrs(qname, qtype, clusterIPs(s)...)
		}
		var ips []netip.Addr
		for _, e := range r.Index.readyEndpoints(ns, name) {
			ips = append(ips, e.addr)
		}
		return addrs(qname, qtype, ips...)
	case dns.TypeSRV:
		res, _ := r.srvRecords(qname, s, "", "")
		return res
	}
	return nodata
}

// endpoint answers <host>.<svc>.<ns>.svc.<zone> for a headless Service.
func (r *Resolver) endpoint(qname string, qtype uint16, ns, svc, host string) result {
	s := r.Index.service(ns, svc)
	if s == nil || !headless(s) {
		return nxdomain
	}
	var ips []netip.Addr
	for _, e := range r.Index.readyEndpoints(ns, svc) {
		if strings.EqualFold(e.host(), host) {
			ips = append(ips, e.addr)
		}
	}
	if len(ips) == 0 {
		return nxdomain
	}
	return addrs(qname, qtype, ips...)
}

// srv answers _<port>._<proto>.<svc>.<ns>.svc.<zone>.
func (r *Resolver) srv(qname string, qtype uint16, ns, svc, port, proto string) result {
	s := r.Index.service(ns, svc)
	if s == nil || s.Spec.Type == corev1.ServiceTypeExternalName {
		return nxdomain
	}
	res, found := r.srvRecords(qname, s, port, proto)
	if !found {
		return nxdomain
	}
	if qtype != dns.TypeSRV {
		return nodata
	}
	return res
}

// srvRecords are the SRV records of s's named ports (those called port
// with protocol proto if given): one per port for a Service with a
// ClusterIP, one per ready endpoint and port for a headless one, each with
// its target's address as additional record. found reports a matching port.
func (r *Resolver) srvRecords(qname string, s *corev1.Service, port, proto string) (res result, found bool) {
	svcName := s.Name + "." + s.Namespace + ".svc." + r.zone()
	match := func(name *string, p corev1.Protocol) bool {
		if p == "" {
			p = corev1.ProtocolTCP
		}
		return name != nil && *name != "" && (port == "" || strings.EqualFold(*name, port)) && (proto == "" || strings.EqualFold(string(p), proto))
	}
	if !headless(s) {
		for _, p := range s.Spec.Ports {
			if !match(&p.Name, p.Protocol) {
				continue
			}
			found = true
			res.answer = append(res.answer, &dns.SRV{Hdr: hdr(qname, dns.TypeSRV), Port: uint16(p.Port), Target: svcName})
		}
		if len(res.answer) > 0 {
			for _, ip := range clusterIPs(s) {
				res.extra = append(res.extra, addrOf(svcName, ip))
			}
		}
		weigh(res.answer)
		return res, found
	}
	for _, e := range r.Index.readyEndpoints(s.Namespace, s.Name) {
		target := e.host() + "." + svcName
		added := false
		for _, p := range e.ports {
			proto := corev1.ProtocolTCP
			if p.Protocol != nil {
				proto = *p.Protocol
			}
			if p.Port == nil || !match(p.Name, proto) {
				continue
			}
			found, added = true, true
			res.answer = append(res.answer, &dns.SRV{Hdr: hdr(qname, dns.TypeSRV), Port: uint16(*p.Port), Target: target})
		}
		if added {
			res.extra = append(res.extra, addrOf(target, e.addr))
		}
	}
	// A headless Service's port exists even while no endpoint is ready.
	for _, p := range s.Spec.Ports {
		found = found || match(&p.Name, p.Protocol)
	}
	weigh(res.answer)
	return res, found
}

// ptr answers the reverse name of ip: the Services with that ClusterIP and
// the headless Services' ready endpoints with that address.
func (r *Resolver) ptr(qname string, ip netip.Addr) []dns.RR {
	var out []dns.RR
	seen := map[string]bool{}
	add := func(target string) {
		if !seen[target] {
			seen[target] = true
			out = append(out, &dns.PTR{Hdr: hdr(qname, dns.TypePTR), Ptr: target})
		}
	}
	for _, s := range r.Index.servicesByIP(ip.String()) {
		add(s.Name + "." + s.Namespace + ".svc." + r.zone())
	}
	for _, sl := range r.Index.slicesByIP(ip.String()) {
		svc := sl.Labels[discoveryv1.LabelServiceName]
		s := r.Index.service(sl.Namespace, svc)
		if s == nil || !headless(s) {
			continue
		}
		for _, e := range r.Index.readyEndpoints(sl.Namespace, svc) {
			if e.addr == ip {
				add(e.host() + "." + svc + "." + sl.Namespace + ".svc." + r.zone())
			}
		}
	}
	return out
}
