package dns

import (
	"math"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// TTL is every answer's time to live, in seconds: short (CoreDNS uses 30)
// so that changes show at once.
const TTL = 5

func hdr(name string, t uint16) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: TTL}
}

// addrRR is an A or AAAA record for ip if its family is qtype's, else nil.
func addrRR(name string, ip netip.Addr, qtype uint16) dns.RR {
	switch {
	case qtype == dns.TypeA && ip.Is4():
		return &dns.A{Hdr: hdr(name, dns.TypeA), A: ip.AsSlice()}
	case qtype == dns.TypeAAAA && ip.Is6() && !ip.Is4In6():
		return &dns.AAAA{Hdr: hdr(name, dns.TypeAAAA), AAAA: ip.AsSlice()}
	}
	return nil
}

// addrOf is the A or AAAA record of ip.
func addrOf(name string, ip netip.Addr) dns.RR {
	if ip.Is4() {
		return addrRR(name, ip, dns.TypeA)
	}
	return addrRR(name, ip, dns.TypeAAAA)
}

// weigh gives SRV records equal weights summing to about 100, as CoreDNS.
func weigh(srvs []dns.RR) {
	if len(srvs) == 0 {
		return
	}
	w := uint16(math.Max(1, math.Floor(100/float64(len(srvs)))))
	for _, rr := range srvs {
		rr.(*dns.SRV).Weight = w
	}
}

// dashed is an address as a DNS label: 10.0.0.1 is 10-0-0-1.
func dashed(ip netip.Addr) string {
	if ip.Is4() {
		return strings.ReplaceAll(ip.String(), ".", "-")
	}
	return strings.ReplaceAll(ip.StringExpanded(), ":", "-")
}

// undashed parses a dashed IPv4 label.
func undashed(label string) (netip.Addr, bool) {
	ip, err := netip.ParseAddr(strings.ReplaceAll(label, "-", "."))
	return ip, err == nil && ip.Is4()
}

// reverseAddr parses an in-addr.arpa or ip6.arpa name (lower case, fully
// qualified).
func reverseAddr(name string) (netip.Addr, bool) {
	if rest, ok := strings.CutSuffix(name, ".in-addr.arpa."); ok {
		l := strings.Split(rest, ".")
		if len(l) != 4 {
			return netip.Addr{}, false
		}
		ip, err := netip.ParseAddr(l[3] + "." + l[2] + "." + l[1] + "." + l[0])
		return ip, err == nil
	}
	if rest, ok := strings.CutSuffix(name, ".ip6.arpa."); ok {
		l := strings.Split(rest, ".")
		if len(l) != 32 {
			return netip.Addr{}, false
		}
		var b strings.Builder
		for i := 31; i >= 0; i-- {
			if len(l[i]) != 1 {
				return netip.Addr{}, false
			}
			b.WriteString(l[i])
			if i%4 == 0 && i > 0 {
				b.WriteByte(':')
			}
		}
		ip, err := netip.ParseAddr(b.String())
		return ip, err == nil
	}
	return netip.Addr{}, false
}
