package podstatus

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSummarize(t *testing.T) {
	t.Parallel()
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	waiting := func(r string) corev1.ContainerState {
		return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: r}}
	}
	done := func(code int32, reason string) corev1.ContainerState {
		return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason}}
	}
	finished := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	now := metav1.Now()
	tests := []struct {
		name         string
		pod          corev1.Pod
		ready, rest  int
		reason       string
		lastRestarts bool
	}{
		{name: "pending", pod: corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodPending}}, reason: "Pending"},
		{name: "running and ready", pod: corev1.Pod{Spec: corev1.PodSpec{Containers: make([]corev1.Container, 1)}, Status: corev1.PodStatus{Phase: corev1.PodRunning,
			ContainerStatuses: []corev1.ContainerStatus{{Ready: true, State: running}}}}, ready: 1, reason: "Running"},
		{name: "crash loop with restarts", pod: corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodRunning,
			ContainerStatuses: []corev1.ContainerStatus{{RestartCount: 4, State: waiting("CrashLoopBackOff"),
				LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{FinishedAt: finished}}}}}}, rest: 4, reason: "CrashLoopBackOff", lastRestarts: true},
		{name: "completed", pod: corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodSucceeded,
			ContainerStatuses: []corev1.ContainerStatus{{State: done(0, "Completed")}}}}, reason: "Completed"},
		{name: "exit code without reason", pod: corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodFailed,
			ContainerStatuses: []corev1.ContainerStatus{{State: done(3, "")}}}}, reason: "ExitCode:3"},
		{name: "init container running", pod: corev1.Pod{Spec: corev1.PodSpec{InitContainers: make([]corev1.Container, 2)}, Status: corev1.PodStatus{Phase: corev1.PodPending,
			InitContainerStatuses: []corev1.ContainerStatus{{State: done(0, "Completed")}, {State: running}}}}, reason: "Init:1/2"},
		{name: "init container crashing", pod: corev1.Pod{Spec: corev1.PodSpec{InitContainers: make([]corev1.Container, 1)}, Status: corev1.PodStatus{Phase: corev1.PodPending,
			InitContainerStatuses: []corev1.ContainerStatus{{RestartCount: 2, State: waiting("CrashLoopBackOff")}}}}, rest: 2, reason: "Init:CrashLoopBackOff"},
		{name: "one done one running, ready", pod: corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodRunning,
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			ContainerStatuses: []corev1.ContainerStatus{{Ready: true, State: running}, {State: done(0, "Completed")}}}}, ready: 1, reason: "Running"},
		{name: "one done one running, not ready", pod: corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodRunning,
			ContainerStatuses: []corev1.ContainerStatus{{Ready: true, State: running}, {State: done(0, "Completed")}}}}, ready: 1, reason: "NotReady"},
		{name: "terminating", pod: corev1.Pod{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: &now}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}, reason: "Terminating"},
		{name: "scheduling gated", pod: corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodPending,
			Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Reason: corev1.PodReasonSchedulingGated}}}}, reason: "SchedulingGated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ready, restarts, reason, last := Summarize(&tt.pod)
			if ready != tt.ready || restarts != tt.rest || reason != tt.reason || last.IsZero() == tt.lastRestarts {
				t.Errorf("Summarize() = %d, %d, %q, last restart %v; want %d, %d, %q, last restart set %v", ready, restarts, reason, last, tt.ready, tt.rest, tt.reason, tt.lastRestarts)
			}
		})
	}
}
