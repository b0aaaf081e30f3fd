package network

// Checks on a real node, as root. They run only inside a node container:
//
//	go test -c -o nettest ./cluster/agent/network && docker cp nettest mini-X-node-1:/nettest
//	docker exec -e MINI_NETWORK_NODE_TEST=1 [-e ...] mini-X-node-1 /nettest -test.v -test.run TestNode
//
// Environment: MINI_POD_CIDR (set in every node); MINI_NET_PEER_CIDR and
// MINI_NET_PEER_NODE (the other node's pod CIDR and IP) for routes;
// MINI_NET_PEER_POD (ip:port of a TestNodeServe sandbox there);
// MINI_NET_NAT_ADDR (host:port outside the cluster, e.g. the API server at
// the Docker network's gateway); MINI_NET_SERVE (how long TestNodeServe
// serves); MINI_NET_KEEP=1 leaves the sandboxes for manual checks.

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

func nodeConfig(t *testing.T) Config {
	t.Helper()
	if testing.Short() || os.Getenv("MINI_NETWORK_NODE_TEST") == "" {
		t.Skip("runs only inside a node container with MINI_NETWORK_NODE_TEST=1")
	}
	return Config{
		PodCIDR:  os.Getenv("MINI_POD_CIDR"),
		StateDir: "/var/lib/mini/network-test",
		RunDir:   "/run/mini/netns-test",
	}
}

// inNetns runs fn on a locked thread inside the netns at path: sockets fn
// opens belong to that netns.
func inNetns(path string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- err
			return
		}
		defer orig.Close()
		ns, err := netns.GetFromPath(path)
		if err != nil {
			errc <- err
			return
		}
		defer ns.Close()
		if err := netns.Set(ns); err != nil {
			errc <- err
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			errc <- err // the thread stays locked and dies with the goroutine
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// serve answers each connection with "from <remote address>".
func serve(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		fmt.Fprintf(c, "from %s\n", c.RemoteAddr())
		c.Close()
	}
}

func listenIn(t *testing.T, nsPath, addr string) net.Listener {
	t.Helper()
	var l net.Listener
	err := inNetns(nsPath, func() (err error) { l, err = net.Listen("tcp4", addr); return err })
	if err != nil {
		t.Fatalf("listen on %s in %s: %v", addr, nsPath, err)
	}
	go serve(l)
	t.Cleanup(func() { l.Close() })
	return l
}

