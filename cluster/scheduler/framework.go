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
	{"VolumeBinding", filterVolumes},
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
// host ports, and those of them with required pod anti-affinity.
type nodeInfo struct {
	node      *corev1.Node
	alloc     resources // the node's allocatable, parsed once
	pods      []*corev1.Pod
	requested resources // sum of podRequests
	nonZero   resources // sum of podRequests with defaults for missing cpu/memory
	ports     []hostPort
	antiPods  []*corev1.Pod // pods with required anti-affinity terms
}

// podUsage is what a pod takes from its node, computed once per pod.
type podUsage struct {
	requested, nonZero resources
	ports              []hostPort
}

func usageOf(p *corev1.Pod) podUsage {
	return podUsage{requested: podRequests(p, false), nonZero: podRequests(p, true), ports: podHostPorts(p)}
}

func newNodeInfo(node *corev1.Node) *nodeInfo {
	n := &nodeInfo{requested: resources{}, nonZero: resources{}}
	if node != nil {
		n.setNode(node)
	}
	return n
}

func (n *nodeInfo) setNode(node *corev1.Node) {
	n.node = node
	n.alloc = toResources(node.Status.Allocatable)
}

func (n *nodeInfo) addPod(p *corev1.Pod) { n.add(p, usageOf(p)) }

func (n *nodeInfo) add(p *corev1.Pod, u podUsage) {
	n.pods = append(n.pods, p)
	n.requested.add(u.requested)
	n.nonZero.add(u.nonZero)
	n.ports = append(n.ports, u.ports...)
	if hasRequiredAntiAffinity(p) {
		n.antiPods = append(n.antiPods, p)
	}
}

// remove takes back what add(p, u) added.
func (n *nodeInfo) remove(p *corev1.Pod, u podUsage) {
	drop := func(list []*corev1.Pod) []*corev1.Pod {
		for i, q := range list {
			if q.UID == p.UID {
				last := len(list) - 1
				list[i] = list[last]
				list[last] = nil
				return list[:last]
			}
		}
		return list
	}
	n.pods = drop(n.pods)
	n.antiPods = drop(n.antiPods)
	n.requested.sub(u.requested)
	n.nonZero.sub(u.nonZero)
	if len(u.ports) > 0 {
		n.ports = n.ports[:0]
		for _, q := range n.pods {
			n.ports = append(n.ports, podHostPorts(q)...)
		}
	}
}

func hasRequiredAntiAffinity(p *corev1.Pod) bool {
	a := p.Spec.Affinity
	return a != nil && a.PodAntiAffinity != nil && len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) > 0
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

	// start is where the search for feasible nodes begins (kube-scheduler's
	// nextStartNodeIndex); processed is how many nodes it filtered.
	start, processed int

	spread   *spreadState
	affinity *affinityState
	volumes  *volumeState // nil when the pod has no claims to check
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
	want := numFeasibleNodesToFind(len(c.nodes))
	for k := 0; k < len(c.nodes) && len(feasible) < want; k++ {
		n := c.nodes[(c.start+k)%len(c.nodes)]
		c.processed++
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
		if total[i] > total[best] { // ties go to the first node searched
			best = i
		}
	}
	return feasible[best].node.Name, ""
}

// Kube-scheduler's defaults for percentageOfNodesToScore: in a large
// cluster a cycle stops filtering once it has found enough feasible nodes
// (an adaptive share: 50% less 1% per 125 nodes, at least 5% and 100
// nodes) and scores those; the next cycle searches on from there.
const (
	minFeasibleNodesToFind           = 100
	minFeasibleNodesPercentageToFind = 5
)

func numFeasibleNodesToFind(all int) int {
	if all < minFeasibleNodesToFind {
		return all
	}
	pct := max(50-all/125, minFeasibleNodesPercentageToFind)
	return max(all*pct/100, minFeasibleNodesToFind)
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
