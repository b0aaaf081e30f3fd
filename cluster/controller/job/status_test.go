package job

import (
	"fmt"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

func TestIndexes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in          string
		completions int
		want        string
	}{
		{"", 5, ""},
		{"0", 5, "0"},
		{"0,1,2,4", 5, "0-2,4"},
		{"1-3,7", 5, "1-3"},
		{"3,1,x,2-", 5, "1,3"},
		{"0,2,4-6,8", 10, "0,2,4-6,8"},
	} {
		if got := ParseIndexes(tc.in, tc.completions).String(); got != tc.want {
			t.Errorf("ParseIndexes(%q, %d) = %q, want %q", tc.in, tc.completions, got, tc.want)
		}
	}
}

func restarts(n int32) *corev1.Pod {
	return &corev1.Pod{Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{RestartCount: n}}}}
}

func TestPastBackoffLimit(t *testing.T) {
	t.Parallel()
	job := func(limit int32, rp corev1.RestartPolicy) *batchv1.Job {
		j := &batchv1.Job{}
		j.Spec.BackoffLimit = &limit
		j.Spec.Template.Spec.RestartPolicy = rp
		return j
	}
	for _, tc := range []struct {
		name   string
		job    *batchv1.Job
		failed int32
		active []*corev1.Pod
		want   bool
	}{
		{"never: at limit", job(2, corev1.RestartPolicyNever), 2, nil, false},
		{"never: past limit", job(2, corev1.RestartPolicyNever), 3, nil, true},
		{"never: limit 0, one failure", job(0, corev1.RestartPolicyNever), 1, nil, true},
		{"never: restarts ignored", job(1, corev1.RestartPolicyNever), 0, []*corev1.Pod{restarts(5)}, false},
		{"onfailure: restarts count", job(2, corev1.RestartPolicyOnFailure), 0, []*corev1.Pod{restarts(1), restarts(1)}, true},
		{"onfailure: below", job(3, corev1.RestartPolicyOnFailure), 1, []*corev1.Pod{restarts(1)}, false},
		{"onfailure: limit 0", job(0, corev1.RestartPolicyOnFailure), 0, []*corev1.Pod{restarts(1)}, true},
	} {
		if got := pastBackoffLimit(tc.job, tc.failed, tc.active); got != tc.want {
			t.Errorf("%s: pastBackoffLimit = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestWantActiveAndComplete(t *testing.T) {
	t.Parallel()
	job := func(completions *int32, par int32) *batchv1.Job {
		return &batchv1.Job{Spec: batchv1.JobSpec{Completions: completions, Parallelism: &par}}
	}
	for _, tc := range []struct {
		name              string
		job               *batchv1.Job
		succeeded, active int
		want              int
		complete          bool
	}{
		{"fresh 3/2", job(ptr.To[int32](3), 2), 0, 0, 2, false},
		{"last one", job(ptr.To[int32](3), 2), 2, 1, 1, false},
		{"done", job(ptr.To[int32](3), 2), 3, 0, 0, true},
		{"parallelism 0", job(ptr.To[int32](3), 0), 0, 0, 0, false},
		{"work queue fresh", job(nil, 3), 0, 0, 3, false},
		{"work queue one done, others running", job(nil, 3), 1, 2, 2, false},
		{"work queue drained", job(nil, 3), 1, 0, 0, true},
	} {
		if got := wantActive(tc.job, tc.succeeded, tc.active); got != tc.want {
			t.Errorf("%s: wantActive = %d, want %d", tc.name, got, tc.want)
		}
		if got := complete(tc.job, tc.succeeded, tc.active); got != tc.complete {
			t.Errorf("%s: complete = %v, want %v", tc.name, got, tc.complete)
		}
	}
}

func TestFailureBackoff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		failures int
		want     time.Duration
	}{{0, 0}, {1, 10 * time.Second}, {2, 20 * time.Second}, {4, 80 * time.Second}, {10, 6 * time.Minute}} {
		if got := failureBackoff(10*time.Second, tc.failures); got != tc.want {
			t.Errorf("failureBackoff(%d) = %v, want %v", tc.failures, got, tc.want)
		}
	}
}

func failedPod(name string, container string, code int32, conds ...corev1.PodConditionType) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Status: corev1.PodStatus{Phase: corev1.PodFailed,
		ContainerStatuses: []corev1.ContainerStatus{{Name: container, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code}}}}}}
	for _, c := range conds {
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: c, Status: corev1.ConditionTrue})
	}
	return p
}

