package scheduler

import (
	"fmt"

	"github.com/minidev/mini/cluster/controller/volumebinding"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
)

// Reasons of kube-scheduler's VolumeBinding plugin.
const (
	reasonUnboundImmediate = "pod has unbound immediate PersistentVolumeClaims"
	reasonNodeConflict     = "node(s) had volume node affinity conflict"
	reasonBindConflict     = "node(s) didn't find available persistent volumes to bind"
	reasonPVNotExist       = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
)

// volumeState is VolumeBinding's PreFilter: the pod's claims sorted into
// bound ones (with their volumes) and unbound WaitForFirstConsumer ones.
type volumeState struct {
	bound   []boundClaim
	delayed []delayedClaim
	pvs     []*corev1.PersistentVolume // every volume, for static matches
}

type boundClaim struct {
	claim *corev1.PersistentVolumeClaim
	pv    *corev1.PersistentVolume // nil when the volume does not exist
}

type delayedClaim struct {
	claim *corev1.PersistentVolumeClaim
	class *storagev1.StorageClass
}

// volumeLookup is what the PreFilter reads; nil results mean not found.
type volumeLookup struct {
	claim  func(ns, name string) *corev1.PersistentVolumeClaim
	volume func(name string) *corev1.PersistentVolume
	class  func(name string) *storagev1.StorageClass
	all    func() []*corev1.PersistentVolume
}

// preFilterVolumes resolves the pod's claims; a non-empty message makes
// the pod unschedulable on every node (a missing or deleting claim, or an
// unbound claim of Immediate binding, which the PV controller binds).
func preFilterVolumes(pod *corev1.Pod, l volumeLookup) (*volumeState, string) {
	st := &volumeState{}
	for _, v := range pod.Spec.Volumes {
		if v.PersistentVolumeClaim == nil {
			continue
		}
		name := v.PersistentVolumeClaim.ClaimName
		claim := l.claim(pod.Namespace, name)
		switch {
		case claim == nil:
			return nil, fmt.Sprintf("persistentvolumeclaim %q not found", name)
		case claim.DeletionTimestamp != nil:
			return nil, fmt.Sprintf("persistentvolumeclaim %q is being deleted", name)
		case claim.Spec.VolumeName != "":
			st.bound = append(st.bound, boundClaim{claim: claim, pv: l.volume(claim.Spec.VolumeName)})
			continue
		}
		var class *storagev1.StorageClass
		if cn := volumebinding.ClaimClass(claim); cn != "" {
			class = l.class(cn)
		}
		if !volumebinding.DelayBinding(class) {
			return nil, reasonUnboundImmediate
		}
		st.delayed = append(st.delayed, delayedClaim{claim: claim, class: class})
	}
	if len(st.delayed) > 0 {
		st.pvs = l.all()
	}
	return st, ""
}

// filterVolumes is VolumeBinding's Filter: every bound claim's volume must
// admit the node, and every delayed claim must find a volume there or be
// able to have one provisioned (on the node its claim already names, if
// any).
func filterVolumes(c *cycle, n *nodeInfo) []string {
	st := c.volumes
	if st == nil {
		return nil
	}
	for _, b := range st.bound {
		if b.pv == nil {
			return []string{reasonPVNotExist}
		}
		if !volumebinding.VolumeFitsNode(b.pv, n.node) {
			return []string{reasonNodeConflict}
		}
	}
	for _, d := range st.delayed {
		if sel := d.claim.Annotations[volumebinding.AnnSelectedNode]; sel != "" && sel != n.node.Name && c.hasNode(sel) {
			return []string{reasonBindConflict} // its volume is being made on sel
		}
		if volumebinding.FindMatch(d.claim, st.pvs, n.node, true) == nil && !volumebinding.CanProvision(d.class) {
			return []string{reasonBindConflict}
		}
	}
	return nil
}

func (c *cycle) hasNode(name string) bool {
	for _, n := range c.nodes {
		if n.node.Name == name {
			return true
		}
	}
	return false
}

// volumeAction is what binding the pod's delayed claims on a node takes:
// a static volume to pre-bind, or a claim to annotate with the node.
type volumeAction struct {
	claim *corev1.PersistentVolumeClaim
	pv    *corev1.PersistentVolume // nil: provision on the node
}

// volumeActions lists the writes that bind the delayed claims on node
// (the scheduler's AssumePodVolumes); none when every claim is bound.
func (st *volumeState) actions(node *corev1.Node) []volumeAction {
	if st == nil {
		return nil
	}
	var out []volumeAction
	taken := map[string]bool{}
	for _, d := range st.delayed {
		var free []*corev1.PersistentVolume
		for _, pv := range st.pvs {
			if !taken[pv.Name] {
				free = append(free, pv)
			}
		}
		pv := volumebinding.FindMatch(d.claim, free, node, true)
		if pv != nil {
			taken[pv.Name] = true
		}
		out = append(out, volumeAction{claim: d.claim, pv: pv})
	}
	return out
}
