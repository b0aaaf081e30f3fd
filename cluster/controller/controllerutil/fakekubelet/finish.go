package fakekubelet

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// MarkFinished ends a pod as a kubelet reports a pod whose containers all
// exited with exitCode: phase Succeeded for 0, else Failed; containers
// terminated (reason Completed or Error) at now, not ready. A pod already
// gone is not an error.
func MarkFinished(ctx context.Context, client kubernetes.Interface, ns, name string, exitCode int32, now time.Time) error {
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
		phase, reason := corev1.PodSucceeded, "Completed"
		if exitCode != 0 {
			phase, reason = corev1.PodFailed, "Error"
		}
		pod.Status.Phase = phase
		if pod.Status.StartTime == nil {
			pod.Status.StartTime = &t
		}
		pod.Status.Conditions = []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: t},
			{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "PodCompleted", LastTransitionTime: t},
		}
		pod.Status.ContainerStatuses = nil
		for _, c := range pod.Spec.Containers {
			pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{
				Name: c.Name, Image: c.Image,
				State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: exitCode, Reason: reason, FinishedAt: t}},
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
