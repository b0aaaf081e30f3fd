package proxy

// Checks on a real node, as root. They run only inside a node container:
//
//	go test -c -o proxytest ./cluster/agent/proxy && docker cp proxytest mini-X-node-1:/proxytest
//	docker exec -e MINI_PROXY_NODE_TEST=1 mini-X-node-1 /proxytest -test.v -test.run TestNode
//
// MINI_POD_CIDR is set in every node. MINI_PROXY_SERVE=30s keeps the
// sandboxes and rules that long at the end, for checks from the host
// (NodePort 30777/tcp answers, 30778/udp echoes). The test uses its own
// table (mini-proxy-test) and network state dirs, so a running agent's
// proxy does not disturb it; run it on a node without pods (the pod CIDR is
// shared with the agent's allocator).

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/minidev/mini/cluster/agent/network"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

const testTable = "mini-proxy-test"

// inNetns runs fn on a locked thread inside the netns at path ("" = the
// node's).
func inNetns(path string, fn func() error) error {
	if path == "" {
		return fn()
	}
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

// serveIn answers TCP connections on :8080 and UDP datagrams on :8081 in
// the netns at nsPath with "<name> <client address>".
func serveIn(t *testing.T, nsPath, name string) {
	t.Helper()
	var l net.Listener
	var u net.PacketConn
	err := inNetns(nsPath, func() (err error) {
		if l, err = net.Listen("tcp4", ":8080"); err != nil {
			return err
		}
		u, err = net.ListenPacket("udp4", ":8081")
		return err
	})
	if err != nil {
		t.Fatalf("listen in %s: %v", name, err)
	}
	t.Cleanup(func() { l.Close(); u.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(c, "%s %s\n", name, c.RemoteAddr())
			c.Close()
		}
	}()
	go func() {
		buf := make([]byte, 1500)
		for {
			_, from, err := u.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = u.WriteTo([]byte(name+" "+from.String()), from)
		}
	}()
}

// ask sends one request over proto from the netns at nsPath to addr and
// returns the answer's first line.
func ask(nsPath, proto, addr string) (string, error) {
	var c net.Conn
	if err := inNetns(nsPath, func() (err error) { c, err = net.DialTimeout(proto+"4", addr, 2*time.Second); return err }); err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if proto == "udp" {
		if _, err := c.Write([]byte("x")); err != nil {
			return "", err
		}
	}
	buf := make([]byte, 200)
	n, err := c.Read(buf)
	return strings.TrimSpace(string(buf[:n])), err
}

// who asks n times and counts the answering servers (first word).
func who(t *testing.T, nsPath, proto, addr string, n int) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for range n {
		got, err := ask(nsPath, proto, addr)
		if err != nil {
			t.Errorf("%s %s: %v", proto, addr, err)
			return seen
		}
		name, _, _ := strings.Cut(got, " ")
		seen[name]++
	}
	return seen
}

