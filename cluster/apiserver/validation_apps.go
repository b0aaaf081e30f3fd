package apiserver

import (
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// Validation of apps/v1 workloads, after Kubernetes' pkg/apis/apps/validation
// and the apps/v1 registry strategies (selectors are immutable).

func validateDeploymentHook(obj, old kruntime.Object) field.ErrorList {
	specPath := field.NewPath("spec")
	d := obj.(*appsv1.Deployment)
	var oldSpec *appsv1.DeploymentSpec
	if old != nil {
		oldSpec = &old.(*appsv1.Deployment).Spec
	}
	if specUnchanged(&d.Spec, oldSpec) {
		return nil
	}
	s := &d.Spec
	errs := apivalidation.ValidateNonnegativeField(int64(ptr.Deref(s.Replicas, 0)), specPath.Child("replicas"))
	errs = append(errs, validateReplicaTemplate("deployment", "ReplicaSet", s.Selector, &s.Template)...)
	errs = append(errs, validateDeploymentStrategy(&s.Strategy, specPath.Child("strategy"))...)
	errs = append(errs, apivalidation.ValidateNonnegativeField(int64(s.MinReadySeconds), specPath.Child("minReadySeconds"))...)
	if s.RevisionHistoryLimit != nil {
		errs = append(errs, apivalidation.ValidateNonnegativeField(int64(*s.RevisionHistoryLimit), specPath.Child("revisionHistoryLimit"))...)
	}
	if p := s.ProgressDeadlineSeconds; p != nil {
		errs = append(errs, apivalidation.ValidateNonnegativeField(int64(*p), specPath.Child("progressDeadlineSeconds"))...)
		if *p <= s.MinReadySeconds {
			errs = append(errs, field.Invalid(specPath.Child("progressDeadlineSeconds"), *p, "must be greater than minReadySeconds"))
		}
	}
	if oldSpec != nil {
		errs = append(errs, apivalidation.ValidateImmutableField(s.Selector, oldSpec.Selector, specPath.Child("selector"))...)
	}
	return errs
}

func validateReplicaSetHook(obj, old kruntime.Object) field.ErrorList {
	specPath := field.NewPath("spec")
	rs := obj.(*appsv1.ReplicaSet)
	var oldSpec *appsv1.ReplicaSetSpec
	if old != nil {
		oldSpec = &old.(*appsv1.ReplicaSet).Spec
	}
	if specUnchanged(&rs.Spec, oldSpec) {
		return nil
	}
	s := &rs.Spec
	errs := apivalidation.ValidateNonnegativeField(int64(ptr.Deref(s.Replicas, 0)), specPath.Child("replicas"))
	errs = append(errs, apivalidation.ValidateNonnegativeField(int64(s.MinReadySeconds), specPath.Child("minReadySeconds"))...)
	// Kubernetes names deployments in the ReplicaSet's empty-selector message too.
	errs = append(errs, validateReplicaTemplate("deployment", "ReplicaSet", s.Selector, &s.Template)...)
	if oldSpec != nil {
		errs = append(errs, apivalidation.ValidateImmutableField(s.Selector, oldSpec.Selector, specPath.Child("selector"))...)
	}
	return errs
}

func validateStatefulSetHook(obj, old kruntime.Object) field.ErrorList {
	specPath := field.NewPath("spec")
	ss := obj.(*appsv1.StatefulSet)
	var oldSpec *appsv1.StatefulSetSpec
	if old != nil {
		oldSpec = &old.(*appsv1.StatefulSet).Spec
	}
	if specUnchanged(&ss.Spec, oldSpec) {
		return nil
	}
	s := &ss.Spec
	var errs field.ErrorList
	switch p := s.PodManagementPolicy; p {
	case "":
		errs = append(errs, field.Required(specPath.Child("podManagementPolicy"), ""))
	case appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement:
	default:
		errs = append(errs, field.Invalid(specPath.Child("podManagementPolicy"), p,
			fmt.Sprintf("must be '%s' or '%s'", appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement)))
	}
	usPath := specPath.Child("updateStrategy")
	switch u := s.UpdateStrategy; u.Type {
	case "":
		errs = append(errs, field.Required(usPath, ""))
	case appsv1.OnDeleteStatefulSetStrategyType:
		if u.RollingUpdate != nil {
			errs = append(errs, field.Invalid(usPath.Child("rollingUpdate"), u.RollingUpdate,
				fmt.Sprintf("only allowed for updateStrategy '%s'", appsv1.RollingUpdateStatefulSetStrategyType)))
		}
	case appsv1.RollingUpdateStatefulSetStrategyType:
		if u.RollingUpdate != nil && u.RollingUpdate.Partition != nil {
			errs = append(errs, apivalidation.ValidateNonnegativeField(int64(*u.RollingUpdate.Partition), usPath.Child("rollingUpdate", "partition"))...)
		}
	default:
		errs = append(errs, field.Invalid(usPath, u,
			fmt.Sprintf("must be '%s' or '%s'", appsv1.RollingUpdateStatefulSetStrategyType, appsv1.OnDeleteStatefulSetStrategyType)))
	}
	errs = append(errs, apivalidation.ValidateNonnegativeField(int64(ptr.Deref(s.Replicas, 0)), specPath.Child("replicas"))...)
	errs = append(errs, apivalidation.ValidateNonnegativeField(int64(s.MinReadySeconds), specPath.Child("minReadySeconds"))...)
	errs = append(errs, validateReplicaTemplate("statefulset", "StatefulSet", s.Selector, &s.Template)...)
	if oldSpec != nil {
		clone := s.DeepCopy()
		clone.Replicas, clone.Template, clone.UpdateStrategy = oldSpec.Replicas, oldSpec.Template, oldSpec.UpdateStrategy
		clone.MinReadySeconds, clone.Ordinals, clone.RevisionHistoryLimit = oldSpec.MinReadySeconds, oldSpec.Ordinals, oldSpec.RevisionHistoryLimit
		clone.PersistentVolumeClaimRetentionPolicy = oldSpec.PersistentVolumeClaimRetentionPolicy
		if !apiequality.Semantic.DeepEqual(*clone, *oldSpec) {
			errs = append(errs, field.Forbidden(specPath, "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"))
		}
	}
	return errs
}

func validateDaemonSetHook(obj, old kruntime.Object) field.ErrorList {
	specPath := field.NewPath("spec")
	ds := obj.(*appsv1.DaemonSet)
	var oldSpec *appsv1.DaemonSetSpec
	if old != nil {
		oldSpec = &old.(*appsv1.DaemonSet).Spec
	}
	if specUnchanged(&ds.Spec, oldSpec) {
		return nil
	}
	s := &ds.Spec
	errs := validateReplicaTemplate("daemonset", "DaemonSet", s.Selector, &s.Template)
	errs = append(errs, apivalidation.ValidateNonnegativeField(int64(s.MinReadySeconds), specPath.Child("minReadySeconds"))...)
	usPath := specPath.Child("updateStrategy")
	switch u := s.UpdateStrategy; u.Type {
	case appsv1.OnDeleteDaemonSetStrategyType:
	case appsv1.RollingUpdateDaemonSetStrategyType:
		if u.RollingUpdate == nil {
			errs = append(errs, field.Required(usPath.Child("rollingUpdate"), ""))
			break
		}
		errs = append(errs, validateRollingUpdateDaemonSet(u.RollingUpdate, usPath.Child("rollingUpdate"))...)
	default:
		errs = append(errs, field.NotSupported(usPath, u, []appsv1.DaemonSetUpdateStrategyType{
			appsv1.RollingUpdateDaemonSetStrategyType, appsv1.OnDeleteDaemonSetStrategyType}))
	}
	if s.RevisionHistoryLimit != nil {
		errs = append(errs, apivalidation.ValidateNonnegativeField(int64(*s.RevisionHistoryLimit), specPath.Child("revisionHistoryLimit"))...)
	}
	if oldSpec != nil {
		errs = append(errs, apivalidation.ValidateImmutableField(s.Selector, oldSpec.Selector, specPath.Child("selector"))...)
	}
	return errs
}

// specUnchanged reports an update that leaves the spec alone (a status
// or metadata change): it is not held to rules added since the object was
// created.
func specUnchanged[T any](spec, old *T) bool {
	return old != nil && apiequality.Semantic.DeepEqual(*spec, *old)
}

// validateReplicaTemplate holds the selector and template rules the four
// apps/v1 workloads share: a non-empty selector that matches the
// template's labels, a valid pod template that always restarts.
func validateReplicaTemplate(kind, deadlineKind string, selector *metav1.LabelSelector, t *corev1.PodTemplateSpec) field.ErrorList {
	selPath, tPath := field.NewPath("spec", "selector"), field.NewPath("spec", "template")
	var errs field.ErrorList
	if selector == nil {
		errs = append(errs, field.Required(selPath, ""))
	} else {
		errs = append(errs, metav1validation.ValidateLabelSelector(selector, metav1validation.LabelSelectorValidationOptions{}, selPath)...)
		if len(selector.MatchLabels)+len(selector.MatchExpressions) == 0 {
			errs = append(errs, field.Invalid(selPath, selector, "empty selector is invalid for "+kind))
		}
	}
	sel, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		return append(errs, field.Invalid(selPath, selector, "invalid label selector"))
	}
	if !sel.Empty() && !sel.Matches(labels.Set(t.Labels)) {
		errs = append(errs, field.Invalid(tPath.Child("metadata", "labels"), t.Labels, "`selector` does not match template `labels`"))
	}
	errs = append(errs, validatePodTemplate(t, tPath)...)
	if t.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		errs = append(errs, field.NotSupported(tPath.Child("spec", "restartPolicy"), t.Spec.RestartPolicy, []corev1.RestartPolicy{corev1.RestartPolicyAlways}))
	}
	switch adsPath := tPath.Child("spec", "activeDeadlineSeconds"); {
	case t.Spec.ActiveDeadlineSeconds == nil:
	case kind == "daemonset":
		errs = append(errs, field.Invalid(adsPath, t.Spec.ActiveDeadlineSeconds, "activeDeadlineSeconds must be nil for daemons"))
	default:
		errs = append(errs, field.Forbidden(adsPath, fmt.Sprintf("activeDeadlineSeconds in %s is not Supported", deadlineKind)))
	}
	return errs
}

