package scheduler

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// filterPlugin rejects nodes a pod cannot run on. fn returns nil when the
// node fits, else the reasons in kube-scheduler's wording (one plugin may
// give several, as NodeResourcesFit gives "Insufficient cpu" and
// "Insufficient memory").
type filterPlugin struct {
	name string
	fn   func(c *cycle, n *nodeInfo) []string
}

// scorePlugin rates the nodes that passed every filter, 0 (worst) to 100
// (best), one score per node of feasible, in order.
type scorePlugin struct {
	name   string
	weight int64
	fn     func(c *cycle, feasible []*nodeInfo) []int64
}

// maxScore is a score plugin's best (kube-scheduler's MaxNodeScore).
const maxScore = 100

// filters run in kube-scheduler's default order; a node's first failing
// plugin gives its reasons.
var filters = []filterPlugin{
	{"NodeUnschedulable", filterUnschedulable},
	{"NodeName", filterNodeName},
	{"TaintToleration", filterTaints},
	{"NodeAffinity", filterNodeAffinity},
	{"NodePorts", filterPorts},
	{"NodeResourcesFit", filterResources},
	{"PodTopologySpread", filterSpread},
	{"InterPodAffinity", filterInterPodAffinity},
}

// scores carry kube-scheduler's default weights.
var scores = []scorePlugin{
	{"TaintToleration", 3, scoreTaints},
	{"NodeAffinity", 2, scoreNodeAffinity},
	{"PodTopologySpread", 2, scoreSpread},
	{"NodeResourcesFit", 1, scoreLeastAllocated},
}

// nodeInfo is a node and what is already on it: the pods bound to it that
// are not terminal (plus pods assumed there), their summed requests and
// host ports.
type nodeInfo struct {
	node      *corev1.Node
	pods      []*corev1.Pod
	requested resources // sum of podRequests
	nonZero   resources // sum of podRequests with defaults for missing cpu/memory
	ports     []hostPort
}

func newNodeInfo(node *corev1.Node) *nodeInfo {
	return &nodeInfo{node: node, requested: resources{}, nonZero: resources{}}
}

func (n *nodeInfo) addPod(p *corev1.Pod) {
	n.pods = append(n.pods, p)
	n.requested.add(podRequests(p, false))
	n.nonZero.add(podRequests(p, true))
	n.ports = append(n.ports, podHostPorts(p)...)
}

// snapshot groups nodes and the pods on them; nodes sorted by name.
func snapshot(nodes []*corev1.Node, pods []*corev1.Pod) []*nodeInfo {
	infos := make([]*nodeInfo, 0, len(nodes))
	byName := make(map[string]*nodeInfo, len(nodes))
	for _, n := range nodes {
		ni := newNodeInfo(n)
		infos = append(infos, ni)
		byName[n.Name] = ni
	}
	for _, p := range pods {
		if ni := byName[p.Spec.NodeName]; ni != nil && !terminal(p) {
			ni.addPod(p)
		}
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].node.Name < infos[j].node.Name })
	return infos
}

func terminal(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}

// cycle is one attempt to place one pod; plugins cache what they compute
// once per pod here (a cycle runs on one goroutine).
type cycle struct {
	pod      *corev1.Pod
	nodes    []*nodeInfo
	nsLabels func(ns string) labels.Set

	request resources // podRequests(pod, false)
	nonZero resources // podRequests(pod, true)

	spread   *spreadState
	affinity *affinityState
}

func newCycle(pod *corev1.Pod, nodes []*nodeInfo, nsLabels func(string) labels.Set) *cycle {
	if nsLabels == nil {
		nsLabels = func(string) labels.Set { return nil }
	}
	return &cycle{pod: pod, nodes: nodes, nsLabels: nsLabels,
		request: podRequests(pod, false), nonZero: podRequests(pod, true)}
}

// schedule returns the best node, or "" and why no node fits.
func (c *cycle) schedule() (node string, fitErr string) {
	if len(c.nodes) == 0 {
		return "", "no nodes available to schedule pods"
	}
	var feasible []*nodeInfo
	failed := map[string][]string{}
	for _, n := range c.nodes {
		if reasons := c.filter(n); reasons != nil {
			failed[n.node.Name] = reasons
			continue
		}
		feasible = append(feasible, n)
	}
	if len(feasible) == 0 {
		return "", fitMessage(len(c.nodes), failed)
	}
	total := make([]int64, len(feasible))
	for _, s := range scores {
		for i, v := range s.fn(c, feasible) {
			total[i] += s.weight * v
		}
	}
	best := 0
	for i := range feasible {
		if total[i] > total[best] { // ties go to the first node by name
			best = i
		}
	}
	return feasible[best].node.Name, ""
}

// filter runs the filters over one node and returns the first failing
// plugin's reasons, or nil when it fits.
func (c *cycle) filter(n *nodeInfo) []string {
	for _, f := range filters {
		if reasons := f.fn(c, n); len(reasons) > 0 {
			return reasons
		}
	}
	return nil
}

// fitMessage is kube-scheduler's FitError message: a histogram of reasons,
// each "<nodes> <reason>", sorted as strings (so "10 ..." sorts before
// "2 ...", as in Kubernetes).
func fitMessage(numNodes int, failed map[string][]string) string {
	counts := map[string]int{}
	for _, reasons := range failed {
		for _, r := range reasons {
			counts[r]++
		}
	}
	hist := make([]string, 0, len(counts))
	for r, n := range counts {
		hist = append(hist, fmt.Sprintf("%d %s", n, r))
	}
	sort.Strings(hist)
	msg := fmt.Sprintf("0/%d nodes are available:", numNodes)
	if len(hist) > 0 {
		msg += " " + strings.Join(hist, ", ") + "."
	}
	return msg
}

// normalizeSpread turns matching-pod counts (lower is better) into 0..100
// scores as kube-scheduler's PodTopologySpread does: the least loaded
// node gets 100.
func normalizeSpread(raw []int64) []int64 {
	if len(raw) == 0 {
		return nil
	}
	lo, hi := raw[0], raw[0]
	for _, v := range raw {
		lo, hi = min(lo, v), max(hi, v)
	}
	out := make([]int64, len(raw))
	for i, v := range raw {
		if hi == 0 {
			out[i] = maxScore
			continue
		}
		out[i] = maxScore * (hi + lo - v) / hi
	}
	return out
}

// normalizeReverse turns raw counts (lower is better) into 0..100 scores as
// kube-scheduler's DefaultNormalizeScore with reverse does.
func normalizeReverse(raw []int64) []int64 {
	var hi int64
	for _, v := range raw {
		hi = max(hi, v)
	}
	out := make([]int64, len(raw))
	for i, v := range raw {
		if hi == 0 {
			out[i] = maxScore
			continue
		}
		out[i] = maxScore * (hi - v) / hi
	}
	return out
}
