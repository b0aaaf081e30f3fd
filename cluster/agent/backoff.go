package agent

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// The kubelet's crash back-off: the first restart is immediate, then
// 10 s, doubled after each crash, at most 5 min; forgotten once a
// container has run for 10 min.
const (
	backoffInitial = 10 * time.Second
	backoffMax     = 5 * time.Minute
	backoffReset   = 2 * backoffMax
)

// shouldRestart says whether a container that exited with code should
// be started again under the pod's restart policy.
func shouldRestart(policy corev1.RestartPolicy, code int32) bool {
	switch policy {
	case corev1.RestartPolicyNever:
		return false
	case corev1.RestartPolicyOnFailure:
		return code != 0
	}
	return true
}

// nextWindow is the back-off window after a restart, given the window
// before it (0 before the first restart, or after a long run).
func nextWindow(prev time.Duration) time.Duration {
	if prev == 0 {
		return backoffInitial
	}
	return min(prev*2, backoffMax)
}