func validateDeploymentStrategy(s *appsv1.DeploymentStrategy, path *field.Path) field.ErrorList {
	switch s.Type {
	case appsv1.RecreateDeploymentStrategyType:
		if s.RollingUpdate != nil {
			return field.ErrorList{field.Forbidden(path.Child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'")}
		}
	case appsv1.RollingUpdateDeploymentStrategyType:
		if s.RollingUpdate == nil {
			return field.ErrorList{field.Required(path.Child("rollingUpdate"), "this should be defaulted and never be nil")}
		}
		ruPath := path.Child("rollingUpdate")
		unavailable, surge := ptr.Deref(s.RollingUpdate.MaxUnavailable, intstr.IntOrString{}), ptr.Deref(s.RollingUpdate.MaxSurge, intstr.IntOrString{})
		errs := validatePositiveIntOrPercent(unavailable, ruPath.Child("maxUnavailable"))
		errs = append(errs, validatePositiveIntOrPercent(surge, ruPath.Child("maxSurge"))...)
		if intOrPercentValue(unavailable) == 0 && intOrPercentValue(surge) == 0 {
			errs = append(errs, field.Invalid(ruPath.Child("maxUnavailable"), unavailable, "may not be 0 when `maxSurge` is 0"))
		}
		return append(errs, notMoreThan100Percent(unavailable, ruPath.Child("maxUnavailable"))...)
	default:
		return field.ErrorList{field.NotSupported(path, *s, []appsv1.DeploymentStrategyType{
			appsv1.RecreateDeploymentStrategyType, appsv1.RollingUpdateDeploymentStrategyType})}
	}
	return nil
}

func validateRollingUpdateDaemonSet(r *appsv1.RollingUpdateDaemonSet, path *field.Path) field.ErrorList {
	unavailable, surge := ptr.Deref(r.MaxUnavailable, intstr.IntOrString{}), ptr.Deref(r.MaxSurge, intstr.IntOrString{})
	errs := validatePositiveIntOrPercent(unavailable, path.Child("maxUnavailable"))
	errs = append(errs, validatePositiveIntOrPercent(surge, path.Child("maxSurge"))...)
	errs = append(errs, notMoreThan100Percent(unavailable, path.Child("maxUnavailable"))...)
	errs = append(errs, notMoreThan100Percent(surge, path.Child("maxSurge"))...)
	hasUnavailable, hasSurge := intOrPercentValue(unavailable) != 0, intOrPercentValue(surge) != 0
	switch {
	case hasUnavailable && hasSurge:
		errs = append(errs, field.Invalid(path.Child("maxSurge"), surge, "may not be set when maxUnavailable is non-zero"))
	case !hasUnavailable && !hasSurge:
		errs = append(errs, field.Required(path.Child("maxUnavailable"), "cannot be 0 when maxSurge is 0"))
	}
	return errs
}

func validatePositiveIntOrPercent(v intstr.IntOrString, path *field.Path) field.ErrorList {
	switch v.Type {
	case intstr.String:
		return invalidEach(path, v, validation.IsValidPercent(v.StrVal))
	case intstr.Int:
		return apivalidation.ValidateNonnegativeField(int64(v.IntValue()), path)
	}
	return field.ErrorList{field.Invalid(path, v, "must be an integer or percentage (e.g '5%')")}
}

// percentValue is the number of a valid percentage like "25%".
func percentValue(v intstr.IntOrString) (int, bool) {
	if v.Type != intstr.String || len(validation.IsValidPercent(v.StrVal)) > 0 {
		return 0, false
	}
	n, _ := strconv.Atoi(v.StrVal[:len(v.StrVal)-1])
	return n, true
}

func intOrPercentValue(v intstr.IntOrString) int {
	if n, ok := percentValue(v); ok {
		return n
	}
	return v.IntValue()
}

func notMoreThan100Percent(v intstr.IntOrString, path *field.Path) field.ErrorList {
	if n, ok := percentValue(v); ok && n > 100 {
		return field.ErrorList{field.Invalid(path, v, "must not be greater than 100%")}
	}
	return nil
}
