package scheduler

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSetCondition(t *testing.T) {
	t.Parallel()
	t0, t1 := metav1.NewTime(time.Unix(100, 0)), metav1.NewTime(time.Unix(200, 0))
	unsched := func(msg string) corev1.PodCondition {
		return corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable, Message: msg}
	}
	st := corev1.PodStatus{}
	if !setCondition(&st, unsched("a"), t0) || !st.Conditions[0].LastTransitionTime.Equal(&t0) {
		t.Fatalf("added %+v", st.Conditions)
	}
	if setCondition(&st, unsched("a"), t1) {
		t.Error("same condition reported as a change")
	}
	if !setCondition(&st, unsched("b"), t1) || st.Conditions[0].Message != "b" || !st.Conditions[0].LastTransitionTime.Equal(&t0) {
		t.Errorf("new message, same status: %+v (lastTransitionTime must stay)", st.Conditions)
	}
	done := corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}
	if !setCondition(&st, done, t1) || !st.Conditions[0].LastTransitionTime.Equal(&t1) || len(st.Conditions) != 1 {
		t.Errorf("status change: %+v", st.Conditions)
	}
}
