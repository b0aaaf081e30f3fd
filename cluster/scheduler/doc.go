// Package scheduler is mini's pod scheduler: an API client that watches
// pods and nodes through informers and binds each pending pod whose
// schedulerName is default-scheduler to a node through pods/binding, as
// kube-scheduler does.
//
// A scheduling cycle runs the filter plugins (filters_*.go) over every node
// in Kubernetes' order, stopping at a node's first failing plugin, then the
// score plugins (scores.go) over the nodes left, and binds to the best. A pod
// that fits nowhere gets PodScheduled=False, reason Unschedulable, with
// kube-scheduler's message ("0/3 nodes are available: 3 Insufficient
// memory.") and a FailedScheduling Event; it is retried when nodes change, a
// pod goes away, and every RetryPeriod. One worker schedules one pod at a
// time; pods bound in this process but not yet seen by the informer are
// "assumed" on their node, so two pods never overcommit it.
//
// mini has no preemption, so messages carry no "preemption: ..." suffix.
package scheduler
