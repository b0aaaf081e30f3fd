package agent

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// status is the pod's status from what the agent knows now.
func (p *pods) status(pod *corev1.Pod, st *podState) corev1.PodStatus {
	s := *pod.Status.DeepCopy()
	now := metav1.Now()
	if !st.startTime.IsZero() {
		s.StartTime = ptr.To(metav1.NewTime(st.startTime))
	}
	if ip := p.nodeIP(); ip != "" {
		s.HostIP = ip
		s.HostIPs = []corev1.HostIP{{IP: ip}}
	}
	if st.sandbox != nil && st.sandbox.IP != nil {
		s.PodIP = st.sandbox.IP.String()
		s.PodIPs = []corev1.PodIP{{IP: s.PodIP}}
	}
	specs := map[string]corev1.Container{}
	for _, c := range append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
		specs[c.Name] = c
	}
	s.InitContainerStatuses = nil
	initDone := true
	for _, c := range st.init {
		cs := containerStatus(c, specs[c.name], "PodInitializing")
		s.InitContainerStatuses = append(s.InitContainerStatuses, cs)
		if !(cs.State.Terminated != nil && cs.State.Terminated.ExitCode == 0) {
			initDone = false
		}
	}
	s.ContainerStatuses = nil
	creating := "ContainerCreating"
	if len(st.init) > 0 && !initDone {
		creating = "PodInitializing"
	}
	for _, c := range st.ctrs {
		s.ContainerStatuses = append(s.ContainerStatuses, containerStatus(c, specs[c.name], creating))
	}
	s.Phase = phase(&pod.Spec, s.InitContainerStatuses, s.ContainerStatuses, initDone)
	if pod.DeletionTimestamp != nil && s.Phase == corev1.PodRunning && p.allStopped(st) {
		// Stopped for deletion: how the containers ended decides.
		if pod.Spec.RestartPolicy == corev1.RestartPolicyAlways {
			s.Phase = corev1.PodFailed
			for _, c := range s.ContainerStatuses {
				if c.State.Terminated == nil || c.State.Terminated.ExitCode != 0 {
					break
				}
				s.Phase = corev1.PodSucceeded
			}
		}
	}
	s.Conditions = conditions(pod.Status.Conditions, st.sandbox != nil && !st.terminated, initDone, s.InitContainerStatuses, s.ContainerStatuses, s.Phase, now)
	s.QOSClass = qosClass(&pod.Spec)
	s.ObservedGeneration = pod.Generation
	return s
}

// containerStatus reports one container as the kubelet does: waiting
// (with why), running (ready once its probes say so) or terminated, and
// the previous run's end as lastState.
func containerStatus(c *ctr, spec corev1.Container, creating string) corev1.ContainerStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs := corev1.ContainerStatus{
		Name:         c.name,
		Image:        spec.Image,
		RestartCount: c.restarts,
		Started:      ptr.To(false),
	}
	if c.img != nil {
		cs.ImageID = c.img.ID
	}
	if c.last != nil {
		cs.LastTerminationState.Terminated = c.last.DeepCopy()
	}
	switch {
	case c.running():
		cs.ContainerID = containerID(c.run.ID())
		cs.State.Running = &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(c.startedAt)}
		cs.Started = ptr.To(c.started)
		cs.Ready = c.ready && c.started
	case c.term != nil && c.waiting != nil:
		// Ended, and waiting to run again.
		cs.ContainerID = c.term.ContainerID
		cs.State.Waiting = c.waiting.DeepCopy()
		cs.LastTerminationState.Terminated = c.term.DeepCopy()
	case c.term != nil:
		cs.ContainerID = c.term.ContainerID
		cs.State.Terminated = c.term.DeepCopy()
	case c.waiting != nil:
		cs.State.Waiting = c.waiting.DeepCopy()
	default:
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: creating}
	}
	return cs
}
