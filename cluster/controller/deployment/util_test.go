package deployment

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestResolveFenceposts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		surge, unavail intstr.IntOrString
		desired        int32
		wantS, wantU   int32
	}{
		{intstr.FromString("25%"), intstr.FromString("25%"), 10, 3, 2}, // surge up, unavailable down
		{intstr.FromString("25%"), intstr.FromString("25%"), 1, 1, 0},
		{intstr.FromString("25%"), intstr.FromString("25%"), 3, 1, 0},
		{intstr.FromInt32(0), intstr.FromString("10%"), 5, 0, 1}, // both 0: unavailable 1
		{intstr.FromInt32(1), intstr.FromInt32(0), 3, 1, 0},
		{intstr.FromString("50%"), intstr.FromString("50%"), 5, 3, 2},
		{intstr.FromString("100%"), intstr.FromInt32(0), 0, 0, 1},
	} {
		s, u, err := ResolveFenceposts(&tc.surge, &tc.unavail, tc.desired)
		if err != nil || s != tc.wantS || u != tc.wantU {
			t.Errorf("ResolveFenceposts(%s, %s, %d) = %d, %d, %v; want %d, %d", tc.surge.String(), tc.unavail.String(), tc.desired, s, u, err, tc.wantS, tc.wantU)
		}
	}
}

func template(image string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "x"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: image}}},
	}
}

func TestComputeHash(t *testing.T) {
	t.Parallel()
	a, b := template("a"), template("b")
	one := int32(1)
	ha := ComputeHash(&a, nil)
	if ha != ComputeHash(new(template("a")), nil) {
		t.Error("equal templates hash differently")
	}
	for name, h := range map[string]string{"other template": ComputeHash(&b, nil), "collision count": ComputeHash(&a, &one)} {
		if h == ha {
			t.Errorf("%s does not change the hash %s", name, ha)
		}
	}
	for _, r := range ha {
		if !strings.ContainsRune("bcdfghjklmnpqrstvwxz2456789", r) {
			t.Errorf("hash %s has %q, not from rand.SafeEncodeString's alphabet", ha, r)
		}
	}
}

func rs(name string, image string, replicas int32, age time.Duration, rev string) *appsv1.ReplicaSet {
	tm := template(image)
	tm.Labels = withLabel(tm.Labels, HashLabel, name)
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID(name), CreationTimestamp: metav1.NewTime(time.Unix(1e9, 0).Add(-age)),
			Annotations: map[string]string{RevisionAnnotation: rev}},
		Spec: appsv1.ReplicaSetSpec{Replicas: &replicas, Template: tm},
	}
}

func TestPartition(t *testing.T) {
	t.Parallel()
	d := &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Template: template("b")}}
	for _, tc := range []struct {
		name     string
		rss      []*appsv1.ReplicaSet
		wantNew  string
		withPods []string
		all      []string
	}{
		{"none", nil, "", nil, nil},
		{"only old", []*appsv1.ReplicaSet{rs("a1", "a", 3, time.Hour, "1")}, "", []string{"a1"}, []string{"a1"}},
		{"new and old", []*appsv1.ReplicaSet{rs("a1", "a", 0, time.Hour, "1"), rs("b1", "b", 2, time.Minute, "2"), rs("c1", "c", 1, 2*time.Hour, "3")}, "b1", []string{"c1"}, []string{"a1", "c1"}},
		{"two equal: oldest is new", []*appsv1.ReplicaSet{rs("b2", "b", 1, time.Minute, "2"), rs("b1", "b", 1, time.Hour, "1")}, "b1", []string{"b2"}, []string{"b2"}},
	} {
		got := FindNewReplicaSet(d, tc.rss)
		if name := func() string {
			if got == nil {
				return ""
			}
			return got.Name
		}(); name != tc.wantNew {
			t.Errorf("%s: new = %q, want %q", tc.name, name, tc.wantNew)
		}
		withPods, all := FindOldReplicaSets(d, tc.rss)
		if names(withPods) != strings.Join(tc.withPods, ",") || names(all) != strings.Join(tc.all, ",") {
			t.Errorf("%s: old = %s / %s, want %v / %v", tc.name, names(withPods), names(all), tc.withPods, tc.all)
		}
	}
}

func names(rss []*appsv1.ReplicaSet) string {
	var n []string
	for _, r := range rss {
		n = append(n, r.Name)
	}
	return strings.Join(n, ",")
}

func TestProportionalSizes(t *testing.T) {
	t.Parallel()
	d := &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: new(int32(20)), Strategy: appsv1.DeploymentStrategy{
		Type:          appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: new(intstr.FromInt32(3)), MaxUnavailable: new(intstr.FromInt32(2))}}}}
	// Kubernetes' documented example: 10 replicas, surge 3, stuck at 8 old
	// + 5 new; scaled to 20 (23 allowed), the 10 new replicas go 8:5 → +6/+4.
	old, nw := rs("old", "a", 8, time.Hour, "1"), rs("new", "b", 5, time.Minute, "2")
	for _, r := range []*appsv1.ReplicaSet{old, nw} {
		r.Annotations[MaxReplicasAnnotation] = "13"
	}
	sizes, op := proportionalSizes(d, []*appsv1.ReplicaSet{nw, old})
	got := map[string]int32{}
	for _, s := range sizes {
		got[s.rs.Name] = s.n
	}
	if op != "up" || got["old"] != 14 || got["new"] != 9 {
		t.Errorf("proportional sizes %v (%s), want old 14, new 9", got, op)
	}
}

func TestRollbackAnnotations(t *testing.T) {
	t.Parallel()
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{"team": "a", RevisionAnnotation: "2"}},
		Spec: appsv1.DeploymentSpec{Replicas: new(int32(3))}}
	r := rs("a1", "a", 0, time.Hour, "1")
	if !setNewReplicaSetAnnotations(d, r, "3", true) {
		t.Fatal("no change reported")
	}
	if r.Annotations[RevisionAnnotation] != "3" || r.Annotations[RevisionHistoryAnnotation] != "1" || r.Annotations["team"] != "a" {
		t.Errorf("annotations %v", r.Annotations)
	}
	setNewReplicaSetAnnotations(d, r, "5", true)
	if r.Annotations[RevisionHistoryAnnotation] != "1,3" {
		t.Errorf("history %q, want 1,3", r.Annotations[RevisionHistoryAnnotation])
	}
}
