package cronjob

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/apiserver/apiservertest"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// clock is the injected time the tests move.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// start runs the controller with a clock 2.5 minutes ahead of the
// (real) creation times the API server will give.
func start(t *testing.T) (context.Context, kubernetes.Interface, *clock) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts an API server")
	}
	c := kubernetes.NewForConfigOrDie(apiservertest.Start(t))
	clk := &clock{t: time.Now().Truncate(time.Minute).Add(2*time.Minute + 30*time.Second)}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Go(func() { New(Config{Client: c, Now: clk.Now, Location: time.UTC}).Run(ctx) })
	return ctx, c, clk
}

func newCronJob(name string, policy batchv1.ConcurrencyPolicy) *batchv1.CronJob {
	return &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: batchv1.CronJobSpec{
			Schedule: "*/1 * * * *", ConcurrencyPolicy: policy, SuccessfulJobsHistoryLimit: ptr.To[int32](1),
			JobTemplate: batchv1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"cron": name}},
				Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{Name: "c", Image: "busybox"}},
				}}},
			},
		},
	}
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

func jobs(t *testing.T, ctx context.Context, c kubernetes.Interface, cron string) []string {
	t.Helper()
	l, err := c.BatchV1().Jobs("default").List(ctx, metav1.ListOptions{LabelSelector: "cron=" + cron})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, j := range l.Items {
		if j.DeletionTimestamp == nil {
			names = append(names, j.Name)
		}
	}
	sort.Strings(names)
	return names
}

// poke changes a label so the controller looks again at the moved clock.
func poke(t *testing.T, ctx context.Context, c kubernetes.Interface, name string) {
	t.Helper()
	for {
		cj, err := c.BatchV1().CronJobs("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if cj.Labels == nil {
			cj.Labels = map[string]string{}
		}
		cj.Labels["poke"] = fmt.Sprint(time.Now().UnixNano())
		_, err = c.BatchV1().CronJobs("default").Update(ctx, cj, metav1.UpdateOptions{})
		if err == nil {
			return
		}
		if !apierrors.IsConflict(err) {
			t.Fatal(err)
		}
	}
}

