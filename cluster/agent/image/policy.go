package image

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// ErrNeverPull is returned (wrapped) by Ensure when the pull policy is Never
// and the node lacks the image: the kubelet's ErrImageNeverPull.
var ErrNeverPull = errors.New("image is not present on the node and the pull policy is Never")

// action is what Ensure does for one call.
type action int

const (
	useLocal action = iota // the node's copy is the right one
	fetch                  // transfer the image from the host
)

// effectivePolicy is policy, defaulted as Kubernetes does when empty:
// Always for ":latest" (or no tag), IfNotPresent otherwise.
func effectivePolicy(policy corev1.PullPolicy, normalized string) (corev1.PullPolicy, error) {
	switch policy {
	case corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
		return policy, nil
	case "":
		if isLatest(normalized) {
			return corev1.PullAlways, nil
		}
		return corev1.PullIfNotPresent, nil
	}
	return "", fmt.Errorf("image pull policy %q is not valid: use Always, IfNotPresent or Never", policy)
}

// decide applies policy: localID is the image ID the node has for the
// reference ("" when none, or incomplete), hostID the host's (asked only
// under Always).
func decide(policy corev1.PullPolicy, localID, hostID string) (action, error) {
	switch policy {
	case corev1.PullNever:
		if localID == "" {
			return 0, ErrNeverPull
		}
		return useLocal, nil
	case corev1.PullIfNotPresent:
		if localID == "" {
			return fetch, nil
		}
		return useLocal, nil
	case corev1.PullAlways:
		if localID != "" && localID == hostID {
			return useLocal, nil
		}
		return fetch, nil
	}
	return 0, fmt.Errorf("image pull policy %q is not valid: use Always, IfNotPresent or Never", policy)
}
