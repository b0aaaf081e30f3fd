// Package volumebinding is mini's persistent volume controller and its
// built-in local-path provisioner, as Kubernetes' PV controller
// (pkg/controller/volume/persistentvolume) and rancher's local-path
// provisioner do together:
//
//   - binding: an unbound PersistentVolumeClaim binds to the smallest
//     Available PersistentVolume of its class whose capacity, access modes,
//     volume mode and selector match (static binding), or to the volume a
//     claimRef or spec.volumeName pre-binds it to. Both sides are written
//     as Kubernetes writes them: PV spec.claimRef and status.phase Bound,
//     PVC spec.volumeName, status Bound with capacity and access modes, and
//     the pv.kubernetes.io/bind-completed and bound-by-controller
//     annotations.
//   - provisioning: a claim of a class whose provisioner is mini.dev/local-path
//     gets a PV named pvc-<claim uid>, a directory
//     /var/lib/mini/volumes/<pv name> on one node (spec.local, node affinity
//     kubernetes.io/hostname In [node]). With volumeBindingMode
//     WaitForFirstConsumer the node is the one the scheduler chose and wrote
//     in the claim's volume.kubernetes.io/selected-node annotation;
//     with Immediate it is the first Ready real node by name.
//   - reclaiming: when its claim is gone a PV is Released; a Released PV
//     this provisioner made with reclaim policy Delete is deleted (the node's
//     agent then removes the directory of a PV that no longer exists);
//     Retain keeps it Released.
//
// The matching rules are exported (FindMatch, Matches) for the scheduler's
// volume binding filter, so both decide alike. Events carry Kubernetes'
// reasons: WaitForFirstConsumer, Provisioning, ProvisioningSucceeded,
// ProvisioningFailed, ExternalProvisioning, FailedBinding, ClaimLost,
// VolumeFailedDelete.
package volumebinding
