package nodelifecycle

import (
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestStale(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	node := func(status corev1.ConditionStatus, heartbeat time.Duration) *corev1.Node {
		return &corev1.Node{Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: status, LastHeartbeatTime: metav1.NewTime(now.Add(-heartbeat)),
		}}}}
	}
	lease := func(ago time.Duration) *coordinationv1.Lease {
		t := metav1.NewMicroTime(now.Add(-ago))
		return &coordinationv1.Lease{Spec: coordinationv1.LeaseSpec{RenewTime: &t}}
	}
	tests := []struct {
		name  string
		node  *corev1.Node
		lease *coordinationv1.Lease
		want  bool
	}{
		{"fresh lease", node(corev1.ConditionTrue, time.Hour), lease(5 * time.Second), false},
		{"stale lease and heartbeat", node(corev1.ConditionTrue, time.Hour), lease(41 * time.Second), true},
		{"no lease, fresh heartbeat", node(corev1.ConditionTrue, 10*time.Second), nil, false},
		{"no lease, stale heartbeat", node(corev1.ConditionTrue, time.Minute), nil, true},
		{"already unknown", node(corev1.ConditionUnknown, time.Hour), lease(time.Hour), false},
		{"no ready condition yet", &corev1.Node{}, nil, false},
		{"not ready but silent", node(corev1.ConditionFalse, time.Hour), lease(time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Stale(tt.node, tt.lease, now, 40*time.Second); got != tt.want {
				t.Errorf("Stale() = %v, want %v", got, tt.want)
			}
		})
	}
}
