package endpointslice

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Labels and names Kubernetes uses.
const (
	// ControllerName is the managed-by label value of the slices this
	// controller writes (kube-controller-manager's).
	ControllerName = "endpointslice-controller.k8s.io"
	// labelHeadless marks the slices and Endpoints of headless Services.
	labelHeadless = "service.kubernetes.io/headless"
	// MaxEndpointsPerSlice is kube-controller-manager's default.
	MaxEndpointsPerSlice = 100
)

// group is the endpoints of one set of resolved ports.
type group struct {
	ports     []discoveryv1.EndpointPort
	endpoints []discoveryv1.Endpoint
}

// inEndpoints is Kubernetes' ShouldPodBeInEndpoints: a pod with an IP that
// is not terminal; terminating pods only when includeTerminating.
func inEndpoints(p *corev1.Pod, includeTerminating bool) bool {
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return false
	}
	if p.Status.PodIP == "" && len(p.Status.PodIPs) == 0 {
		return false
	}
	return includeTerminating || p.DeletionTimestamp == nil
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func podIP(p *corev1.Pod) string {
	for _, ip := range p.Status.PodIPs {
		if !strings.Contains(ip.IP, ":") {
			return ip.IP
		}
	}
	if !strings.Contains(p.Status.PodIP, ":") {
		return p.Status.PodIP
	}
	return ""
}

// findPort is Kubernetes' podutil.FindPort: a named targetPort is looked
// up in the pod's containers (and restartable init containers) by name and
// protocol; a number is used as is.
func findPort(p *corev1.Pod, sp *corev1.ServicePort) (int32, bool) {
	if sp.TargetPort.Type == intstr.Int {
		return int32(sp.TargetPort.IntValue()), true
	}
	name := sp.TargetPort.StrVal
	for _, c := range p.Spec.Containers {
		for _, cp := range c.Ports {
			if cp.Name == name && cp.Protocol == sp.Protocol {
				return cp.ContainerPort, true
			}
		}
	}
	for _, c := range p.Spec.InitContainers {
		if c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways {
			continue
		}
		for _, cp := range c.Ports {
			if cp.Name == name && cp.Protocol == sp.Protocol {
				return cp.ContainerPort, true
			}
		}
	}
	return 0, false
}

// endpointPorts resolves the Service's ports for one pod; ports the pod
// lacks are left out, as Kubernetes does.
func endpointPorts(svc *corev1.Service, p *corev1.Pod) []discoveryv1.EndpointPort {
	out := []discoveryv1.EndpointPort{}
	for i := range svc.Spec.Ports {
		sp := &svc.Spec.Ports[i]
		num, ok := findPort(p, sp)
		if !ok {
			continue
		}
		out = append(out, discoveryv1.EndpointPort{Name: new(sp.Name), Port: new(num), Protocol: new(sp.Protocol), AppProtocol: sp.AppProtocol})
	}
	return out
}

func portsKey(ports []discoveryv1.EndpointPort) string {
	var b strings.Builder
	for _, p := range ports {
		fmt.Fprintf(&b, "%s/%s/%d/%v;", deref(p.Name), deref(p.Protocol), deref(p.Port), deref(p.AppProtocol))
	}
	return b.String()
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// shouldSetHostname: a pod whose subdomain names the Service gets its hostname published.
func shouldSetHostname(p *corev1.Pod, svc *corev1.Service) bool {
	return p.Spec.Hostname != "" && p.Spec.Subdomain == svc.Name && p.Namespace == svc.Namespace
}

// podEndpoint is Kubernetes' podToEndpoint: serving is the pod's
// readiness, terminating its deletion, ready is serving and not
// terminating unless the Service publishes not-ready addresses.
func podEndpoint(svc *corev1.Service, p *corev1.Pod, ip string) discoveryv1.Endpoint {
	serving := podReady(p)
	terminating := p.DeletionTimestamp != nil
	ready := svc.Spec.PublishNotReadyAddresses || (serving && !terminating)
	ep := discoveryv1.Endpoint{
		Addresses:  []string{ip},
		Conditions: discoveryv1.EndpointConditions{Ready: &ready, Serving: &serving, Terminating: &terminating},
		TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID},
	}
	if p.Spec.NodeName != "" {
		ep.NodeName = new(p.Spec.NodeName)
	}
	if shouldSetHostname(p, svc) {
		ep.Hostname = new(p.Spec.Hostname)
	}
	return ep
}

