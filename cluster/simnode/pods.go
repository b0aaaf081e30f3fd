package simnode

import (
	"context"
	"fmt"
	"net"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

// reconcilePod plays the kubelet of a simulated node for one pod: a new
// pod goes Running and Ready at once; a deleted one goes at once.
func (s *Simulator) reconcilePod(ctx context.Context, key string) (time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	pod, err := s.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil || !s.simulated(pod.Spec.NodeName) {
		return 0, err
	}
	if pod.DeletionTimestamp != nil {
		err := s.cfg.Client.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0), Preconditions: &metav1.Preconditions{UID: &pod.UID}})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return 0, nil
		}
		return 0, err
	}
	if pod.Status.Phase == corev1.PodRunning && pod.Status.PodIP != "" {
		return 0, nil
	}
	running := pod.DeepCopy()
	running.Status = s.runningStatus(pod)
	_, err = s.cfg.Client.CoreV1().Pods(ns).UpdateStatus(ctx, running, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return 0, nil // gone, or changed: the informer brings it back
	}
	return 0, err
}

// runningStatus is the status of a pod whose containers all started.
func (s *Simulator) runningStatus(pod *corev1.Pod) corev1.PodStatus {
	now := metav1.NewTime(s.cfg.Now())
	ip := s.allocateIP(pod.Spec.NodeName)
	st := corev1.PodStatus{
		Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
		HostIP: hostIP(pod.Spec.NodeName), HostIPs: []corev1.HostIP{{IP: hostIP(pod.Spec.NodeName)}},
		StartTime: &now, QOSClass: pod.Status.QOSClass,
		Conditions: []corev1.PodCondition{
			{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
		},
	}
	for _, c := range pod.Spec.InitContainers {
		st.InitContainerStatuses = append(st.InitContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: "simulated", ContainerID: fmt.Sprintf("mini-simulated://%s-%s", pod.UID, c.Name), Ready: true,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Completed", StartedAt: now, FinishedAt: now}},
		})
	}
	for _, c := range pod.Spec.Containers {
		st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: "simulated", ContainerID: fmt.Sprintf("mini-simulated://%s-%s", pod.UID, c.Name),
			Ready: true, Started: ptr.To(true), State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
	return st
}

// allocateIP hands out the next address of a simulated node's pod range
// (fake: nothing answers there). It wraps after 253 pods.
func (s *Simulator) allocateIP(node string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	cidr := s.podCIDR[node]
	s.nextIP[node] = s.nextIP[node]%253 + 1
	ip := make(net.IP, 4)
	copy(ip, cidr.IP.To4())
	ip[3] = byte(s.nextIP[node] + 1)
	return ip.String()
}
