// Package fakekubelet stands in for a kubelet in controller tests, where
// there is no scheduler or node agent: it marks pods Running and Ready
// through the status subresource, as a kubelet would report them, and ends
// them (Succeeded or Failed) on demand with MarkFinished.
package fakekubelet

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

var ipSeq atomic.Uint32

// MarkReady sets the pod's phase Running, its PodReady, ContainersReady,
// Initialized and PodScheduled conditions True (transition at now), a pod
// IP and ready container statuses. A pod already gone is not an error.
func MarkReady(ctx context.Context, client kubernetes.Interface, ns, name string, now time.Time) error {
	pods := client.CoreV1().Pods(ns)
	for {
		pod, err := pods.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		t := metav1.NewTime(now)
		n := ipSeq.Add(1)
		pod.Status.Phase = corev1.PodRunning
		pod.Status.PodIP = fmt.Sprintf("10.244.%d.%d", (n/250)%250, n%250+2)
		pod.Status.PodIPs = []corev1.PodIP{{IP: pod.Status.PodIP}}
		pod.Status.HostIP = "172.18.0.2"
		pod.Status.StartTime = &t
		pod.Status.Conditions = nil
		for _, c := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
			pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{Type: c, Status: corev1.ConditionTrue, LastTransitionTime: t})
		}
		pod.Status.ContainerStatuses = nil
		for _, c := range pod.Spec.Containers {
			pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{
				Name: c.Name, Image: c.Image, Ready: true, Started: new(true),
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: t}},
			})
		}
		_, err = pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			continue
		}
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
}

// Run marks every pod that is not ready yet and for which ready returns
// true (nil: every pod) Ready, until ctx ends. Errors go to errs (nil:
// dropped).
func Run(ctx context.Context, client kubernetes.Interface, ready func(*corev1.Pod) bool, errs func(error)) {
	f := informers.NewSharedInformerFactory(client, 0)
	inf := f.Core().V1().Pods().Informer()
	handle := func(obj any) {
		pod, ok := obj.(*corev1.Pod)
		if !ok || pod.DeletionTimestamp != nil || pod.Status.Phase == corev1.PodRunning || (ready != nil && !ready(pod)) {
			return
		}
		go func() {
			if err := MarkReady(ctx, client, pod.Namespace, pod.Name, time.Now()); err != nil && errs != nil && ctx.Err() == nil {
				errs(err)
			}
		}()
	}
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: handle, UpdateFunc: func(_, obj any) { handle(obj) }})
	f.Start(ctx.Done())
	<-ctx.Done()
	f.Shutdown()
}
