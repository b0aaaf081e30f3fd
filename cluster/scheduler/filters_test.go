package scheduler

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// filterCase runs one filter plugin for pod against node n1 of nodes,
// with pods already bound.
type filterCase struct {
	name    string
	pod     *corev1.Pod
	nodes   []*corev1.Node // the node under test is the first
	pods    []*corev1.Pod
	reasons []string // nil: fits
}

func runFilterCases(t *testing.T, fn func(*cycle, *nodeInfo) []string, cases []filterCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := cycleOn(tc.pod, tc.nodes, tc.pods...)
			got := fn(c, infoOf(c, tc.nodes[0].Name))
			if !reflect.DeepEqual(got, tc.reasons) {
				t.Errorf("reasons = %q, want %q", got, tc.reasons)
			}
		})
	}
}

func TestFilterUnschedulable(t *testing.T) {
	t.Parallel()
	cordoned := node("n1", func(n *corev1.Node) { n.Spec.Unschedulable = true })
	runFilterCases(t, filterUnschedulable, []filterCase{
		{name: "schedulable", pod: pod("p"), nodes: []*corev1.Node{node("n1")}},
		{name: "cordoned", pod: pod("p"), nodes: []*corev1.Node{cordoned}, reasons: []string{"node(s) were unschedulable"}},
		{name: "cordon tolerated", pod: pod("p", tolerate(corev1.Toleration{Key: corev1.TaintNodeUnschedulable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})), nodes: []*corev1.Node{cordoned}},
		{name: "tolerate everything", pod: pod("p", tolerate(corev1.Toleration{Operator: corev1.TolerationOpExists})), nodes: []*corev1.Node{cordoned}},
	})
}

func TestFilterNodeName(t *testing.T) {
	t.Parallel()
	runFilterCases(t, filterNodeName, []filterCase{
		{name: "none", pod: pod("p"), nodes: []*corev1.Node{node("n1")}},
		{name: "this node", pod: pod("p", onNode("n1")), nodes: []*corev1.Node{node("n1")}},
		{name: "another node", pod: pod("p", onNode("n2")), nodes: []*corev1.Node{node("n1")}, reasons: []string{"node(s) didn't match the requested node name"}},
	})
}

func TestFilterTaints(t *testing.T) {
	t.Parallel()
	gpu := corev1.Taint{Key: "gpu", Value: "true", Effect: corev1.TaintEffectNoSchedule}
	unreachable := []corev1.Taint{{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoSchedule}, {Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}}
	notReady := func(n *corev1.Node) { n.Status.Conditions[0].Status = corev1.ConditionUnknown }
	runFilterCases(t, filterTaints, []filterCase{
		{name: "untainted", pod: pod("p"), nodes: []*corev1.Node{node("n1")}},
		{name: "NoSchedule", pod: pod("p"), nodes: []*corev1.Node{node("n1", withTaints(gpu))}, reasons: []string{"node(s) had untolerated taint {gpu: true}"}},
		{name: "NoExecute", pod: pod("p"), nodes: []*corev1.Node{node("n1", withTaints(corev1.Taint{Key: "k", Effect: corev1.TaintEffectNoExecute}))}, reasons: []string{"node(s) had untolerated taint {k: }"}},
		{name: "PreferNoSchedule only scores", pod: pod("p"), nodes: []*corev1.Node{node("n1", withTaints(corev1.Taint{Key: "k", Effect: corev1.TaintEffectPreferNoSchedule}))}},
		{name: "Equal tolerated", pod: pod("p", tolerate(corev1.Toleration{Key: "gpu", Operator: corev1.TolerationOpEqual, Value: "true", Effect: corev1.TaintEffectNoSchedule})), nodes: []*corev1.Node{node("n1", withTaints(gpu))}},
		{name: "Equal other value", pod: pod("p", tolerate(corev1.Toleration{Key: "gpu", Value: "false"})), nodes: []*corev1.Node{node("n1", withTaints(gpu))}, reasons: []string{"node(s) had untolerated taint {gpu: true}"}},
		{name: "Exists any effect", pod: pod("p", tolerate(corev1.Toleration{Key: "gpu", Operator: corev1.TolerationOpExists})), nodes: []*corev1.Node{node("n1", withTaints(gpu))}},
		{name: "effect mismatch", pod: pod("p", tolerate(corev1.Toleration{Key: "gpu", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute})), nodes: []*corev1.Node{node("n1", withTaints(gpu))}, reasons: []string{"node(s) had untolerated taint {gpu: true}"}},
		{name: "unreachable", pod: pod("p"), nodes: []*corev1.Node{node("n1", notReady, withTaints(unreachable...))}, reasons: []string{"node(s) had untolerated taint {node.kubernetes.io/unreachable: }"}},
		{name: "not ready without taint", pod: pod("p"), nodes: []*corev1.Node{node("n1", notReady)}, reasons: []string{"node(s) had untolerated taint {node.kubernetes.io/not-ready: }"}},
		{name: "no Ready condition", pod: pod("p"), nodes: []*corev1.Node{node("n1", func(n *corev1.Node) { n.Status.Conditions = nil })}, reasons: []string{"node(s) had untolerated taint {node.kubernetes.io/not-ready: }"}},
		{name: "not ready tolerated", pod: pod("p", tolerate(corev1.Toleration{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists})), nodes: []*corev1.Node{node("n1", notReady)}},
		{name: "Gt", pod: pod("p", tolerate(corev1.Toleration{Key: "level", Operator: corev1.TolerationOpGt, Value: "3"})), nodes: []*corev1.Node{node("n1", withTaints(corev1.Taint{Key: "level", Value: "5", Effect: corev1.TaintEffectNoSchedule}))}},
	})
}

