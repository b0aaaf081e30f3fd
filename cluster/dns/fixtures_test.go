package dns

import (
	"fmt"
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// testIndex is an Index over informer caches filled by hand, as the
// informers would fill them.
func testIndex(t testing.TB, objs ...any) *Index {
	t.Helper()
	svcs := cache.NewIndexer(cache.MetaNamespaceKeyFunc, ServiceIndexers())
	slices := cache.NewIndexer(cache.MetaNamespaceKeyFunc, SliceIndexers())
	for _, o := range objs {
		var err error
		switch o := o.(type) {
		case *corev1.Service:
			err = svcs.Add(o)
		case *discoveryv1.EndpointSlice:
			err = slices.Add(o)
		default:
			t.Fatalf("testIndex: unexpected %T", o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return NewIndex(svcs, slices)
}

func service(ns, name string, ips []string, ports ...corev1.ServicePort) *corev1.Service {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIPs: ips, Ports: ports}}
	if len(ips) > 0 {
		s.Spec.ClusterIP = ips[0]
	}
	return s
}

func port(name string, proto corev1.Protocol, n int32) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Protocol: proto, Port: n}
}

// ep is an endpoint: hostname may be empty, ready nil means unknown.
type ep struct {
	addr, hostname string
	ready          *bool
}

func slice(ns, svc, name string, ports []discoveryv1.EndpointPort, eps ...ep) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: discoveryv1.AddressTypeIPv4, Ports: ports,
	}
	if ip, err := netip.ParseAddr(eps[0].addr); err == nil && ip.Is6() {
		s.AddressType = discoveryv1.AddressTypeIPv6
	}
	for _, e := range eps {
		x := discoveryv1.Endpoint{Addresses: []string{e.addr}, Conditions: discoveryv1.EndpointConditions{Ready: e.ready}}
		if e.hostname != "" {
			x.Hostname = &e.hostname
		}
		s.Endpoints = append(s.Endpoints, x)
	}
	return s
}

func slicePort(name string, proto corev1.Protocol, n int32) discoveryv1.EndpointPort {
	return discoveryv1.EndpointPort{Name: &name, Protocol: &proto, Port: &n}
}

func ptr[T any](v T) *T { return &v }

// clusterObjects is a small cluster: ClusterIP, dual-stack, headless (with
// StatefulSet hostnames, a not-ready and a hostname-less endpoint), empty
// headless, ExternalName, kube-dns and kubernetes.
func clusterObjects() []any {
	headless := service("default", "db", []string{corev1.ClusterIPNone}, port("pg", corev1.ProtocolTCP, 5432))
	empty := service("default", "empty", []string{corev1.ClusterIPNone}, port("pg", corev1.ProtocolTCP, 5432))
	ext := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "ext"}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "example.com"}}
	pg := []discoveryv1.EndpointPort{slicePort("pg", corev1.ProtocolTCP, 5432)}
	return []any{
		service("default", "web", []string{"10.96.1.1"}, port("http", corev1.ProtocolTCP, 80), port("metrics", "", 9090), port("", corev1.ProtocolTCP, 81)),
		service("default", "dual", []string{"10.96.1.2", "fd00::2"}, port("http", corev1.ProtocolTCP, 80)),
		service("default", "kubernetes", []string{"10.96.0.1"}, port("https", corev1.ProtocolTCP, 443)),
		service("kube-system", "kube-dns", []string{"10.96.0.10"}, port("dns", corev1.ProtocolUDP, 53), port("dns-tcp", corev1.ProtocolTCP, 53)),
		headless, empty, ext,
		slice("default", "db", "db-a", pg, ep{"10.244.1.5", "db-0", ptr(true)}, ep{"10.244.3.7", "db-2", ptr(false)}),
		slice("default", "db", "db-b", pg, ep{"10.244.2.6", "db-1", ptr(true)}, ep{"10.244.1.8", "", nil}),
		// The same address twice (two slices during a change) answers once.
		slice("default", "db", "db-c", pg, ep{"10.244.1.5", "db-0", ptr(true)}),
		// A slice of web (not headless) must not leak into its answers.
		slice("default", "web", "web-a", []discoveryv1.EndpointPort{slicePort("http", corev1.ProtocolTCP, 8080)}, ep{"10.244.1.20", "", ptr(true)}),
	}
}

// many is a headless Service with n ready endpoints.
func many(n int) []any {
	objs := []any{service("default", "many", []string{corev1.ClusterIPNone}, port("http", corev1.ProtocolTCP, 80))}
	var eps []ep
	for i := range n {
		eps = append(eps, ep{fmt.Sprintf("10.244.9.%d", i+1), "", ptr(true)})
	}
	return append(objs, slice("default", "many", "many-a", []discoveryv1.EndpointPort{slicePort("http", corev1.ProtocolTCP, 80)}, eps...))
}
