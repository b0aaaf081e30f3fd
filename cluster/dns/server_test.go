package dns

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/miekg/dns"
	"k8s.io/client-go/tools/cache"
)

// upstream is a fake upstream resolver on 127.0.0.1 (UDP and TCP): it
// answers example.com A 192.0.2.1 and NXDOMAIN for anything else, and
// counts the questions it got.
func upstream(t *testing.T) (addr string, asked func() int) {
	t.Helper()
	n := make(chan struct{}, 100)
	h := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		n <- struct{}{}
		m := new(dns.Msg).SetReply(req)
		if q := req.Question[0]; q.Name == "example.com." && q.Qtype == dns.TypeA {
			rr, _ := dns.NewRR("example.com. 60 IN A 192.0.2.1")
			m.Answer = []dns.RR{rr}
		} else {
			m.Rcode = dns.RcodeNameError
		}
		_ = w.WriteMsg(m)
	})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: ln, Handler: h}} {
		go s.ActivateAndServe()
		t.Cleanup(func() { _ = s.Shutdown() })
	}
	return pc.LocalAddr().String(), func() int { return len(n) }
}

func startServer(t *testing.T, idx *Index, upstreams ...string) string {
	t.Helper()
	s, err := Listen(Config{
		Resolver:  &Resolver{Index: idx, DNSIP: netip.MustParseAddr("10.96.0.10")},
		Forwarder: &Forwarder{Upstreams: upstreams, Timeout: 300 * time.Millisecond},
		Addrs:     []string{"127.0.0.1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown(t.Context()) })
	if s.Port() == 0 {
		t.Fatal("no port picked")
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port()))
}

func exchange(t *testing.T, network, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: 2 * time.Second}
	m, _, err := c.Exchange(new(dns.Msg).SetQuestion(name, qtype), addr)
	if err != nil {
		t.Fatalf("%s %s over %s: %v", name, dns.TypeToString[qtype], network, err)
	}
	return m
}

func answers(m *dns.Msg) []string {
	var out []string
	for _, rr := range m.Answer {
		out = append(out, rdata(rr))
	}
	slices.Sort(out)
	return out
}

func TestServerUDPAndTCP(t *testing.T) {
	t.Parallel()
	up, asked := upstream(t)
	addr := startServer(t, testIndex(t, append(clusterObjects(), many(100)...)...), up)
	tests := []struct {
		name   string
		qname  string
		qtype  uint16
		rcode  int
		answer []string
	}{
		{"service", "web.default.svc.cluster.local.", dns.TypeA, dns.RcodeSuccess, []string{"A 10.96.1.1"}},
		{"search-path miss", "web.default.svc.cluster.local.default.svc.cluster.local.", dns.TypeA, dns.RcodeNameError, nil},
		{"headless", "db.default.svc.cluster.local.", dns.TypeA, dns.RcodeSuccess, []string{"A 10.244.1.5", "A 10.244.1.8", "A 10.244.2.6"}},
		{"forwarded", "example.com.", dns.TypeA, dns.RcodeSuccess, []string{"A 192.0.2.1"}},
		{"forwarded NXDOMAIN", "nope.example.", dns.TypeA, dns.RcodeNameError, nil},
		// The CNAME is followed through the upstream, as a recursive resolver does.
		{"externalname chased", "ext.default.svc.cluster.local.", dns.TypeA, dns.RcodeSuccess, []string{"A 192.0.2.1", "CNAME example.com."}},
	}
	for _, network := range []string{"udp", "tcp"} {
		for _, tc := range tests {
			t.Run(network+"/"+tc.name, func(t *testing.T) {
				m := exchange(t, network, addr, tc.qname, tc.qtype)
				if m.Rcode != tc.rcode {
					t.Errorf("rcode %s, want %s", dns.RcodeToString[m.Rcode], dns.RcodeToString[tc.rcode])
				}
				if got := answers(m); !slices.Equal(got, tc.answer) {
					t.Errorf("answer %q, want %q", got, tc.answer)
				}
			})
		}
	}
	if asked() == 0 {
		t.Error("the upstream was never asked")
	}
	// 100 A records do not fit 512 bytes: UDP truncates, TCP carries all.
	udp := exchange(t, "udp", addr, "many.default.svc.cluster.local.", dns.TypeA)
	if !udp.Truncated || len(udp.Answer) >= 100 {
		t.Errorf("UDP: truncated=%v with %d answers, want truncated", udp.Truncated, len(udp.Answer))
	}
	if tcp := exchange(t, "tcp", addr, "many.default.svc.cluster.local.", dns.TypeA); tcp.Truncated || len(tcp.Answer) != 100 {
		t.Errorf("TCP: truncated=%v with %d answers, want all 100", tcp.Truncated, len(tcp.Answer))
	}
	// With EDNS0 a larger UDP buffer carries them all.
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
	req := new(dns.Msg).SetQuestion("many.default.svc.cluster.local.", dns.TypeA)
	req.SetEdns0(4096, false)
	if m, _, err := c.Exchange(req, addr); err != nil || m.Truncated || len(m.Answer) != 100 || m.IsEdns0() == nil {
		t.Errorf("EDNS0 4096: err=%v, want all 100 answers untruncated with an OPT record", err)
	}
}

func TestServerFailures(t *testing.T) {
	t.Parallel()
	// An upstream that does not answer: a bound UDP socket never read.
	dead, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	idx := testIndex(t, clusterObjects()...)
	addr := startServer(t, idx, dead.LocalAddr().String())
	if m := exchange(t, "udp", addr, "example.com.", dns.TypeA); m.Rcode != dns.RcodeServerFailure {
		t.Errorf("dead upstream: rcode %s, want SERVFAIL", dns.RcodeToString[m.Rcode])
	}
	// Before the caches have listed, in-zone answers would lie: SERVFAIL.
	unsynced := testIndex(t, clusterObjects()...)
	unsynced.synced = []cache.InformerSynced{func() bool { return false }}
	addr = startServer(t, unsynced)
	if m := exchange(t, "udp", addr, "web.default.svc.cluster.local.", dns.TypeA); m.Rcode != dns.RcodeServerFailure {
		t.Errorf("unsynced: rcode %s, want SERVFAIL", dns.RcodeToString[m.Rcode])
	}
	// A port in use is an error naming it.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	busy := pc.LocalAddr().(*net.UDPAddr).Port
	if _, err := Listen(Config{Resolver: &Resolver{Index: idx}, Addrs: []string{"127.0.0.1"}, Port: busy}); err == nil {
		t.Errorf("Listen on busy port %d succeeded", busy)
	}
}

func TestHostUpstreams(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name, conf string
		want       []string
	}{
		{"systemd-resolved", "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n", []string{"127.0.0.53:53"}},
		{"several and IPv6", "# comment\nnameserver 192.168.1.1\nnameserver ::1\n", []string{"192.168.1.1:53", "[::1]:53"}},
		{"none", "search lan\n", []string{"127.0.0.1:53"}},
		{"missing", "", []string{"127.0.0.1:53"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, tc.name)
			if tc.conf != "" {
				if err := os.WriteFile(path, []byte(tc.conf), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := HostUpstreams(path)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("HostUpstreams = %q, want %q", got, tc.want)
			}
		})
	}
}
