// Package daemonset is the DaemonSet controller, as Kubernetes'
// pkg/controller/daemon: one pod per eligible node (nodeSelector, required
// node affinity, taints against the pod's tolerations plus the ones
// Kubernetes adds to every DaemonSet pod), nodes added later included. Each
// pod gets the required node affinity metadata.name In [node] and is bound
// by the scheduler, as in Kubernetes. Pods on nodes no longer eligible (or
// gone) are deleted, failed ones replaced. RollingUpdate replaces old pods
// node by node within maxUnavailable (maxSurge 0); OnDelete waits for the
// user. ControllerRevisions record each template (the pods' label
// controller-revision-hash); status reports desiredNumberScheduled,
// currentNumberScheduled, numberReady, numberAvailable,
// updatedNumberScheduled, numberMisscheduled, numberUnavailable and
// observedGeneration.
package daemonset
