// Package job is the Job controller, as Kubernetes' pkg/controller/job:
// it runs a Job's pods to completions (NonIndexed, or Indexed with the
// batch.kubernetes.io/job-completion-index annotation and label and the
// JOB_COMPLETION_INDEX variable), at most parallelism at a time; it
// fails the Job after backoffLimit pod failures (container restarts count
// for restartPolicy OnFailure), after activeDeadlineSeconds, or when a
// podFailurePolicy FailJob rule matches; it creates replacement pods after
// an exponential back-off; it suspends and resumes; it deletes a finished
// Job after ttlSecondsAfterFinished (Kubernetes' TTL-after-finished
// controller, folded in here). Status follows Kubernetes 1.37: active,
// ready, terminating, succeeded, failed, completedIndexes, startTime,
// completionTime, and the interim conditions SuccessCriteriaMet and
// FailureTarget before the terminal Complete or Failed, which wait until
// no pod of the Job is still running or terminating.
//
// Pods are tracked by counting them, not with the job-tracking finalizer:
// succeeded and failed are the Job's finished pods counted on every sync,
// never lower than what status already holds. A finished pod deleted
// before a sync saw it is therefore not counted (Kubernetes' finalizer
// prevents that); mini deletes no finished pods of a running Job itself.
package job
