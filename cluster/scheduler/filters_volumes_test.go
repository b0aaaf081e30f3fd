package scheduler

import (
	"testing"

	"github.com/minidev/mini/cluster/controller/volumebinding"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ktypes "k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

func TestVolumeBindingDecisions(t *testing.T) {
	t.Parallel()
	wffc := volumebinding.DefaultStorageClass()
	static := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "local"}, Provisioner: "kubernetes.io/no-provisioner",
		VolumeBindingMode: ptr.To(storagev1.VolumeBindingWaitForFirstConsumer)}
	immediate := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "now"}, Provisioner: "x.dev/p"}
	claim := func(name, class, volume string, ann ...string) *corev1.PersistentVolumeClaim {
		c := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, UID: ktypes.UID("uid-" + name), Annotations: map[string]string{}},
			Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: ptr.To(class), VolumeName: volume,
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}}
		for i := 0; i+1 < len(ann); i += 2 {
			c.Annotations[ann[i]] = ann[i+1]
		}
		return c
	}
	onNodePV := func(name, class, node string) *corev1.PersistentVolume {
		return &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PersistentVolumeSpec{
			StorageClassName: class, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("5Gi")},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelHostname, Operator: corev1.NodeSelectorOpIn, Values: []string{node}}}}}}}},
			Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeAvailable}}
	}
	claims := []*corev1.PersistentVolumeClaim{
		claim("bound-n2", "standard", "pv-n2"), claim("bound-missing", "standard", "pv-gone"),
		claim("wait", "standard", ""), claim("wait-selected", "standard", "", volumebinding.AnnSelectedNode, "n3"),
		claim("static", "local", ""), claim("immediate", "now", ""), claim("noclass", "", ""),
	}
	pvs := []*corev1.PersistentVolume{onNodePV("pv-n2", "standard", "n2"), onNodePV("pv-local-n1", "local", "n1")}
	classes := []*storagev1.StorageClass{wffc, static, immediate}
	lookup := volumeLookup{
		claim: func(ns, name string) *corev1.PersistentVolumeClaim {
			for _, c := range claims {
				if c.Name == name {
					return c
				}
			}
			return nil
		},
		volume: func(name string) *corev1.PersistentVolume {
			for _, v := range pvs {
				if v.Name == name {
					return v
				}
			}
			return nil
		},
		class: func(name string) *storagev1.StorageClass {
			for _, c := range classes {
				if c.Name == name {
					return c
				}
			}
			return nil
		},
		all: func() []*corev1.PersistentVolume { return pvs },
	}
	tests := []struct {
		name      string
		claims    []string
		wantNode  string
		wantMsg   string
		wantPV    string // the static volume pre-bound on the chosen node, if any
		selecting bool   // whether a claim gets selected-node
	}{
		{name: "bound to a PV on n2", claims: []string{"bound-n2"}, wantNode: "n2"},
		{name: "bound to a missing PV", claims: []string{"bound-missing"},
			wantMsg: "0/3 nodes are available: 3 node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)."},
		{name: "wait for first consumer goes anywhere", claims: []string{"wait"}, wantNode: "n1", selecting: true},
		{name: "selected node is kept", claims: []string{"wait-selected"}, wantNode: "n3", selecting: true},
		{name: "static local PV decides the node", claims: []string{"static"}, wantNode: "n1", wantPV: "pv-local-n1"},
		{name: "static local PV and a bound claim conflict", claims: []string{"static", "bound-n2"},
			wantMsg: "0/3 nodes are available: 1 node(s) didn't find available persistent volumes to bind, 2 node(s) had volume node affinity conflict."},
		{name: "unbound immediate", claims: []string{"immediate"}, wantMsg: "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims."},
		{name: "unbound without class", claims: []string{"noclass"}, wantMsg: "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims."},
		{name: "missing claim", claims: []string{"nope"}, wantMsg: `0/3 nodes are available: persistentvolumeclaim "nope" not found.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := pod("p")
			for i, c := range tt.claims {
				p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "v" + string(rune('0'+i)),
					VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: c}}})
			}
			nodes := snapshot([]*corev1.Node{node("n1"), node("n2"), node("n3")}, nil)
			st, why := preFilterVolumes(p, lookup)
			var gotNode, gotMsg string
			if why != "" {
				gotMsg = "0/3 nodes are available: " + why + "."
			} else {
				c := newCycle(p, nodes, nil)
				c.volumes = st
				gotNode, gotMsg = c.schedule()
			}
			if gotNode != tt.wantNode || gotMsg != tt.wantMsg {
				t.Fatalf("schedule = %q, %q; want %q, %q", gotNode, gotMsg, tt.wantNode, tt.wantMsg)
			}
			if gotNode == "" {
				return
			}
			var n *corev1.Node
			for _, ni := range nodes {
				if ni.node.Name == gotNode {
					n = ni.node
				}
			}
			var gotPV string
			selecting := false
			for _, a := range st.actions(n) {
				if a.pv != nil {
					gotPV = a.pv.Name
				} else {
					selecting = true
				}
			}
			if gotPV != tt.wantPV || selecting != tt.selecting {
				t.Errorf("actions: pre-bind %q, select node %v; want %q, %v", gotPV, selecting, tt.wantPV, tt.selecting)
			}
		})
	}
}
