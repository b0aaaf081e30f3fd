package job

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/minidev/mini/cluster/controller/controllerutil"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

// burstPods caps the pods created in one sync.
const burstPods = 500

// Messages of the conditions and Events, Kubernetes' own.
const (
	msgBackoff   = "Job has reached the specified backoff limit"
	msgDeadline  = "Job was active longer than specified deadline"
	msgCompleted = "Reached expected number of succeeded pods"
)

// event is an Event recorded once the status that explains it is written.
type event struct{ kind, reason, msg string }

func (c *Controller) reconcile(ctx context.Context, key string) (time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	job, err := c.jobList.Jobs(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.expect.Delete(key)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if done, at := Finished(job); done {
		return c.expire(ctx, job, at)
	}
	if job.DeletionTimestamp != nil {
		return 0, nil // the garbage collector takes the pods
	}
	needsSync := c.expect.Satisfied(key)
	sel, err := metav1.LabelSelectorAsSelector(job.Spec.Selector)
	if err != nil {
		return 0, nil // validation forbids it
	}
	all, err := c.podList.Pods(ns).List(labels.Everything())
	if err != nil {
		return 0, err
	}
	pods, claimErr := c.claimPods(ctx, job, sel, all)
	st := job.Status.DeepCopy()
	events, after, manageErr := c.syncStatus(ctx, job, st, classify(pods), needsSync)
	if !equality.Semantic.DeepEqual(&job.Status, st) {
		j := job.DeepCopy()
		j.Status = *st
		if _, err := c.client.BatchV1().Jobs(ns).UpdateStatus(ctx, j, metav1.UpdateOptions{}); err != nil {
			return 0, fmt.Errorf("update status of job %s: %w", key, err)
		}
	}
	for _, e := range events {
		c.recorder.Event(job, e.kind, e.reason, e.msg)
	}
	if err := errors.Join(claimErr, manageErr); err != nil {
		return 0, err
	}
	return after, nil
}

// syncStatus computes the Job's status into st, creating and deleting
// pods on the way (when needsSync); it returns the Events to record and
// when to look again.
func (c *Controller) syncStatus(ctx context.Context, job *batchv1.Job, st *batchv1.JobStatus, s podSets, needsSync bool) ([]event, time.Duration, error) {
	now := c.now()
	var events []event
	var after time.Duration
	requeue := func(d time.Duration) {
		if d > 0 && (after == 0 || d < after) {
			after = d
		}
	}
	suspended := ptr.Deref(job.Spec.Suspend, false)
	if st.StartTime == nil && !suspended {
		st.StartTime = ptr.To(metav1.NewTime(now))
	}

	indexed := ptr.Deref(job.Spec.CompletionMode, batchv1.NonIndexedCompletion) == batchv1.IndexedCompletion
	var completed IndexSet
	succeeded := max(int(st.Succeeded), len(s.succeeded))
	if indexed {
		n := int(ptr.Deref(job.Spec.Completions, 0))
		completed = ParseIndexes(st.CompletedIndexes, n)
		for _, p := range s.succeeded {
			if ix := podIndex(p); ix >= 0 && ix < n {
				completed[ix] = true
			}
		}
		succeeded = len(completed)
		st.CompletedIndexes = completed.String()
	}
	verdict := judgeFailures(job, s.failed)
	failed := max(int(st.Failed), verdict.counted)
	st.Succeeded, st.Failed = int32(succeeded), int32(failed)

	// The interim condition, once it is decided, stays.
	if condition(st, batchv1.JobFailureTarget) == nil && condition(st, batchv1.JobSuccessCriteriaMet) == nil {
		past, left := pastDeadline(job, st.StartTime, now)
		switch {
		case verdict.failJob != "":
			setCondition(st, batchv1.JobFailureTarget, corev1.ConditionTrue, batchv1.JobReasonPodFailurePolicy, verdict.failJob, now)
		case pastBackoffLimit(job, int32(failed), s.active):
			setCondition(st, batchv1.JobFailureTarget, corev1.ConditionTrue, batchv1.JobReasonBackoffLimitExceeded, msgBackoff, now)
		case past && !suspended:
			setCondition(st, batchv1.JobFailureTarget, corev1.ConditionTrue, batchv1.JobReasonDeadlineExceeded, msgDeadline, now)
		case complete(job, succeeded, len(s.active)):
			setCondition(st, batchv1.JobSuccessCriteriaMet, corev1.ConditionTrue, batchv1.JobReasonCompletionsReached, msgCompleted, now)
		default:
			requeue(left)
		}
	}

	active, terminating := s.active, len(s.terminating)
	var err error
	target := condition(st, batchv1.JobFailureTarget)
	success := condition(st, batchv1.JobSuccessCriteriaMet)
	switch {
	case target != nil || success != nil:
		// Stop what still runs; the terminal condition waits for it.
		if len(active) > 0 && needsSync {
			var n int
			n, err = c.deletePods(ctx, job, active)
			terminating += n
			active = nil
		}
		if len(active) == 0 && terminating == 0 {
			if target != nil {
				setCondition(st, batchv1.JobFailed, corev1.ConditionTrue, target.Reason, target.Message, now)
				events = append(events, event{corev1.EventTypeWarning, target.Reason, target.Message})
			} else {
				setCondition(st, batchv1.JobComplete, corev1.ConditionTrue, success.Reason, success.Message, now)
				st.CompletionTime = ptr.To(metav1.NewTime(now))
				events = append(events, event{corev1.EventTypeNormal, "Completed", "Job completed"})
			}
		}
	case suspended:
		if setCondition(st, batchv1.JobSuspended, corev1.ConditionTrue, "JobSuspended", "Job suspended", now) {
			events = append(events, event{corev1.EventTypeNormal, "Suspended", "Job suspended"})
		}
		if len(active) > 0 && needsSync {
			var n int
			n, err = c.deletePods(ctx, job, active)
			terminating += n
			active = nil
		}
	default:
		if condition(st, batchv1.JobSuspended) != nil {
			setCondition(st, batchv1.JobSuspended, corev1.ConditionFalse, "JobResumed", "Job resumed", now)
			events = append(events, event{corev1.EventTypeNormal, "Resumed", "Job resumed"})
			st.StartTime = ptr.To(metav1.NewTime(now))
		}
		if needsSync {
			var created, deleted []*corev1.Pod
			var wait time.Duration
			created, deleted, wait, err = c.manage(ctx, job, s, succeeded, completed, now)
			requeue(wait)
			active = append(without(active, deleted), created...)
			terminating += len(deleted)
		}
	}
	st.Active = int32(len(active))
	ready := 0
	for _, p := range active {
		if controllerutil.IsPodReady(p) {
			ready++
		}
	}
	st.Ready = ptr.To(int32(ready))
	st.Terminating = ptr.To(int32(terminating))
	return events, after, err
}

// manage creates the missing pods (after the failure back-off) and
// deletes the surplus; it returns placeholders for what it created, the
// pods it deleted, and how long the back-off still holds creations.
func (c *Controller) manage(ctx context.Context, job *batchv1.Job, s podSets, succeeded int, completed IndexSet, now time.Time) ([]*corev1.Pod, []*corev1.Pod, time.Duration, error) {
	var surplus []*corev1.Pod
	var missing []int
	if completed == nil {
		want := wantActive(job, succeeded, len(s.active))
		if d := len(s.active) - want; d > 0 {
			pods := append([]*corev1.Pod(nil), s.active...)
			sort.Sort(controllerutil.ActivePods{Pods: pods, Now: now})
			surplus = pods[:d]
		}
		for range max(0, want-len(s.active)) {
			missing = append(missing, -1)
		}
	} else {
		surplus, missing = planIndexed(job, s.active, completed)
	}
	_, delErr := c.deletePods(ctx, job, surplus)
	if len(missing) == 0 {
		return nil, surplus, 0, delErr
	}
	if len(s.failed) > 0 {
		until := lastFailure(s.failed).Add(failureBackoff(c.podBackoff, len(s.failed)))
		if wait := until.Sub(now); wait > 0 {
			return nil, surplus, wait, delErr
		}
	}
	missing = missing[:min(len(missing), burstPods)]
	n, err := c.createPods(ctx, job, missing)
	created := make([]*corev1.Pod, n)
	for i := range created {
		created[i] = &corev1.Pod{}
	}
	return created, surplus, 0, errors.Join(delErr, err)
}

// planIndexed picks, for an Indexed Job, the active pods to delete (no or
// out-of-range index, index already completed, a second pod for an index,
// beyond parallelism) and the indexes to start, lowest first.
func planIndexed(job *batchv1.Job, active []*corev1.Pod, completed IndexSet) (surplus []*corev1.Pod, missing []int) {
	n := int(ptr.Deref(job.Spec.Completions, 0))
	par := int(ptr.Deref(job.Spec.Parallelism, 1))
	held := map[int]*corev1.Pod{}
	var kept []int
	for _, p := range active {
		ix := podIndex(p)
		if ix < 0 || ix >= n || completed[ix] || held[ix] != nil {
			surplus = append(surplus, p)
			continue
		}
		held[ix] = p
		kept = append(kept, ix)
	}
	sort.Ints(kept)
	for len(kept) > par {
		ix := kept[len(kept)-1]
		surplus = append(surplus, held[ix])
		delete(held, ix)
		kept = kept[:len(kept)-1]
	}
	for ix := 0; ix < n && len(kept)+len(missing) < par; ix++ {
		if !completed[ix] && held[ix] == nil {
			missing = append(missing, ix)
		}
	}
	return surplus, missing
}

func without(pods, drop []*corev1.Pod) []*corev1.Pod {
	if len(drop) == 0 {
		return pods
	}
	gone := map[types.UID]bool{}
	for _, p := range drop {
		gone[p.UID] = true
	}
	var out []*corev1.Pod
	for _, p := range pods {
		if !gone[p.UID] {
			out = append(out, p)
		}
	}
	return out
}

func (c *Controller) claimPods(ctx context.Context, job *batchv1.Job, sel labels.Selector, pods []*corev1.Pod) ([]*corev1.Pod, error) {
	podsAPI := c.client.CoreV1().Pods(job.Namespace)
	cl := controllerutil.Claimer[*corev1.Pod]{
		Owner: job, OwnerGVK: gvk, Selector: sel,
		Patch: func(ctx context.Context, name string, patch []byte) error {
			_, err := podsAPI.Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
			return err
		},
		CanAdopt: controllerutil.RecheckOwner(job, func(ctx context.Context) (metav1.Object, error) {
			return c.client.BatchV1().Jobs(job.Namespace).Get(ctx, job.Name, metav1.GetOptions{})
		}),
	}
	return cl.Claim(ctx, pods)
}

// expire deletes a finished Job once ttlSecondsAfterFinished has passed
// (propagation Background: the garbage collector takes its pods), as
// Kubernetes' TTL-after-finished controller; it re-reads the Job first.
func (c *Controller) expire(ctx context.Context, job *batchv1.Job, finished time.Time) (time.Duration, error) {
	if job.Spec.TTLSecondsAfterFinished == nil || job.DeletionTimestamp != nil {
		return 0, nil
	}
	if left := finished.Add(time.Duration(*job.Spec.TTLSecondsAfterFinished) * time.Second).Sub(c.now()); left > 0 {
		return left, nil
	}
	fresh, err := c.client.BatchV1().Jobs(job.Namespace).Get(ctx, job.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("get job %s/%s before its TTL deletion: %w", job.Namespace, job.Name, err)
	}
	if fresh.UID != job.UID || !ptr.Equal(fresh.Spec.TTLSecondsAfterFinished, job.Spec.TTLSecondsAfterFinished) {
		return 0, nil // changed meanwhile: the informer brings it back
	}
	err = c.client.BatchV1().Jobs(job.Namespace).Delete(ctx, job.Name, metav1.DeleteOptions{
		PropagationPolicy: ptr.To(metav1.DeletePropagationBackground),
		Preconditions:     &metav1.Preconditions{UID: &fresh.UID, ResourceVersion: &fresh.ResourceVersion},
	})
	if err != nil && !apierrors.IsNotFound(err) {
		return 0, fmt.Errorf("delete job %s/%s after its TTL: %w", job.Namespace, job.Name, err)
	}
	c.log.Info("Deleted finished job after its TTL", "job", job.Namespace+"/"+job.Name)
	return 0, nil
}
