package scheduler

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// filterUnschedulable is NodeUnschedulable: a cordoned node takes only pods
// tolerating node.kubernetes.io/unschedulable:NoSchedule.
func filterUnschedulable(c *cycle, n *nodeInfo) []string {
	if !n.node.Spec.Unschedulable {
		return nil
	}
	taint := corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}
	if tolerated(c.pod.Spec.Tolerations, &taint) {
		return nil
	}
	return []string{"node(s) were unschedulable"}
}

// filterNodeName is NodeName: a pod naming a node fits only there.
func filterNodeName(c *cycle, n *nodeInfo) []string {
	if c.pod.Spec.NodeName == "" || c.pod.Spec.NodeName == n.node.Name {
		return nil
	}
	return []string{"node(s) didn't match the requested node name"}
}

// filterTaints is TaintToleration: the node's first NoSchedule or NoExecute
// taint the pod does not tolerate rejects it. A node whose Ready condition
// is not True counts as tainted node.kubernetes.io/not-ready:NoSchedule
// unless it already carries the not-ready or unreachable taint (in
// Kubernetes the kubelet and node lifecycle controller put it there).
func filterTaints(c *cycle, n *nodeInfo) []string {
	for _, t := range effectiveTaints(n.node) {
		if t.Effect != corev1.TaintEffectNoSchedule && t.Effect != corev1.TaintEffectNoExecute {
			continue
		}
		if !tolerated(c.pod.Spec.Tolerations, &t) {
			return []string{fmt.Sprintf("node(s) had untolerated taint {%s: %s}", t.Key, t.Value)}
		}
	}
	return nil
}

func effectiveTaints(node *corev1.Node) []corev1.Taint {
	if nodeReady(node) {
		return node.Spec.Taints
	}
	for _, t := range node.Spec.Taints {
		if t.Key == corev1.TaintNodeNotReady || t.Key == corev1.TaintNodeUnreachable {
			return node.Spec.Taints
		}
	}
	notReady := corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoSchedule}
	return append([]corev1.Taint{notReady}, node.Spec.Taints...)
}

func nodeReady(node *corev1.Node) bool {
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// tolerated says whether any toleration matches the taint
// (corev1.Toleration.ToleratesTaint, with Lt/Gt comparing integers).
func tolerated(tolerations []corev1.Toleration, taint *corev1.Taint) bool {
	for i := range tolerations {
		if tolerates(&tolerations[i], taint) {
			return true
		}
	}
	return false
}

func tolerates(t *corev1.Toleration, taint *corev1.Taint) bool {
	if t.Effect != "" && t.Effect != taint.Effect {
		return false
	}
	if t.Key != "" && t.Key != taint.Key {
		return false
	}
	switch t.Operator {
	case "", corev1.TolerationOpEqual:
		return t.Value == taint.Value
	case corev1.TolerationOpExists:
		return true
	case corev1.TolerationOpLt, corev1.TolerationOpGt:
		want, err1 := strconv.ParseInt(t.Value, 10, 64)
		have, err2 := strconv.ParseInt(taint.Value, 10, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		if t.Operator == corev1.TolerationOpLt {
			return have < want
		}
		return have > want
	}
	return false
}

// filterNodeAffinity is NodeAffinity: spec.nodeSelector and the required
// node affinity must both match.
func filterNodeAffinity(c *cycle, n *nodeInfo) []string {
	if matchesNodeAffinity(c.pod, n.node) {
		return nil
	}
	return []string{"node(s) didn't match Pod's node affinity/selector"}
}

func matchesNodeAffinity(pod *corev1.Pod, node *corev1.Node) bool {
	if len(pod.Spec.NodeSelector) > 0 && !labels.SelectorFromSet(pod.Spec.NodeSelector).Matches(labels.Set(node.Labels)) {
		return false
	}
	a := pod.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return true
	}
	for _, term := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		if termMatches(&term, node) {
			return true
		}
	}
	return false
}

// termMatches ANDs a term's matchExpressions (on labels) and matchFields
// (metadata.name only); an empty or invalid term matches nothing, as in
// Kubernetes.
func termMatches(term *corev1.NodeSelectorTerm, node *corev1.Node) bool {
	if len(term.MatchExpressions) == 0 && len(term.MatchFields) == 0 {
		return false
	}
	if len(term.MatchExpressions) > 0 {
		sel, err := requirementsSelector(term.MatchExpressions)
		if err != nil || !sel.Matches(labels.Set(node.Labels)) {
			return false
		}
	}
	for _, f := range term.MatchFields {
		if f.Key != "metadata.name" || len(f.Values) != 1 {
			return false
		}
		var ok bool
		switch f.Operator {
		case corev1.NodeSelectorOpIn:
			ok = node.Name == f.Values[0]
		case corev1.NodeSelectorOpNotIn:
			ok = node.Name != f.Values[0]
		}
		if !ok {
			return false
		}
	}
	return true
}

// requirementsSelector is a NodeSelectorRequirement list as a label
// selector (In, NotIn, Exists, DoesNotExist, Gt, Lt).
func requirementsSelector(reqs []corev1.NodeSelectorRequirement) (labels.Selector, error) {
	ops := map[corev1.NodeSelectorOperator]selection.Operator{
		corev1.NodeSelectorOpIn: selection.In, corev1.NodeSelectorOpNotIn: selection.NotIn,
		corev1.NodeSelectorOpExists: selection.Exists, corev1.NodeSelectorOpDoesNotExist: selection.DoesNotExist,
		corev1.NodeSelectorOpGt: selection.GreaterThan, corev1.NodeSelectorOpLt: selection.LessThan,
	}
	sel := labels.NewSelector()
	for _, r := range reqs {
		op, ok := ops[r.Operator]
		if !ok {
			return nil, fmt.Errorf("%q is not a valid node selector operator", r.Operator)
		}
		req, err := labels.NewRequirement(r.Key, op, r.Values)
		if err != nil {
			return nil, err
		}
		sel = sel.Add(*req)
	}
	return sel, nil
}
