package controlplane

import (
	"context"
	"testing"

	"github.com/minidev/mini/cluster/apiserver/apiservertest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

func TestBootstrapKubernetesService(t *testing.T) {
	t.Parallel()
	c := kubernetes.NewForConfigOrDie(apiservertest.Start(t))
	ctx := context.Background()
	// Twice, the second time with a new port (a restart): it converges.
	for _, port := range []int{6443, 7443} {
		if err := bootstrapKubernetesService(ctx, c, "172.18.0.1", port); err != nil {
			t.Fatal(err)
		}
		svc, err := c.CoreV1().Services("default").Get(ctx, "kubernetes", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if svc.Spec.ClusterIP != "10.96.0.1" || svc.Spec.Selector != nil || len(svc.Spec.Ports) != 1 ||
			svc.Spec.Ports[0].Name != "https" || svc.Spec.Ports[0].Port != 443 || svc.Spec.Ports[0].TargetPort.IntValue() != port {
			t.Errorf("service %+v", svc.Spec)
		}
		ep, err := c.CoreV1().Endpoints("default").Get(ctx, "kubernetes", metav1.GetOptions{})
		if err != nil || len(ep.Subsets) != 1 || ep.Subsets[0].Addresses[0].IP != "172.18.0.1" || ep.Subsets[0].Ports[0].Port != int32(port) {
			t.Errorf("endpoints %+v %v", ep, err)
		}
		sl, err := c.DiscoveryV1().EndpointSlices("default").Get(ctx, "kubernetes", metav1.GetOptions{})
		if err != nil || sl.Labels["kubernetes.io/service-name"] != "kubernetes" || sl.Labels["endpointslice.kubernetes.io/managed-by"] != "mini-apiserver" ||
			sl.Endpoints[0].Addresses[0] != "172.18.0.1" || *sl.Ports[0].Port != int32(port) {
			t.Errorf("slice %+v %v", sl, err)
		}
	}
}
