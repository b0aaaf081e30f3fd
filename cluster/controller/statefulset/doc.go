// Package statefulset is the StatefulSet controller, as Kubernetes'
// pkg/controller/statefulset: pods with stable names <set>-<ordinal>
// (hostname the pod name, subdomain spec.serviceName, labels
// statefulset.kubernetes.io/pod-name and apps.kubernetes.io/pod-index),
// created in order and each Running and Ready before the next
// (OrderedReady) or all at once (Parallel), removed from the highest
// ordinal down; PersistentVolumeClaims <template>-<set>-<ordinal> from
// volumeClaimTemplates, created before their pod and kept after it (or
// deleted with the set or on scale-down, per
// persistentVolumeClaimRetentionPolicy); ControllerRevisions recording each
// template (currentRevision, updateRevision, collisionCount,
// revisionHistoryLimit); RollingUpdate from the highest ordinal down to the
// partition, one pod at a time, each Ready before the next, or OnDelete.
//
// The planning (which pod to create, fix, delete or wait for) is a pure
// function of the set, its revisions and its pods (plan.go); the
// controller executes the plan through the API.
package statefulset