func TestFilterNodeAffinity(t *testing.T) {
	t.Parallel()
	affinity := func(terms ...corev1.NodeSelectorTerm) func(*corev1.Pod) {
		return func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: terms}}}
		}
	}
	expr := func(key string, op corev1.NodeSelectorOperator, values ...string) corev1.NodeSelectorTerm {
		return corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: key, Operator: op, Values: values}}}
	}
	ssd := []*corev1.Node{node("n1", withLabels("disk", "ssd", "cores", "8"))}
	no := []string{"node(s) didn't match Pod's node affinity/selector"}
	runFilterCases(t, filterNodeAffinity, []filterCase{
		{name: "nothing asked", pod: pod("p"), nodes: ssd},
		{name: "nodeSelector match", pod: pod("p", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "ssd"} }), nodes: ssd},
		{name: "nodeSelector mismatch", pod: pod("p", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "hdd"} }), nodes: ssd, reasons: no},
		{name: "In", pod: pod("p", affinity(expr("disk", corev1.NodeSelectorOpIn, "hdd", "ssd"))), nodes: ssd},
		{name: "NotIn", pod: pod("p", affinity(expr("disk", corev1.NodeSelectorOpNotIn, "ssd"))), nodes: ssd, reasons: no},
		{name: "NotIn missing label", pod: pod("p", affinity(expr("zone", corev1.NodeSelectorOpNotIn, "a"))), nodes: ssd},
		{name: "Exists", pod: pod("p", affinity(expr("disk", corev1.NodeSelectorOpExists))), nodes: ssd},
		{name: "DoesNotExist", pod: pod("p", affinity(expr("disk", corev1.NodeSelectorOpDoesNotExist))), nodes: ssd, reasons: no},
		{name: "Gt", pod: pod("p", affinity(expr("cores", corev1.NodeSelectorOpGt, "4"))), nodes: ssd},
		{name: "Lt", pod: pod("p", affinity(expr("cores", corev1.NodeSelectorOpLt, "4"))), nodes: ssd, reasons: no},
		{name: "terms ORed", pod: pod("p", affinity(expr("disk", corev1.NodeSelectorOpIn, "hdd"), expr("cores", corev1.NodeSelectorOpIn, "8"))), nodes: ssd},
		{name: "empty term matches nothing", pod: pod("p", affinity(corev1.NodeSelectorTerm{})), nodes: ssd, reasons: no},
		{name: "matchFields name", pod: pod("p", affinity(corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: []string{"n1"}}}})), nodes: ssd},
		{name: "matchFields other name", pod: pod("p", affinity(corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: []string{"n2"}}}})), nodes: ssd, reasons: no},
		{name: "selector and affinity both needed", pod: pod("p", affinity(expr("disk", corev1.NodeSelectorOpExists)), func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"zone": "a"} }), nodes: ssd, reasons: no},
	})
}

