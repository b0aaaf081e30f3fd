package apiserver

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/minidev/mini/cluster/store"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
)

func TestIPAllocRange(t *testing.T) {
	t.Parallel()
	a, err := newIPAlloc(netip.MustParsePrefix("10.96.0.0/16"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ip, err string
	}{
		{ip: "10.96.0.1"},
		{ip: "10.96.0.10"},
		{ip: "10.96.255.254"},
		{ip: "10.96.0.1", err: "provided IP is already allocated"},
		{ip: "10.96.0.0", err: "provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/16"},
		{ip: "10.96.255.255", err: "not in the valid range"},
		{ip: "10.97.0.1", err: "not in the valid range"},
	}
	for _, tc := range tests {
		err := a.take(netip.MustParseAddr(tc.ip))
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("take %s: got %v, want %q", tc.ip, err, tc.err)
		}
	}
}

func TestIPAllocExhaustsWithoutWellKnown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cidr string
		want int // dynamic addresses: all usable but .1 and .10
	}{
		{cidr: "10.0.0.0/28", want: 12},
		{cidr: "10.0.0.0/24", want: 252},
		{cidr: "10.0.0.0/20", want: 4092},
	}
	for _, tc := range tests {
		t.Run(tc.cidr, func(t *testing.T) {
			t.Parallel()
			a, err := newIPAlloc(netip.MustParsePrefix(tc.cidr))
			if err != nil {
				t.Fatal(err)
			}
			seen := map[netip.Addr]bool{}
			upperFirst := true
			for {
				ip, err := a.next()
				if err != nil {
					break
				}
				if seen[ip] {
					t.Fatalf("%s handed out twice", ip)
				}
				if s := ip.String(); strings.HasSuffix(s, ".0.1") || strings.HasSuffix(s, ".0.10") {
					t.Fatalf("well-known %s handed out dynamically", ip)
				}
				if i, _ := a.offset(ip); i < a.set.low && len(seen) < a.set.size-a.set.low {
					upperFirst = false
				}
				seen[ip] = true
			}
			if len(seen) != tc.want {
				t.Errorf("handed out %d addresses, want %d", len(seen), tc.want)
			}
			if !upperFirst {
				t.Errorf("the lower band was used before the upper one was full")
			}
		})
	}
}

func TestPortAlloc(t *testing.T) {
	t.Parallel()
	a, err := newPortAlloc(PortRange{First: 30000, Last: 30009})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		port int
		err  string
	}{
		{port: 30000},
		{port: 30009},
		{port: 30000, err: "provided port is already allocated"},
		{port: 29999, err: "provided port is not in the valid range. The range of valid ports is 30000-30009"},
		{port: 30010, err: "not in the valid range"},
	}
	for _, tc := range tests {
		err := a.take(tc.port)
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("take %d: got %v, want %q", tc.port, err, tc.err)
		}
	}
	n := 0
	for {
		if _, err := a.next(); err != nil {
			break
		}
		n++
	}
	if n != 8 {
		t.Errorf("allocated %d more ports, want 8", n)
	}
	a.release(30000)
	if p, err := a.next(); err != nil || p != 30000 {
		t.Errorf("after release: got %d, %v", p, err)
	}
}

// serveStore serves st with the given allocation ranges until the test
// ends or stop is called.
func serveStore(t *testing.T, st *store.Store, cidr string) (kubernetes.Interface, func()) {
	t.Helper()
	ts := httptest.NewServer(New(Config{Store: st, ServiceCIDR: netip.MustParsePrefix(cidr), NodePorts: PortRange{First: 30000, Last: 30099}}).Handler())
	t.Cleanup(ts.Close)
	c, err := kubernetes.NewForConfig(&rest.Config{Host: ts.URL, QPS: 5000, Burst: 5000})
	if err != nil {
		t.Fatal(err)
	}
	return c, ts.Close
}

func newServiceServer(t *testing.T, cidr string) (kubernetes.Interface, *store.Store) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "store.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c, _ := serveStore(t, st, cidr)
	if _, err := c.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return c, st
}

