package cronjob

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/minidev/mini/cluster/controller/controllerutil"
	"github.com/minidev/mini/cluster/controller/job"
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

// maxMissed bounds the schedule times counted between two syncs; past
// 100 a TooManyMissedTimes Event is recorded (as Kubernetes).
const maxMissed = 100

func (c *Controller) reconcile(ctx context.Context, key string) (time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	cached, err := c.cjList.CronJobs(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	cj := cached.DeepCopy()
	all, err := c.jobList.Jobs(ns).List(labels.Everything())
	if err != nil {
		return 0, err
	}
	var owned []*batchv1.Job
	for _, j := range all {
		if ref := metav1.GetControllerOfNoCopy(j); ref != nil && ref.UID == cj.UID {
			owned = append(owned, j)
		}
	}
	if err := c.syncActive(ctx, cj, owned); err != nil {
		return 0, err
	}
	var after time.Duration
	var syncErr error
	if cj.DeletionTimestamp == nil {
		c.cleanupHistory(ctx, cj, owned)
		after, syncErr = c.schedule(ctx, cj)
	}
	if !equality.Semantic.DeepEqual(&cached.Status, &cj.Status) {
		if _, err := c.client.BatchV1().CronJobs(ns).UpdateStatus(ctx, cj, metav1.UpdateOptions{}); err != nil {
			return 0, fmt.Errorf("update status of cronjob %s: %w", key, err)
		}
	}
	return after, syncErr
}

// syncActive makes status.active the unfinished Jobs the CronJob owns and
// lastSuccessfulTime the latest completion among them.
func (c *Controller) syncActive(ctx context.Context, cj *batchv1.CronJob, owned []*batchv1.Job) error {
	seen := map[types.UID]bool{}
	for _, j := range owned {
		seen[j.UID] = true
		done, _ := job.Finished(j)
		inActive := activeIndex(cj, j.UID) >= 0
		switch {
		case !done && !inActive:
			cj.Status.Active = append(cj.Status.Active, jobRef(j))
		case done && inActive:
			cj.Status.Active = append(cj.Status.Active[:activeIndex(cj, j.UID)], cj.Status.Active[activeIndex(cj, j.UID)+1:]...)
			c.recorder.Eventf(cj, corev1.EventTypeNormal, "SawCompletedJob", "Saw completed job: %s, condition: %s", j.Name, finishedType(j))
		}
		if t := j.Status.CompletionTime; done && t != nil && finishedType(j) == batchv1.JobComplete &&
			(cj.Status.LastSuccessfulTime == nil || t.After(cj.Status.LastSuccessfulTime.Time)) {
			cj.Status.LastSuccessfulTime = t.DeepCopy()
		}
	}
	// An active Job the cache lacks may be just created, or gone: ask.
	keep := cj.Status.Active[:0]
	for _, ref := range cj.Status.Active {
		if !seen[ref.UID] {
			j, err := c.client.BatchV1().Jobs(cj.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(err) || (err == nil && j.UID != ref.UID):
				c.recorder.Eventf(cj, corev1.EventTypeNormal, "MissingJob", "Active job went missing: %v", ref.Name)
				continue
			case err != nil:
				return fmt.Errorf("get active job %s/%s of cronjob %s: %w", cj.Namespace, ref.Name, cj.Name, err)
			}
		}
		keep = append(keep, ref)
	}
	cj.Status.Active = keep
	return nil
}

// schedule starts the Job of the most recent unmet schedule time, if
// policies allow, and returns the wait until the next one.
func (c *Controller) schedule(ctx context.Context, cj *batchv1.CronJob) (time.Duration, error) {
	if ptr.Deref(cj.Spec.Suspend, false) {
		return 0, nil
	}
	loc := c.loc
	if tz := cj.Spec.TimeZone; tz != nil {
		l, err := time.LoadLocation(*tz)
		if err != nil {
			c.recorder.Eventf(cj, corev1.EventTypeWarning, "UnknownTimeZone", "invalid timeZone: %q: %s", *tz, err)
			return 0, nil
		}
		loc = l
	}
	sched, err := Parse(cj.Spec.Schedule, loc)
	if err != nil {
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "UnparseableSchedule", "unparseable schedule: %q : %s", cj.Spec.Schedule, err)
		return 0, nil
	}
	now := c.now()
	var after time.Duration
	if next := sched.Next(now); !next.IsZero() {
		after = next.Sub(now) + 100*time.Millisecond
	}
	scheduled, missed := MostRecent(cj, sched, now)
	if scheduled.IsZero() {
		return after, nil
	}
	if missed > maxMissed {
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "TooManyMissedTimes",
			"too many missed start times: %d. Set or decrease .spec.startingDeadlineSeconds or check clock skew", missed)
	}
	if d := cj.Spec.StartingDeadlineSeconds; d != nil && scheduled.Add(time.Duration(*d)*time.Second).Before(now) {
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "MissSchedule", "Missed scheduled time to start a job: %s", scheduled.UTC().Format(time.RFC1123Z))
		return after, nil
	}
	name := JobName(cj.Name, scheduled)
	for _, ref := range cj.Status.Active {
		if ref.Name == name {
			return after, nil
		}
	}
	switch cj.Spec.ConcurrencyPolicy {
	case batchv1.ForbidConcurrent:
		if len(cj.Status.Active) > 0 {
			c.recorder.Eventf(cj, corev1.EventTypeNormal, "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid")
			return after, nil
		}
	case batchv1.ReplaceConcurrent:
		for _, ref := range cj.Status.Active {
			if err := c.deleteJob(ctx, cj, ref.Name, ref.UID); err != nil {
				return after, err
			}
		}
		cj.Status.Active = nil
	}
	j, err := c.client.BatchV1().Jobs(cj.Namespace).Create(ctx, newJob(cj, name, scheduled.In(loc)), metav1.CreateOptions{})
	switch {
	case apierrors.IsAlreadyExists(err):
		existing, getErr := c.client.BatchV1().Jobs(cj.Namespace).Get(ctx, name, metav1.GetOptions{})
		if getErr != nil {
			return after, fmt.Errorf("get job %s/%s of cronjob %s: %w", cj.Namespace, name, cj.Name, getErr)
		}
		if ref := metav1.GetControllerOfNoCopy(existing); ref == nil || ref.UID != cj.UID {
			c.recorder.Eventf(cj, corev1.EventTypeWarning, "FailedCreate", "Error creating job: %s exists and is not owned by this CronJob", name)
			return after, nil
		}
		j = existing // ours already (a stale cache): just record it
	case err != nil:
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "FailedCreate", "Error creating job: %v", err)
		return after, fmt.Errorf("create job %s/%s for cronjob %s: %w", cj.Namespace, name, cj.Name, err)
	default:
		c.recorder.Eventf(cj, corev1.EventTypeNormal, "SuccessfulCreate", "Created job %v", j.Name)
	}
	if done, _ := job.Finished(j); !done && activeIndex(cj, j.UID) < 0 {
		cj.Status.Active = append(cj.Status.Active, jobRef(j))
	}
	cj.Status.LastScheduleTime = ptr.To(metav1.NewTime(scheduled))
	return after, nil
}

