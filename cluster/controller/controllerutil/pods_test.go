package controllerutil

import (
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"
)

func pod(name, node string, phase corev1.PodPhase, ready bool, age time.Duration, restarts int32) *corev1.Pod {
	now := time.Unix(1e9, 0)
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: k8stypes.UID("u-" + name), CreationTimestamp: metav1.NewTime(now.Add(-age))},
		Spec:       corev1.PodSpec{NodeName: node},
		Status:     corev1.PodStatus{Phase: phase, ContainerStatuses: []corev1.ContainerStatus{{RestartCount: restarts}}},
	}
	if ready {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(now.Add(-age))}}
	}
	return p
}

func TestActivePodsOrder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		pods []*corev1.Pod
		want string
	}{
		{"unscheduled first", []*corev1.Pod{pod("sched", "n1", corev1.PodPending, false, time.Hour, 0), pod("unsched", "", corev1.PodPending, false, time.Hour, 0)}, "unsched,sched"},
		{"pending before running", []*corev1.Pod{pod("run", "n1", corev1.PodRunning, false, time.Hour, 0), pod("pend", "n1", corev1.PodPending, false, time.Hour, 0)}, "pend,run"},
		{"not ready before ready", []*corev1.Pod{pod("ready", "n1", corev1.PodRunning, true, time.Hour, 0), pod("notready", "n1", corev1.PodRunning, false, time.Hour, 0)}, "notready,ready"},
		{"more restarts first", []*corev1.Pod{pod("calm", "n1", corev1.PodRunning, false, time.Hour, 0), pod("crashy", "n1", corev1.PodRunning, false, time.Hour, 5)}, "crashy,calm"},
		{"newer before older", []*corev1.Pod{pod("old", "n1", corev1.PodRunning, false, 100*time.Hour, 0), pod("new", "n1", corev1.PodRunning, false, time.Minute, 0)}, "new,old"},
		{"ready less time first", []*corev1.Pod{pod("long", "n1", corev1.PodRunning, true, 100*time.Hour, 0), pod("short", "n1", corev1.PodRunning, true, time.Minute, 0)}, "short,long"},
	} {
		s := RankByNode(tc.pods, nil, time.Unix(1e9, 0))
		sort.Sort(s)
		var got []string
		for _, p := range s.Pods {
			got = append(got, p.Name)
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("%s: got %v, want %s", tc.name, got, tc.want)
		}
	}
}

func TestIsPodAvailable(t *testing.T) {
	t.Parallel()
	now := time.Unix(1e9, 0)
	p := pod("p", "n", corev1.PodRunning, true, 5*time.Second, 0)
	for _, tc := range []struct {
		min  int32
		want bool
	}{{0, true}, {3, true}, {10, false}} {
		if got := IsPodAvailable(p, tc.min, now); got != tc.want {
			t.Errorf("minReadySeconds %d: available %v, want %v", tc.min, got, tc.want)
		}
	}
}

func TestExpectations(t *testing.T) {
	t.Parallel()
	now := time.Unix(1e9, 0)
	e := NewExpectations(func() time.Time { return now })
	e.ExpectCreations("k", 2)
	e.CreationObserved("k")
	if e.Satisfied("k") {
		t.Error("satisfied with a creation pending")
	}
	e.CreationObserved("k")
	if !e.Satisfied("k") {
		t.Error("not satisfied after both creations")
	}
	e.ExpectDeletions("k", []string{"ns/a"})
	e.DeletionObserved("k", "ns/b")
	if e.Satisfied("k") {
		t.Error("satisfied by another pod's deletion")
	}
	now = now.Add(ExpectationsTimeout + time.Second)
	if !e.Satisfied("k") {
		t.Error("expired expectations still block")
	}
}
