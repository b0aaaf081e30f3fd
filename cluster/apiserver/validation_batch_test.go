package apiserver

import (
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func testJob(change func(j *batchv1.Job)) *batchv1.Job {
	t := webTemplate()
	t.Spec.RestartPolicy = corev1.RestartPolicyNever
	j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "pi", Namespace: "default", UID: "0f9c"}, Spec: batchv1.JobSpec{Template: t}}
	if change != nil {
		change(j)
	}
	return j
}

func TestValidateJob(t *testing.T) {
	t.Parallel()
	runValidationCases(t, "Job.batch", []validationCase{
		{name: "valid", obj: testJob(nil)},
		{name: "restart policy Always", obj: testJob(func(j *batchv1.Job) { j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways }),
			want: []string{"Required value spec.template.spec.restartPolicy"}},
		{name: "restart policy unset", obj: testJob(func(j *batchv1.Job) { j.Spec.Template.Spec.RestartPolicy = "" }),
			want: []string{"Required value spec.template.spec.restartPolicy"}},
		{name: "negative counts", obj: testJob(func(j *batchv1.Job) {
			j.Spec.Parallelism, j.Spec.Completions, j.Spec.BackoffLimit = ptr.To[int32](-1), ptr.To[int32](-1), ptr.To[int32](-1)
		}), want: []string{"Invalid value spec.parallelism", "Invalid value spec.completions", "Invalid value spec.backoffLimit"}},
		{name: "wrong generated label", obj: testJob(func(j *batchv1.Job) { j.Spec.Template.Labels["job-name"] = "other" }),
			want: []string{"Invalid value spec.template.metadata.labels[job-name]"}},
		{name: "manual selector that does not match", obj: testJob(func(j *batchv1.Job) {
			j.Spec.ManualSelector = ptr.To(true)
			j.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "other"}}
		}), want: []string{"Invalid value spec.template.metadata.labels"}},
		{name: "manual selector missing", obj: testJob(func(j *batchv1.Job) { j.Spec.ManualSelector = ptr.To(true) }),
			want: []string{"Required value spec.selector", "Invalid value spec.template.metadata.labels"}},
		{name: "parallelism changed", old: testJob(nil), obj: testJob(func(j *batchv1.Job) { j.Spec.Parallelism, j.Spec.Completions = ptr.To[int32](2), ptr.To[int32](1) })},
		{name: "template changed", old: testJob(nil), obj: testJob(func(j *batchv1.Job) { j.Spec.Template.Spec.Containers[0].Image = "perl" }),
			want: []string{"Invalid value spec.template"}},
		{name: "scheduling of a suspended job changed", old: testJob(func(j *batchv1.Job) { j.Spec.Suspend = ptr.To(true) }),
			obj: testJob(func(j *batchv1.Job) {
				j.Spec.Suspend = ptr.To(true)
				j.Spec.Template.Spec.NodeSelector = map[string]string{"zone": "a"}
			})},
		{name: "completions changed", old: testJob(nil), obj: testJob(func(j *batchv1.Job) { j.Spec.Completions = ptr.To[int32](3) }),
			want: []string{"Invalid value spec.completions"}},
	})
}

func testCronJob(change func(c *batchv1.CronJob)) *batchv1.CronJob {
	t := webTemplate()
	t.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	c := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: "default"},
		Spec: batchv1.CronJobSpec{Schedule: "*/5 * * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: t}}}}
	if change != nil {
		change(c)
	}
	return c
}

func TestValidateCronJob(t *testing.T) {
	t.Parallel()
	schedule := func(s string) *batchv1.CronJob { return testCronJob(func(c *batchv1.CronJob) { c.Spec.Schedule = s }) }
	runValidationCases(t, "CronJob.batch", []validationCase{
		{name: "valid", obj: testCronJob(nil)},
		{name: "macro", obj: schedule("@hourly")},
		{name: "every", obj: schedule("@every 1h30m")},
		{name: "names and lists", obj: schedule("0,30 9-17/2 1 jan-jun MON-FRI")},
		{name: "time zone", obj: testCronJob(func(c *batchv1.CronJob) { c.Spec.TimeZone = ptr.To("Europe/Paris") })},
		{name: "no schedule", obj: schedule(""), want: []string{"Required value spec.schedule"}},
		{name: "three fields", obj: schedule("* * *"), want: []string{"Invalid value spec.schedule"}},
		{name: "minute out of range", obj: schedule("60 * * * *"), want: []string{"Invalid value spec.schedule"}},
		{name: "not a number", obj: schedule("x * * * *"), want: []string{"Invalid value spec.schedule"}},
		{name: "unknown macro", obj: schedule("@fortnightly"), want: []string{"Invalid value spec.schedule"}},
		{name: "TZ in schedule", obj: schedule("TZ=UTC 0 * * * *"), want: []string{"Invalid value spec.schedule"}},
		{name: "unknown time zone", obj: testCronJob(func(c *batchv1.CronJob) { c.Spec.TimeZone = ptr.To("Mars/Olympus") }),
			want: []string{"Invalid value spec.timeZone"}},
		{name: "job template restart policy", obj: testCronJob(func(c *batchv1.CronJob) { c.Spec.JobTemplate.Spec.Template.Spec.RestartPolicy = "" }),
			want: []string{"Required value spec.jobTemplate.spec.template.spec.restartPolicy"}},
		{name: "job template selector", obj: testCronJob(func(c *batchv1.CronJob) { c.Spec.JobTemplate.Spec.Selector = webSelector.DeepCopy() }),
			want: []string{"Invalid value spec.jobTemplate.spec.selector"}},
		{name: "concurrency policy", obj: testCronJob(func(c *batchv1.CronJob) { c.Spec.ConcurrencyPolicy = "Sometimes" }),
			want: []string{"Unsupported value spec.concurrencyPolicy"}},
		{name: "name too long", obj: testCronJob(func(c *batchv1.CronJob) { c.Name = strings.Repeat("a", 53) }),
			want: []string{"Invalid value metadata.name"}},
	})
}

func TestParseCronMessages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ spec, want string }{
		{"* * *", "expected exactly 5 fields, found 3: [* * *]"},
		{"60 * * * *", "end of range (60) above maximum (59): 60"},
		{"* * 0 * *", "beginning of range (0) below minimum (1): 0"},
		{"5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"},
		{"*/0 * * * *", "step of range should be a positive number: */0"},
		{"x * * * *", `failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax`},
		{"@fortnightly", "unrecognized descriptor: @fortnightly"},
		{"0 0 * * 7", "end of range (7) above maximum (6): 7"},
	} {
		if err := parseCron(tc.spec); err == nil || err.Error() != tc.want {
			t.Errorf("%q: %v, want %s", tc.spec, err, tc.want)
		}
	}
}
