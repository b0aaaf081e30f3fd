// Package replicaset is the ReplicaSet controller, as Kubernetes'
// pkg/controller/replicaset: it keeps spec.replicas active pods matching
// the selector and controlled by the ReplicaSet, adopting matching orphans
// and releasing pods that stop matching, creating pods from the template
// (named <rs>-<5 random chars>) and deleting the extra ones in
// ActivePods order, and reports replicas, fullyLabeledReplicas,
// readyReplicas, availableReplicas (ready for minReadySeconds) and the
// ReplicaFailure condition in status. Expectations keep it from acting
// again before its informer has seen what it already did.
package replicaset
