package controlplane

import (
	"context"
	"fmt"

	"github.com/minidev/mini/cluster/pki"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// apiServerManager is the managed-by value of the kubernetes
// EndpointSlice: the API server keeps it, not the endpointslice controller.
const apiServerManager = "mini-apiserver"

// bootstrapKubernetesService creates or updates the `kubernetes` Service in
// default (ClusterIP 10.96.0.1, port 443 "https" to the API port, no
// selector) and its Endpoints and EndpointSlice, which list the cluster
// network's gateway (where pods reach the API) and the API port, as
// kube-apiserver's endpoint reconciler does. Without a gateway only the
// Service is made.
func bootstrapKubernetesService(ctx context.Context, client kubernetes.Interface, gateway string, port int) error {
	ns := metav1.NamespaceDefault
	meta := metav1.ObjectMeta{Name: "kubernetes", Namespace: ns, Labels: map[string]string{"component": "apiserver", "provider": "kubernetes"}}
	ports := []corev1.ServicePort{{Name: "https", Port: 443, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(int32(port))}}
	svcs := client.CoreV1().Services(ns)
	svc, err := svcs.Get(ctx, meta.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = svcs.Create(ctx, &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeClusterIP, ClusterIP: pki.KubernetesServiceIP.String(), Ports: ports,
		}}, metav1.CreateOptions{})
	case err == nil && (len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0] != ports[0]):
		svc.Spec.Ports = ports
		_, err = svcs.Update(ctx, svc, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("create the kubernetes Service: %w", err)
	}
	if gateway == "" {
		return nil
	}
	ep := &corev1.Endpoints{ObjectMeta: meta, Subsets: []corev1.EndpointSubset{{
		Addresses: []corev1.EndpointAddress{{IP: gateway}},
		Ports:     []corev1.EndpointPort{{Name: "https", Port: int32(port), Protocol: corev1.ProtocolTCP}},
	}}}
	eps := client.CoreV1().Endpoints(ns)
	if cur, err := eps.Get(ctx, meta.Name, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		_, err = eps.Create(ctx, ep, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("create the kubernetes Endpoints: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("read the kubernetes Endpoints: %w", err)
	} else {
		cur.Labels, cur.Subsets = ep.Labels, ep.Subsets
		if _, err := eps.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("update the kubernetes Endpoints: %w", err)
		}
	}
	sliceMeta := *meta.DeepCopy()
	sliceMeta.Labels = map[string]string{discoveryv1.LabelServiceName: "kubernetes", discoveryv1.LabelManagedBy: apiServerManager}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  sliceMeta,
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{gateway}, Conditions: discoveryv1.EndpointConditions{Ready: new(true)}}},
		Ports:       []discoveryv1.EndpointPort{{Name: new("https"), Port: new(int32(port)), Protocol: new(corev1.ProtocolTCP)}},
	}
	slices := client.DiscoveryV1().EndpointSlices(ns)
	if cur, err := slices.Get(ctx, meta.Name, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		if _, err := slices.Create(ctx, slice, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create the kubernetes EndpointSlice: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("read the kubernetes EndpointSlice: %w", err)
	} else {
		cur.Labels, cur.Endpoints, cur.Ports = slice.Labels, slice.Endpoints, slice.Ports
		if _, err := slices.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("update the kubernetes EndpointSlice: %w", err)
		}
	}
	return nil
}
