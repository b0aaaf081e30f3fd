package statefulset

import (
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

var now = time.Unix(1e9, 0)

func testSet(replicas int32, policy appsv1.PodManagementPolicyType) *appsv1.StatefulSet {
	lbls := map[string]string{"app": "web"}
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", UID: "set-uid", Generation: 1},
		Spec: appsv1.StatefulSetSpec{
			Replicas: &replicas, ServiceName: "svc", PodManagementPolicy: policy,
			Selector: &metav1.LabelSelector{MatchLabels: lbls},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: lbls},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "img:v1"}}}},
			UpdateStrategy: appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: new(int32(0))}},
		},
	}
}

func testRevs(set *appsv1.StatefulSet) revs {
	return revs{current: "web-old", update: "web-new", currentSet: set, updateSet: set}
}

// existing is a pod of ordinal at revision rev; state is "ready",
// "running" (not ready), "pending", "failed" or "terminating".
func existing(set *appsv1.StatefulSet, ord int, rev, state string) *corev1.Pod {
	p := newPod(set, rev, ord)
	p.UID = types.UID(fmt.Sprintf("uid-%d", ord))
	switch state {
	case "ready", "terminating":
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(now.Add(-time.Hour))}}
		if state == "terminating" {
			p.DeletionTimestamp = &metav1.Time{Time: now}
		}
	case "running":
		p.Status.Phase = corev1.PodRunning
	case "pending":
		p.Status.Phase = corev1.PodPending
	case "failed":
		p.Status.Phase = corev1.PodFailed
	}
	return p
}

func describe(ops []op) string {
	var s []string
	for _, o := range ops {
		switch o.kind {
		case opCreate:
			s = append(s, "create "+o.pod.Name+"@"+podRevision(o.pod))
		case opDelete:
			s = append(s, "delete "+o.pod.Name+" ("+o.why+")")
		case opUpdate:
			s = append(s, "update "+o.pod.Name)
		case opClaims:
			s = append(s, "claims "+o.pod.Name)
		}
	}
	return strings.Join(s, ", ")
}

