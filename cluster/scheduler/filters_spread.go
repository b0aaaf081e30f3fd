package scheduler

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// spreadConstraint is a parsed topologySpreadConstraint. key "" means one
// domain per node (the default spreading of one owner's pods).
type spreadConstraint struct {
	maxSkew       int32
	minDomains    int32
	key           string
	matches       func(p *corev1.Pod) bool
	honorAffinity bool
	honorTaints   bool
}

// spreadState is PodTopologySpread's PreFilter: matching pods per domain.
type spreadState struct {
	hard, soft []spreadConstraint
	hardCounts map[topoPair]int
	minMatch   []int // per hard constraint: the least loaded domain's count
}

func (c *cycle) spreadState() *spreadState {
	if c.spread != nil {
		return c.spread
	}
	s := &spreadState{hardCounts: map[topoPair]int{}}
	for _, tsc := range c.pod.Spec.TopologySpreadConstraints {
		sc := spreadConstraint{maxSkew: tsc.MaxSkew, key: tsc.TopologyKey,
			honorAffinity: tsc.NodeAffinityPolicy == nil || *tsc.NodeAffinityPolicy == corev1.NodeInclusionPolicyHonor,
			honorTaints:   tsc.NodeTaintsPolicy != nil && *tsc.NodeTaintsPolicy == corev1.NodeInclusionPolicyHonor}
		if tsc.MinDomains != nil {
			sc.minDomains = *tsc.MinDomains
		}
		sel := selectorWithKeys(c.pod, tsc.LabelSelector, tsc.MatchLabelKeys, nil)
		ns := c.pod.Namespace
		sc.matches = func(p *corev1.Pod) bool { return p.Namespace == ns && sel.Matches(labels.Set(p.Labels)) }
		if tsc.WhenUnsatisfiable == corev1.ScheduleAnyway {
			s.soft = append(s.soft, sc)
		} else {
			s.hard = append(s.hard, sc)
		}
	}
	if len(c.pod.Spec.TopologySpreadConstraints) == 0 {
		if owner := metav1.GetControllerOf(c.pod); owner != nil {
			ns, uid := c.pod.Namespace, owner.UID
			s.soft = []spreadConstraint{{maxSkew: 1, honorAffinity: true, matches: func(p *corev1.Pod) bool {
				o := metav1.GetControllerOf(p)
				return p.Namespace == ns && o != nil && o.UID == uid
			}}}
		}
	}
	s.hardCounts = c.countSpread(s.hard)
	s.minMatch = make([]int, len(s.hard))
	for i, sc := range s.hard {
		domains, lo := 0, -1
		for pair, n := range s.hardCounts {
			if pair.key != sc.key {
				continue
			}
			domains++
			if lo < 0 || n < lo {
				lo = n
			}
		}
		if lo < 0 || int32(domains) < sc.minDomains {
			lo = 0
		}
		s.minMatch[i] = lo
	}
	c.spread = s
	return s
}

// domain is a node's value for a constraint's topology key.
func (sc *spreadConstraint) domain(n *corev1.Node) (string, bool) {
	if sc.key == "" {
		return n.Name, true
	}
	v, ok := n.Labels[sc.key]
	return v, ok
}

// countSpread counts, per domain, the pods matching each constraint on the
// nodes the constraints consider: nodes holding every key, matching the
// pod's node affinity (nodeAffinityPolicy Honor, the default) and with
// tolerated taints (nodeTaintsPolicy Honor). Terminating pods don't count.
// Every domain of an eligible node is present, with 0 when empty.
func (c *cycle) countSpread(cons []spreadConstraint) map[topoPair]int {
	counts := map[topoPair]int{}
	if len(cons) == 0 {
		return counts
	}
nodes:
	for _, n := range c.nodes {
		for _, sc := range cons {
			if _, ok := sc.domain(n.node); !ok {
				continue nodes
			}
			if sc.honorAffinity && !matchesNodeAffinity(c.pod, n.node) {
				continue nodes
			}
			if sc.honorTaints && filterTaints(c, n) != nil {
				continue nodes
			}
		}
		for _, sc := range cons {
			v, _ := sc.domain(n.node)
			pair := topoPair{sc.key, v}
			counts[pair] += 0
			for _, p := range n.pods {
				if p.DeletionTimestamp == nil && sc.matches(p) {
					counts[pair]++
				}
			}
		}
	}
	return counts
}

// filterSpread is PodTopologySpread's filter for whenUnsatisfiable
// DoNotSchedule: placing the pod must not make its domain exceed the least
// loaded domain by more than maxSkew.
func filterSpread(c *cycle, n *nodeInfo) []string {
	if len(c.pod.Spec.TopologySpreadConstraints) == 0 {
		return nil
	}
	s := c.spreadState()
	for i, sc := range s.hard {
		v, ok := sc.domain(n.node)
		if !ok {
			return []string{"node(s) didn't match pod topology spread constraints (missing required label)"}
		}
		self := 0
		if sc.matches(c.pod) {
			self = 1
		}
		if skew := s.hardCounts[topoPair{sc.key, v}] + self - s.minMatch[i]; skew > int(sc.maxSkew) {
			return []string{"node(s) didn't match pod topology spread constraints"}
		}
	}
	return nil
}