// desiredGroups returns the Service's endpoints grouped by resolved
// ports, groups in key order, endpoints in pod name order, each group cut
// into slices of at most max endpoints.
func desiredGroups(svc *corev1.Service, pods []*corev1.Pod, max int) []group {
	byKey := map[string]*group{}
	pods = slices.Clone(pods)
	slices.SortFunc(pods, func(a, b *corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	for _, p := range pods {
		ip := podIP(p)
		if !inEndpoints(p, true) || ip == "" {
			continue
		}
		ports := endpointPorts(svc, p)
		k := portsKey(ports)
		g := byKey[k]
		if g == nil {
			g = &group{ports: ports}
			byKey[k] = g
		}
		g.endpoints = append(g.endpoints, podEndpoint(svc, p, ip))
	}
	var out []group
	for _, k := range slices.Sorted(maps.Keys(byKey)) {
		g := byKey[k]
		for start := 0; start < len(g.endpoints); start += max {
			out = append(out, group{ports: g.ports, endpoints: g.endpoints[start:min(start+max, len(g.endpoints))]})
		}
	}
	return out
}

// desiredSubsets is the endpoints controller's view: ready pods (all, when
// the Service publishes not-ready addresses) as addresses, the others as
// notReadyAddresses, terminating pods left out unless published; one
// subset per set of resolved ports, as RepackSubsets makes them.
func desiredSubsets(svc *corev1.Service, pods []*corev1.Pod) []corev1.EndpointSubset {
	byKey := map[string]*corev1.EndpointSubset{}
	headlessNoPorts := len(svc.Spec.Ports) == 0 && svc.Spec.ClusterIP == corev1.ClusterIPNone
	for _, p := range pods {
		ip := podIP(p)
		if !inEndpoints(p, svc.Spec.PublishNotReadyAddresses) || ip == "" {
			continue
		}
		var ports []corev1.EndpointPort
		for _, ep := range endpointPorts(svc, p) {
			ports = append(ports, corev1.EndpointPort{Name: *ep.Name, Port: *ep.Port, Protocol: *ep.Protocol, AppProtocol: ep.AppProtocol})
		}
		if len(ports) == 0 && !headlessNoPorts {
			continue
		}
		k := fmt.Sprint(ports)
		ss := byKey[k]
		if ss == nil {
			ss = &corev1.EndpointSubset{Ports: ports}
			byKey[k] = ss
		}
		addr := corev1.EndpointAddress{IP: ip, TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID}}
		if p.Spec.NodeName != "" {
			addr.NodeName = new(p.Spec.NodeName)
		}
		if shouldSetHostname(p, svc) {
			addr.Hostname = p.Spec.Hostname
		}
		if svc.Spec.PublishNotReadyAddresses || podReady(p) {
			ss.Addresses = append(ss.Addresses, addr)
		} else {
			ss.NotReadyAddresses = append(ss.NotReadyAddresses, addr)
		}
	}
	var out []corev1.EndpointSubset
	byIP := func(a, b corev1.EndpointAddress) int { return strings.Compare(a.IP, b.IP) }
	for _, k := range slices.Sorted(maps.Keys(byKey)) {
		ss := byKey[k]
		slices.SortFunc(ss.Addresses, byIP)
		slices.SortFunc(ss.NotReadyAddresses, byIP)
		out = append(out, *ss)
	}
	return out
}

// serviceLabels are the labels of a Service's slices or Endpoints: the
// Service's own, the headless mark, and (for slices) extra.
func serviceLabels(svc *corev1.Service, extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range svc.Labels {
		if k != discoveryv1.LabelServiceName && k != discoveryv1.LabelManagedBy {
			out[k] = v
		}
	}
	if svc.Spec.ClusterIP == corev1.ClusterIPNone {
		out[labelHeadless] = ""
	}
	maps.Copy(out, extra)
	return out
}
