package scheduler

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestFitMessage(t *testing.T) {
	t.Parallel()
	unreachable := "node(s) had untolerated taint {node.kubernetes.io/unreachable: }"
	for _, tc := range []struct {
		name   string
		nodes  int
		failed map[string][]string
		want   string
	}{
		{"one reason", 3, map[string][]string{"a": {"Insufficient memory"}, "b": {"Insufficient memory"}, "c": {"Insufficient memory"}},
			"0/3 nodes are available: 3 Insufficient memory."},
		{"sorted as strings", 3, map[string][]string{"a": {unreachable}, "b": {"Insufficient memory"}, "c": {"Insufficient memory"}},
			"0/3 nodes are available: 1 " + unreachable + ", 2 Insufficient memory."},
		{"same count alphabetically", 2, map[string][]string{"a": {"node(s) were unschedulable"}, "b": {"Insufficient cpu", "Insufficient memory"}},
			"0/2 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) were unschedulable."},
		{"10 sorts before 2, as in Kubernetes", 12, func() map[string][]string {
			m := map[string][]string{}
			for i := range 12 {
				r := "Insufficient cpu"
				if i < 2 {
					r = "node(s) were unschedulable"
				}
				m[string(rune('a'+i))] = []string{r}
			}
			return m
		}(), "0/12 nodes are available: 10 Insufficient cpu, 2 node(s) were unschedulable."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := fitMessage(tc.nodes, tc.failed); got != tc.want {
				t.Errorf("message = %q\nwant      %q", got, tc.want)
			}
		})
	}
}

func TestSchedule(t *testing.T) {
	t.Parallel()
	cordon := func(n *corev1.Node) { n.Spec.Unschedulable = true }
	unreachable := withTaints(corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoSchedule})
	for _, tc := range []struct {
		name     string
		pod      *corev1.Pod
		nodes    []*corev1.Node
		pods     []*corev1.Pod
		wantNode string
		wantMsg  string
	}{
		{"no nodes", pod("p"), nil, nil, "", "no nodes available to schedule pods"},
		{"least allocated wins", pod("p", requests("memory", "1Gi")), []*corev1.Node{node("n1"), node("n2")},
			[]*corev1.Pod{pod("a", onNode("n1"), requests("memory", "2Gi"))}, "n2", ""},
		{"ties go to the first by name", pod("p"), []*corev1.Node{node("n2"), node("n1")}, nil, "n1", ""},
		{"first failing filter per node", pod("p", requests("memory", "8Gi")), []*corev1.Node{node("n1", unreachable, cordon), node("n2", unreachable), node("n3")}, nil, "",
			"0/3 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 1 node(s) were unschedulable."},
		{"owner's pods spread", pod("p", ownedBy("rs")), []*corev1.Node{node("n1"), node("n2")},
			[]*corev1.Pod{pod("a", onNode("n1"), ownedBy("rs"))}, "n2", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n, msg := cycleOn(tc.pod, tc.nodes, tc.pods...).schedule()
			if n != tc.wantNode || msg != tc.wantMsg {
				t.Errorf("schedule = %q, %q; want %q, %q", n, msg, tc.wantNode, tc.wantMsg)
			}
		})
	}
}
