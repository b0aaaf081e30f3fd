package volume

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// setupTmpfs mounts a tmpfs on dir once, sized as the kubelet sizes a
// memory-backed emptyDir.
func (m *Manager) setupTmpfs(pod *corev1.Pod, dir string, sizeLimit *resource.Quantity) error {
	m.mu.Lock()
	mounted := m.tmpfs[pod.UID][dir]
	m.mu.Unlock()
	if mounted {
		return nil
	}
	if err := makeDir(dir); err != nil {
		return err
	}
	size := tmpfsSize(pod, sizeLimit, m.cfg.Allocatable)
	if err := m.cfg.Mounter.MountTmpfs(dir, size); err != nil {
		return fmt.Errorf("mount tmpfs for pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	m.mu.Lock()
	if m.tmpfs[pod.UID] == nil {
		m.tmpfs[pod.UID] = map[string]bool{}
	}
	m.tmpfs[pod.UID][dir] = true
	m.mu.Unlock()
	return nil
}

// tmpfsSize returns the smallest positive of the node's allocatable
// memory, the pod's memory limit and the volume's sizeLimit, in bytes (0:
// none known).
func tmpfsSize(pod *corev1.Pod, sizeLimit *resource.Quantity, alloc corev1.ResourceList) int64 {
	var size int64
	smaller := func(v int64) {
		if v > 0 && (size == 0 || v < size) {
			size = v
		}
	}
	if q, ok := alloc[corev1.ResourceMemory]; ok {
		smaller(q.Value())
	}
	smaller(podMemoryLimit(pod))
	if sizeLimit != nil {
		smaller(sizeLimit.Value())
	}
	return size
}

// podMemoryLimit is the pod's memory limit as its cgroup gets it: the sum
// of its containers' limits, at least each init container's; 0 when a
// container has none.
func podMemoryLimit(pod *corev1.Pod) int64 {
	var sum int64
	for _, c := range pod.Spec.Containers {
		q, ok := c.Resources.Limits[corev1.ResourceMemory]
		if !ok {
			return 0
		}
		sum += q.Value()
	}
	for _, c := range pod.Spec.InitContainers {
		q, ok := c.Resources.Limits[corev1.ResourceMemory]
		if !ok {
			return 0
		}
		sum = max(sum, q.Value())
	}
	return sum
}