// MostRecent returns the latest schedule time in (earliest, now] and how
// many there were; earliest is lastScheduleTime (or the CronJob's
// creation), moved up to now - startingDeadlineSeconds when set.
func MostRecent(cj *batchv1.CronJob, sched Schedule, now time.Time) (time.Time, int) {
	earliest := cj.CreationTimestamp.Time
	if t := cj.Status.LastScheduleTime; t != nil {
		earliest = t.Time
	}
	if d := cj.Spec.StartingDeadlineSeconds; d != nil {
		if s := now.Add(-time.Duration(*d) * time.Second); s.After(earliest) {
			earliest = s
		}
	}
	var last time.Time
	missed := 0
	for t := sched.Next(earliest); !t.IsZero() && !t.After(now); t = sched.Next(t) {
		last = t
		if missed++; missed > 1_000_000 {
			break
		}
	}
	return last, missed
}

// JobName is Kubernetes' <cronjob>-<scheduled minutes since the epoch>.
func JobName(cronJob string, scheduled time.Time) string {
	return fmt.Sprintf("%s-%d", cronJob, scheduled.Unix()/60)
}

// newJob is the Job for one scheduled time: the jobTemplate, owned by
// the CronJob, annotated with the scheduled time.
func newJob(cj *batchv1.CronJob, name string, scheduled time.Time) *batchv1.Job {
	t := cj.Spec.JobTemplate.DeepCopy()
	j := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: cj.Namespace, Labels: t.Labels, Annotations: t.Annotations,
			OwnerReferences: []metav1.OwnerReference{*controllerutil.NewControllerRef(cj, gvk)},
		},
		Spec: t.Spec,
	}
	if j.Annotations == nil {
		j.Annotations = map[string]string{}
	}
	j.Annotations[batchv1.CronJobScheduledTimestampAnnotation] = scheduled.Format(time.RFC3339)
	return j
}