// dialFrom connects from the netns at nsPath to addr and returns the
// server's answer.
func dialFrom(nsPath, addr string) (string, error) {
	var c net.Conn
	dial := func() (err error) { c, err = net.DialTimeout("tcp4", addr, 3*time.Second); return err }
	var err error
	if nsPath == "" {
		err = dial()
	} else {
		err = inNetns(nsPath, dial)
	}
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

func TestNodeNetwork(t *testing.T) {
	cfg := nodeConfig(t)
	ctx := context.Background()
	n, err := Setup(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Setup(ctx, cfg); err != nil {
		t.Fatalf("second Setup: %v", err)
	}
	checkBridgeAndTable(t, n)

	a, err := n.Add(ctx, "it-a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := n.Add(ctx, "it-b")
	if err != nil {
		t.Fatal(err)
	}
	again, err := n.Add(ctx, "it-a")
	if err != nil || !again.IP.Equal(a.IP) || again.NetNS != a.NetNS {
		t.Fatalf("Add(it-a) again = %+v, %v; want the existing %+v", again, err, a)
	}
	t.Logf("sandbox a: %+v", a)
	t.Logf("sandbox b: %+v", b)
	checkPodSide(t, a)

	listenIn(t, b.NetNS, ":8080")
	got, err := dialFrom(a.NetNS, net.JoinHostPort(b.IP.String(), "8080"))
	t.Logf("a -> b (same node): %q %v", got, err)
	if err != nil || !strings.HasPrefix(got, "from "+a.IP.String()+":") {
		t.Errorf("a -> b: %q, %v; want an answer from b seeing a's IP", got, err)
	}

	nodeIP := nodeAddr(t)
	hl, err := net.Listen("tcp4", net.JoinHostPort(nodeIP.String(), "8081"))
	if err != nil {
		t.Fatal(err)
	}
	defer hl.Close()
	go serve(hl)
	got, err = dialFrom(a.NetNS, net.JoinHostPort(nodeIP.String(), "8081"))
	t.Logf("a -> node %s: %q %v", nodeIP, got, err)
	if err != nil || !strings.HasPrefix(got, "from "+a.IP.String()+":") {
		t.Errorf("a -> node: %q, %v; want an answer seeing a's IP", got, err)
	}
	got, err = dialFrom("", net.JoinHostPort(b.IP.String(), "8080"))
	t.Logf("node -> b: %q %v", got, err)
	if err != nil {
		t.Errorf("node -> b: %v", err)
	}

	if addr := os.Getenv("MINI_NET_NAT_ADDR"); addr != "" {
		before := masqCount(t)
		err := dialNS(a.NetNS, addr)
		t.Logf("a -> %s (outside the cluster, NAT): err=%v; masquerade counter %d -> %d", addr, err, before, masqCount(t))
		if err != nil {
			t.Errorf("a -> %s: %v", addr, err)
		}
		if masqCount(t) <= before {
			t.Errorf("masquerade rule counted no packet")
		}
	}

	if peer := os.Getenv("MINI_NET_PEER_CIDR"); peer != "" {
		checkRoutes(t, n, peer, net.ParseIP(os.Getenv("MINI_NET_PEER_NODE")))
		if addr := os.Getenv("MINI_NET_PEER_POD"); addr != "" {
			before := masqCount(t)
			got, err := dialFrom(a.NetNS, addr)
			if masqCount(t) != before {
				t.Errorf("traffic to another node's pod was masqueraded")
			}
			t.Logf("a -> %s (other node): %q %v", addr, got, err)
			if err != nil || !strings.HasPrefix(got, "from "+a.IP.String()+":") {
				t.Errorf("a -> other node's pod: %q, %v; want an answer seeing a's IP (no NAT)", got, err)
			}
		}
	}

	if os.Getenv("MINI_NET_KEEP") != "" {
		t.Log("MINI_NET_KEEP set: sandboxes left in place")
		return
	}
	checkRemove(t, n, a, b)
}

// dialNS opens (and closes) a TCP connection from the netns at nsPath.
func dialNS(nsPath, addr string) error {
	return inNetns(nsPath, func() error {
		c, err := net.DialTimeout("tcp4", addr, 3*time.Second)
		if err == nil {
			c.Close()
		}
		return err
	})
}

func nodeAddr(t *testing.T) net.IP {
	t.Helper()
	l, err := netlink.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := netlink.AddrList(l, netlink.FAMILY_V4)
	if err != nil || len(addrs) == 0 {
		t.Fatalf("eth0 addresses: %v %v", addrs, err)
	}
	return addrs[0].IP
}

func checkBridgeAndTable(t *testing.T, n *Network) {
	t.Helper()
	br, err := netlink.LinkByName(BridgeName)
	if err != nil {
		t.Fatal(err)
	}
	addrs, _ := netlink.AddrList(br, netlink.FAMILY_V4)
	if len(addrs) != 1 || !addrs[0].IP.Equal(n.Gateway()) {
		t.Errorf("bridge addresses = %v, want only %s", addrs, n.Gateway())
	}
	if br.Attrs().Flags&net.FlagUp == 0 {
		t.Errorf("bridge is not up")
	}
	b, _ := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
	if strings.TrimSpace(string(b)) != "1" {
		t.Errorf("ip_forward = %q", b)
	}
	c, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	chains, err := c.ListChainsOfTableFamily(nftables.TableFamilyIPv4)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ch := range chains {
		if ch.Table.Name == TableName {
			rules, err := c.GetRules(ch.Table, ch)
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, fmt.Sprintf("%s(%d rules)", ch.Name, len(rules)))
		}
	}
	t.Logf("table %s: %v", TableName, names)
	if strings.Join(names, " ") != "pod-postrouting(1 rules) pod-forward(2 rules)" {
		t.Errorf("table %s chains = %v, want each once, rules not doubled by the second Setup", TableName, names)
	}
}

func masqCount(t *testing.T) uint64 {
	t.Helper()
	c, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	table := &nftables.Table{Name: TableName, Family: nftables.TableFamilyIPv4}
	rules, err := c.GetRules(table, &nftables.Chain{Name: natChain, Table: table})
	if err != nil || len(rules) != 1 {
		t.Fatalf("rules of %s: %v %v", natChain, rules, err)
	}
	for _, e := range rules[0].Exprs {
		if ctr, ok := e.(*expr.Counter); ok {
			return ctr.Packets
		}
	}
	t.Fatal("no counter in the masquerade rule")
	return 0
}

func checkPodSide(t *testing.T, sb Sandbox) {
	t.Helper()
	ns, err := netns.GetFromPath(sb.NetNS)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	eth0, err := h.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	host, err := netlink.LinkByName(sb.Veth)
	if err != nil {
		t.Fatal(err)
	}
	pi, err := netlink.LinkGetProtinfo(host)
	if err != nil {
		t.Fatal(err)
	}
	routes, _ := h.RouteList(nil, netlink.FAMILY_V4)
	var def string
	for _, r := range routes {
		if r.Dst == nil || r.Dst.String() == "0.0.0.0/0" {
			def = r.Gw.String()
		}
	}
	t.Logf("pod eth0 mac %s mtu %d; host %s mtu %d hairpin %v; default via %s",
		eth0.Attrs().HardwareAddr, eth0.Attrs().MTU, sb.Veth, host.Attrs().MTU, pi.Hairpin, def)
	if !pi.Hairpin || host.Attrs().MasterIndex == 0 || eth0.Attrs().HardwareAddr.String() != sb.MAC.String() || def != sb.Gateway.String() || eth0.Attrs().MTU != host.Attrs().MTU {
		t.Errorf("pod side of %s not as expected", sb.ID)
	}
}

func checkRoutes(t *testing.T, n *Network, peerCIDR string, peerNode net.IP) {
	t.Helper()
	_, foreign, _ := net.ParseCIDR("10.244.99.0/24")
	fr := &netlink.Route{Dst: foreign, Gw: peerNode, Protocol: unix.RTPROT_STATIC}
	if err := netlink.RouteAdd(fr); err != nil {
		t.Fatalf("add foreign route: %v", err)
	}
	defer netlink.RouteDel(fr)
	own := n.PodCIDR().String()
	other := append(net.IP(nil), peerNode.To4()...)
	other[3] += 100 // another address on the Docker network
	steps := []map[string]net.IP{
		{peerCIDR: peerNode, own: peerNode, "10.244.50.0/24": peerNode},
		{peerCIDR: other}, // another gateway: replaced, 10.244.50 deleted
		{},                // all ours gone, the foreign one kept
		{peerCIDR: peerNode},
	}
	for i, s := range steps {
		if err := n.SetRoutes(s); err != nil {
			t.Fatalf("step %d: SetRoutes: %v", i, err)
		}
		have, err := ownedRoutes()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("step %d: owned routes %v", i, have)
		if len(have) != len(s)-btoi(s[own] != nil) {
			t.Errorf("step %d: owned routes %v, want those of %v but the own CIDR", i, have, s)
		}
		for dst, via := range s {
			if dst != own && !have[dst].Equal(via) {
				t.Errorf("step %d: route to %s via %s, want %s", i, dst, have[dst], via)
			}
		}
		if _, ok := have[own]; ok {
			t.Errorf("step %d: a route to the node's own pod CIDR was made", i)
		}
		if _, ok := have["10.244.99.0/24"]; ok {
			t.Errorf("step %d: the foreign route was taken over", i)
		}
	}
	all, _ := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Dst: foreign}, netlink.RT_FILTER_DST)
	if len(all) != 1 || all[0].Protocol != unix.RTPROT_STATIC {
		t.Errorf("foreign route after SetRoutes: %v", all)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func checkRemove(t *testing.T, n *Network, a, b Sandbox) {
	t.Helper()
	for range 2 {
		if err := n.Remove(a.ID); err != nil {
			t.Fatalf("Remove(%s): %v", a.ID, err)
		}
	}
	if _, err := netlink.LinkByName(a.Veth); err == nil {
		t.Errorf("veth %s still there after Remove", a.Veth)
	}
	if _, err := os.Stat(a.NetNS); !os.IsNotExist(err) {
		t.Errorf("netns file %s still there: %v", a.NetNS, err)
	}
	if _, err := os.Stat(filepath.Join(n.cfg.StateDir, "ips", a.IP.String())); !os.IsNotExist(err) {
		t.Errorf("IP file of %s still there: %v", a.IP, err)
	}
	if err := n.Cleanup(map[string]bool{b.ID: true}); err != nil {
		t.Fatal(err)
	}
	if ids, _ := n.IDs(); strings.Join(ids, ",") != b.ID {
		t.Errorf("IDs after Cleanup(keep b) = %v", ids)
	}
	if !n.complete(b) {
		t.Errorf("Cleanup(keep b) broke b")
	}
	if err := n.Cleanup(nil); err != nil {
		t.Fatal(err)
	}
	if ids, _ := n.IDs(); len(ids) != 0 {
		t.Errorf("IDs after Cleanup(nil) = %v", ids)
	}
	if _, err := netlink.LinkByName(b.Veth); err == nil {
		t.Errorf("veth %s still there after Cleanup", b.Veth)
	}
}

// TestNodeServe runs a sandbox "it-srv" answering on :8080 for
// MINI_NET_SERVE, with a route back to the peer node, for the other node's
// TestNodeNetwork to reach.
func TestNodeServe(t *testing.T) {
	cfg := nodeConfig(t)
	d, err := time.ParseDuration(os.Getenv("MINI_NET_SERVE"))
	if err != nil {
		t.Skip("MINI_NET_SERVE not a duration")
	}
	ctx := context.Background()
	n, err := Setup(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.SetRoutes(map[string]net.IP{os.Getenv("MINI_NET_PEER_CIDR"): net.ParseIP(os.Getenv("MINI_NET_PEER_NODE"))}); err != nil {
		t.Fatal(err)
	}
	sb, err := n.Add(ctx, "it-srv")
	if err != nil {
		t.Fatal(err)
	}
	listenIn(t, sb.NetNS, ":8080")
	fmt.Printf("serving on %s:8080 for %s\n", sb.IP, d)
	time.Sleep(d)
	if os.Getenv("MINI_NET_KEEP") == "" {
		if err := n.Remove(sb.ID); err != nil {
			t.Fatal(err)
		}
	}
}

// TestNodeCleanup removes every sandbox not named in MINI_NET_KEEP_IDS
// (comma-separated), as an agent does after a restart.
func TestNodeCleanup(t *testing.T) {
	cfg := nodeConfig(t)
	n, err := Setup(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	before, err := n.IDs()
	if err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{}
	for _, id := range strings.Split(os.Getenv("MINI_NET_KEEP_IDS"), ",") {
		if id != "" {
			keep[id] = true
		}
	}
	if err := n.Cleanup(keep); err != nil {
		t.Fatal(err)
	}
	after, err := n.IDs()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("IDs before Cleanup %v, after %v (keep %v)", before, after, keep)
	for _, id := range after {
		if !keep[id] {
			t.Errorf("%s survived Cleanup", id)
		}
	}
	entries, _ := os.ReadDir(cfg.RunDir)
	for _, e := range entries {
		if !keep[e.Name()] {
			t.Errorf("netns file %s survived Cleanup", e.Name())
		}
	}
}
