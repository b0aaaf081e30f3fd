package endpointslice

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/minidev/mini/cluster/controller/controllerutil"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
)

// staleRetry is how soon a Service whose slices the cache does not show
// yet is looked at again (the slice's own event usually comes first).
const staleRetry = 50 * time.Millisecond

var serviceGVK = corev1.SchemeGroupVersion.WithKind("Service")

func (c *Controller) reconcile(ctx context.Context, key string) (time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	svc, err := c.services.Services(ns).Get(name)
	if apierrors.IsNotFound(err) {
		// The slices go with their owner (garbage collection); the
		// Endpoints object has none, so it goes here, as Kubernetes does.
		c.track.forget(key)
		return 0, c.deleteEndpoints(ctx, ns, name)
	}
	if err != nil {
		return 0, err
	}
	present := func(n string) bool { _, err := c.slices.EndpointSlices(ns).Get(n); return err == nil }
	if c.track.stale(key, present) {
		return staleRetry, nil
	}
	managed := len(svc.Spec.Selector) > 0 && svc.Spec.Type != corev1.ServiceTypeExternalName
	var pods []*corev1.Pod
	if managed {
		if pods, err = c.pods.Pods(ns).List(labels.SelectorFromValidatedSet(svc.Spec.Selector)); err != nil {
			return 0, err
		}
	}
	if err := c.syncSlices(ctx, svc, pods, managed); err != nil {
		if isStale(err) {
			c.log.Debug("Endpoint slices changed under the cache; retrying", "service", key, "err", err)
			return staleRetry, nil
		}
		c.recorder.Eventf(svc, corev1.EventTypeWarning, "FailedToUpdateEndpointSlices", "Error updating Endpoint Slices for Service %s/%s: %v", ns, name, err)
		return 0, fmt.Errorf("sync endpoint slices of service %s: %w", key, err)
	}
	if !managed || svc.Spec.Type == corev1.ServiceTypeExternalName {
		return 0, nil
	}
	if err := c.syncEndpoints(ctx, svc, pods); err != nil {
		if isStale(err) {
			c.log.Debug("Endpoints changed under the cache; retrying", "service", key, "err", err)
			return staleRetry, nil
		}
		c.recorder.Eventf(svc, corev1.EventTypeWarning, "FailedToUpdateEndpoint", "Failed to update endpoint %s/%s: %v", ns, name, err)
		return 0, fmt.Errorf("sync endpoints of service %s: %w", key, err)
	}
	return 0, nil
}

// isStale: the write raced the cache; the retry will see the new state.
func isStale(err error) bool {
	return apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) || apierrors.IsNotFound(err)
}