func TestJudgeFailures(t *testing.T) {
	t.Parallel()
	policy := &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{
		{Action: batchv1.PodFailurePolicyActionIgnore, OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}}},
		{Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{ContainerName: ptr.To("main"), Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{42}}},
		{Action: batchv1.PodFailurePolicyActionIgnore, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{Operator: batchv1.PodFailurePolicyOnExitCodesOpNotIn, Values: []int32{1, 42}}},
	}}
	for _, tc := range []struct {
		name    string
		policy  *batchv1.PodFailurePolicy
		pods    []*corev1.Pod
		counted int
		failJob string
	}{
		{"no policy counts all", nil, []*corev1.Pod{failedPod("a", "main", 1), failedPod("b", "main", 42)}, 2, ""},
		{"exit 1 counts", policy, []*corev1.Pod{failedPod("a", "main", 1)}, 1, ""},
		{"disruption ignored", policy, []*corev1.Pod{failedPod("a", "main", 1, corev1.DisruptionTarget)}, 0, ""},
		{"42 fails the job", policy, []*corev1.Pod{failedPod("a", "main", 42)}, 1,
			"Container main for pod ns/a failed with exit code 42 matching FailJob rule at index 1"},
		{"42 in another container counts", policy, []*corev1.Pod{failedPod("a", "side", 42)}, 1, ""},
		{"exit 3 ignored by NotIn", policy, []*corev1.Pod{failedPod("a", "main", 3)}, 0, ""},
	} {
		j := &batchv1.Job{Spec: batchv1.JobSpec{PodFailurePolicy: tc.policy}}
		v := judgeFailures(j, tc.pods)
		if v.counted != tc.counted || v.failJob != tc.failJob {
			t.Errorf("%s: got %+v, want counted %d failJob %q", tc.name, v, tc.counted, tc.failJob)
		}
	}
}

func TestPlanIndexed(t *testing.T) {
	t.Parallel()
	pod := func(name string, ix string) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("u" + name)}}
		if ix != "" {
			p.Annotations = map[string]string{batchv1.JobCompletionIndexAnnotation: ix}
		}
		return p
	}
	job := &batchv1.Job{Spec: batchv1.JobSpec{Completions: ptr.To[int32](5), Parallelism: ptr.To[int32](2)}}
	for _, tc := range []struct {
		name      string
		active    []*corev1.Pod
		completed IndexSet
		surplus   []string
		missing   []int
	}{
		{"fresh", nil, IndexSet{}, nil, []int{0, 1}},
		{"skip completed", nil, IndexSet{0: true, 2: true}, nil, []int{1, 3}},
		{"one running", []*corev1.Pod{pod("a", "1")}, IndexSet{}, nil, []int{0}},
		{"duplicate and no index", []*corev1.Pod{pod("a", "1"), pod("b", "1"), pod("c", "")}, IndexSet{}, []string{"b", "c"}, []int{0}},
		{"completed index still running", []*corev1.Pod{pod("a", "0")}, IndexSet{0: true}, []string{"a"}, []int{1, 2}},
		{"beyond parallelism: highest goes", []*corev1.Pod{pod("a", "4"), pod("b", "0"), pod("c", "2")}, IndexSet{}, []string{"a"}, nil},
	} {
		surplus, missing := planIndexed(job, tc.active, tc.completed)
		var names []string
		for _, p := range surplus {
			names = append(names, p.Name)
		}
		if fmt.Sprint(names) != fmt.Sprint(tc.surplus) || fmt.Sprint(missing) != fmt.Sprint(tc.missing) {
			t.Errorf("%s: surplus %v missing %v, want %v %v", tc.name, names, missing, tc.surplus, tc.missing)
		}
	}
}

func TestNewPodIndexed(t *testing.T) {
	t.Parallel()
	j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "j", Namespace: "ns", UID: "uid"}}
	j.Spec.Template.Labels = map[string]string{batchv1.JobNameLabel: "j"}
	j.Spec.Template.Spec.Containers = []corev1.Container{{Name: "c"}}
	p := newPod(j, 3)
	if p.GenerateName != "j-3-" || p.Spec.Hostname != "j-3" || p.Annotations[batchv1.JobCompletionIndexAnnotation] != "3" || p.Labels[batchv1.JobCompletionIndexAnnotation] != "3" {
		t.Errorf("indexed pod: %+v", p.ObjectMeta)
	}
	if e := p.Spec.Containers[0].Env; len(e) != 1 || e[0].Name != "JOB_COMPLETION_INDEX" || e[0].ValueFrom.FieldRef.FieldPath != "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
		t.Errorf("env %+v", e)
	}
	if j.Spec.Template.Labels[batchv1.JobCompletionIndexAnnotation] != "" {
		t.Error("template modified")
	}
	if ref := p.OwnerReferences[0]; ref.Kind != "Job" || ref.UID != "uid" || !*ref.Controller {
		t.Errorf("owner %+v", ref)
	}
}
