package daemonset

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// AddDaemonTolerations adds the tolerations Kubernetes gives every
// DaemonSet pod (pkg/controller/daemon/util.AddOrUpdateDaemonPodTolerations):
// not-ready and unreachable NoExecute forever; disk-, memory- and
// pid-pressure and unschedulable NoSchedule; network-unavailable
// NoSchedule with host networking. A toleration already there is replaced.
func AddDaemonTolerations(spec *corev1.PodSpec) {
	add := []corev1.Toleration{
		{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
		{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
		{Key: corev1.TaintNodeDiskPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
		{Key: corev1.TaintNodeMemoryPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
		{Key: corev1.TaintNodePIDPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
		{Key: corev1.TaintNodeUnschedulable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	}
	if spec.HostNetwork {
		add = append(add, corev1.Toleration{Key: corev1.TaintNodeNetworkUnavailable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})
	}
	for _, t := range add {
		replaced := false
		for i := range spec.Tolerations {
			if spec.Tolerations[i].MatchToleration(&t) {
				spec.Tolerations[i], replaced = t, true
			}
		}
		if !replaced {
			spec.Tolerations = append(spec.Tolerations, t)
		}
	}
}

// SetNodeAffinity makes the required node affinity metadata.name In
// [node], replacing any required terms (the node already matched them), as
// Kubernetes' ReplaceDaemonSetPodNodeNameNodeAffinity.
func SetNodeAffinity(spec *corev1.PodSpec, node string) {
	term := corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{{
		Key: metav1.ObjectNameField, Operator: corev1.NodeSelectorOpIn, Values: []string{node},
	}}}
	if spec.Affinity == nil {
		spec.Affinity = &corev1.Affinity{}
	}
	if spec.Affinity.NodeAffinity == nil {
		spec.Affinity.NodeAffinity = &corev1.NodeAffinity{}
	}
	spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{term}}
}

// targetNode is the node a daemon pod is for: spec.nodeName, else the
// node its required affinity names.
func targetNode(p *corev1.Pod) string {
	if p.Spec.NodeName != "" {
		return p.Spec.NodeName
	}
	a := p.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return ""
	}
	for _, t := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		for _, f := range t.MatchFields {
			if f.Key == metav1.ObjectNameField && f.Operator == corev1.NodeSelectorOpIn && len(f.Values) == 1 {
				return f.Values[0]
			}
		}
	}
	return ""
}

// ShouldRun says whether a daemon pod should be started on node and
// whether one already there may keep running, as Kubernetes'
// NodeShouldRunDaemonPod: the node name, nodeSelector and required node
// affinity must match; a NoSchedule or NoExecute taint the pod (with the
// daemon tolerations) does not tolerate blocks new pods, and only an
// untolerated NoExecute taint evicts running ones.
func ShouldRun(node *corev1.Node, ds *appsv1.DaemonSet) (run, keep bool) {
	spec := ds.Spec.Template.Spec.DeepCopy()
	AddDaemonTolerations(spec)
	if spec.NodeName != "" && spec.NodeName != node.Name {
		return false, false
	}
	if !matchesNodeSelector(spec, node) {
		return false, false
	}
	noExecute, noSchedule := false, false
	for i := range node.Spec.Taints {
		t := &node.Spec.Taints[i]
		if t.Effect != corev1.TaintEffectNoSchedule && t.Effect != corev1.TaintEffectNoExecute {
			continue
		}
		if tolerated(spec.Tolerations, t) {
			continue
		}
		if t.Effect == corev1.TaintEffectNoExecute {
			noExecute = true
		} else {
			noSchedule = true
		}
	}
	if noExecute {
		return false, false
	}
	if noSchedule {
		return false, true
	}
	return true, true
}

func tolerated(ts []corev1.Toleration, taint *corev1.Taint) bool {
	for i := range ts {
		if tolerates(&ts[i], taint) {
			return true
		}
	}
	return false
}

// tolerates is corev1.Toleration.ToleratesTaint, Lt/Gt included.
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

// matchesNodeSelector checks spec.nodeSelector and the required node
// affinity (terms ORed; an empty term matches nothing).
func matchesNodeSelector(spec *corev1.PodSpec, node *corev1.Node) bool {
	if len(spec.NodeSelector) > 0 && !labels.SelectorFromSet(spec.NodeSelector).Matches(labels.Set(node.Labels)) {
		return false
	}
	a := spec.Affinity
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

var nodeSelectorOps = map[corev1.NodeSelectorOperator]selection.Operator{
	corev1.NodeSelectorOpIn: selection.In, corev1.NodeSelectorOpNotIn: selection.NotIn,
	corev1.NodeSelectorOpExists: selection.Exists, corev1.NodeSelectorOpDoesNotExist: selection.DoesNotExist,
	corev1.NodeSelectorOpGt: selection.GreaterThan, corev1.NodeSelectorOpLt: selection.LessThan,
}

func termMatches(term *corev1.NodeSelectorTerm, node *corev1.Node) bool {
	if len(term.MatchExpressions) == 0 && len(term.MatchFields) == 0 {
		return false
	}
	sel := labels.NewSelector()
	for _, r := range term.MatchExpressions {
		op, ok := nodeSelectorOps[r.Operator]
		if !ok {
			return false
		}
		req, err := labels.NewRequirement(r.Key, op, r.Values)
		if err != nil {
			return false
		}
		sel = sel.Add(*req)
	}
	if !sel.Matches(labels.Set(node.Labels)) {
		return false
	}
	for _, f := range term.MatchFields {
		if f.Key != metav1.ObjectNameField || len(f.Values) != 1 {
			return false
		}
		in := node.Name == f.Values[0]
		if (f.Operator == corev1.NodeSelectorOpIn) != in || (f.Operator != corev1.NodeSelectorOpIn && f.Operator != corev1.NodeSelectorOpNotIn) {
			return false
		}
	}
	return true
}