func TestFilterResources(t *testing.T) {
	t.Parallel()
	n1 := []*corev1.Node{node("n1")} // 2 cpu, 4Gi, 110 pods, 10Gi ephemeral
	withInit := func(req ...string) func(*corev1.Pod) {
		return func(p *corev1.Pod) {
			q := pod("x", requests(req...))
			p.Spec.InitContainers = append(p.Spec.InitContainers, q.Spec.Containers[0])
		}
	}
	runFilterCases(t, filterResources, []filterCase{
		{name: "fits", pod: pod("p", requests("cpu", "1", "memory", "1Gi")), nodes: n1},
		{name: "no requests", pod: pod("p"), nodes: n1},
		{name: "cpu", pod: pod("p", requests("cpu", "3")), nodes: n1, reasons: []string{"Insufficient cpu"}},
		{name: "cpu and memory", pod: pod("p", requests("cpu", "3", "memory", "5Gi")), nodes: n1, reasons: []string{"Insufficient cpu", "Insufficient memory"}},
		{name: "ephemeral-storage", pod: pod("p", requests("ephemeral-storage", "11Gi")), nodes: n1, reasons: []string{"Insufficient ephemeral-storage"}},
		{name: "extended resource", pod: pod("p", requests("example.com/gpu", "1")), nodes: n1, reasons: []string{"Insufficient example.com/gpu"}},
		{name: "bound pods count", pod: pod("p", requests("memory", "2Gi")), nodes: n1,
			pods: []*corev1.Pod{pod("a", onNode("n1"), requests("memory", "3Gi"))}, reasons: []string{"Insufficient memory"}},
		{name: "terminal pods don't", pod: pod("p", requests("memory", "2Gi")), nodes: n1,
			pods: []*corev1.Pod{pod("a", onNode("n1"), requests("memory", "3Gi"), func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded })}},
		{name: "other nodes' pods don't", pod: pod("p", requests("memory", "2Gi")), nodes: []*corev1.Node{node("n1"), node("n2")},
			pods: []*corev1.Pod{pod("a", onNode("n2"), requests("memory", "3Gi"))}},
		{name: "init container counts as max", pod: pod("p", requests("memory", "1Gi"), withInit("memory", "5Gi")), nodes: n1, reasons: []string{"Insufficient memory"}},
		{name: "init container not summed", pod: pod("p", requests("memory", "3Gi"), withInit("memory", "3Gi")), nodes: n1},
		{name: "too many pods", pod: pod("p"), nodes: []*corev1.Node{node("n1", withAlloc(corev1.ResourcePods, "1"))},
			pods: []*corev1.Pod{pod("a", onNode("n1"))}, reasons: []string{"Too many pods"}},
	})
}

