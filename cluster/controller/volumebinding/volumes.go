package volumebinding

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// syncVolume keeps a PV's phase true to its claim and reclaims it when the
// claim is gone.
func (c *Controller) syncVolume(ctx context.Context, name string) error {
	pv, err := c.volumes.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil || pv.DeletionTimestamp != nil {
		return err
	}
	ref := pv.Spec.ClaimRef
	if ref == nil {
		return c.setVolumePhase(ctx, pv, corev1.VolumeAvailable, "")
	}
	claim, err := c.claim(ctx, ref.Namespace, ref.Name)
	if err != nil {
		return err
	}
	if ref.UID == "" {
		// Pre-bound by a user or the scheduler: the claim's sync binds it.
		if claim != nil && claim.Spec.VolumeName == "" {
			c.loop.Add(claimPrefix + claim.Namespace + "/" + claim.Name)
		}
		return c.setVolumePhase(ctx, pv, corev1.VolumeAvailable, "")
	}
	if claim != nil && claim.UID == ref.UID {
		switch claim.Spec.VolumeName {
		case pv.Name:
			return c.setVolumePhase(ctx, pv, corev1.VolumeBound, "")
		case "":
			c.loop.Add(claimPrefix + claim.Namespace + "/" + claim.Name)
			return nil
		}
	}
	// The claim is gone (or bound elsewhere): the volume is released.
	if pv.Status.Phase != corev1.VolumeReleased && pv.Status.Phase != corev1.VolumeFailed {
		if err := c.setVolumePhase(ctx, pv, corev1.VolumeReleased, ""); err != nil {
			return err
		}
	}
	return c.reclaim(ctx, pv)
}

// reclaim applies a released volume's reclaim policy.
func (c *Controller) reclaim(ctx context.Context, pv *corev1.PersistentVolume) error {
	switch pv.Spec.PersistentVolumeReclaimPolicy {
	case corev1.PersistentVolumeReclaimDelete:
		if pv.Annotations[AnnProvisionedBy] != Provisioner {
			if pv.Status.Phase == corev1.VolumeFailed {
				return nil
			}
			msg := fmt.Sprintf("error getting deleter volume plugin for volume %q: no deletable volume plugin matched", pv.Name)
			c.rec.Event(pv, corev1.EventTypeWarning, "VolumeFailedDelete", msg)
			return c.setVolumePhase(ctx, pv, corev1.VolumeFailed, msg)
		}
		err := c.client.CoreV1().PersistentVolumes().Delete(ctx, pv.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &pv.UID}})
		if err != nil && !apierrors.IsNotFound(err) {
			c.rec.Event(pv, corev1.EventTypeWarning, "VolumeFailedDelete", err.Error())
			return fmt.Errorf("delete released persistentvolume %s: %w", pv.Name, err)
		}
		c.log.Info("Deleted released volume", "pv", pv.Name)
	case corev1.PersistentVolumeReclaimRecycle:
		if pv.Status.Phase != corev1.VolumeFailed {
			msg := "mini does not recycle volumes (the Recycle policy is deprecated): use Delete or Retain"
			c.rec.Event(pv, corev1.EventTypeWarning, "VolumeFailedRecycle", msg)
			return c.setVolumePhase(ctx, pv, corev1.VolumeFailed, msg)
		}
	}
	return nil
}

// claim reads a claim from the informer, then from the API, so a claim
// just made is never taken for gone; nil when it does not exist.
func (c *Controller) claim(ctx context.Context, ns, name string) (*corev1.PersistentVolumeClaim, error) {
	cl, err := c.claims.PersistentVolumeClaims(ns).Get(name)
	if err == nil {
		return cl, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, err
	}
	cl, err = c.client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get persistentvolumeclaim %s/%s: %w", ns, name, err)
	}
	return cl, nil
}

func (c *Controller) setVolumePhase(ctx context.Context, pv *corev1.PersistentVolume, phase corev1.PersistentVolumePhase, msg string) error {
	if pv.Status.Phase == phase && pv.Status.Message == msg {
		return nil
	}
	v := pv.DeepCopy()
	v.Status.Phase, v.Status.Message = phase, msg
	now := metav1.Now()
	v.Status.LastPhaseTransitionTime = &now
	if _, err := c.client.CoreV1().PersistentVolumes().UpdateStatus(ctx, v, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("set persistentvolume %s %s: %w", pv.Name, phase, err)
	}
	return nil
}
