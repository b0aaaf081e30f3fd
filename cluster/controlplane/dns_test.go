package controlplane

import (
	"testing"

	"github.com/minidev/mini/cluster/apiserver/apiservertest"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestEnsureKubeDNS: the kube-dns Service, its EndpointSlice and Endpoints
// are created, then follow a moved gateway and port at the next start.
func TestEnsureKubeDNS(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := kubernetes.NewForConfigOrDie(apiservertest.Start(t))
	check := func(gateway string, port int32) {
		t.Helper()
		svc, err := c.CoreV1().Services(DNSServiceNamespace).Get(ctx, DNSServiceName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if svc.Spec.ClusterIP != DNSServiceIP || len(svc.Spec.Selector) != 0 || len(svc.Spec.Ports) != 2 {
			t.Fatalf("service: clusterIP %s, selector %v, %d ports; want %s, none, 2", svc.Spec.ClusterIP, svc.Spec.Selector, len(svc.Spec.Ports), DNSServiceIP)
		}
		for i, want := range []corev1.Protocol{corev1.ProtocolUDP, corev1.ProtocolTCP} {
			p := svc.Spec.Ports[i]
			if p.Port != 53 || p.Protocol != want || p.TargetPort.IntVal != port {
				t.Errorf("service port %d: %d/%s -> %s, want 53/%s -> %d", i, p.Port, p.Protocol, p.TargetPort.String(), want, port)
			}
		}
		sl, err := c.DiscoveryV1().EndpointSlices(DNSServiceNamespace).Get(ctx, DNSServiceName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if sl.Labels[discoveryv1.LabelServiceName] != DNSServiceName || sl.Labels[discoveryv1.LabelManagedBy] != dnsManager {
			t.Errorf("slice labels %v", sl.Labels)
		}
		if len(sl.Endpoints) != 1 || sl.Endpoints[0].Addresses[0] != gateway || !*sl.Endpoints[0].Conditions.Ready {
			t.Errorf("slice endpoints %+v, want ready %s", sl.Endpoints, gateway)
		}
		if len(sl.Ports) != 2 || *sl.Ports[0].Port != port || *sl.Ports[1].Port != port {
			t.Errorf("slice ports %+v, want 2 at %d", sl.Ports, port)
		}
		ep, err := c.CoreV1().Endpoints(DNSServiceNamespace).Get(ctx, DNSServiceName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ep.Subsets) != 1 || ep.Subsets[0].Addresses[0].IP != gateway || ep.Subsets[0].Ports[0].Port != port {
			t.Errorf("endpoints %+v, want %s:%d", ep.Subsets, gateway, port)
		}
	}
	if err := ensureKubeDNS(ctx, c, "172.18.0.1", 40053); err != nil {
		t.Fatal(err)
	}
	check("172.18.0.1", 40053)
	if err := ensureKubeDNS(ctx, c, "172.19.0.1", 40054); err != nil {
		t.Fatal(err)
	}
	check("172.19.0.1", 40054)
}
