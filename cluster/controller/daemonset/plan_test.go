package daemonset

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var now = time.Unix(1e9, 0)

func testNode(name string, opts ...func(*corev1.Node)) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelHostname: name}}}
	for _, o := range opts {
		o(n)
	}
	return n
}

func taint(key string, effect corev1.TaintEffect) func(*corev1.Node) {
	return func(n *corev1.Node) { n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: key, Effect: effect}) }
}

func label(k, v string) func(*corev1.Node) { return func(n *corev1.Node) { n.Labels[k] = v } }

func testDS(opts ...func(*appsv1.DaemonSet)) *appsv1.DaemonSet {
	lbls := map[string]string{"app": "agent"}
	ds := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: "default", UID: "ds-uid", Generation: 1},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: lbls},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: lbls},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "img:v1"}}, TerminationGracePeriodSeconds: new(int64(0))}},
			UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDaemonSet{MaxUnavailable: new(intstr.FromInt32(1)), MaxSurge: new(intstr.FromInt32(0))}},
		},
	}
	for _, o := range opts {
		o(ds)
	}
	return ds
}

func TestShouldRun(t *testing.T) {
	t.Parallel()
	affinity := func(ds *appsv1.DaemonSet) {
		ds.Spec.Template.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"a", "b"}}}}},
		}}}
	}
	for _, tc := range []struct {
		name      string
		node      *corev1.Node
		ds        *appsv1.DaemonSet
		run, keep bool
	}{
		{"plain node", testNode("n"), testDS(), true, true},
		{"nodeSelector matches", testNode("n", label("disk", "ssd")), testDS(func(ds *appsv1.DaemonSet) { ds.Spec.Template.Spec.NodeSelector = map[string]string{"disk": "ssd"} }), true, true},
		{"nodeSelector does not match", testNode("n"), testDS(func(ds *appsv1.DaemonSet) { ds.Spec.Template.Spec.NodeSelector = map[string]string{"disk": "ssd"} }), false, false},
		{"required affinity matches", testNode("n", label("zone", "b")), testDS(affinity), true, true},
		{"required affinity does not match", testNode("n", label("zone", "c")), testDS(affinity), false, false},
		{"nodeName elsewhere", testNode("n"), testDS(func(ds *appsv1.DaemonSet) { ds.Spec.Template.Spec.NodeName = "m" }), false, false},
		{"NoSchedule taint: no new pod, keep the old", testNode("n", taint("dedicated", corev1.TaintEffectNoSchedule)), testDS(), false, true},
		{"NoExecute taint: evicted", testNode("n", taint("dedicated", corev1.TaintEffectNoExecute)), testDS(), false, false},
		{"PreferNoSchedule is ignored", testNode("n", taint("dedicated", corev1.TaintEffectPreferNoSchedule)), testDS(), true, true},
		{"tolerated taint", testNode("n", taint("dedicated", corev1.TaintEffectNoSchedule)), testDS(func(ds *appsv1.DaemonSet) {
			ds.Spec.Template.Spec.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpExists}}
		}), true, true},
		{"cordoned node: automatic toleration", testNode("n", taint(corev1.TaintNodeUnschedulable, corev1.TaintEffectNoSchedule)), testDS(), true, true},
		{"not-ready node: automatic toleration", testNode("n", taint(corev1.TaintNodeNotReady, corev1.TaintEffectNoExecute)), testDS(), true, true},
		{"unreachable node: automatic toleration", testNode("n", taint(corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute)), testDS(), true, true},
		{"memory pressure: automatic toleration", testNode("n", taint(corev1.TaintNodeMemoryPressure, corev1.TaintEffectNoSchedule)), testDS(), true, true},
		{"network unavailable without host network", testNode("n", taint(corev1.TaintNodeNetworkUnavailable, corev1.TaintEffectNoSchedule)), testDS(), false, true},
		{"network unavailable with host network", testNode("n", taint(corev1.TaintNodeNetworkUnavailable, corev1.TaintEffectNoSchedule)),
			testDS(func(ds *appsv1.DaemonSet) { ds.Spec.Template.Spec.HostNetwork = true }), true, true},
	} {
		run, keep := ShouldRun(tc.node, tc.ds)
		if run != tc.run || keep != tc.keep {
			t.Errorf("%s: run %v keep %v, want %v %v", tc.name, run, keep, tc.run, tc.keep)
		}
	}
}

