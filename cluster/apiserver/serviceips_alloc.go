package apiserver

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// needsClusterIP: every type but ExternalName, unless headless.
func needsClusterIP(s *corev1.Service) bool {
	return s.Spec.Type != corev1.ServiceTypeExternalName && s.Spec.ClusterIP != corev1.ClusterIPNone &&
		!(len(s.Spec.ClusterIPs) > 0 && s.Spec.ClusterIPs[0] == corev1.ClusterIPNone)
}

// needsNodePorts: NodePort, and LoadBalancer unless allocateLoadBalancerNodePorts is false.
func needsNodePorts(s *corev1.Service) bool {
	switch s.Spec.Type {
	case corev1.ServiceTypeNodePort:
		return true
	case corev1.ServiceTypeLoadBalancer:
		return s.Spec.AllocateLoadBalancerNodePorts == nil || *s.Spec.AllocateLoadBalancerNodePorts
	}
	return false
}

// prepareServiceUpdate is kube-apiserver's patchAllocatedValues and
// dropTypeDependentFields: an update that leaves out the allocated IP or
// node ports keeps them (kubectl apply and replace send objects without
// them), and a type change that no longer needs them drops them.
func prepareServiceUpdate(old, svc *corev1.Service) {
	if needsClusterIP(old) && needsClusterIP(svc) {
		if svc.Spec.ClusterIP == "" {
			svc.Spec.ClusterIP = old.Spec.ClusterIP
		}
		if len(svc.Spec.ClusterIPs) == 0 {
			svc.Spec.ClusterIPs = slices.Clone(old.Spec.ClusterIPs)
		}
	}
	if needsNodePorts(old) && needsNodePorts(svc) {
		inNew := map[int32]bool{}
		for _, p := range svc.Spec.Ports {
			inNew[p.NodePort] = true
		}
		byName := map[string]int32{}
		for _, p := range old.Spec.Ports {
			byName[p.Name] = p.NodePort
		}
		for i := range svc.Spec.Ports {
			if p := &svc.Spec.Ports[i]; p.NodePort == 0 && !inNew[byName[p.Name]] {
				p.NodePort = byName[p.Name]
			}
		}
	}
	if needsClusterIP(old) && !needsClusterIP(svc) && svc.Spec.Type == corev1.ServiceTypeExternalName {
		if svc.Spec.ClusterIP == old.Spec.ClusterIP && slices.Equal(svc.Spec.ClusterIPs, old.Spec.ClusterIPs) {
			svc.Spec.ClusterIP, svc.Spec.ClusterIPs = "", nil
		}
		if slices.Equal(svc.Spec.IPFamilies, old.Spec.IPFamilies) {
			svc.Spec.IPFamilies = nil
		}
		if svc.Spec.IPFamilyPolicy != nil && old.Spec.IPFamilyPolicy != nil && *svc.Spec.IPFamilyPolicy == *old.Spec.IPFamilyPolicy {
			svc.Spec.IPFamilyPolicy = nil
		}
	}
	if needsNodePorts(old) && !needsNodePorts(svc) && slices.Equal(nodePortsOf(old), nodePortsOf(svc)) {
		for i := range svc.Spec.Ports {
			svc.Spec.Ports[i].NodePort = 0
		}
	}
	if svc.Spec.ClusterIP == "" && len(svc.Spec.ClusterIPs) > 0 {
		svc.Spec.ClusterIP = svc.Spec.ClusterIPs[0]
	}
}

func nodePortsOf(s *corev1.Service) []int32 {
	out := make([]int32, len(s.Spec.Ports))
	for i, p := range s.Spec.Ports {
		out[i] = p.NodePort
	}
	return out
}

// allocate reserves what svc needs that old (nil on create) does not
// hold, filling in spec.clusterIP(s) and nodePorts, and checks that an
// update changes no cluster IP. The caller finishes the allocation once
// it knows whether the object was stored.
func (a *serviceAllocator) allocate(ctx context.Context, old, svc *corev1.Service) (*serviceAllocation, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.ready(ctx); err != nil {
		return nil, err
	}
	x := &serviceAllocation{a: a}
	if err := a.allocateIPs(x, old, svc); err != nil {
		x.abortLocked()
		return nil, err
	}
	if err := a.allocateNodePorts(x, old, svc); err != nil {
		x.abortLocked()
		return nil, err
	}
	return x, nil
}

// abortLocked gives back what x took, with mu held.
func (x *serviceAllocation) abortLocked() {
	x.done = true
	for _, ip := range x.ips {
		x.a.ips.release(ip)
	}
	for _, p := range x.ports {
		x.a.nodes.release(p)
	}
}