func TestPlan(t *testing.T) {
	t.Parallel()
	type pod struct {
		ord        int
		rev, state string
	}
	for _, tc := range []struct {
		name      string
		replicas  int32
		policy    appsv1.PodManagementPolicyType
		partition int32
		onDelete  bool
		pods      []pod
		want      string
		waiting   string
	}{
		{name: "ordered: first pod only", replicas: 3, want: "create web-0@web-new", waiting: "web-0"},
		{name: "ordered: wait for web-0 ready", replicas: 3, pods: []pod{{0, "web-new", "running"}}, waiting: "web-0"},
		{name: "ordered: next once ready", replicas: 3, pods: []pod{{0, "web-new", "ready"}}, want: "create web-1@web-new", waiting: "web-1"},
		{name: "parallel: all at once", replicas: 3, policy: appsv1.ParallelPodManagement, pods: []pod{{1, "web-new", "running"}},
			want: "create web-0@web-new, create web-2@web-new", waiting: "web-2"},
		{name: "ordered: scale down from the highest", replicas: 1,
			pods: []pod{{0, "web-new", "ready"}, {1, "web-new", "ready"}, {2, "web-new", "ready"}}, want: "delete web-2 (condemned)"},
		{name: "ordered: wait for the terminating one", replicas: 1,
			pods: []pod{{0, "web-new", "ready"}, {1, "web-new", "ready"}, {2, "web-new", "terminating"}}, waiting: "web-2"},
		{name: "parallel: scale down all", replicas: 1, policy: appsv1.ParallelPodManagement,
			pods: []pod{{0, "web-new", "ready"}, {1, "web-new", "ready"}, {2, "web-new", "ready"}}, want: "delete web-2 (condemned), delete web-1 (condemned)"},
		{name: "failed pod is deleted", replicas: 2, pods: []pod{{0, "web-new", "failed"}, {1, "web-new", "ready"}}, want: "delete web-0 (failed)", waiting: "web-0"},
		{name: "rolling update: highest ordinal first", replicas: 3,
			pods: []pod{{0, "web-old", "ready"}, {1, "web-old", "ready"}, {2, "web-old", "ready"}}, want: "delete web-2 (update)"},
		{name: "rolling update: recreate at the update revision", replicas: 3,
			pods: []pod{{0, "web-old", "ready"}, {1, "web-old", "ready"}}, want: "create web-2@web-new", waiting: "web-2"},
		{name: "rolling update: wait for the updated pod", replicas: 3,
			pods: []pod{{0, "web-old", "ready"}, {1, "web-old", "ready"}, {2, "web-new", "running"}}, waiting: "web-2"},
		{name: "rolling update: next one down", replicas: 3,
			pods: []pod{{0, "web-old", "ready"}, {1, "web-old", "ready"}, {2, "web-new", "ready"}}, want: "delete web-1 (update)"},
		{name: "partition 2 stops above it", replicas: 3, partition: 2,
			pods: []pod{{0, "web-old", "ready"}, {1, "web-old", "ready"}, {2, "web-new", "ready"}}},
		{name: "partition: missing pod below it stays at current", replicas: 3, partition: 2,
			pods: []pod{{1, "web-old", "ready"}, {2, "web-new", "ready"}}, want: "create web-0@web-old", waiting: "web-0"},
		{name: "on delete: nothing replaced", replicas: 2, onDelete: true,
			pods: []pod{{0, "web-old", "ready"}, {1, "web-old", "ready"}}},
		{name: "on delete: a deleted pod comes back updated", replicas: 2, onDelete: true,
			pods: []pod{{0, "web-old", "ready"}}, want: "create web-1@web-new", waiting: "web-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			policy := tc.policy
			if policy == "" {
				policy = appsv1.OrderedReadyPodManagement
			}
			set := testSet(tc.replicas, policy)
			*set.Spec.UpdateStrategy.RollingUpdate.Partition = tc.partition
			if tc.onDelete {
				set.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType}
			}
			var pods []*corev1.Pod
			for _, p := range tc.pods {
				pods = append(pods, existing(set, p.ord, p.rev, p.state))
			}
			res := plan(set, testRevs(set), pods, now)
			if got := describe(res.ops); got != tc.want {
				t.Errorf("ops %q, want %q", got, tc.want)
			}
			if res.waiting != tc.waiting {
				t.Errorf("waiting for %q, want %q", res.waiting, tc.waiting)
			}
		})
	}
}

func TestPlanStatus(t *testing.T) {
	t.Parallel()
	set := testSet(3, appsv1.OrderedReadyPodManagement)
	set.Spec.MinReadySeconds = 10
	pods := []*corev1.Pod{existing(set, 0, "web-old", "ready"), existing(set, 1, "web-new", "ready"), existing(set, 2, "web-new", "running")}
	// web-1 became ready 4 s ago: ready, not yet available.
	pods[1].Status.Conditions[0].LastTransitionTime = metav1.NewTime(now.Add(-4 * time.Second))
	res := plan(set, testRevs(set), pods, now)
	st := res.status
	if st.Replicas != 3 || st.ReadyReplicas != 2 || st.AvailableReplicas != 1 || st.CurrentReplicas != 1 || st.UpdatedReplicas != 2 ||
		st.CurrentRevision != "web-old" || st.UpdateRevision != "web-new" || st.ObservedGeneration != 1 {
		t.Errorf("status %+v", st)
	}
	if res.after < 5*time.Second || res.after > 6*time.Second {
		t.Errorf("requeue after %v, want ~6s", res.after)
	}
	completeRollingUpdate(set, &st)
	if st.CurrentRevision != "web-old" {
		t.Errorf("rollout completed with a pod at the old revision: %+v", st)
	}
	done := appsv1.StatefulSetStatus{Replicas: 3, ReadyReplicas: 3, UpdatedReplicas: 3, CurrentReplicas: 0, CurrentRevision: "a", UpdateRevision: "b"}
	completeRollingUpdate(set, &done)
	if done.CurrentRevision != "b" || done.CurrentReplicas != 3 {
		t.Errorf("complete rollout: %+v", done)
	}
}
