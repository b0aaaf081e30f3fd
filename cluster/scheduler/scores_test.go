package scheduler

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestScores(t *testing.T) {
	t.Parallel()
	three := []*corev1.Node{node("n1"), node("n2"), node("n3")}
	prefer := corev1.Taint{Key: "k", Effect: corev1.TaintEffectPreferNoSchedule}
	for _, tc := range []struct {
		name  string
		fn    func(*cycle, []*nodeInfo) []int64
		pod   *corev1.Pod
		nodes []*corev1.Node
		pods  []*corev1.Pod
		want  []int64
	}{
		{"least allocated: empty nodes", scoreLeastAllocated, pod("p", requests("cpu", "1", "memory", "2Gi")), three, nil, []int64{50, 50, 50}},
		{"least allocated: busier node scores less", scoreLeastAllocated, pod("p", requests("cpu", "1", "memory", "2Gi")), three,
			[]*corev1.Pod{pod("a", onNode("n2"), requests("cpu", "1", "memory", "2Gi"))}, []int64{50, 0, 50}},
		{"least allocated: defaults for missing requests", scoreLeastAllocated, pod("p"), []*corev1.Node{node("n1", withAlloc("cpu", "1"), withAlloc("memory", "1Gi"))}, nil,
			[]int64{(90 + (1024-200)*100/1024) / 2}},
		{"owner spread", scoreSpread, pod("p", ownedBy("rs1")), three,
			[]*corev1.Pod{pod("a", onNode("n1"), ownedBy("rs1")), pod("b", onNode("n1"), ownedBy("rs1")), pod("c", onNode("n2"), ownedBy("rs1")), pod("d", onNode("n3"), ownedBy("rs2"))},
			[]int64{0, 50, 100}},
		{"no owner, no spreading", scoreSpread, pod("p"), three, []*corev1.Pod{pod("a", onNode("n1"))}, []int64{0, 0, 0}},
		{"ScheduleAnyway constraint", scoreSpread, pod("p", podLabels("app", "web"), func(p *corev1.Pod) {
			p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: corev1.LabelHostname, WhenUnsatisfiable: corev1.ScheduleAnyway,
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}
		}), three, []*corev1.Pod{pod("a", onNode("n1"), podLabels("app", "web"))}, []int64{0, 100, 100}},
		{"PreferNoSchedule taints", scoreTaints, pod("p"), []*corev1.Node{node("n1", withTaints(prefer)), node("n2")}, nil, []int64{0, 100}},
		{"PreferNoSchedule tolerated", scoreTaints, pod("p", tolerate(corev1.Toleration{Key: "k", Operator: corev1.TolerationOpExists})),
			[]*corev1.Node{node("n1", withTaints(prefer)), node("n2")}, nil, []int64{100, 100}},
		{"preferred node affinity", scoreNodeAffinity, pod("p", func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{
				{Weight: 10, Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "disk", Operator: corev1.NodeSelectorOpIn, Values: []string{"ssd"}}}}},
				{Weight: 30, Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpExists}}}},
			}}}
		}), []*corev1.Node{node("n1", withLabels("disk", "ssd")), node("n2", withLabels("zone", "a")), node("n3", withLabels("disk", "ssd", "zone", "a"))}, nil, []int64{25, 75, 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := cycleOn(tc.pod, tc.nodes, tc.pods...)
			if got := tc.fn(c, c.nodes); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("scores = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNormalizeSpread(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ raw, want []int64 }{
		{[]int64{0, 0}, []int64{100, 100}},
		{[]int64{0, 1, 2}, []int64{100, 50, 0}},
		{[]int64{1, 2, 2}, []int64{100, 50, 50}},
	} {
		if got := normalizeSpread(tc.raw); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("normalizeSpread(%v) = %v, want %v", tc.raw, got, tc.want)
		}
	}
}