func TestNewPod(t *testing.T) {
	t.Parallel()
	ds := testDS(func(ds *appsv1.DaemonSet) {
		ds.Spec.Template.Spec.Tolerations = []corev1.Toleration{{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: new(int64(5))}}
		ds.Spec.Template.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpExists}}}}}}}
		ds.Annotations = map[string]string{appsv1.DeprecatedTemplateGeneration: "3"}
	})
	p := NewPod(ds, "node-2", "abc")
	if targetNode(p) != "node-2" || p.Spec.NodeName != "" || len(p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms) != 1 {
		t.Errorf("affinity %+v", p.Spec.Affinity)
	}
	if p.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] != "abc" || p.Labels[templateGenerationLabel] != "3" || p.GenerateName != "agent-" {
		t.Errorf("labels %v name %s", p.Labels, p.GenerateName)
	}
	var keys []string
	for _, tol := range p.Spec.Tolerations {
		keys = append(keys, string(tol.Effect)+":"+tol.Key)
		if tol.Key == corev1.TaintNodeNotReady && tol.TolerationSeconds != nil {
			t.Error("the not-ready toleration must be replaced by one without tolerationSeconds")
		}
	}
	want := []string{"NoExecute:node.kubernetes.io/not-ready", "NoExecute:node.kubernetes.io/unreachable", "NoSchedule:node.kubernetes.io/disk-pressure",
		"NoSchedule:node.kubernetes.io/memory-pressure", "NoSchedule:node.kubernetes.io/pid-pressure", "NoSchedule:node.kubernetes.io/unschedulable"}
	if !slices.Equal(keys, want) {
		t.Errorf("tolerations %v, want %v", keys, want)
	}
	if ds.Spec.Template.Spec.Tolerations[0].TolerationSeconds == nil {
		t.Error("NewPod changed the template")
	}
}

// dsPod is a pod of ds on node at revision hash, "ready", "notready",
// "failed" or "terminating".
func dsPod(ds *appsv1.DaemonSet, name, node, hash, state string) *corev1.Pod {
	p := NewPod(ds, node, hash)
	p.Name = name
	p.CreationTimestamp = metav1.NewTime(now.Add(-time.Hour))
	switch state {
	case "ready":
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(now.Add(-time.Hour))}}
	case "notready":
		p.Status.Phase = corev1.PodRunning
	case "failed":
		p.Status.Phase = corev1.PodFailed
	case "terminating":
		p.DeletionTimestamp = &metav1.Time{Time: now}
	}
	return p
}

func names(pods []*corev1.Pod) string {
	var s []string
	for _, p := range pods {
		s = append(s, p.Name)
	}
	slices.Sort(s)
	return strings.Join(s, ",")
}

func TestManage(t *testing.T) {
	t.Parallel()
	ds := testDS()
	nodes := []*corev1.Node{testNode("n1"), testNode("n2"), testNode("n3", taint("x", corev1.TaintEffectNoExecute)), testNode("n4"), testNode("n5")}
	pods := []*corev1.Pod{
		dsPod(ds, "p1", "n1", "h", "ready"),
		dsPod(ds, "p3", "n3", "h", "ready"),                                        // evicted by the NoExecute taint
		dsPod(ds, "p4", "n4", "h", "failed"),                                       // replaced once gone
		dsPod(ds, "p5a", "n5", "h", "ready"), dsPod(ds, "p5b", "n5", "h", "ready"), // extra
		dsPod(ds, "p6", "gone", "h", "ready"), // node deleted
	}
	pods[4].CreationTimestamp = metav1.NewTime(now)
	create, del, failed := manage(ds, nodes, byNode(pods))
	if fmt.Sprint(create) != "[n2]" || names(del) != "p3,p4,p5b,p6" || len(failed) != 1 || !failed[pods[2]] {
		t.Errorf("create %v delete %s failed %d", create, names(del), len(failed))
	}
}

