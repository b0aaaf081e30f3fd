package volumebinding

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// FindMatch is Kubernetes' FindMatchingVolume: the volume pvs offer claim.
// A volume pre-bound to the claim (its claimRef names the claim) wins at
// once; otherwise the smallest Available, unclaimed volume of the claim's
// class whose volume mode, access modes, selector and capacity fit. When
// node is set only volumes whose node affinity admits it count; when node
// is nil and delay is true (WaitForFirstConsumer) only pre-bound volumes
// count, as binding waits for the scheduler's choice.
func FindMatch(claim *corev1.PersistentVolumeClaim, pvs []*corev1.PersistentVolume, node *corev1.Node, delay bool) *corev1.PersistentVolume {
	var best *corev1.PersistentVolume
	request := claim.Spec.Resources.Requests[corev1.ResourceStorage]
	for _, pv := range pvs {
		if pv.DeletionTimestamp != nil || volumeMode(pv.Spec.VolumeMode) != volumeMode(claim.Spec.VolumeMode) {
			continue
		}
		if node != nil && !VolumeFitsNode(pv, node) {
			continue
		}
		if BoundTo(pv, claim) {
			return pv
		}
		if (node == nil && delay) || !Matches(claim, pv) {
			continue
		}
		size := pv.Spec.Capacity[corev1.ResourceStorage]
		if size.Cmp(request) < 0 {
			continue
		}
		if best == nil {
			best = pv
			continue
		}
		if bs := best.Spec.Capacity[corev1.ResourceStorage]; size.Cmp(bs) < 0 {
			best = pv
		}
	}
	return best
}

// Matches says whether an unclaimed, Available pv has what claim asks for
// besides size: its class, every access mode, and labels its selector
// accepts.
func Matches(claim *corev1.PersistentVolumeClaim, pv *corev1.PersistentVolume) bool {
	if pv.Spec.ClaimRef != nil || pv.Status.Phase != corev1.VolumeAvailable {
		return false
	}
	if VolumeClass(pv) != ClaimClass(claim) {
		return false
	}
	for _, m := range claim.Spec.AccessModes {
		if !hasMode(pv.Spec.AccessModes, m) {
			return false
		}
	}
	if claim.Spec.Selector != nil {
		sel, err := metav1.LabelSelectorAsSelector(claim.Spec.Selector)
		if err != nil || !sel.Matches(labels.Set(pv.Labels)) {
			return false
		}
	}
	return true
}

// BoundTo says whether pv's claimRef names claim (by namespace and name,
// and by uid when the claimRef has one).
func BoundTo(pv *corev1.PersistentVolume, claim *corev1.PersistentVolumeClaim) bool {
	r := pv.Spec.ClaimRef
	return r != nil && r.Namespace == claim.Namespace && r.Name == claim.Name && (r.UID == "" || r.UID == claim.UID)
}

func hasMode(modes []corev1.PersistentVolumeAccessMode, m corev1.PersistentVolumeAccessMode) bool {
	for _, x := range modes {
		if x == m {
			return true
		}
	}
	return false
}

func volumeMode(m *corev1.PersistentVolumeMode) corev1.PersistentVolumeMode {
	if m == nil {
		return corev1.PersistentVolumeFilesystem
	}
	return *m
}

// VolumeFitsNode says whether pv's required node affinity admits node
// (the terms ORed; each term's matchExpressions on labels and matchFields
// on metadata.name ANDed). A volume without node affinity fits anywhere.
func VolumeFitsNode(pv *corev1.PersistentVolume, node *corev1.Node) bool {
	a := pv.Spec.NodeAffinity
	if a == nil || a.Required == nil {
		return true
	}
	for i := range a.Required.NodeSelectorTerms {
		if termMatches(&a.Required.NodeSelectorTerms[i], node) {
			return true
		}
	}
	return false
}

var selectorOps = map[corev1.NodeSelectorOperator]selection.Operator{
	corev1.NodeSelectorOpIn: selection.In, corev1.NodeSelectorOpNotIn: selection.NotIn,
	corev1.NodeSelectorOpExists: selection.Exists, corev1.NodeSelectorOpDoesNotExist: selection.DoesNotExist,
	corev1.NodeSelectorOpGt: selection.GreaterThan, corev1.NodeSelectorOpLt: selection.LessThan,
}

// termMatches: an empty or invalid term matches nothing, as in Kubernetes.
func termMatches(t *corev1.NodeSelectorTerm, node *corev1.Node) bool {
	if len(t.MatchExpressions) == 0 && len(t.MatchFields) == 0 {
		return false
	}
	set := labels.Set(node.Labels)
	for _, r := range t.MatchExpressions {
		if !requirementMatches(r, set) {
			return false
		}
	}
	for _, r := range t.MatchFields {
		if r.Key != "metadata.name" || !requirementMatches(r, labels.Set{"metadata.name": node.Name}) {
			return false
		}
	}
	return true
}

func requirementMatches(r corev1.NodeSelectorRequirement, set labels.Set) bool {
	op, ok := selectorOps[r.Operator]
	if !ok {
		return false
	}
	req, err := labels.NewRequirement(r.Key, op, r.Values)
	return err == nil && req.Matches(set)
}

// nodeAffinityFor is the affinity of a local volume on node.
func nodeAffinityFor(node string) *corev1.VolumeNodeAffinity {
	return &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
		MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelHostname, Operator: corev1.NodeSelectorOpIn, Values: []string{node}}},
	}}}}
}
