package volumebinding

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestFindMatch(t *testing.T) {
	t.Parallel()
	rwo := []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	pv := func(name, class, size string, opts ...func(*corev1.PersistentVolume)) *corev1.PersistentVolume {
		v := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"tier": "fast"}},
			Spec: corev1.PersistentVolumeSpec{StorageClassName: class, AccessModes: rwo,
				Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}},
			Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeAvailable}}
		for _, o := range opts {
			o(v)
		}
		return v
	}
	onNode := func(n string) func(*corev1.PersistentVolume) {
		return func(v *corev1.PersistentVolume) { v.Spec.NodeAffinity = nodeAffinityFor(n) }
	}
	claimedBy := func(name, uid string) func(*corev1.PersistentVolume) {
		return func(v *corev1.PersistentVolume) {
			v.Spec.ClaimRef = &corev1.ObjectReference{Namespace: "ns", Name: name, UID: "uid-" + "x"}
			if uid == "" {
				v.Spec.ClaimRef.UID = ""
			}
		}
	}
	phase := func(p corev1.PersistentVolumePhase) func(*corev1.PersistentVolume) {
		return func(v *corev1.PersistentVolume) { v.Status.Phase = p }
	}
	claim := func(opts ...func(*corev1.PersistentVolumeClaim)) *corev1.PersistentVolumeClaim {
		c := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "c", UID: "uid-x"},
			Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: ptr.To("gold"), AccessModes: rwo,
				Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}}
		for _, o := range opts {
			o(c)
		}
		return c
	}
	n1 := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: map[string]string{corev1.LabelHostname: "n1"}}}
	tests := []struct {
		name  string
		claim *corev1.PersistentVolumeClaim
		pvs   []*corev1.PersistentVolume
		node  *corev1.Node
		delay bool
		want  string
	}{
		{name: "smallest that fits", claim: claim(), pvs: []*corev1.PersistentVolume{pv("a", "gold", "10Gi"), pv("b", "gold", "2Gi"), pv("c", "gold", "512Mi")}, want: "b"},
		{name: "class must match", claim: claim(), pvs: []*corev1.PersistentVolume{pv("a", "silver", "10Gi")}},
		{name: "access modes must be offered", claim: claim(func(c *corev1.PersistentVolumeClaim) {
			c.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
		}), pvs: []*corev1.PersistentVolume{pv("a", "gold", "10Gi")}},
		{name: "selector", claim: claim(func(c *corev1.PersistentVolumeClaim) {
			c.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "slow"}}
		}), pvs: []*corev1.PersistentVolume{pv("a", "gold", "10Gi")}},
		{name: "bound or released volumes are skipped", claim: claim(), pvs: []*corev1.PersistentVolume{
			pv("a", "gold", "10Gi", claimedBy("other", "uid")), pv("b", "gold", "10Gi", phase(corev1.VolumeReleased))}},
		{name: "pre-bound volume wins", claim: claim(), pvs: []*corev1.PersistentVolume{pv("a", "gold", "2Gi"), pv("b", "silver", "100Mi", claimedBy("c", ""))}, want: "b"},
		{name: "delayed binding without node takes only pre-bound", claim: claim(), delay: true, pvs: []*corev1.PersistentVolume{pv("a", "gold", "2Gi")}},
		{name: "node affinity must admit the node", claim: claim(), node: n1, delay: true,
			pvs: []*corev1.PersistentVolume{pv("a", "gold", "2Gi", onNode("n2")), pv("b", "gold", "5Gi", onNode("n1"))}, want: "b"},
		{name: "block claim needs a block volume", claim: claim(func(c *corev1.PersistentVolumeClaim) {
			c.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeBlock)
		}), pvs: []*corev1.PersistentVolume{pv("a", "gold", "2Gi")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ""
			if pv := FindMatch(tt.claim, tt.pvs, tt.node, tt.delay); pv != nil {
				got = pv.Name
			}
			if got != tt.want {
				t.Errorf("FindMatch = %q, want %q", got, tt.want)
			}
		})
	}
}
