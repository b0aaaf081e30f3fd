package dns

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// rdata renders a record as "TYPE rdata" (no name, TTL or class).
func rdata(rr dns.RR) string {
	f := strings.SplitN(rr.String(), "\t", 5)
	return f[3] + " " + f[4]
}

func TestResolverAnswer(t *testing.T) {
	t.Parallel()
	r := &Resolver{Index: testIndex(t, clusterObjects()...), DNSIP: netip.MustParseAddr("10.96.0.10")}
	const (
		nx   = dns.RcodeNameError
		ok   = dns.RcodeSuccess
		none = -1 // not ours: forwarded
	)
	db := ".db.default.svc.cluster.local."
	tests := []struct {
		name   string
		qname  string
		qtype  uint16
		rcode  int
		answer []string // sorted
		extra  []string // sorted
	}{
		{"service", "web.default.svc.cluster.local.", dns.TypeA, ok, []string{"A 10.96.1.1"}, nil},
		{"case-insensitive", "WEB.Default.svc.Cluster.Local.", dns.TypeA, ok, []string{"A 10.96.1.1"}, nil},
		{"kubernetes", "kubernetes.default.svc.cluster.local.", dns.TypeA, ok, []string{"A 10.96.0.1"}, nil},
		{"kube-dns", "kube-dns.kube-system.svc.cluster.local.", dns.TypeA, ok, []string{"A 10.96.0.10"}, nil},
		{"AAAA of IPv4-only is NODATA", "web.default.svc.cluster.local.", dns.TypeAAAA, ok, nil, nil},
		{"dual-stack A", "dual.default.svc.cluster.local.", dns.TypeA, ok, []string{"A 10.96.1.2"}, nil},
		{"dual-stack AAAA", "dual.default.svc.cluster.local.", dns.TypeAAAA, ok, []string{"AAAA fd00::2"}, nil},
		{"other type is NODATA", "web.default.svc.cluster.local.", dns.TypeMX, ok, nil, nil},
		{"missing service", "missing.default.svc.cluster.local.", dns.TypeA, nx, nil, nil},
		{"missing namespace", "web.nope.svc.cluster.local.", dns.TypeA, nx, nil, nil},
		{"search path: ns search", "web.default.svc.cluster.local.default.svc.cluster.local.", dns.TypeA, nx, nil, nil},
		{"search path: svc search", "web.default.svc.cluster.local.svc.cluster.local.", dns.TypeA, nx, nil, nil},
		{"search path: zone search", "web.default.svc.cluster.local.cluster.local.", dns.TypeA, nx, nil, nil},
		{"search path: short name in ns search", "web.default.default.svc.cluster.local.", dns.TypeA, nx, nil, nil},
		{"search path: short name in svc search", "web.default.svc.svc.cluster.local.", dns.TypeA, nx, nil, nil},
		{"headless: ready endpoints only, once each", "db.default.svc.cluster.local.", dns.TypeA, ok, []string{"A 10.244.1.5", "A 10.244.1.8", "A 10.244.2.6"}, nil},
		{"headless AAAA", "db.default.svc.cluster.local.", dns.TypeAAAA, ok, nil, nil},
		{"headless without endpoints", "empty.default.svc.cluster.local.", dns.TypeA, ok, nil, nil},
		{"statefulset pod", "db-0" + db, dns.TypeA, ok, []string{"A 10.244.1.5"}, nil},
		{"statefulset pod 1", "db-1" + db, dns.TypeA, ok, []string{"A 10.244.2.6"}, nil},
		{"not-ready pod", "db-2" + db, dns.TypeA, nx, nil, nil},
		{"endpoint without hostname by dashed address", "10-244-1-8" + db, dns.TypeA, ok, []string{"A 10.244.1.8"}, nil},
		{"endpoint AAAA", "db-0" + db, dns.TypeAAAA, ok, nil, nil},
		{"endpoint name under a ClusterIP service", "10-244-1-20.web.default.svc.cluster.local.", dns.TypeA, nx, nil, nil},
		{"srv named port", "_http._tcp.web.default.svc.cluster.local.", dns.TypeSRV, ok,
			[]string{"SRV 0 100 80 web.default.svc.cluster.local."}, []string{"A 10.96.1.1"}},
		{"srv default protocol TCP", "_metrics._tcp.web.default.svc.cluster.local.", dns.TypeSRV, ok,
			[]string{"SRV 0 100 9090 web.default.svc.cluster.local."}, []string{"A 10.96.1.1"}},
		{"srv udp", "_dns._udp.kube-dns.kube-system.svc.cluster.local.", dns.TypeSRV, ok,
			[]string{"SRV 0 100 53 kube-dns.kube-system.svc.cluster.local."}, []string{"A 10.96.0.10"}},
		{"srv wrong protocol", "_http._udp.web.default.svc.cluster.local.", dns.TypeSRV, nx, nil, nil},
		{"srv unknown port", "_nope._tcp.web.default.svc.cluster.local.", dns.TypeSRV, nx, nil, nil},
		{"srv name, A question", "_http._tcp.web.default.svc.cluster.local.", dns.TypeA, ok, nil, nil},
		{"srv of all named ports", "web.default.svc.cluster.local.", dns.TypeSRV, ok,
			[]string{"SRV 0 50 80 web.default.svc.cluster.local.", "SRV 0 50 9090 web.default.svc.cluster.local."}, []string{"A 10.96.1.1"}},
		{"srv headless", "_pg._tcp.db.default.svc.cluster.local.", dns.TypeSRV, ok,
			[]string{"SRV 0 33 5432 10-244-1-8" + db, "SRV 0 33 5432 db-0" + db, "SRV 0 33 5432 db-1" + db},
			[]string{"A 10.244.1.5", "A 10.244.1.8", "A 10.244.2.6"}},
		{"srv headless without endpoints", "_pg._tcp.empty.default.svc.cluster.local.", dns.TypeSRV, ok, nil, nil},
		{"externalname A", "ext.default.svc.cluster.local.", dns.TypeA, ok, []string{"CNAME example.com."}, nil},
		{"externalname AAAA", "ext.default.svc.cluster.local.", dns.TypeAAAA, ok, []string{"CNAME example.com."}, nil},
		{"externalname CNAME", "ext.default.svc.cluster.local.", dns.TypeCNAME, ok, []string{"CNAME example.com."}, nil},
		{"namespace with services", "default.svc.cluster.local.", dns.TypeA, ok, nil, nil},
		{"namespace without services", "nope.svc.cluster.local.", dns.TypeA, nx, nil, nil},
		{"svc", "svc.cluster.local.", dns.TypeA, ok, nil, nil},
		{"apex A", "cluster.local.", dns.TypeA, ok, nil, nil},
		{"apex SOA", "cluster.local.", dns.TypeSOA, ok, []string{"SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5"}, nil},
		{"apex NS", "cluster.local.", dns.TypeNS, ok, []string{"NS ns.dns.cluster.local."}, []string{"A 10.96.0.10"}},
		{"name server", "ns.dns.cluster.local.", dns.TypeA, ok, []string{"A 10.96.0.10"}, nil},
		{"pod by address", "10-244-1-5.default.pod.cluster.local.", dns.TypeA, ok, []string{"A 10.244.1.5"}, nil},
		{"pod not an address", "web.default.pod.cluster.local.", dns.TypeA, nx, nil, nil},
		{"unknown under zone", "x.cluster.local.", dns.TypeA, nx, nil, nil},
		{"too deep", "a.b.c.d.e.svc.cluster.local.", dns.TypeA, nx, nil, nil},
		{"ptr of a ClusterIP", "1.1.96.10.in-addr.arpa.", dns.TypePTR, ok, []string{"PTR web.default.svc.cluster.local."}, nil},
		{"ptr of a headless endpoint", "5.1.244.10.in-addr.arpa.", dns.TypePTR, ok, []string{"PTR db-0" + db}, nil},
		{"ptr of an endpoint of a ClusterIP service", "20.1.244.10.in-addr.arpa.", dns.TypePTR, none, nil, nil},
		{"ptr elsewhere", "9.9.9.9.in-addr.arpa.", dns.TypePTR, none, nil, nil},
		{"ptr of an IPv6 ClusterIP", "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.", dns.TypePTR, ok, []string{"PTR dual.default.svc.cluster.local."}, nil},
		{"outside the zone", "example.com.", dns.TypeA, none, nil, nil},
		{"a zone look-alike", "xcluster.local.", dns.TypeA, none, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := new(dns.Msg).SetQuestion(tc.qname, tc.qtype)
			m, ours := r.Answer(req)
			if tc.rcode == none {
				if ours {
					t.Fatalf("answered %v, want it forwarded", m)
				}
				return
			}
			if !ours {
				t.Fatal("not answered, want an answer from the zone")
			}
			if m.Rcode != tc.rcode {
				t.Errorf("rcode %s, want %s", dns.RcodeToString[m.Rcode], dns.RcodeToString[tc.rcode])
			}
			if m.Id != req.Id || !m.Response || !m.Authoritative {
				t.Errorf("header id=%d response=%v aa=%v, want id %d, a response, authoritative", m.Id, m.Response, m.Authoritative, req.Id)
			}
			var got, extra []string
			for _, rr := range m.Answer {
				got = append(got, rdata(rr))
				if rr.Header().Name != tc.qname && rr.Header().Rrtype != dns.TypeSOA {
					t.Errorf("answer %v: name is not the question's %s", rr, tc.qname)
				}
				if rr.Header().Ttl != TTL {
					t.Errorf("answer %v: TTL %d, want %d", rr, rr.Header().Ttl, TTL)
				}
			}
			for _, rr := range m.Extra {
				extra = append(extra, rdata(rr))
			}
			slices.Sort(got)
			slices.Sort(extra)
			if !slices.Equal(got, tc.answer) {
				t.Errorf("answer %q, want %q", got, tc.answer)
			}
			if !slices.Equal(extra, tc.extra) {
				t.Errorf("extra %q, want %q", extra, tc.extra)
			}
			// NXDOMAIN and NODATA carry the zone's SOA for negative caching.
			if len(m.Answer) == 0 && (len(m.Ns) != 1 || m.Ns[0].Header().Rrtype != dns.TypeSOA || m.Ns[0].Header().Name != DefaultZone) {
				t.Errorf("authority %v, want the SOA of %s", m.Ns, DefaultZone)
			}
		})
	}
}

func TestReverseAddr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want string // "" for not a reverse name
	}{
		{"4.3.2.1.in-addr.arpa.", "1.2.3.4"},
		{"3.2.1.in-addr.arpa.", ""},
		{"x.3.2.1.in-addr.arpa.", ""},
		{"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.", "fd00::1"},
		{"1.0.ip6.arpa.", ""},
		{"example.com.", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ip, ok := reverseAddr(tc.name)
			got := ""
			if ok {
				got = ip.String()
			}
			if got != tc.want {
				t.Errorf("reverseAddr(%q) = %q, want %q", tc.name, got, tc.want)
			}
		})
	}
}