func svc(name string, change func(s *corev1.Service)) *corev1.Service {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": name}, Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}}
	if change != nil {
		change(s)
	}
	return s
}

// wantInvalid checks err is a 422 naming field with a message containing msg.
func wantInvalid(t *testing.T, what string, err error, field, msg string) {
	t.Helper()
	if !apierrors.IsInvalid(err) {
		t.Fatalf("%s: got %v, want 422 Invalid", what, err)
	}
	for _, c := range err.(apierrors.APIStatus).Status().Details.Causes {
		if c.Field == field && strings.Contains(c.Message, msg) {
			return
		}
	}
	t.Fatalf("%s: got %v, want field %s with %q", what, err, field, msg)
}

func TestServiceCreateAllocation(t *testing.T) {
	t.Parallel()
	c, _ := newServiceServer(t, "10.96.0.0/16")
	ctx := context.Background()
	svcs := c.CoreV1().Services("default")
	tests := []struct {
		name               string
		svc                *corev1.Service
		wantIP             string // "" any in range; "None"; "-" none at all
		wantNodePorts      bool
		errField, errMatch string
	}{
		{name: "clusterip", svc: svc("a", nil)},
		{name: "requested", svc: svc("b", func(s *corev1.Service) { s.Spec.ClusterIP = "10.96.0.10" }), wantIP: "10.96.0.10"},
		{name: "requested taken", svc: svc("c", func(s *corev1.Service) { s.Spec.ClusterIP = "10.96.0.10" }),
			errField: "spec.clusterIPs", errMatch: "failed to allocate IP 10.96.0.10: provided IP is already allocated"},
		{name: "requested out of range", svc: svc("d", func(s *corev1.Service) { s.Spec.ClusterIP = "10.1.2.3" }),
			errField: "spec.clusterIPs", errMatch: "provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/16"},
		{name: "requested by clusterIPs", svc: svc("e", func(s *corev1.Service) { s.Spec.ClusterIPs = []string{"10.96.3.4"} }), wantIP: "10.96.3.4"},
		{name: "headless", svc: svc("f", func(s *corev1.Service) { s.Spec.ClusterIP = "None" }), wantIP: "None"},
		{name: "external name", svc: svc("g", func(s *corev1.Service) {
			s.Spec = corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "example.com"}
		}), wantIP: "-"},
		{name: "nodeport", svc: svc("h", func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort }), wantNodePorts: true},
		{name: "nodeport requested", svc: svc("i", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeNodePort
			s.Spec.Ports[0].NodePort = 30050
		}), wantNodePorts: true},
		{name: "nodeport taken", svc: svc("j", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeNodePort
			s.Spec.Ports[0].NodePort = 30050
		}), errField: "spec.ports[0].nodePort", errMatch: "provided port is already allocated"},
		{name: "nodeport out of range", svc: svc("k", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeNodePort
			s.Spec.Ports[0].NodePort = 31000
		}), errField: "spec.ports[0].nodePort", errMatch: "provided port is not in the valid range. The range of valid ports is 30000-30099"},
		{name: "loadbalancer", svc: svc("l", func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeLoadBalancer }), wantNodePorts: true},
		{name: "loadbalancer without node ports", svc: svc("m", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeLoadBalancer
			s.Spec.AllocateLoadBalancerNodePorts = ptr.To(false)
		})},
	}
	// Sequential: later cases depend on what earlier ones took.
	for _, tc := range tests {
		got, err := svcs.Create(ctx, tc.svc, metav1.CreateOptions{})
		if tc.errField != "" {
			wantInvalid(t, tc.name, err, tc.errField, tc.errMatch)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		switch ip := got.Spec.ClusterIP; tc.wantIP {
		case "":
			if p, err := netip.ParseAddr(ip); err != nil || !netip.MustParsePrefix("10.96.0.0/16").Contains(p) || len(got.Spec.ClusterIPs) != 1 || got.Spec.ClusterIPs[0] != ip {
				t.Errorf("%s: clusterIP %q clusterIPs %v", tc.name, ip, got.Spec.ClusterIPs)
			}
		case "-":
			if ip != "" || len(got.Spec.ClusterIPs) != 0 {
				t.Errorf("%s: clusterIP %q, want none", tc.name, ip)
			}
		default:
			if ip != tc.wantIP {
				t.Errorf("%s: clusterIP %q, want %s", tc.name, ip, tc.wantIP)
			}
		}
		for _, p := range got.Spec.Ports {
			if (p.NodePort != 0) != tc.wantNodePorts || p.NodePort != 0 && (p.NodePort < 30000 || p.NodePort > 30099) {
				t.Errorf("%s: nodePort %d", tc.name, p.NodePort)
			}
		}
	}
}

