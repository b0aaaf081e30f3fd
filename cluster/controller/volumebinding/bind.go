package volumebinding

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// bind writes both sides of a binding, each step only if it is missing,
// in the PV controller's order: the PV's claimRef, the PV's phase, the
// claim's volumeName and annotations, the claim's status.
func (c *Controller) bind(ctx context.Context, pv *corev1.PersistentVolume, claim *corev1.PersistentVolumeClaim) error {
	key := claim.Namespace + "/" + claim.Name
	if r := pv.Spec.ClaimRef; r == nil || r.UID != claim.UID || r.Namespace != claim.Namespace || r.Name != claim.Name {
		v := pv.DeepCopy()
		if r == nil {
			setAnnotation(&v.ObjectMeta, AnnBoundByController, "yes")
		}
		v.Spec.ClaimRef = &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1",
			Namespace: claim.Namespace, Name: claim.Name, UID: claim.UID, ResourceVersion: claim.ResourceVersion}
		out, err := c.client.CoreV1().PersistentVolumes().Update(ctx, v, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("bind persistentvolume %s to claim %s: %w", pv.Name, key, err)
		}
		pv = out
	}
	if pv.Status.Phase != corev1.VolumeBound {
		v := pv.DeepCopy()
		v.Status = corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound}
		out, err := c.client.CoreV1().PersistentVolumes().UpdateStatus(ctx, v, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("set persistentvolume %s Bound: %w", pv.Name, err)
		}
		pv = out
	}
	if claim.Spec.VolumeName != pv.Name || claim.Annotations[AnnBindCompleted] == "" {
		cl := claim.DeepCopy()
		if cl.Spec.VolumeName == "" {
			setAnnotation(&cl.ObjectMeta, AnnBoundByController, "yes")
		}
		cl.Spec.VolumeName = pv.Name
		setAnnotation(&cl.ObjectMeta, AnnBindCompleted, "yes")
		out, err := c.client.CoreV1().PersistentVolumeClaims(cl.Namespace).Update(ctx, cl, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("bind claim %s to persistentvolume %s: %w", key, pv.Name, err)
		}
		claim = out
	}
	if claim.Status.Phase != corev1.ClaimBound || !equalModes(claim.Status.AccessModes, pv.Spec.AccessModes) {
		cl := claim.DeepCopy()
		cl.Status.Phase = corev1.ClaimBound
		cl.Status.AccessModes = pv.Spec.AccessModes
		cl.Status.Capacity = pv.Spec.Capacity.DeepCopy()
		if _, err := c.client.CoreV1().PersistentVolumeClaims(cl.Namespace).UpdateStatus(ctx, cl, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("set claim %s Bound: %w", key, err)
		}
		c.log.Info("Bound claim", "claim", key, "pv", pv.Name)
	}
	return nil
}

func setAnnotation(m *metav1.ObjectMeta, k, v string) {
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[k] = v
}

func equalModes(a, b []corev1.PersistentVolumeAccessMode) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
