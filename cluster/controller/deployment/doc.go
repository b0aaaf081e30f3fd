// Package deployment is the Deployment controller, as Kubernetes'
// pkg/controller/deployment: one ReplicaSet per pod template revision,
// named <deployment>-<pod-template-hash>; RollingUpdate (maxSurge,
// maxUnavailable) and Recreate rollouts; proportional scaling of every
// active ReplicaSet when a Deployment is scaled mid-rollout; paused
// Deployments (scaling only); rollback by reusing the ReplicaSet of a
// template seen before (it gets the next revision); cleanup of old
// ReplicaSets beyond revisionHistoryLimit; and the status and conditions
// (Available, Progressing, ReplicaFailure) kubectl rollout status reads.
//
// The pure rules (hash, fenceposts, new/old partition, proportions) are in
// util.go; the rollout strategies in rolling.go and recreate.go; scaling,
// status and cleanup in sync.go.
package deployment
