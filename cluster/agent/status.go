package agent

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// phase is the pod phase the kubelet derives from its containers'
// states (kubelet_pods.go getPhase): a container waiting after a crash
// counts as stopped, so a pod in CrashLoopBackOff is Running.
func phase(spec *corev1.PodSpec, initStatuses, statuses []corev1.ContainerStatus, initDone bool) corev1.PodPhase {
	for _, s := range initStatuses {
		if t := s.State.Terminated; t != nil && t.ExitCode != 0 && spec.RestartPolicy == corev1.RestartPolicyNever {
			return corev1.PodFailed
		}
	}
	if !initDone {
		return corev1.PodPending
	}
	var running, waiting, stopped, succeeded, unknown int
	for _, s := range statuses {
		switch {
		case s.State.Running != nil:
			running++
		case s.State.Terminated != nil:
			stopped++
			if s.State.Terminated.ExitCode == 0 {
				succeeded++
			}
		case s.State.Waiting != nil:
			if s.LastTerminationState.Terminated != nil {
				stopped++
			} else {
				waiting++
			}
		default:
			unknown++
		}
	}
	switch {
	case waiting > 0:
		return corev1.PodPending
	case running > 0 && unknown == 0:
		return corev1.PodRunning
	case running == 0 && stopped > 0 && unknown == 0:
		switch {
		case spec.RestartPolicy == corev1.RestartPolicyAlways:
			return corev1.PodRunning
		case stopped == succeeded:
			return corev1.PodSucceeded
		case spec.RestartPolicy == corev1.RestartPolicyNever:
			return corev1.PodFailed
		}
		return corev1.PodRunning
	}
	return corev1.PodPending
}

// conditions are the pod conditions the kubelet owns, computed from the
// container statuses; the others (PodScheduled, DisruptionTarget, ...)
// are kept from old.
func conditions(old []corev1.PodCondition, sandboxReady, initDone bool, initStatuses, statuses []corev1.ContainerStatus, ph corev1.PodPhase, now metav1.Time) []corev1.PodCondition {
	var out []corev1.PodCondition
	owned := map[corev1.PodConditionType]bool{
		corev1.PodReadyToStartContainers: true, corev1.PodInitialized: true,
		corev1.ContainersReady: true, corev1.PodReady: true,
	}
	for _, c := range old {
		if !owned[c.Type] {
			out = append(out, c)
		}
	}
	set := func(t corev1.PodConditionType, ok bool, reason, msg string) {
		c := corev1.PodCondition{Type: t, Status: corev1.ConditionFalse, Reason: reason, Message: msg}
		if ok {
			c.Status, c.Reason, c.Message = corev1.ConditionTrue, "", ""
		}
		c.LastTransitionTime = now
		for _, o := range old {
			if o.Type == t && o.Status == c.Status {
				c.LastTransitionTime = o.LastTransitionTime
			}
		}
		out = append(out, c)
	}
	set(corev1.PodReadyToStartContainers, sandboxReady, "", "")
	var notInit []string
	for _, s := range initStatuses {
		if !(s.State.Terminated != nil && s.State.Terminated.ExitCode == 0) {
			notInit = append(notInit, s.Name)
		}
	}
	if initDone {
		notInit = nil
	}
	set(corev1.PodInitialized, len(notInit) == 0, "ContainersNotInitialized", unready("containers with incomplete status", notInit))
	var notReady []string
	for _, s := range statuses {
		if !s.Ready {
			notReady = append(notReady, s.Name)
		}
	}
	if ph == corev1.PodSucceeded || ph == corev1.PodFailed {
		// A finished pod is never ready; the kubelet says PodCompleted.
		set(corev1.ContainersReady, false, "PodCompleted", "")
		set(corev1.PodReady, false, "PodCompleted", "")
		return sortConditions(out)
	}
	msg := unready("containers with unready status", notReady)
	set(corev1.ContainersReady, len(notReady) == 0, "ContainersNotReady", msg)
	set(corev1.PodReady, len(notReady) == 0, "ContainersNotReady", msg)
	return sortConditions(out)
}

func unready(what string, names []string) string {
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf("%s: [%s]", what, strings.Join(names, " "))
}

// conditionOrder is the order the kubelet writes pod conditions in.
var conditionOrder = map[corev1.PodConditionType]int{
	corev1.PodReadyToStartContainers: 1, corev1.PodInitialized: 2, corev1.PodReady: 3,
	corev1.ContainersReady: 4, corev1.PodScheduled: 5,
}

func sortConditions(cs []corev1.PodCondition) []corev1.PodCondition {
	sort.SliceStable(cs, func(i, j int) bool {
		oi, oj := conditionOrder[cs[i].Type], conditionOrder[cs[j].Type]
		if oi == 0 {
			oi = 100
		}
		if oj == 0 {
			oj = 100
		}
		return oi < oj
	})
	return cs
}

// qosClass is the pod's QoS class as Kubernetes computes it: Guaranteed
// when every container has cpu and memory limits equal to its requests,
// BestEffort when none has any, Burstable otherwise.
func qosClass(spec *corev1.PodSpec) corev1.PodQOSClass {
	any, guaranteed := false, true
	all := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	for _, c := range all {
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			req, hasReq := c.Resources.Requests[r]
			lim, hasLim := c.Resources.Limits[r]
			if hasReq || hasLim {
				any = true
			}
			if !hasLim || (hasReq && req.Cmp(lim) != 0) {
				guaranteed = false
			}
		}
	}
	switch {
	case !any:
		return corev1.PodQOSBestEffort
	case guaranteed:
		return corev1.PodQOSGuaranteed
	}
	return corev1.PodQOSBurstable
}

// statusChanged reports whether the new status differs from the old in
// anything but timestamps that were merely carried over.
func statusChanged(old, new *corev1.PodStatus) bool {
	return !equality.Semantic.DeepEqual(old, new)
}