func completeJob(t *testing.T, ctx context.Context, c kubernetes.Interface, name string, at time.Time) {
	t.Helper()
	j, err := c.BatchV1().Jobs("default").Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := metav1.NewTime(at)
	j.Status.StartTime, j.Status.CompletionTime, j.Status.Succeeded = &now, &now, 1
	j.Status.Conditions = []batchv1.JobCondition{
		{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: now},
	}
	if _, err := c.BatchV1().Jobs("default").UpdateStatus(ctx, j, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func status(ctx context.Context, c kubernetes.Interface, name string) batchv1.CronJobStatus {
	cj, err := c.BatchV1().CronJobs("default").Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return batchv1.CronJobStatus{}
	}
	return cj.Status
}

func TestCronJobAllowAndHistory(t *testing.T) {
	t.Parallel()
	ctx, c, clk := start(t)
	if _, err := c.BatchV1().CronJobs("default").Create(ctx, newCronJob("every", batchv1.AllowConcurrent), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	first := JobName("every", clk.Now().Truncate(time.Minute))
	eventually(t, "the job of the last minute", func() (bool, string) {
		st := status(ctx, c, "every")
		j := jobs(t, ctx, c, "every")
		return fmt.Sprint(j) == "["+first+"]" && len(st.Active) == 1 && st.LastScheduleTime != nil && st.LastScheduleTime.Time.Equal(clk.Now().Truncate(time.Minute)),
			fmt.Sprintf("jobs %v status %+v", j, st)
	})
	j, _ := c.BatchV1().Jobs("default").Get(ctx, first, metav1.GetOptions{})
	if ref := metav1.GetControllerOf(j); ref == nil || ref.Kind != "CronJob" || j.Annotations[batchv1.CronJobScheduledTimestampAnnotation] == "" {
		t.Errorf("job meta %+v", j.ObjectMeta)
	}
	completeJob(t, ctx, c, first, clk.Now())
	eventually(t, "active emptied, lastSuccessfulTime", func() (bool, string) {
		st := status(ctx, c, "every")
		return len(st.Active) == 0 && st.LastSuccessfulTime != nil, fmt.Sprintf("%+v", st)
	})
	clk.Add(time.Minute)
	poke(t, ctx, c, "every")
	second := JobName("every", clk.Now().Truncate(time.Minute))
	eventually(t, "a second job", func() (bool, string) {
		j := jobs(t, ctx, c, "every")
		return fmt.Sprint(j) == fmt.Sprint([]string{first, second}), fmt.Sprint(j)
	})
	completeJob(t, ctx, c, second, clk.Now())
	eventually(t, "history limit 1 deletes the first", func() (bool, string) {
		j := jobs(t, ctx, c, "every")
		return fmt.Sprint(j) == "["+second+"]", fmt.Sprint(j)
	})
}

func TestCronJobForbidReplaceSuspend(t *testing.T) {
	t.Parallel()
	ctx, c, clk := start(t)
	for _, p := range []batchv1.ConcurrencyPolicy{batchv1.ForbidConcurrent, batchv1.ReplaceConcurrent} {
		if _, err := c.BatchV1().CronJobs("default").Create(ctx, newCronJob(strings.ToLower(string(p)), p), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	sus := newCronJob("suspended", batchv1.AllowConcurrent)
	sus.Spec.Suspend = ptr.To(true)
	late := newCronJob("late", batchv1.AllowConcurrent)
	late.Spec.StartingDeadlineSeconds = ptr.To[int64](10) // clock is 30 s past the minute
	for _, cj := range []*batchv1.CronJob{sus, late} {
		if _, err := c.BatchV1().CronJobs("default").Create(ctx, cj, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	first := clk.Now().Truncate(time.Minute)
	for _, p := range []string{"forbid", "replace"} {
		eventually(t, p+" first job", func() (bool, string) {
			j := jobs(t, ctx, c, p)
			return fmt.Sprint(j) == "["+JobName(p, first)+"]", fmt.Sprint(j)
		})
	}
	clk.Add(time.Minute)
	poke(t, ctx, c, "forbid")
	poke(t, ctx, c, "replace")
	next := clk.Now().Truncate(time.Minute)
	eventually(t, "Replace swaps its job", func() (bool, string) {
		j := jobs(t, ctx, c, "replace")
		st := status(ctx, c, "replace")
		return fmt.Sprint(j) == "["+JobName("replace", next)+"]" && len(st.Active) == 1 && st.Active[0].Name == JobName("replace", next), fmt.Sprintf("%v %+v", j, st)
	})
	eventually(t, "Forbid's JobAlreadyActive event", func() (bool, string) {
		l, _ := c.CoreV1().Events("default").List(ctx, metav1.ListOptions{})
		var reasons []string
		for _, e := range l.Items {
			if e.InvolvedObject.Name == "forbid" {
				reasons = append(reasons, e.Reason)
			}
		}
		return fmt.Sprint(reasons) == "[SuccessfulCreate JobAlreadyActive]" || fmt.Sprint(reasons) == "[JobAlreadyActive SuccessfulCreate]", fmt.Sprint(reasons)
	})
	if j := jobs(t, ctx, c, "forbid"); fmt.Sprint(j) != "["+JobName("forbid", first)+"]" {
		t.Errorf("Forbid started a second job: %v", j)
	}
	for _, name := range []string{"suspended", "late"} {
		if j := jobs(t, ctx, c, name); len(j) != 0 {
			t.Errorf("%s: jobs %v", name, j)
		}
	}
}

func TestMostRecent(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 3, 10, 10, 0, 30, 0, time.UTC)
	sched, _ := Parse("*/5 * * * *", time.UTC)
	for _, tc := range []struct {
		name     string
		last     *time.Time
		deadline *int64
		now      time.Time
		want     time.Time
		missed   int
	}{
		{"none yet", nil, nil, created.Add(time.Minute), time.Time{}, 0},
		{"one", nil, nil, created.Add(5 * time.Minute), time.Date(2026, 3, 10, 10, 5, 0, 0, time.UTC), 1},
		{"three missed", nil, nil, created.Add(15 * time.Minute), time.Date(2026, 3, 10, 10, 15, 0, 0, time.UTC), 3},
		{"after last schedule", ptr.To(time.Date(2026, 3, 10, 10, 10, 0, 0, time.UTC)), nil, created.Add(15 * time.Minute), time.Date(2026, 3, 10, 10, 15, 0, 0, time.UTC), 1},
		{"deadline hides old ones", nil, ptr.To[int64](60), created.Add(17 * time.Minute), time.Time{}, 0},
	} {
		cj := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(created)}}
		cj.Spec.StartingDeadlineSeconds = tc.deadline
		if tc.last != nil {
			cj.Status.LastScheduleTime = ptr.To(metav1.NewTime(*tc.last))
		}
		got, missed := MostRecent(cj, sched, tc.now)
		if !got.Equal(tc.want) || missed != tc.missed {
			t.Errorf("%s: got %v (%d), want %v (%d)", tc.name, got, missed, tc.want, tc.missed)
		}
	}
}
