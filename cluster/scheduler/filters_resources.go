package scheduler

import (
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// resources maps a resource name to an amount: millicores for cpu, units
// (bytes, pods, devices) for everything else.
type resources map[corev1.ResourceName]int64

func (r resources) add(o resources) {
	for k, v := range o {
		r[k] += v
	}
}

func (r resources) sub(o resources) {
	for k, v := range o {
		r[k] -= v
	}
}

func (r resources) maxWith(o resources) {
	for k, v := range o {
		if v > r[k] {
			r[k] = v
		}
	}
}

func amount(name corev1.ResourceName, q resource.Quantity) int64 {
	if name == corev1.ResourceCPU {
		return q.MilliValue()
	}
	return q.Value()
}

func toResources(list corev1.ResourceList) resources {
	r := resources{}
	for k, q := range list {
		r[k] = amount(k, q)
	}
	return r
}

// Defaults kube-scheduler's scoring assumes for a container that requests
// no cpu or memory (schedutil.DefaultMilliCPURequest, DefaultMemoryRequest).
const (
	defaultMilliCPU = 100
	defaultMemory   = 200 * 1024 * 1024
)

// podRequests is what a pod asks of a node, as Kubernetes computes it
// (component-helpers resource.PodRequests): the sum over containers and
// restartable (sidecar) init containers, at least the largest need of any
// init container while it runs (plus the sidecars started before it),
// pod-level cpu/memory requests when set, plus the pod overhead. With
// nonZero, containers missing a cpu or memory request count the
// scheduler's defaults (used for scoring only).
func podRequests(p *corev1.Pod, nonZero bool) resources {
	containerReq := func(c *corev1.Container) resources {
		r := toResources(c.Resources.Requests)
		if nonZero {
			if _, ok := c.Resources.Requests[corev1.ResourceCPU]; !ok {
				r[corev1.ResourceCPU] = defaultMilliCPU
			}
			if _, ok := c.Resources.Requests[corev1.ResourceMemory]; !ok {
				r[corev1.ResourceMemory] = defaultMemory
			}
		}
		return r
	}
	total := resources{}
	for i := range p.Spec.Containers {
		total.add(containerReq(&p.Spec.Containers[i]))
	}
	sidecars, initMax := resources{}, resources{}
	for i := range p.Spec.InitContainers {
		c := &p.Spec.InitContainers[i]
		r := containerReq(c)
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			total.add(r)
			sidecars.add(r)
			initMax.maxWith(sidecars)
			continue
		}
		r.add(sidecars)
		initMax.maxWith(r)
	}
	total.maxWith(initMax)
	if p.Spec.Resources != nil {
		for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if q, ok := p.Spec.Resources.Requests[name]; ok {
				total[name] = amount(name, q)
			}
		}
	}
	total.add(toResources(p.Spec.Overhead))
	return total
}

// filterResources is NodeResourcesFit: the pod's requests must fit in the
// node's allocatable less what the pods already there request, and the
// node must have room for one more pod.
func filterResources(c *cycle, n *nodeInfo) []string {
	alloc := n.alloc
	var reasons []string
	if int64(len(n.pods))+1 > alloc[corev1.ResourcePods] {
		reasons = append(reasons, "Too many pods")
	}
	insufficient := func(name corev1.ResourceName) bool {
		want := c.request[name]
		return want > 0 && want > alloc[name]-n.requested[name]
	}
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
		if insufficient(name) {
			reasons = append(reasons, fmt.Sprintf("Insufficient %s", name))
		}
	}
	var others []string
	for name := range c.request {
		switch name {
		case corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage, corev1.ResourcePods:
			continue
		}
		if insufficient(name) {
			others = append(others, fmt.Sprintf("Insufficient %s", name))
		}
	}
	sort.Strings(others)
	return append(reasons, others...)
}
