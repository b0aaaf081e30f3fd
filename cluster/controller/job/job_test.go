package job

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/apiserver/apiservertest"
	"github.com/minidev/mini/cluster/controller/controllerutil/fakekubelet"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

func startJobs(t *testing.T) (context.Context, kubernetes.Interface) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts an API server")
	}
	c := kubernetes.NewForConfigOrDie(apiservertest.Start(t))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Go(func() { New(Config{Client: c, PodBackoff: 10 * time.Millisecond}).Run(ctx) })
	return ctx, c
}

func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; %s", what, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func newJob(name string, completions, parallelism *int32) *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: batchv1.JobSpec{
			Completions: completions, Parallelism: parallelism, BackoffLimit: ptr.To[int32](6),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "c", Image: "busybox"}},
			}},
		},
	}
}

// running returns the Job's pods that are neither finished nor deleted, by name.
func running(t *testing.T, ctx context.Context, c kubernetes.Interface, job string) []corev1.Pod {
	t.Helper()
	l, err := c.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: batchv1.JobNameLabel + "=" + job})
	if err != nil {
		t.Fatal(err)
	}
	var out []corev1.Pod
	for _, p := range l.Items {
		if p.DeletionTimestamp == nil && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func getJob(ctx context.Context, c kubernetes.Interface, name string) *batchv1.Job {
	j, err := c.BatchV1().Jobs("default").Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return &batchv1.Job{}
	}
	return j
}

func hasCond(j *batchv1.Job, t batchv1.JobConditionType, reason string) bool {
	c := condition(&j.Status, t)
	return c != nil && c.Reason == reason
}