func TestPodRequests(t *testing.T) {
	t.Parallel()
	always := corev1.ContainerRestartPolicyAlways
	init := func(mem string, sidecar bool) corev1.Container {
		c := pod("x", requests("memory", mem)).Spec.Containers[0]
		if sidecar {
			c.RestartPolicy = &always
		}
		return c
	}
	for _, tc := range []struct {
		name    string
		pod     *corev1.Pod
		nonZero bool
		want    resources
	}{
		{"containers summed", pod("p", requests("cpu", "500m"), func(p *corev1.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, pod("x", requests("cpu", "250m")).Spec.Containers[0])
		}), false, resources{"cpu": 750}},
		{"init max", pod("p", requests("memory", "1"), func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{init("5", false), init("3", false)}
		}), false, resources{"memory": 5}},
		{"sidecar adds and raises later inits", pod("p", requests("memory", "1"), func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{init("2", true), init("4", false)}
		}), false, resources{"memory": 6}},
		{"overhead", pod("p", requests("memory", "1"), func(p *corev1.Pod) { p.Spec.Overhead = corev1.ResourceList{"memory": resourceMust("2")} }), false, resources{"memory": 3}},
		{"non-zero defaults", pod("p"), true, resources{"cpu": defaultMilliCPU, "memory": defaultMemory}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := podRequests(tc.pod, tc.nonZero); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("podRequests = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFilterPorts(t *testing.T) {
	t.Parallel()
	n1 := []*corev1.Node{node("n1")}
	tcp80 := corev1.ContainerPort{ContainerPort: 80, HostPort: 80, Protocol: corev1.ProtocolTCP}
	no := []string{"node(s) didn't have free ports for the requested pod ports"}
	runFilterCases(t, filterPorts, []filterCase{
		{name: "free", pod: pod("p", hostPorts(tcp80)), nodes: n1},
		{name: "taken", pod: pod("p", hostPorts(tcp80)), nodes: n1, pods: []*corev1.Pod{pod("a", onNode("n1"), hostPorts(tcp80))}, reasons: no},
		{name: "other protocol", pod: pod("p", hostPorts(corev1.ContainerPort{HostPort: 80, Protocol: corev1.ProtocolUDP})), nodes: n1, pods: []*corev1.Pod{pod("a", onNode("n1"), hostPorts(tcp80))}},
		{name: "different IPs", pod: pod("p", hostPorts(corev1.ContainerPort{HostPort: 80, HostIP: "10.0.0.1"})), nodes: n1,
			pods: []*corev1.Pod{pod("a", onNode("n1"), hostPorts(corev1.ContainerPort{HostPort: 80, HostIP: "10.0.0.2"}))}},
		{name: "wildcard IP", pod: pod("p", hostPorts(corev1.ContainerPort{HostPort: 80, HostIP: "10.0.0.1"})), nodes: n1,
			pods: []*corev1.Pod{pod("a", onNode("n1"), hostPorts(tcp80))}, reasons: no},
		{name: "container port only", pod: pod("p", hostPorts(corev1.ContainerPort{ContainerPort: 80})), nodes: n1, pods: []*corev1.Pod{pod("a", onNode("n1"), hostPorts(tcp80))}},
	})
}

func TestFilterInterPodAffinity(t *testing.T) {
	t.Parallel()
	anti := func(ns []string, kv ...string) func(*corev1.Pod) {
		return func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{kv[0]: kv[1]}}, TopologyKey: corev1.LabelHostname, Namespaces: ns}}}}
		}
	}
	affinity := func(kv ...string) func(*corev1.Pod) {
		return func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{PodAffinity: &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{kv[0]: kv[1]}}, TopologyKey: corev1.LabelHostname}}}}
		}
	}
	other := func(p *corev1.Pod) { p.Namespace = "other" }
	nodes := []*corev1.Node{node("n1"), node("n2")}
	no := []string{"node(s) didn't match pod anti-affinity rules"}
	runFilterCases(t, filterInterPodAffinity, []filterCase{
		{name: "no terms", pod: pod("p", podLabels("app", "web")), nodes: nodes, pods: []*corev1.Pod{pod("a", onNode("n1"), podLabels("app", "web"))}},
		{name: "anti: match on node", pod: pod("p", podLabels("app", "web"), anti(nil, "app", "web")), nodes: nodes, pods: []*corev1.Pod{pod("a", onNode("n1"), podLabels("app", "web"))}, reasons: no},
		{name: "anti: match on other node", pod: pod("p", anti(nil, "app", "web")), nodes: nodes, pods: []*corev1.Pod{pod("a", onNode("n2"), podLabels("app", "web"))}},
		{name: "anti: other namespace", pod: pod("p", anti(nil, "app", "web")), nodes: nodes, pods: []*corev1.Pod{pod("a", onNode("n1"), podLabels("app", "web"), other)}},
		{name: "anti: namespaces given", pod: pod("p", anti([]string{"other"}, "app", "web")), nodes: nodes, pods: []*corev1.Pod{pod("a", onNode("n1"), podLabels("app", "web"), other)}, reasons: no},
		{name: "anti: node without the key", pod: pod("p", anti(nil, "app", "web")), nodes: []*corev1.Node{node("n1", func(n *corev1.Node) { n.Labels = nil })}, pods: []*corev1.Pod{pod("a", onNode("n1"), podLabels("app", "web"))}},
		{name: "existing pod's anti-affinity", pod: pod("p", podLabels("app", "web")), nodes: nodes, pods: []*corev1.Pod{pod("a", onNode("n1"), anti(nil, "app", "web"))},
			reasons: []string{"node(s) didn't satisfy existing pods anti-affinity rules"}},
		{name: "affinity: match on node", pod: pod("p", affinity("app", "db")), nodes: nodes, pods: []*corev1.Pod{pod("a", onNode("n1"), podLabels("app", "db"))}},
		{name: "affinity: match elsewhere", pod: pod("p", affinity("app", "db")), nodes: nodes, pods: []*corev1.Pod{pod("a", onNode("n2"), podLabels("app", "db"))},
			reasons: []string{"node(s) didn't match pod affinity rules"}},
		{name: "affinity: first of its group", pod: pod("p", podLabels("app", "db"), affinity("app", "db")), nodes: nodes},
		{name: "affinity: no match anywhere", pod: pod("p", affinity("app", "db")), nodes: nodes, reasons: []string{"node(s) didn't match pod affinity rules"}},
	})
}

