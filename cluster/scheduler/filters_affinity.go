package scheduler

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// podTerm is a parsed PodAffinityTerm of one pod.
type podTerm struct {
	namespaces  map[string]bool
	nsSelector  labels.Selector // nil unless namespaceSelector was given
	selector    labels.Selector
	topologyKey string
}

// parseTerms parses the terms of owner; an invalid selector matches
// nothing, as an invalid term in Kubernetes.
func parseTerms(owner *corev1.Pod, terms []corev1.PodAffinityTerm) []podTerm {
	out := make([]podTerm, 0, len(terms))
	for _, t := range terms {
		pt := podTerm{topologyKey: t.TopologyKey, namespaces: map[string]bool{}, selector: selectorWithKeys(owner, t.LabelSelector, t.MatchLabelKeys, t.MismatchLabelKeys)}
		for _, ns := range t.Namespaces {
			pt.namespaces[ns] = true
		}
		if t.NamespaceSelector != nil {
			sel, err := metav1.LabelSelectorAsSelector(t.NamespaceSelector)
			if err != nil {
				sel = labels.Nothing()
			}
			pt.nsSelector = sel
		} else if len(t.Namespaces) == 0 {
			pt.namespaces[owner.Namespace] = true
		}
		out = append(out, pt)
	}
	return out
}

// selectorWithKeys is a label selector with matchLabelKeys (key In the
// owner's value) and mismatchLabelKeys (key NotIn) merged in, as the API
// server merges them in Kubernetes. A nil selector matches nothing.
func selectorWithKeys(owner *corev1.Pod, ls *metav1.LabelSelector, match, mismatch []string) labels.Selector {
	if ls == nil {
		return labels.Nothing()
	}
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return labels.Nothing()
	}
	add := func(keys []string, op selection.Operator) {
		for _, k := range keys {
			if v, ok := owner.Labels[k]; ok {
				if r, err := labels.NewRequirement(k, op, []string{v}); err == nil {
					sel = sel.Add(*r)
				}
			}
		}
	}
	add(match, selection.In)
	add(mismatch, selection.NotIn)
	return sel
}

func (t *podTerm) matches(p *corev1.Pod, nsLabels func(string) labels.Set) bool {
	if !t.namespaces[p.Namespace] && (t.nsSelector == nil || !t.nsSelector.Matches(nsLabels(p.Namespace))) {
		return false
	}
	return t.selector.Matches(labels.Set(p.Labels))
}

// topoPair is one topology domain: a node label key and value.
type topoPair struct{ key, value string }

// affinityState is InterPodAffinity's PreFilter: per domain, how many
// existing pods match the incoming pod's terms, and which domains existing
// pods' anti-affinity closes to it.
type affinityState struct {
	affinity, anti       []podTerm
	affinityCounts       map[topoPair]int // pods matching all affinity terms
	antiCounts           []map[string]int // per anti term: topology value -> matching pods
	existingAntiAffinity map[topoPair]int
}

func (c *cycle) affinityState() *affinityState {
	if c.affinity != nil {
		return c.affinity
	}
	s := &affinityState{affinityCounts: map[topoPair]int{}, existingAntiAffinity: map[topoPair]int{}}
	if a := c.pod.Spec.Affinity; a != nil {
		if a.PodAffinity != nil {
			s.affinity = parseTerms(c.pod, a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution)
		}
		if a.PodAntiAffinity != nil {
			s.anti = parseTerms(c.pod, a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution)
		}
	}
	s.antiCounts = make([]map[string]int, len(s.anti))
	for i := range s.antiCounts {
		s.antiCounts[i] = map[string]int{}
	}
	// Without terms of its own the pod only meets existing pods'
	// anti-affinity: only the pods that have some are read.
	ownTerms := len(s.affinity)+len(s.anti) > 0
	for _, n := range c.nodes {
		nl := n.node.Labels
		pods := n.antiPods
		if ownTerms {
			pods = n.pods
		}
		for _, p := range pods {
			if len(s.affinity) > 0 && allMatch(s.affinity, p, c.nsLabels) {
				for _, t := range s.affinity {
					if v, ok := nl[t.topologyKey]; ok {
						s.affinityCounts[topoPair{t.topologyKey, v}]++
					}
				}
			}
			for i, t := range s.anti {
				if v, ok := nl[t.topologyKey]; ok && t.matches(p, c.nsLabels) {
					s.antiCounts[i][v]++
				}
			}
			if hasRequiredAntiAffinity(p) {
				for _, t := range parseTerms(p, p.Spec.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) {
					if v, ok := nl[t.topologyKey]; ok && t.matches(c.pod, c.nsLabels) {
						s.existingAntiAffinity[topoPair{t.topologyKey, v}]++
					}
				}
			}
		}
	}
	c.affinity = s
	return s
}

func allMatch(terms []podTerm, p *corev1.Pod, nsLabels func(string) labels.Set) bool {
	for i := range terms {
		if !terms[i].matches(p, nsLabels) {
			return false
		}
	}
	return true
}

// filterInterPodAffinity is InterPodAffinity with required terms: the
// pod's affinity (every term's domain must hold a matching pod; a first pod
// matching its own terms may start the group), its anti-affinity (no
// matching pod in the node's domain), and existing pods' anti-affinity
// against it.
func filterInterPodAffinity(c *cycle, n *nodeInfo) []string {
	s := c.affinityState()
	nl := n.node.Labels
	if len(s.affinity) > 0 {
		exist := true
		for _, t := range s.affinity {
			v, ok := nl[t.topologyKey]
			if !ok {
				return []string{"node(s) didn't match pod affinity rules"}
			}
			if s.affinityCounts[topoPair{t.topologyKey, v}] <= 0 {
				exist = false
			}
		}
		if !exist && (len(s.affinityCounts) > 0 || !allMatch(s.affinity, c.pod, c.nsLabels)) {
			return []string{"node(s) didn't match pod affinity rules"}
		}
	}
	for i, t := range s.anti {
		if v, ok := nl[t.topologyKey]; ok && s.antiCounts[i][v] > 0 {
			return []string{"node(s) didn't match pod anti-affinity rules"}
		}
	}
	if len(s.existingAntiAffinity) == 0 {
		return nil
	}
	for k, v := range nl {
		if s.existingAntiAffinity[topoPair{k, v}] > 0 {
			return []string{"node(s) didn't satisfy existing pods anti-affinity rules"}
		}
	}
	return nil
}