func TestRollingVictims(t *testing.T) {
	t.Parallel()
	nodes := []*corev1.Node{testNode("n1"), testNode("n2"), testNode("n3"), testNode("n4")}
	for _, tc := range []struct {
		name   string
		max    intstr.IntOrString
		states []string // per node: "old", "old-notready", "new", "new-notready", "none"
		want   string
	}{
		{"one at a time", intstr.FromInt32(1), []string{"old", "old", "old", "old"}, "p1"},
		{"two at a time", intstr.FromInt32(2), []string{"old", "old", "old", "old"}, "p1,p2"},
		{"50% of 4", intstr.FromString("50%"), []string{"old", "old", "old", "old"}, "p1,p2"},
		{"wait for the new pod to be available", intstr.FromInt32(1), []string{"new-notready", "old", "old", "old"}, ""},
		{"next once available", intstr.FromInt32(1), []string{"new", "old", "old", "old"}, "p2"},
		{"unavailable old pods go at once", intstr.FromInt32(1), []string{"new-notready", "old-notready", "old", "old"}, "p2"},
		{"a node without a pod counts as unavailable", intstr.FromInt32(1), []string{"none", "old", "new", "new"}, ""},
		{"with 2, a node without a pod leaves room for one", intstr.FromInt32(2), []string{"none", "old", "old", "new"}, "p2"},
		{"done", intstr.FromInt32(1), []string{"new", "new", "new", "new"}, ""},
	} {
		ds := testDS(func(ds *appsv1.DaemonSet) { ds.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable = &tc.max })
		var pods []*corev1.Pod
		for i, s := range tc.states {
			name, node := fmt.Sprintf("p%d", i+1), fmt.Sprintf("n%d", i+1)
			switch s {
			case "old":
				pods = append(pods, dsPod(ds, name, node, "old", "ready"))
			case "old-notready":
				pods = append(pods, dsPod(ds, name, node, "old", "notready"))
			case "new":
				pods = append(pods, dsPod(ds, name, node, "new", "ready"))
			case "new-notready":
				pods = append(pods, dsPod(ds, name, node, "new", "notready"))
			}
		}
		if got := names(rollingVictims(ds, nodes, byNode(pods), "new", now)); got != tc.want {
			t.Errorf("%s: delete %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	ds := testDS(func(ds *appsv1.DaemonSet) { ds.Spec.MinReadySeconds = 30 })
	nodes := []*corev1.Node{testNode("n1"), testNode("n2"), testNode("n3"), testNode("n4", label("role", "x"), taint("x", corev1.TaintEffectNoSchedule))}
	pods := []*corev1.Pod{
		dsPod(ds, "p1", "n1", "new", "ready"),
		dsPod(ds, "p2", "n2", "old", "ready"),
		dsPod(ds, "p4", "n4", "new", "ready"), // NoSchedule: kept, but misscheduled
	}
	pods[1].Status.Conditions[0].LastTransitionTime = metav1.NewTime(now.Add(-10 * time.Second))
	st, after := status(ds, nodes, byNode(pods), "new", now)
	want := appsv1.DaemonSetStatus{ObservedGeneration: 1, DesiredNumberScheduled: 3, CurrentNumberScheduled: 2, NumberReady: 2,
		NumberAvailable: 1, UpdatedNumberScheduled: 1, NumberMisscheduled: 1, NumberUnavailable: 2}
	if fmt.Sprintf("%+v", st) != fmt.Sprintf("%+v", want) {
		t.Errorf("status %+v\nwant %+v", st, want)
	}
	if after != 20*time.Second {
		t.Errorf("requeue after %v, want 20s", after)
	}
}