func TestFilterSpread(t *testing.T) {
	t.Parallel()
	spread := func(skew int32, when corev1.UnsatisfiableConstraintAction, key string) func(*corev1.Pod) {
		return func(p *corev1.Pod) {
			p.Labels["app"] = "web"
			p.Spec.TopologySpreadConstraints = append(p.Spec.TopologySpreadConstraints, corev1.TopologySpreadConstraint{MaxSkew: skew, TopologyKey: key,
				WhenUnsatisfiable: when, LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}})
		}
	}
	web := func(name, n string) *corev1.Pod { return pod(name, onNode(n), podLabels("app", "web")) }
	nodes := []*corev1.Node{node("n1"), node("n2"), node("n3")}
	no := []string{"node(s) didn't match pod topology spread constraints"}
	runFilterCases(t, filterSpread, []filterCase{
		{name: "empty cluster", pod: pod("p", spread(1, corev1.DoNotSchedule, corev1.LabelHostname)), nodes: nodes},
		{name: "skew would be 2", pod: pod("p", spread(1, corev1.DoNotSchedule, corev1.LabelHostname)), nodes: nodes, pods: []*corev1.Pod{web("a", "n1")}, reasons: no},
		{name: "maxSkew 2 allows it", pod: pod("p", spread(2, corev1.DoNotSchedule, corev1.LabelHostname)), nodes: nodes, pods: []*corev1.Pod{web("a", "n1")}},
		{name: "balanced", pod: pod("p", spread(1, corev1.DoNotSchedule, corev1.LabelHostname)), nodes: nodes, pods: []*corev1.Pod{web("a", "n1"), web("b", "n2"), web("c", "n3")}},
		{name: "ScheduleAnyway doesn't filter", pod: pod("p", spread(1, corev1.ScheduleAnyway, corev1.LabelHostname)), nodes: nodes, pods: []*corev1.Pod{web("a", "n1")}},
		{name: "terminating pods don't count", pod: pod("p", spread(1, corev1.DoNotSchedule, corev1.LabelHostname)), nodes: nodes,
			pods: []*corev1.Pod{pod("a", onNode("n1"), podLabels("app", "web"), func(p *corev1.Pod) { p.DeletionTimestamp = &metav1.Time{} })}},
		{name: "missing key", pod: pod("p", spread(1, corev1.DoNotSchedule, "zone")), nodes: nodes,
			reasons: []string{"node(s) didn't match pod topology spread constraints (missing required label)"}},
		{name: "nodes excluded by affinity are no domain", pod: pod("p", spread(1, corev1.DoNotSchedule, corev1.LabelHostname), func(p *corev1.Pod) {
			p.Spec.NodeSelector = map[string]string{"pool": "a"}
		}), nodes: []*corev1.Node{node("n1", withLabels("pool", "a")), node("n2")}, pods: []*corev1.Pod{web("a", "n1")}},
		{name: "minDomains", pod: pod("p", spread(1, corev1.DoNotSchedule, corev1.LabelHostname), func(p *corev1.Pod) {
			p.Spec.TopologySpreadConstraints[0].MinDomains = ptr.To[int32](3)
		}), nodes: []*corev1.Node{node("n1"), node("n2")}, pods: []*corev1.Pod{web("a", "n1"), web("b", "n2")}, reasons: no},
	})
}