// cleanupHistory deletes the oldest finished Jobs beyond
// successfulJobsHistoryLimit and failedJobsHistoryLimit.
func (c *Controller) cleanupHistory(ctx context.Context, cj *batchv1.CronJob, owned []*batchv1.Job) {
	var succeeded, failed []*batchv1.Job
	for _, j := range owned {
		if j.DeletionTimestamp != nil {
			continue
		}
		switch finishedType(j) {
		case batchv1.JobComplete:
			succeeded = append(succeeded, j)
		case batchv1.JobFailed:
			failed = append(failed, j)
		}
	}
	for _, h := range []struct {
		jobs  []*batchv1.Job
		limit *int32
	}{{succeeded, cj.Spec.SuccessfulJobsHistoryLimit}, {failed, cj.Spec.FailedJobsHistoryLimit}} {
		if h.limit == nil || len(h.jobs) <= int(*h.limit) {
			continue
		}
		sort.Slice(h.jobs, func(a, b int) bool { return startTime(h.jobs[a]).Before(startTime(h.jobs[b])) })
		for _, j := range h.jobs[:len(h.jobs)-int(*h.limit)] {
			if err := c.deleteJob(ctx, cj, j.Name, j.UID); err != nil {
				c.log.Error("Failed to delete old job", "cronjob", cj.Namespace+"/"+cj.Name, "job", j.Name, "err", err)
			}
		}
	}
}

// deleteJob deletes a Job of the CronJob in the background (the garbage
// collector takes its pods).
func (c *Controller) deleteJob(ctx context.Context, cj *batchv1.CronJob, name string, uid types.UID) error {
	err := c.client.BatchV1().Jobs(cj.Namespace).Delete(ctx, name, metav1.DeleteOptions{
		PropagationPolicy: ptr.To(metav1.DeletePropagationBackground),
		Preconditions:     &metav1.Preconditions{UID: &uid},
	})
	if err != nil && !apierrors.IsNotFound(err) {
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "FailedDelete", "Deleted job: %v", err)
		return fmt.Errorf("delete job %s/%s of cronjob %s: %w", cj.Namespace, name, cj.Name, err)
	}
	c.recorder.Eventf(cj, corev1.EventTypeNormal, "SuccessfulDelete", "Deleted job %v", name)
	return nil
}

func startTime(j *batchv1.Job) time.Time {
	if j.Status.StartTime != nil {
		return j.Status.StartTime.Time
	}
	return j.CreationTimestamp.Time
}

func finishedType(j *batchv1.Job) batchv1.JobConditionType {
	for _, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return c.Type
		}
	}
	return ""
}

func activeIndex(cj *batchv1.CronJob, uid types.UID) int {
	for i, ref := range cj.Status.Active {
		if ref.UID == uid {
			return i
		}
	}
	return -1
}

func jobRef(j *batchv1.Job) corev1.ObjectReference {
	return corev1.ObjectReference{APIVersion: "batch/v1", Kind: "Job", Namespace: j.Namespace, Name: j.Name, UID: j.UID, ResourceVersion: j.ResourceVersion}
}