func TestServiceUpdateAndRelease(t *testing.T) {
	t.Parallel()
	c, _ := newServiceServer(t, "10.96.0.0/16")
	ctx := context.Background()
	svcs := c.CoreV1().Services("default")
	s, err := svcs.Create(ctx, svc("a", func(s *corev1.Service) {
		s.Spec.Type = corev1.ServiceTypeNodePort
		s.Spec.ClusterIP = "10.96.7.7"
		s.Spec.Ports[0].NodePort = 30007
	}), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// An update without the allocated values keeps them (kubectl replace).
	bare := svc("a", func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort })
	bare.ResourceVersion = s.ResourceVersion
	got, err := svcs.Update(ctx, bare, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Spec.ClusterIP != "10.96.7.7" || got.Spec.Ports[0].NodePort != 30007 || got.ResourceVersion != s.ResourceVersion {
		t.Errorf("update without allocated values: clusterIP %s nodePort %d rv %s->%s", got.Spec.ClusterIP, got.Spec.Ports[0].NodePort, s.ResourceVersion, got.ResourceVersion)
	}
	// The cluster IP is immutable.
	got.Spec.ClusterIP, got.Spec.ClusterIPs = "10.96.7.8", []string{"10.96.7.8"}
	_, err = svcs.Update(ctx, got, metav1.UpdateOptions{})
	wantInvalid(t, "change clusterIP", err, "spec.clusterIPs[0]", "may not change once set")
	// Moving the node port frees the old one; type ClusterIP frees both.
	s, _ = svcs.Get(ctx, "a", metav1.GetOptions{})
	s.Spec.Ports[0].NodePort = 30008
	if _, err := svcs.Update(ctx, s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := svcs.Create(ctx, svc("b", func(s *corev1.Service) {
		s.Spec.Type = corev1.ServiceTypeNodePort
		s.Spec.Ports[0].NodePort = 30007
	}), metav1.CreateOptions{}); err != nil {
		t.Fatalf("old node port not released: %v", err)
	}
	s, _ = svcs.Get(ctx, "a", metav1.GetOptions{})
	s.Spec.Type = corev1.ServiceTypeClusterIP
	if s, err = svcs.Update(ctx, s, metav1.UpdateOptions{}); err != nil || s.Spec.Ports[0].NodePort != 0 {
		t.Fatalf("to ClusterIP: %v, nodePort %d", err, s.Spec.Ports[0].NodePort)
	}
	if _, err := svcs.Create(ctx, svc("c", func(s *corev1.Service) {
		s.Spec.Type = corev1.ServiceTypeNodePort
		s.Spec.Ports[0].NodePort = 30008
	}), metav1.CreateOptions{}); err != nil {
		t.Fatalf("node port not released on type change: %v", err)
	}
	// ExternalName frees the cluster IP; delete frees it too.
	s.Spec.Type, s.Spec.ExternalName = corev1.ServiceTypeExternalName, "example.com"
	if s, err = svcs.Update(ctx, s, metav1.UpdateOptions{}); err != nil || s.Spec.ClusterIP != "" {
		t.Fatalf("to ExternalName: %v, clusterIP %q", err, s.Spec.ClusterIP)
	}
	if _, err := svcs.Create(ctx, svc("d", func(s *corev1.Service) { s.Spec.ClusterIP = "10.96.7.7" }), metav1.CreateOptions{}); err != nil {
		t.Fatalf("cluster IP not released on type change: %v", err)
	}
	if err := svcs.Delete(ctx, "d", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := svcs.Create(ctx, svc("e", func(s *corev1.Service) { s.Spec.ClusterIP = "10.96.7.7" }), metav1.CreateOptions{}); err != nil {
		t.Fatalf("cluster IP not released on delete: %v", err)
	}
	// A dry run reserves nothing.
	if _, err := svcs.Create(ctx, svc("f", func(s *corev1.Service) { s.Spec.ClusterIP = "10.96.9.9" }), metav1.CreateOptions{DryRun: []string{"All"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svcs.Create(ctx, svc("f", func(s *corev1.Service) { s.Spec.ClusterIP = "10.96.9.9" }), metav1.CreateOptions{}); err != nil {
		t.Fatalf("dry run kept its IP: %v", err)
	}
	// A create that fails (name taken) gives its IP back.
	if _, err := svcs.Create(ctx, svc("f", func(s *corev1.Service) { s.Spec.ClusterIP = "10.96.9.10" }), metav1.CreateOptions{}); !apierrors.IsAlreadyExists(err) {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := svcs.Create(ctx, svc("g", func(s *corev1.Service) { s.Spec.ClusterIP = "10.96.9.10" }), metav1.CreateOptions{}); err != nil {
		t.Fatalf("failed create kept its IP: %v", err)
	}
}

// TestServiceIPsConcurrentCreates: many goroutines filling a small range
// never get one IP twice, and exactly the range's size succeed.
func TestServiceIPsConcurrentCreates(t *testing.T) {
	t.Parallel()
	c, _ := newServiceServer(t, "10.96.0.0/26") // 62 usable, 60 dynamic
	ctx := context.Background()
	var (
		mu   sync.Mutex
		ips  = map[string]string{}
		full int
		wg   sync.WaitGroup
	)
	for i := range 80 {
		wg.Go(func() {
			s, err := c.CoreV1().Services("default").Create(ctx, svc(fmt.Sprintf("s%d", i), nil), metav1.CreateOptions{})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case apierrors.IsInternalError(err) && strings.Contains(err.Error(), "range is full"):
				full++
			case err != nil:
				t.Errorf("create s%d: %v", i, err)
			case ips[s.Spec.ClusterIP] != "":
				t.Errorf("%s given to %s and %s", s.Spec.ClusterIP, ips[s.Spec.ClusterIP], s.Name)
			default:
				ips[s.Spec.ClusterIP] = s.Name
			}
		})
	}
	wg.Wait()
	if len(ips) != 60 || full != 20 {
		t.Errorf("%d allocated, %d refused as full; want 60 and 20", len(ips), full)
	}
}

// TestServiceIPsSurviveRestart: a new API server on the same store knows
// what the Services hold before it hands anything out.
func TestServiceIPsSurviveRestart(t *testing.T) {
	t.Parallel()
	c, st := newServiceServer(t, "10.96.0.0/28") // 14 usable, 12 dynamic
	ctx := context.Background()
	taken := map[string]bool{}
	for i := range 6 {
		s, err := c.CoreV1().Services("default").Create(ctx, svc(fmt.Sprintf("s%d", i), func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort }), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		taken[s.Spec.ClusterIP], taken[fmt.Sprint(s.Spec.Ports[0].NodePort)] = true, true
	}
	c2, _ := serveStore(t, st, "10.96.0.0/28")
	for i := 6; i < 12; i++ {
		s, err := c2.CoreV1().Services("default").Create(ctx, svc(fmt.Sprintf("s%d", i), func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort }), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{s.Spec.ClusterIP, fmt.Sprint(s.Spec.Ports[0].NodePort)} {
			if taken[v] {
				t.Errorf("%s handed out again after the restart", v)
			}
			taken[v] = true
		}
	}
	if _, err := c2.CoreV1().Services("default").Create(ctx, svc("last", nil), metav1.CreateOptions{}); !apierrors.IsInternalError(err) {
		t.Errorf("13th dynamic IP of a /28: got %v, want range is full", err)
	}
}