func finish(t *testing.T, ctx context.Context, c kubernetes.Interface, p corev1.Pod, code int32) {
	t.Helper()
	if err := fakekubelet.MarkFinished(ctx, c, p.Namespace, p.Name, code, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func eventReasons(t *testing.T, ctx context.Context, c kubernetes.Interface, job string) map[string]int {
	t.Helper()
	l, err := c.CoreV1().Events("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range l.Items {
		if e.InvolvedObject.Kind == "Job" && e.InvolvedObject.Name == job {
			out[e.Reason] += int(e.Count)
		}
	}
	return out
}

func TestJobCompletes(t *testing.T) {
	t.Parallel()
	ctx, c := startJobs(t)
	if _, err := c.BatchV1().Jobs("default").Create(ctx, newJob("ok", ptr.To[int32](3), ptr.To[int32](2)), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "2 pods, active 2", func() (bool, string) {
		j := getJob(ctx, c, "ok")
		return len(running(t, ctx, c, "ok")) == 2 && j.Status.Active == 2 && j.Status.StartTime != nil, fmt.Sprintf("%+v", j.Status)
	})
	pods := running(t, ctx, c, "ok")
	if p := pods[0]; p.Labels[batchv1.ControllerUidLabel] == "" || metav1.GetControllerOf(&p) == nil || p.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Fatalf("pod labels %v owner %v", p.Labels, p.OwnerReferences)
	}
	if err := fakekubelet.MarkReady(ctx, c, "default", pods[1].Name, time.Now()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "ready 1", func() (bool, string) {
		j := getJob(ctx, c, "ok")
		return ptr.Deref(j.Status.Ready, -1) == 1, fmt.Sprintf("%+v", j.Status)
	})
	finish(t, ctx, c, pods[0], 0)
	finish(t, ctx, c, pods[1], 0)
	eventually(t, "a third pod only", func() (bool, string) {
		j := getJob(ctx, c, "ok")
		return len(running(t, ctx, c, "ok")) == 1 && j.Status.Succeeded == 2 && j.Status.Active == 1, fmt.Sprintf("%+v", j.Status)
	})
	finish(t, ctx, c, running(t, ctx, c, "ok")[0], 0)
	eventually(t, "Complete", func() (bool, string) {
		j := getJob(ctx, c, "ok")
		return hasCond(j, batchv1.JobComplete, batchv1.JobReasonCompletionsReached) && hasCond(j, batchv1.JobSuccessCriteriaMet, batchv1.JobReasonCompletionsReached) &&
			j.Status.Succeeded == 3 && j.Status.Active == 0 && j.Status.CompletionTime != nil, fmt.Sprintf("%+v", j.Status)
	})
	l, _ := c.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
	if len(l.Items) != 3 {
		t.Errorf("%d pods created for 3 completions", len(l.Items))
	}
	eventually(t, "Events", func() (bool, string) {
		ev := eventReasons(t, ctx, c, "ok")
		return ev["SuccessfulCreate"] == 3 && ev["Completed"] == 1, fmt.Sprint(ev)
	})
}

func TestJobBackoffLimitExceeded(t *testing.T) {
	t.Parallel()
	ctx, c := startJobs(t)
	j := newJob("bad", nil, nil)
	j.Spec.BackoffLimit = ptr.To[int32](1)
	if _, err := c.BatchV1().Jobs("default").Create(ctx, j, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		eventually(t, fmt.Sprintf("pod %d", i+1), func() (bool, string) {
			r := running(t, ctx, c, "bad")
			return len(r) == 1, fmt.Sprint(len(r))
		})
		finish(t, ctx, c, running(t, ctx, c, "bad")[0], 1)
	}
	eventually(t, "Failed", func() (bool, string) {
		j := getJob(ctx, c, "bad")
		return hasCond(j, batchv1.JobFailed, batchv1.JobReasonBackoffLimitExceeded) && hasCond(j, batchv1.JobFailureTarget, batchv1.JobReasonBackoffLimitExceeded) &&
			j.Status.Failed == 2 && j.Status.CompletionTime == nil, fmt.Sprintf("%+v", j.Status)
	})
	time.Sleep(100 * time.Millisecond)
	if r := running(t, ctx, c, "bad"); len(r) != 0 {
		t.Errorf("%d pods after the job failed", len(r))
	}
	eventually(t, "BackoffLimitExceeded event", func() (bool, string) {
		ev := eventReasons(t, ctx, c, "bad")
		return ev["BackoffLimitExceeded"] == 1, fmt.Sprint(ev)
	})
}

func TestJobIndexed(t *testing.T) {
	t.Parallel()
	ctx, c := startJobs(t)
	j := newJob("ix", ptr.To[int32](3), ptr.To[int32](3))
	j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
	if _, err := c.BatchV1().Jobs("default").Create(ctx, j, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "3 indexed pods", func() (bool, string) {
		r := running(t, ctx, c, "ix")
		var ix []string
		for _, p := range r {
			ix = append(ix, p.Annotations[batchv1.JobCompletionIndexAnnotation])
		}
		sort.Strings(ix)
		return fmt.Sprint(ix) == "[0 1 2]", fmt.Sprint(ix)
	})
	byIndex := map[string]corev1.Pod{}
	for _, p := range running(t, ctx, c, "ix") {
		byIndex[p.Labels[batchv1.JobCompletionIndexAnnotation]] = p
	}
	finish(t, ctx, c, byIndex["1"], 0)
	finish(t, ctx, c, byIndex["2"], 1) // index 2 fails and comes back
	eventually(t, "index 1 completed, 2 retried", func() (bool, string) {
		j := getJob(ctx, c, "ix")
		r := running(t, ctx, c, "ix")
		return j.Status.CompletedIndexes == "1" && j.Status.Failed == 1 && len(r) == 2, fmt.Sprintf("%+v, %d running", j.Status, len(r))
	})
	for _, p := range running(t, ctx, c, "ix") {
		finish(t, ctx, c, p, 0)
	}
	eventually(t, "Complete", func() (bool, string) {
		j := getJob(ctx, c, "ix")
		return hasCond(j, batchv1.JobComplete, batchv1.JobReasonCompletionsReached) && j.Status.CompletedIndexes == "0-2" && j.Status.Succeeded == 3, fmt.Sprintf("%+v", j.Status)
	})
}

func TestJobDeadlineSuspendAndTTL(t *testing.T) {
	t.Parallel()
	ctx, c := startJobs(t)
	// Suspended: no pods until resumed.
	j := newJob("sus", ptr.To[int32](1), ptr.To[int32](1))
	j.Spec.Suspend = ptr.To(true)
	j.Spec.TTLSecondsAfterFinished = ptr.To[int32](0)
	if _, err := c.BatchV1().Jobs("default").Create(ctx, j, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "Suspended", func() (bool, string) {
		j := getJob(ctx, c, "sus")
		return hasCond(j, batchv1.JobSuspended, "JobSuspended") && j.Status.StartTime == nil, fmt.Sprintf("%+v", j.Status)
	})
	if r := running(t, ctx, c, "sus"); len(r) != 0 {
		t.Fatalf("%d pods for a suspended job", len(r))
	}
	for {
		j := getJob(ctx, c, "sus")
		j.Spec.Suspend = ptr.To(false)
		_, err := c.BatchV1().Jobs("default").Update(ctx, j, metav1.UpdateOptions{})
		if err == nil {
			break
		}
		if !apierrors.IsConflict(err) {
			t.Fatal(err)
		}
	}
	eventually(t, "resumed pod", func() (bool, string) {
		j := getJob(ctx, c, "sus")
		s := j.Status.Conditions
		return len(running(t, ctx, c, "sus")) == 1 && len(s) == 1 && s[0].Status == corev1.ConditionFalse && s[0].Reason == "JobResumed", fmt.Sprintf("%+v", j.Status)
	})
	finish(t, ctx, c, running(t, ctx, c, "sus")[0], 0)
	eventually(t, "deleted after TTL 0", func() (bool, string) {
		_, err := c.BatchV1().Jobs("default").Get(ctx, "sus", metav1.GetOptions{})
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})

	// activeDeadlineSeconds: the running pod goes, the Job fails.
	d := newJob("late", ptr.To[int32](1), ptr.To[int32](1))
	d.Spec.ActiveDeadlineSeconds = ptr.To[int64](1)
	if _, err := c.BatchV1().Jobs("default").Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "DeadlineExceeded", func() (bool, string) {
		j := getJob(ctx, c, "late")
		return hasCond(j, batchv1.JobFailed, batchv1.JobReasonDeadlineExceeded) && len(running(t, ctx, c, "late")) == 0, fmt.Sprintf("%+v", j.Status)
	})
}
