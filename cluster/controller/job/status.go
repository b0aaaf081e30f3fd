package job

import (
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// podSets are a Job's pods by state.
type podSets struct {
	active, terminating, succeeded, failed []*corev1.Pod
}

// classify sorts pods: finished by phase; being deleted (not finished)
// is terminating; the rest are active.
func classify(pods []*corev1.Pod) podSets {
	var s podSets
	for _, p := range pods {
		switch {
		case p.Status.Phase == corev1.PodSucceeded:
			s.succeeded = append(s.succeeded, p)
		case p.Status.Phase == corev1.PodFailed:
			s.failed = append(s.failed, p)
		case p.DeletionTimestamp != nil:
			s.terminating = append(s.terminating, p)
		default:
			s.active = append(s.active, p)
		}
	}
	return s
}

// policyVerdict is what a podFailurePolicy says of the failed pods.
type policyVerdict struct {
	// counted are the failures that count towards backoffLimit.
	counted int
	// failJob is the message of the first FailJob match, if any.
	failJob string
}

// judgeFailures applies the Job's podFailurePolicy (if any) to its failed
// pods, as Kubernetes' matchPodFailurePolicy: the first matching rule
// decides; Ignore does not count the failure, FailJob fails the Job,
// Count (and FailIndex, without backoffLimitPerIndex) counts it.
func judgeFailures(job *batchv1.Job, failed []*corev1.Pod) policyVerdict {
	var v policyVerdict
	for _, p := range failed {
		action, msg := matchPolicy(job.Spec.PodFailurePolicy, p)
		switch action {
		case batchv1.PodFailurePolicyActionIgnore:
		case batchv1.PodFailurePolicyActionFailJob:
			v.counted++
			if v.failJob == "" {
				v.failJob = msg
			}
		default:
			v.counted++
		}
	}
	return v
}

func matchPolicy(policy *batchv1.PodFailurePolicy, p *corev1.Pod) (batchv1.PodFailurePolicyAction, string) {
	if policy == nil {
		return batchv1.PodFailurePolicyActionCount, ""
	}
	for i, rule := range policy.Rules {
		if r := rule.OnExitCodes; r != nil {
			for _, cs := range append(append([]corev1.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
				t := cs.State.Terminated
				if t == nil || t.ExitCode == 0 || (r.ContainerName != nil && *r.ContainerName != cs.Name) {
					continue
				}
				in := false
				for _, v := range r.Values {
					in = in || v == t.ExitCode
				}
				if in == (r.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn) {
					return rule.Action, fmt.Sprintf("Container %s for pod %s/%s failed with exit code %d matching %s rule at index %d",
						cs.Name, p.Namespace, p.Name, t.ExitCode, rule.Action, i)
				}
			}
		}
		for _, pc := range rule.OnPodConditions {
			for _, c := range p.Status.Conditions {
				if c.Type == pc.Type && c.Status == pc.Status {
					return rule.Action, fmt.Sprintf("Pod %s/%s has condition %s matching %s rule at index %d", p.Namespace, p.Name, c.Type, rule.Action, i)
				}
			}
		}
	}
	return batchv1.PodFailurePolicyActionCount, ""
}

// pastBackoffLimit is Kubernetes' rule: with restartPolicy OnFailure the
// container restarts of active pods count as failures too; a backoffLimit
// of 0 allows none, N allows N failures (the N+1th fails the Job).
func pastBackoffLimit(job *batchv1.Job, failed int32, active []*corev1.Pod) bool {
	limit := ptr.Deref(job.Spec.BackoffLimit, 6)
	if job.Spec.Template.Spec.RestartPolicy == corev1.RestartPolicyOnFailure {
		restarts := failed
		for _, p := range active {
			for _, cs := range append(append([]corev1.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
				restarts += cs.RestartCount
			}
		}
		if limit == 0 {
			return restarts > 0
		}
		return restarts >= limit
	}
	return failed > limit
}

// pastDeadline returns whether activeDeadlineSeconds has passed since
// startTime, or how long until it does (0: no deadline).
func pastDeadline(job *batchv1.Job, start *metav1.Time, now time.Time) (bool, time.Duration) {
	if job.Spec.ActiveDeadlineSeconds == nil || start == nil {
		return false, 0
	}
	left := start.Add(time.Duration(*job.Spec.ActiveDeadlineSeconds) * time.Second).Sub(now)
	return left <= 0, left
}

// wantActive is how many pods should run: completions minus succeeded,
// at most parallelism; without completions (a work queue) parallelism
// until one succeeds, then no new ones.
func wantActive(job *batchv1.Job, succeeded, active int) int {
	par := int(ptr.Deref(job.Spec.Parallelism, 1))
	if job.Spec.Completions == nil {
		if succeeded > 0 {
			return min(active, par)
		}
		return par
	}
	return max(0, min(int(*job.Spec.Completions)-succeeded, par))
}

// complete reports whether the Job reached its completions: Indexed when
// every index succeeded, NonIndexed when succeeded reaches completions,
// or (no completions) once a pod succeeded and none is active.
func complete(job *batchv1.Job, succeeded, active int) bool {
	if job.Spec.Completions == nil {
		return succeeded > 0 && active == 0
	}
	return succeeded >= int(*job.Spec.Completions)
}

// failureBackoff is the delay before a replacement pod after failures
// failures: 10 s doubled per failure, at most 6 min (as Kubernetes).
func failureBackoff(base time.Duration, failures int) time.Duration {
	if failures <= 0 {
		return 0
	}
	d := base
	for i := 1; i < failures && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

const maxBackoff = 6 * time.Minute

// lastFailure is when the latest failed pod finished.
func lastFailure(failed []*corev1.Pod) time.Time {
	var last time.Time
	for _, p := range failed {
		t := p.CreationTimestamp.Time
		for _, cs := range p.Status.ContainerStatuses {
			if cs.State.Terminated != nil && cs.State.Terminated.FinishedAt.After(t) {
				t = cs.State.Terminated.FinishedAt.Time
			}
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.LastTransitionTime.After(t) {
				t = c.LastTransitionTime.Time
			}
		}
		if t.After(last) {
			last = t
		}
	}
	return last
}

// condition returns the Job's condition of type t that is True, or nil.
func condition(st *batchv1.JobStatus, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == t && st.Conditions[i].Status == corev1.ConditionTrue {
			return &st.Conditions[i]
		}
	}
	return nil
}

// setCondition sets a condition, keeping lastTransitionTime when its
// status does not change; it reports whether anything changed.
func setCondition(st *batchv1.JobStatus, t batchv1.JobConditionType, status corev1.ConditionStatus, reason, msg string, now time.Time) bool {
	for i := range st.Conditions {
		c := &st.Conditions[i]
		if c.Type != t {
			continue
		}
		if c.Status == status && c.Reason == reason && c.Message == msg {
			return false
		}
		if c.Status != status {
			c.LastTransitionTime = metav1.NewTime(now)
		}
		c.Status, c.Reason, c.Message, c.LastProbeTime = status, reason, msg, metav1.NewTime(now)
		return true
	}
	st.Conditions = append(st.Conditions, batchv1.JobCondition{Type: t, Status: status, Reason: reason, Message: msg,
		LastProbeTime: metav1.NewTime(now), LastTransitionTime: metav1.NewTime(now)})
	return true
}

// Finished reports whether the Job has its terminal condition (Complete
// or Failed) and when it got it.
func Finished(job *batchv1.Job) (bool, time.Time) {
	for _, t := range []batchv1.JobConditionType{batchv1.JobComplete, batchv1.JobFailed} {
		if c := condition(&job.Status, t); c != nil {
			return true, c.LastTransitionTime.Time
		}
	}
	return false, time.Time{}
}
