package volumebinding

import (
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Provisioner is the name of mini's built-in local-path provisioner.
const Provisioner = "mini.dev/local-path"

// DefaultClassName is the StorageClass every cluster starts with.
const DefaultClassName = "standard"

// VolumesDir is where provisioned volumes live on a node:
// VolumesDir/<pv name>.
const VolumesDir = "/var/lib/mini/volumes"

// Annotations, as Kubernetes names them.
const (
	// AnnSelectedNode on a claim is the node the scheduler chose for its
	// first consumer (WaitForFirstConsumer).
	AnnSelectedNode = "volume.kubernetes.io/selected-node"
	// AnnBindCompleted on a claim says the controller finished binding it.
	AnnBindCompleted = "pv.kubernetes.io/bind-completed"
	// AnnBoundByController on either side says the controller, not the
	// user, set the binding.
	AnnBoundByController = "pv.kubernetes.io/bound-by-controller"
	// AnnProvisionedBy on a PV names the provisioner that made it.
	AnnProvisionedBy = "pv.kubernetes.io/provisioned-by"
	// AnnStorageProvisioner (and its beta twin) on a claim names the
	// provisioner expected to make its volume.
	AnnStorageProvisioner     = "volume.kubernetes.io/storage-provisioner"
	AnnBetaStorageProvisioner = "volume.beta.kubernetes.io/storage-provisioner"
	// AnnIsDefaultClass marks the default StorageClass.
	AnnIsDefaultClass = "storageclass.kubernetes.io/is-default-class"
)

// noProvisioner is the provisioner of classes for static volumes only.
const noProvisioner = "kubernetes.io/no-provisioner"

// DefaultStorageClass is the class the control plane creates at bootstrap:
// local-path volumes made on the node of the claim's first pod, deleted
// with their claim.
func DefaultStorageClass() *storagev1.StorageClass {
	reclaim := corev1.PersistentVolumeReclaimDelete
	mode := storagev1.VolumeBindingWaitForFirstConsumer
	return &storagev1.StorageClass{
		ObjectMeta:        metav1.ObjectMeta{Name: DefaultClassName, Annotations: map[string]string{AnnIsDefaultClass: "true"}},
		Provisioner:       Provisioner,
		ReclaimPolicy:     &reclaim,
		VolumeBindingMode: &mode,
	}
}

// ClaimClass is the class a claim asks for: the beta annotation, else
// spec.storageClassName ("" for none).
func ClaimClass(c *corev1.PersistentVolumeClaim) string {
	if v, ok := c.Annotations[corev1.BetaStorageClassAnnotation]; ok {
		return v
	}
	if c.Spec.StorageClassName != nil {
		return *c.Spec.StorageClassName
	}
	return ""
}

// VolumeClass is a PV's class: the beta annotation, else spec.storageClassName.
func VolumeClass(v *corev1.PersistentVolume) string {
	if c, ok := v.Annotations[corev1.BetaStorageClassAnnotation]; ok {
		return c
	}
	return v.Spec.StorageClassName
}

// DelayBinding says whether claims of class wait for their first consumer.
func DelayBinding(class *storagev1.StorageClass) bool {
	return class != nil && class.VolumeBindingMode != nil && *class.VolumeBindingMode == storagev1.VolumeBindingWaitForFirstConsumer
}

// CanProvision says whether claims of class can get a volume made for them
// (by mini's provisioner or an external one).
func CanProvision(class *storagev1.StorageClass) bool {
	return class != nil && class.Provisioner != "" && class.Provisioner != noProvisioner
}
