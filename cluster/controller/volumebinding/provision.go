package volumebinding

import (
	"context"
	"fmt"
	"path"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// VolumeName is the name of the PV provisioned for a claim.
func VolumeName(claim *corev1.PersistentVolumeClaim) string { return "pvc-" + string(claim.UID) }

// LocalVolume is the PV mini's provisioner makes for claim of class on
// node: a directory VolumesDir/<name> on that node, pre-bound to the claim.
func LocalVolume(claim *corev1.PersistentVolumeClaim, class *storagev1.StorageClass, node string) *corev1.PersistentVolume {
	name := VolumeName(claim)
	reclaim := corev1.PersistentVolumeReclaimDelete
	if class.ReclaimPolicy != nil {
		reclaim = *class.ReclaimPolicy
	}
	mode := corev1.PersistentVolumeFilesystem
	return &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{AnnProvisionedBy: Provisioner}},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: claim.Spec.Resources.Requests[corev1.ResourceStorage]},
			AccessModes:                   claim.Spec.AccessModes,
			PersistentVolumeReclaimPolicy: reclaim,
			StorageClassName:              class.Name,
			MountOptions:                  class.MountOptions,
			VolumeMode:                    &mode,
			PersistentVolumeSource:        corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: path.Join(VolumesDir, name)}},
			NodeAffinity:                  nodeAffinityFor(node),
			ClaimRef: &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1",
				Namespace: claim.Namespace, Name: claim.Name, UID: claim.UID, ResourceVersion: claim.ResourceVersion},
		},
	}
}

// provision makes the claim's volume on node and binds the two.
func (c *Controller) provision(ctx context.Context, claim *corev1.PersistentVolumeClaim, class *storagev1.StorageClass, node string) error {
	key := claim.Namespace + "/" + claim.Name
	if volumeMode(claim.Spec.VolumeMode) != corev1.PersistentVolumeFilesystem {
		c.rec.Event(claim, corev1.EventTypeWarning, "ProvisioningFailed", Provisioner+" provisions Filesystem volumes only")
		return nil
	}
	if _, ok := claim.Spec.Resources.Requests[corev1.ResourceStorage]; !ok {
		c.rec.Event(claim, corev1.EventTypeWarning, "ProvisioningFailed", "spec.resources.requests.storage is not set")
		return nil
	}
	pv, err := c.volume(ctx, VolumeName(claim))
	if err != nil {
		return err
	}
	if pv == nil {
		if err := c.setProvisioner(ctx, claim, Provisioner); err != nil {
			return err
		}
		c.rec.Event(claim, corev1.EventTypeNormal, "Provisioning", fmt.Sprintf("External provisioner is provisioning volume for claim %q", key))
		pv, err = c.client.CoreV1().PersistentVolumes().Create(ctx, LocalVolume(claim, class, node), metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			pv, err = c.client.CoreV1().PersistentVolumes().Get(ctx, VolumeName(claim), metav1.GetOptions{})
		} else if err == nil {
			c.log.Info("Provisioned volume", "pv", pv.Name, "claim", key, "node", node)
			c.rec.Event(claim, corev1.EventTypeNormal, "ProvisioningSucceeded", fmt.Sprintf("Successfully provisioned volume %s", pv.Name))
		}
		if err != nil {
			c.rec.Event(claim, corev1.EventTypeWarning, "ProvisioningFailed", err.Error())
			return fmt.Errorf("provision volume for claim %s: %w", key, err)
		}
	}
	// The claim's latest version (setProvisioner may have changed it).
	latest, err := c.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Get(ctx, claim.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get persistentvolumeclaim %s: %w", key, err)
	}
	return c.bind(ctx, pv, latest)
}
