package apiserver

import (
	"fmt"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// Validation of Jobs and CronJobs, after Kubernetes' pkg/apis/batch/validation.

func validateJobHook(obj, old kruntime.Object) field.ErrorList {
	j := obj.(*batchv1.Job)
	var oldJob *batchv1.Job
	if old != nil {
		oldJob = old.(*batchv1.Job)
		if specUnchanged(&j.Spec, &oldJob.Spec) {
			return nil
		}
	}
	// Jobs created before the batch.kubernetes.io/ labels are not held to them.
	prefixed := oldJob == nil || (hasLabelKey(oldJob.Spec.Template.Labels, batchv1.JobNameLabel) && hasLabelKey(oldJob.Spec.Template.Labels, batchv1.ControllerUidLabel))
	errs := validateGeneratedSelector(j, prefixed)
	specPath := field.NewPath("spec")
	errs = append(errs, validateJobSpec(&j.Spec, specPath)...)
	if j.Spec.Selector == nil {
		errs = append(errs, field.Required(specPath.Child("selector"), ""))
	} else {
		errs = append(errs, metav1validation.ValidateLabelSelector(j.Spec.Selector, metav1validation.LabelSelectorValidationOptions{}, specPath.Child("selector"))...)
	}
	if sel, err := metav1.LabelSelectorAsSelector(j.Spec.Selector); err == nil && !sel.Matches(labels.Set(j.Spec.Template.Labels)) {
		errs = append(errs, field.Invalid(specPath.Child("template", "metadata", "labels"), j.Spec.Template.Labels, "`selector` does not match template `labels`"))
	}
	if oldJob != nil {
		errs = append(errs, validateJobUpdate(j, oldJob)...)
	}
	return errs
}

// validateJobSpec holds the rules of a Job's spec that apply to CronJob
// job templates as well.
func validateJobSpec(spec *batchv1.JobSpec, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, f := range []struct {
		name  string
		value *int32
	}{{"parallelism", spec.Parallelism}, {"completions", spec.Completions}, {"backoffLimit", spec.BackoffLimit},
		{"ttlSecondsAfterFinished", spec.TTLSecondsAfterFinished}, {"backoffLimitPerIndex", spec.BackoffLimitPerIndex}} {
		if f.value != nil {
			errs = append(errs, apivalidation.ValidateNonnegativeField(int64(*f.value), path.Child(f.name))...)
		}
	}
	if d := spec.ActiveDeadlineSeconds; d != nil {
		errs = append(errs, apivalidation.ValidateNonnegativeField(*d, path.Child("activeDeadlineSeconds"))...)
	}
	if m := spec.CompletionMode; m != nil {
		errs = append(errs, validateEnum(path.Child("completionMode"), *m, batchv1.NonIndexedCompletion, batchv1.IndexedCompletion)...)
		if *m == batchv1.IndexedCompletion && spec.Completions == nil {
			errs = append(errs, field.Required(path.Child("completions"), fmt.Sprintf("when completion mode is %s", batchv1.IndexedCompletion)))
		}
	}
	if p := spec.PodReplacementPolicy; p != nil {
		if spec.PodFailurePolicy != nil {
			if *p != batchv1.Failed {
				errs = append(errs, field.NotSupported(path.Child("podReplacementPolicy"), *p, []batchv1.PodReplacementPolicy{batchv1.Failed}))
			}
		} else {
			errs = append(errs, validateEnum(path.Child("podReplacementPolicy"), *p, batchv1.Failed, batchv1.TerminatingOrFailed)...)
		}
	}
	tPath := path.Child("template")
	errs = append(errs, validatePodTemplate(&spec.Template, tPath)...)
	rpPath := tPath.Child("spec", "restartPolicy")
	switch rp := spec.Template.Spec.RestartPolicy; {
	case rp == corev1.RestartPolicyAlways || rp == "":
		errs = append(errs, field.Required(rpPath, fmt.Sprintf("valid values: %q, %q", corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever)))
	case rp != corev1.RestartPolicyOnFailure && rp != corev1.RestartPolicyNever:
		errs = append(errs, field.NotSupported(rpPath, rp, []corev1.RestartPolicy{corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever}))
	case spec.PodFailurePolicy != nil && rp != corev1.RestartPolicyNever:
		errs = append(errs, field.Invalid(rpPath, rp, fmt.Sprintf("only %q is supported when podFailurePolicy is specified", corev1.RestartPolicyNever)))
	}
	return errs
}

// validateGeneratedSelector checks that a Job without manualSelector
// carries the labels and selector its registry generates.
func validateGeneratedSelector(j *batchv1.Job, prefixed bool) field.ErrorList {
	if ptr.Deref(j.Spec.ManualSelector, false) {
		return nil
	}
	metaPath := field.NewPath("spec", "template", "metadata")
	var errs field.ErrorList
	if j.Spec.Template.Labels == nil {
		errs = append(errs, field.Required(metaPath.Child("labels"), "the pod template must have labels"))
	}
	if j.UID == "" {
		errs = append(errs, field.Required(field.NewPath("metadata", "uid"), ""))
	}
	hasLabel := func(key, want string) {
		got, ok := j.Spec.Template.Labels[key]
		switch {
		case !ok:
			errs = append(errs, field.Required(metaPath.Child("labels").Key(key), want))
		case got != want:
			errs = append(errs, field.Invalid(metaPath.Child("labels").Key(key), j.Spec.Template.Labels, fmt.Sprintf("must be '%s'", want)))
		}
	}
	hasLabel(legacyControllerUIDLabel, string(j.UID))
	hasLabel(legacyJobNameLabel, j.Name)
	expected := map[string]string{legacyControllerUIDLabel: string(j.UID)}
	if prefixed {
		hasLabel(batchv1.ControllerUidLabel, string(j.UID))
		hasLabel(batchv1.JobNameLabel, j.Name)
		expected = map[string]string{batchv1.ControllerUidLabel: string(j.UID)}
	}
	if j.Spec.Selector == nil {
		return errs
	}
	if sel, err := metav1.LabelSelectorAsSelector(j.Spec.Selector); err == nil && !sel.Matches(labels.Set(expected)) {
		errs = append(errs, field.Invalid(field.NewPath("spec", "selector"), j.Spec.Selector, "`selector` not auto-generated"))
	}
	return errs
}

// validateJobUpdate is ValidateJobSpecUpdate: the selector, the template
// (but for scheduling directives of a suspended Job that never started),
// completions (but for elastic Indexed Jobs) and the policies are immutable.
func validateJobUpdate(j, old *batchv1.Job) field.ErrorList {
	path := field.NewPath("spec")
	s, o := &j.Spec, &old.Spec
	var errs field.ErrorList
	elastic := ptr.Deref(s.CompletionMode, "") == batchv1.IndexedCompletion && s.Completions != nil && o.Completions != nil &&
		ptr.Equal(s.Completions, s.Parallelism) && ptr.Equal(o.Completions, o.Parallelism)
	if !elastic {
		errs = append(errs, apivalidation.ValidateImmutableField(s.Completions, o.Completions, path.Child("completions"))...)
	}
	errs = append(errs, apivalidation.ValidateImmutableField(s.Selector, o.Selector, path.Child("selector"))...)
	oldTemplate := o.Template.DeepCopy()
	if ptr.Deref(o.Suspend, false) && old.Status.StartTime == nil {
		oldTemplate.Spec.NodeSelector = s.Template.Spec.NodeSelector
		oldTemplate.Spec.Tolerations = s.Template.Spec.Tolerations
		oldTemplate.Spec.SchedulingGates = s.Template.Spec.SchedulingGates
		oldTemplate.Annotations, oldTemplate.Labels = s.Template.Annotations, s.Template.Labels
		if oldTemplate.Spec.Affinity != nil && s.Template.Spec.Affinity != nil {
			oldTemplate.Spec.Affinity.NodeAffinity = s.Template.Spec.Affinity.NodeAffinity
		}
	}
	errs = append(errs, apivalidation.ValidateImmutableField(s.Template, *oldTemplate, path.Child("template"))...)
	for _, f := range []struct {
		name      string
		cur, prev any
	}{{"completionMode", s.CompletionMode, o.CompletionMode}, {"podFailurePolicy", s.PodFailurePolicy, o.PodFailurePolicy},
		{"backoffLimitPerIndex", s.BackoffLimitPerIndex, o.BackoffLimitPerIndex}, {"managedBy", s.ManagedBy, o.ManagedBy},
		{"successPolicy", s.SuccessPolicy, o.SuccessPolicy}, {"podReplacementPolicy", s.PodReplacementPolicy, o.PodReplacementPolicy}} {
		errs = append(errs, apivalidation.ValidateImmutableField(f.cur, f.prev, path.Child(f.name))...)
	}
	return errs
}

func validateCronJobHook(obj, old kruntime.Object) field.ErrorList {
	c := obj.(*batchv1.CronJob)
	var oldSpec *batchv1.CronJobSpec
	if old != nil {
		oldSpec = &old.(*batchv1.CronJob).Spec
		if specUnchanged(&c.Spec, oldSpec) {
			return nil
		}
	}
	path := field.NewPath("spec")
	s := &c.Spec
	var errs field.ErrorList
	if s.Schedule == "" {
		errs = append(errs, field.Required(path.Child("schedule"), ""))
	} else {
		errs = append(errs, validateSchedule(s.Schedule, oldSpec != nil && strings.Contains(oldSpec.Schedule, "TZ"), s.TimeZone, path.Child("schedule"))...)
	}
	if d := s.StartingDeadlineSeconds; d != nil {
		errs = append(errs, apivalidation.ValidateNonnegativeField(*d, path.Child("startingDeadlineSeconds"))...)
	}
	if oldSpec == nil || !ptr.Equal(oldSpec.TimeZone, s.TimeZone) {
		errs = append(errs, validateTimeZone(s.TimeZone, path.Child("timeZone"))...)
	}
	errs = append(errs, validateEnum(path.Child("concurrencyPolicy"), s.ConcurrencyPolicy,
		batchv1.AllowConcurrent, batchv1.ForbidConcurrent, batchv1.ReplaceConcurrent)...)
	jtPath := path.Child("jobTemplate")
	errs = append(errs, validateJobSpec(&s.JobTemplate.Spec, jtPath.Child("spec"))...)
	if s.JobTemplate.Spec.Selector != nil {
		errs = append(errs, field.Invalid(jtPath.Child("spec", "selector"), s.JobTemplate.Spec.Selector, "`selector` will be auto-generated"))
	}
	if ptr.Deref(s.JobTemplate.Spec.ManualSelector, false) {
		errs = append(errs, field.NotSupported(jtPath.Child("spec", "manualSelector"), s.JobTemplate.Spec.ManualSelector, []string{"nil", "false"}))
	}
	for _, f := range []struct {
		name  string
		value *int32
	}{{"successfulJobsHistoryLimit", s.SuccessfulJobsHistoryLimit}, {"failedJobsHistoryLimit", s.FailedJobsHistoryLimit}} {
		if f.value != nil {
			errs = append(errs, apivalidation.ValidateNonnegativeField(int64(*f.value), path.Child(f.name))...)
		}
	}
	// The controller names Jobs <cronjob>-<11 characters>, and Job names are DNS labels.
	if old == nil && len(c.Name) > 52 {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), c.Name, "must be no more than 52 characters"))
	}
	return errs
}

func hasLabelKey(m map[string]string, key string) bool {
	_, ok := m[key]
	return ok
}