// syncSlices makes the Service's managed slices hold the desired groups,
// reusing existing slices (same ports first) and deleting the rest. A
// Service that is not managed (no selector) keeps no managed slices.
func (c *Controller) syncSlices(ctx context.Context, svc *corev1.Service, pods []*corev1.Pod, managed bool) error {
	key := controllerutil.ObjectKey(svc)
	sel := labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: svc.Name, discoveryv1.LabelManagedBy: ControllerName})
	all, err := c.slices.EndpointSlices(svc.Namespace).List(sel)
	if err != nil {
		return err
	}
	var existing []*discoveryv1.EndpointSlice
	var remove []*discoveryv1.EndpointSlice
	for _, s := range all {
		if metav1.IsControlledBy(s, svc) && managed {
			existing = append(existing, s)
		} else {
			remove = append(remove, s) // an earlier Service of this name, or no longer managed
		}
	}
	slices.SortFunc(existing, func(a, b *discoveryv1.EndpointSlice) int { return strings.Compare(a.Name, b.Name) })
	var want []group
	if managed {
		want = desiredGroups(svc, pods, c.max)
		if len(want) == 0 {
			want = []group{{}} // a placeholder slice, as Kubernetes keeps for a Service without endpoints
		}
	}
	used := make([]bool, len(existing))
	pick := func(match func(*discoveryv1.EndpointSlice) bool) *discoveryv1.EndpointSlice {
		for i, s := range existing {
			if !used[i] && match(s) {
				used[i] = true
				return s
			}
		}
		return nil
	}
	labels := serviceLabels(svc, map[string]string{discoveryv1.LabelServiceName: svc.Name, discoveryv1.LabelManagedBy: ControllerName})
	ref := controllerutil.NewControllerRef(svc, serviceGVK)
	build := func(g group) *discoveryv1.EndpointSlice {
		eps := g.endpoints
		if eps == nil {
			eps = []discoveryv1.Endpoint{}
		}
		return &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Labels: labels, OwnerReferences: []metav1.OwnerReference{*ref}},
			AddressType: discoveryv1.AddressTypeIPv4, Endpoints: eps, Ports: g.ports,
		}
	}
	// First the slices already right, then those with the same ports, then any.
	assigned := make([]*discoveryv1.EndpointSlice, len(want))
	for pass := 0; pass < 3; pass++ {
		for i, g := range want {
			if assigned[i] != nil {
				continue
			}
			desired := build(g)
			assigned[i] = pick(func(s *discoveryv1.EndpointSlice) bool {
				switch pass {
				case 0:
					return sliceEqual(s, desired)
				case 1:
					return portsKey(s.Ports) == portsKey(g.ports)
				}
				return true
			})
		}
	}
	for i, g := range want {
		desired := build(g)
		cur := assigned[i]
		switch {
		case cur == nil:
			desired.GenerateName = svc.Name + "-"
			created, err := c.client.DiscoveryV1().EndpointSlices(svc.Namespace).Create(ctx, desired, metav1.CreateOptions{})
			if err != nil {
				return fmt.Errorf("create endpoint slice: %w", err)
			}
			c.track.wrote(key, created.Name, false)
		case !sliceEqual(cur, desired):
			upd := cur.DeepCopy()
			upd.Labels, upd.OwnerReferences, upd.Endpoints, upd.Ports = desired.Labels, desired.OwnerReferences, desired.Endpoints, desired.Ports
			if _, err := c.client.DiscoveryV1().EndpointSlices(svc.Namespace).Update(ctx, upd, metav1.UpdateOptions{}); err != nil {
				return fmt.Errorf("update endpoint slice %s: %w", cur.Name, err)
			}
		}
	}
	for i, s := range existing {
		if !used[i] {
			remove = append(remove, s)
		}
	}
	for _, s := range remove {
		err := c.client.DiscoveryV1().EndpointSlices(s.Namespace).Delete(ctx, s.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &s.UID}})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete endpoint slice %s: %w", s.Name, err)
		}
		c.track.wrote(key, s.Name, true)
	}
	return nil
}

// sliceEqual compares what this controller owns of a slice.
func sliceEqual(s, desired *discoveryv1.EndpointSlice) bool {
	return apiequality.Semantic.DeepEqual(s.Labels, desired.Labels) &&
		apiequality.Semantic.DeepEqual(s.OwnerReferences, desired.OwnerReferences) &&
		s.AddressType == desired.AddressType &&
		(len(s.Endpoints) == 0 && len(desired.Endpoints) == 0 || apiequality.Semantic.DeepEqual(s.Endpoints, desired.Endpoints)) &&
		(len(s.Ports) == 0 && len(desired.Ports) == 0 || apiequality.Semantic.DeepEqual(s.Ports, desired.Ports))
}

// syncEndpoints writes the Endpoints object of the Service's name.
func (c *Controller) syncEndpoints(ctx context.Context, svc *corev1.Service, pods []*corev1.Pod) error {
	subsets := desiredSubsets(svc, pods)
	labels := serviceLabels(svc, nil)
	cur, err := c.endpoints.Endpoints(svc.Namespace).Get(svc.Name)
	if apierrors.IsNotFound(err) {
		ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: svc.Name, Namespace: svc.Namespace, Labels: labels}, Subsets: subsets}
		if _, err := c.client.CoreV1().Endpoints(svc.Namespace).Create(ctx, ep, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create endpoints: %w", err)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if apiequality.Semantic.DeepEqual(cur.Labels, labels) && (len(cur.Subsets) == 0 && len(subsets) == 0 || apiequality.Semantic.DeepEqual(cur.Subsets, subsets)) {
		return nil
	}
	upd := cur.DeepCopy()
	upd.Labels, upd.Subsets = labels, subsets
	if _, err := c.client.CoreV1().Endpoints(svc.Namespace).Update(ctx, upd, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update endpoints: %w", err)
	}
	return nil
}

func (c *Controller) deleteEndpoints(ctx context.Context, ns, name string) error {
	if _, err := c.endpoints.Endpoints(ns).Get(name); apierrors.IsNotFound(err) {
		return nil
	}
	err := c.client.CoreV1().Endpoints(ns).Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete endpoints %s/%s: %w", ns, name, err)
	}
	return nil
}