func TestNodeProxy(t *testing.T) {
	if testing.Short() || os.Getenv("MINI_PROXY_NODE_TEST") == "" {
		t.Skip("runs only inside a node container with MINI_PROXY_NODE_TEST=1")
	}
	ctx := context.Background()
	nw, err := network.Setup(ctx, network.Config{PodCIDR: os.Getenv("MINI_POD_CIDR"), StateDir: "/var/lib/mini/proxy-test-net", RunDir: "/run/mini/netns-proxytest"})
	if err != nil {
		t.Fatal(err)
	}
	sb := map[string]network.Sandbox{}
	for _, id := range []string{"pa", "pb", "pc"} {
		if sb[id], err = nw.Add(ctx, "proxytest-"+id); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = nw.Cleanup(nil); _ = Delete(testTable) })
	serveIn(t, sb["pa"].NetNS, "a")
	serveIn(t, sb["pb"].NetNS, "b")
	a, b, c := sb["pa"].IP.String(), sb["pb"].IP.String(), sb["pc"]
	brnf := enableBridgeNetfilter()
	t.Logf("pods a=%s b=%s client=%s; bridge netfilter: %v", a, b, c.IP, brnf)

	web := svc("web", "10.96.77.1", corev1.ServicePort{Name: "http", Port: 80, NodePort: 30777})
	udp := svc("udp", "10.96.77.2", corev1.ServicePort{Name: "echo", Protocol: corev1.ProtocolUDP, Port: 81, NodePort: 30778})
	aff := svc("aff", "10.96.77.3", corev1.ServicePort{Name: "http", Port: 80})
	aff.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
	empty := svc("empty", "10.96.77.4", corev1.ServicePort{Name: "http", Port: 80, NodePort: 30779})
	hair := svc("hair", "10.96.77.5", corev1.ServicePort{Name: "http", Port: 80})
	svcs := []*corev1.Service{web, udp, aff, empty, hair}
	slices := []*discoveryv1.EndpointSlice{
		slice("web", "http", corev1.ProtocolTCP, 8080, ep{ip: a}, ep{ip: b}),
		slice("udp", "echo", corev1.ProtocolUDP, 8081, ep{ip: a}),
		slice("aff", "http", corev1.ProtocolTCP, 8080, ep{ip: a}, ep{ip: b}),
		slice("hair", "http", corev1.ProtocolTCP, 8080, ep{ip: a}),
	}
	opts := Options{ClusterCIDR: pfx("10.244.0.0/16"), PodCIDR: pfx(os.Getenv("MINI_POD_CIDR")), BridgeNetfilter: brnf}
	plan := Build(svcs, slices, opts)
	start := time.Now()
	if err := Write(testTable, plan, true); err != nil {
		t.Fatal(err)
	}
	t.Logf("fresh write of %d service ports: %v", len(plan.Services), time.Since(start))
	start = time.Now()
	if err := Write(testTable, plan, false); err != nil {
		t.Fatalf("second write (in place): %v", err)
	}
	t.Logf("in-place rewrite: %v", time.Since(start))
	nodeIP := nodeAddr(t)

	t.Run("ClusterIP balances over both endpoints", func(t *testing.T) {
		seen := who(t, c.NetNS, "tcp", "10.96.77.1:80", 40)
		t.Logf("pod -> 10.96.77.1:80: %v", seen)
		if seen["a"] == 0 || seen["b"] == 0 {
			t.Errorf("answers %v, want both a and b", seen)
		}
		got, err := ask(c.NetNS, "tcp", "10.96.77.1:80")
		t.Logf("client address seen by the endpoint: %q", got)
		if brnf && (err != nil || !strings.Contains(got, " "+c.IP.String()+":")) {
			t.Errorf("got %q, %v; want the pod's own address kept (no masquerade)", got, err)
		}
	})
	t.Run("ClusterIP from the node itself", func(t *testing.T) {
		seen := who(t, "", "tcp", "10.96.77.1:80", 20)
		t.Logf("node -> 10.96.77.1:80: %v", seen)
		if seen["a"]+seen["b"] != 20 {
			t.Errorf("answers %v", seen)
		}
	})
	t.Run("NodePort on the node IP, from a pod and from the node", func(t *testing.T) {
		for _, from := range []string{c.NetNS, ""} {
			seen := who(t, from, "tcp", net.JoinHostPort(nodeIP.String(), "30777"), 20)
			t.Logf("%q -> %s:30777: %v", from, nodeIP, seen)
			if seen["a"] == 0 || seen["b"] == 0 {
				t.Errorf("answers %v, want both a and b", seen)
			}
		}
	})
	t.Run("UDP ClusterIP and NodePort", func(t *testing.T) {
		for _, to := range []string{"10.96.77.2:81", net.JoinHostPort(nodeIP.String(), "30778")} {
			got, err := ask(c.NetNS, "udp", to)
			t.Logf("udp -> %s: %q %v", to, got, err)
			if err != nil || !strings.HasPrefix(got, "a ") {
				t.Errorf("udp %s: %q, %v; want a's echo", to, got, err)
			}
		}
	})
	t.Run("session affinity sticks to one endpoint", func(t *testing.T) {
		seen := who(t, c.NetNS, "tcp", "10.96.77.3:80", 20)
		t.Logf("pod -> 10.96.77.3:80 (ClientIP): %v", seen)
		if len(seen) != 1 {
			t.Errorf("answers %v, want a single endpoint", seen)
		}
	})
	t.Run("no endpoints and unknown ports are rejected", func(t *testing.T) {
		for _, to := range []string{"10.96.77.4:80", "10.96.77.1:81", net.JoinHostPort(nodeIP.String(), "30779")} {
			start := time.Now()
			_, err := ask(c.NetNS, "tcp", to)
			t.Logf("-> %s: %v after %v", to, err, time.Since(start))
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("%s: %v, want connection refused", to, err)
			}
		}
	})
	t.Run("hairpin: a pod reaches itself through its service", func(t *testing.T) {
		got, err := ask(sb["pa"].NetNS, "tcp", "10.96.77.5:80")
		t.Logf("a -> 10.96.77.5:80: %q %v", got, err)
		if err != nil || !strings.HasPrefix(got, "a ") {
			t.Errorf("hairpin: %q, %v", got, err)
		}
	})
	t.Run("changes apply in place and keep affinity state", func(t *testing.T) {
		slices[0] = slice("web", "http", corev1.ProtocolTCP, 8080, ep{ip: b})
		if err := Write(testTable, Build(svcs, slices, opts), false); err != nil {
			t.Fatal(err)
		}
		seen := who(t, c.NetNS, "tcp", "10.96.77.1:80", 20)
		t.Logf("after a left web: %v", seen)
		if seen["b"] != 20 {
			t.Errorf("answers %v, want only b", seen)
		}
		conn, err := nftables.New()
		if err != nil {
			t.Fatal(err)
		}
		tbl := &nftables.Table{Name: testTable, Family: nftables.TableFamilyIPv4}
		n := 0
		for _, e := range plan.Endpoints {
			if e.AffinitySet == "" {
				continue
			}
			s, err := conn.GetSetByName(tbl, e.AffinitySet)
			if err != nil {
				t.Fatalf("affinity set %s: %v", e.AffinitySet, err)
			}
			els, _ := conn.GetSetElements(s)
			n += len(els)
		}
		if n != 1 {
			t.Errorf("affinity sets hold %d clients after a rewrite, want 1", n)
		}
	})
	if d, err := time.ParseDuration(os.Getenv("MINI_PROXY_SERVE")); err == nil {
		t.Logf("serving NodePorts %s:30777/tcp and :30778/udp for %v", nodeIP, d)
		time.Sleep(d)
	}
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