func (a *serviceAllocator) allocateIPs(x *serviceAllocation, old, svc *corev1.Service) error {
	path := field.NewPath("spec", "clusterIPs")
	oldHas := old != nil && needsClusterIP(old)
	if old != nil && old.Spec.Type != corev1.ServiceTypeExternalName && svc.Spec.Type != corev1.ServiceTypeExternalName {
		// ValidateServiceUpdate: cluster IPs may not change once set.
		for i, ip := range old.Spec.ClusterIPs {
			if i >= len(svc.Spec.ClusterIPs) {
				if i == 0 {
					return invalidService(svc.Name, field.Invalid(path.Index(0), svc.Spec.ClusterIPs, "primary clusterIP can not be unset"))
				}
				break
			}
			if svc.Spec.ClusterIPs[i] != ip {
				return invalidService(svc.Name, field.Invalid(path.Index(i), svc.Spec.ClusterIPs, "may not change once set"))
			}
		}
	}
	if oldHas {
		if !needsClusterIP(svc) {
			x.freeIPs = append(x.freeIPs, old.Spec.ClusterIPs...)
		}
		return nil
	}
	if !needsClusterIP(svc) {
		return nil
	}
	if svc.Spec.ClusterIP == "" && len(svc.Spec.ClusterIPs) > 0 {
		svc.Spec.ClusterIP = svc.Spec.ClusterIPs[0]
	}
	if len(svc.Spec.ClusterIPs) > 0 && svc.Spec.ClusterIPs[0] != svc.Spec.ClusterIP {
		return invalidService(svc.Name, field.Invalid(path.Index(0), svc.Spec.ClusterIPs, "must match `clusterIP`"))
	}
	if len(svc.Spec.ClusterIPs) > 1 {
		return invalidService(svc.Name, field.Invalid(path, svc.Spec.ClusterIPs, "this cluster is single-stack IPv4: at most one cluster IP may be given"))
	}
	if svc.Spec.ClusterIP == "" {
		ip, err := a.ips.next()
		if err != nil {
			return apierrors.NewInternalError(fmt.Errorf("failed to allocate a serviceIP: %w", err))
		}
		svc.Spec.ClusterIP = ip.String()
	} else {
		ip, err := netip.ParseAddr(svc.Spec.ClusterIP)
		if err != nil || !ip.Is4() {
			return invalidService(svc.Name, field.Invalid(path.Index(0), svc.Spec.ClusterIP, "must be a valid IPv4 address"))
		}
		if err := a.ips.take(ip); err != nil {
			return invalidService(svc.Name, field.Invalid(path, []string{svc.Spec.ClusterIP}, fmt.Sprintf("failed to allocate IP %s: %v", svc.Spec.ClusterIP, err)))
		}
	}
	svc.Spec.ClusterIPs = []string{svc.Spec.ClusterIP}
	svc.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
	x.ips = append(x.ips, svc.Spec.ClusterIP)
	return nil
}

// allocateNodePorts is kube-apiserver's initNodePorts/updateNodePorts:
// requested node ports are honoured if free, the others allocated; two
// ports of one Service with the same port number (TCP and UDP) share one.
func (a *serviceAllocator) allocateNodePorts(x *serviceAllocation, old, svc *corev1.Service) error {
	held := map[int32]bool{}
	if old != nil {
		for _, p := range old.Spec.Ports {
			if p.NodePort != 0 {
				held[p.NodePort] = true
			}
		}
	}
	kept := map[int32]bool{}
	byPort := map[int32]int32{}
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if p.NodePort == 0 {
			if !needsNodePorts(svc) {
				continue
			}
			if np := byPort[p.Port]; np != 0 {
				p.NodePort = np
				continue
			}
			np, err := a.nodes.next()
			if err != nil {
				return apierrors.NewInternalError(fmt.Errorf("failed to allocate a nodePort: %w", err))
			}
			p.NodePort = int32(np)
			x.ports = append(x.ports, np)
		} else if !held[p.NodePort] && !kept[p.NodePort] {
			if err := a.nodes.take(int(p.NodePort)); err != nil {
				return invalidService(svc.Name, field.Invalid(field.NewPath("spec", "ports").Index(i).Child("nodePort"), p.NodePort, err.Error()))
			}
			x.ports = append(x.ports, int(p.NodePort))
		}
		kept[p.NodePort] = true
		byPort[p.Port] = p.NodePort
	}
	for np := range held {
		if !kept[np] {
			x.freePort = append(x.freePort, int(np))
		}
	}
	return nil
}

// allocateFor reserves what a Service being created (old nil) or updated
// needs; other kinds need nothing (nil, which finish accepts).
func (s *Server) allocateFor(ctx context.Context, old, obj kruntime.Object) (*serviceAllocation, error) {
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return nil, nil
	}
	var oldSvc *corev1.Service
	if old != nil {
		oldSvc = old.(*corev1.Service)
		prepareServiceUpdate(oldSvc, svc)
		if apiequality.Semantic.DeepEqual(oldSvc.Spec, svc.Spec) {
			svc.Generation = oldSvc.Generation // prepareUpdate saw the IPs missing, not a change
		}
	}
	return s.services.allocate(ctx, oldSvc, svc)
}

// releaseFor gives back what objects that left the store held.
func (s *Server) releaseFor(objs ...kruntime.Object) {
	for _, o := range objs {
		if svc, ok := o.(*corev1.Service); ok {
			s.services.released(svc)
		}
	}
}

// loadServices lists every stored Service, for the allocator's rebuild.
func (s *Server) loadServices(ctx context.Context) ([]*corev1.Service, error) {
	res, ok := s.reg.Lookup("", "v1", "services")
	if !ok {
		return nil, nil
	}
	kvs, _, _, err := s.store.List(ctx, res.storePrefix(""), "", 0)
	if err != nil {
		return nil, err
	}
	out := make([]*corev1.Service, 0, len(kvs))
	for _, kv := range kvs {
		obj, err := fromStore(res, kv)
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
		}
		out = append(out, obj.(*corev1.Service))
	}
	return out, nil
}
