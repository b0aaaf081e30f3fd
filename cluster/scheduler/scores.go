package scheduler

import (
	corev1 "k8s.io/api/core/v1"
)

// scoreLeastAllocated is NodeResourcesFit's default LeastAllocated
// strategy: the share of cpu and memory left free once the pod is placed
// (requests with the scheduler's defaults for missing ones), averaged.
func scoreLeastAllocated(c *cycle, feasible []*nodeInfo) []int64 {
	out := make([]int64, len(feasible))
	names := []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory}
	for i, n := range feasible {
		alloc := n.alloc
		var sum int64
		for _, name := range names {
			free, req := alloc[name], n.nonZero[name]+c.nonZero[name]
			if free > 0 && req <= free {
				sum += (free - req) * maxScore / free
			}
		}
		out[i] = sum / int64(len(names))
	}
	return out
}

// scoreSpread is PodTopologySpread's score: fewer matching pods in the
// node's domain is better, for ScheduleAnyway constraints or, for a pod
// without constraints, for the pods of its controller (Kubernetes' default
// spreading). A node lacking a constraint's key scores 0.
func scoreSpread(c *cycle, feasible []*nodeInfo) []int64 {
	out := make([]int64, len(feasible))
	s := c.spreadState()
	if len(s.soft) == 0 {
		return out
	}
	counts := c.countSpread(s.soft)
	var raw []int64
	var idx []int
	for i, n := range feasible {
		var sum int64
		ok := true
		for _, sc := range s.soft {
			v, has := sc.domain(n.node)
			if !has {
				ok = false
				break
			}
			sum += int64(counts[topoPair{sc.key, v}])
		}
		if ok {
			raw, idx = append(raw, sum), append(idx, i)
		}
	}
	for j, v := range normalizeSpread(raw) {
		out[idx[j]] = v
	}
	return out
}

// scoreTaints is TaintToleration's score: fewer untolerated
// PreferNoSchedule taints is better.
func scoreTaints(c *cycle, feasible []*nodeInfo) []int64 {
	var tols []corev1.Toleration
	for _, t := range c.pod.Spec.Tolerations {
		if t.Effect == "" || t.Effect == corev1.TaintEffectPreferNoSchedule {
			tols = append(tols, t)
		}
	}
	raw := make([]int64, len(feasible))
	for i, n := range feasible {
		for _, t := range n.node.Spec.Taints {
			if t.Effect == corev1.TaintEffectPreferNoSchedule && !tolerated(tols, &t) {
				raw[i]++
			}
		}
	}
	return normalizeReverse(raw)
}

// scoreNodeAffinity is NodeAffinity's score: the weights of the matching
// preferred terms, scaled so the best node gets 100.
func scoreNodeAffinity(c *cycle, feasible []*nodeInfo) []int64 {
	out := make([]int64, len(feasible))
	a := c.pod.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || len(a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution) == 0 {
		return out
	}
	var hi int64
	for i, n := range feasible {
		for _, pt := range a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
			if pt.Weight != 0 && termMatches(&pt.Preference, n.node) {
				out[i] += int64(pt.Weight)
			}
		}
		hi = max(hi, out[i])
	}
	for i := range out {
		if hi > 0 {
			out[i] = out[i] * maxScore / hi
		}
	}
	return out
}
