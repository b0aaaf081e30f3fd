package apiserver

import (
	"fmt"
	"math"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/diff"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validation of pods and pod specs, after Kubernetes'
// pkg/apis/core/validation (ValidatePod, ValidatePodSpec,
// ValidatePodUpdate): the same field paths, error types and messages.

// validatePodHook is the Pod's Validate hook. An update that leaves the
// spec alone (status, labels, finalizers) is not held to rules added since
// the pod was created.
func validatePodHook(obj, old kruntime.Object) field.ErrorList {
	pod := obj.(*corev1.Pod)
	if old == nil {
		return validatePodSpec(&pod.Spec, field.NewPath("spec"), true)
	}
	oldPod := old.(*corev1.Pod)
	var errs field.ErrorList
	if !apiequality.Semantic.DeepEqual(pod.Spec, oldPod.Spec) {
		errs = validatePodSpec(&pod.Spec, field.NewPath("spec"), true)
	}
	return append(errs, validatePodUpdate(pod, oldPod)...)
}

// validatePodTemplate is ValidatePodTemplateSpec.
func validatePodTemplate(t *corev1.PodTemplateSpec, path *field.Path) field.ErrorList {
	errs := metav1validation.ValidateLabels(t.Labels, path.Child("labels"))
	errs = append(errs, apivalidation.ValidateAnnotations(t.Annotations, path.Child("annotations"))...)
	errs = append(errs, validatePodSpec(&t.Spec, path.Child("spec"), false)...)
	if len(t.Spec.EphemeralContainers) > 0 {
		errs = append(errs, field.Forbidden(path.Child("spec", "ephemeralContainers"), "ephemeral containers not allowed in pod template"))
	}
	return errs
}

// validatePodSpec is ValidatePodSpec; isPod adds the checks Kubernetes
// makes of pods but not of templates.
func validatePodSpec(spec *corev1.PodSpec, path *field.Path, isPod bool) field.ErrorList {
	volumes, errs := validateVolumes(spec.Volumes, path.Child("volumes"))
	errs = append(errs, validateContainers(spec.Containers, volumes, path.Child("containers"))...)
	errs = append(errs, validateInitContainers(spec.InitContainers, spec.Containers, volumes, path.Child("initContainers"))...)
	errs = append(errs, validateEnum(path.Child("restartPolicy"), spec.RestartPolicy,
		corev1.RestartPolicyAlways, corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever)...)
	errs = append(errs, validateEnum(path.Child("dnsPolicy"), spec.DNSPolicy,
		corev1.DNSClusterFirstWithHostNet, corev1.DNSClusterFirst, corev1.DNSDefault, corev1.DNSNone)...)
	errs = append(errs, metav1validation.ValidateLabels(spec.NodeSelector, path.Child("nodeSelector"))...)
	for _, f := range []struct {
		name, value string
	}{{"serviceAccountName", spec.ServiceAccountName}, {"nodeName", spec.NodeName}, {"priorityClassName", spec.PriorityClassName}} {
		if f.value != "" {
			errs = append(errs, invalidEach(path.Child(f.name), f.value, apivalidation.NameIsDNSSubdomain(f.value, false))...)
		}
	}
	if d := spec.ActiveDeadlineSeconds; d != nil && (*d < 1 || *d > math.MaxInt32) {
		errs = append(errs, field.Invalid(path.Child("activeDeadlineSeconds"), *d, validation.InclusiveRangeError(1, math.MaxInt32)))
	}
	for _, f := range []struct {
		name, value string
	}{{"hostname", spec.Hostname}, {"subdomain", spec.Subdomain}} {
		if f.value != "" {
			errs = append(errs, invalidEach(path.Child(f.name), f.value, validation.IsDNS1123Label(f.value))...)
		}
	}
	errs = append(errs, validateTolerations(spec.Tolerations, path.Child("tolerations"))...)
	if isPod {
		for _, list := range []struct {
			name       string
			containers []corev1.Container
		}{{"containers", spec.Containers}, {"initContainers", spec.InitContainers}} {
			for i, c := range list.containers {
				if strings.TrimSpace(c.Image) != c.Image {
					errs = append(errs, field.Invalid(path.Child(list.name).Index(i).Child("image"), c.Image, "must not have leading or trailing whitespace"))
				}
			}
		}
	}
	return errs
}

// validateTolerations is ValidateTolerations.
func validateTolerations(tolerations []corev1.Toleration, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, t := range tolerations {
		p := path.Index(i)
		if t.Key != "" {
			errs = append(errs, metav1validation.ValidateLabelName(t.Key, p.Child("key"))...)
		}
		if t.Key == "" && t.Operator != corev1.TolerationOpExists {
			errs = append(errs, field.Invalid(p.Child("operator"), t.Operator,
				"operator must be Exists when `key` is empty, which means \"match all values and all keys\""))
		}
		if t.TolerationSeconds != nil && t.Effect != corev1.TaintEffectNoExecute {
			errs = append(errs, field.Invalid(p.Child("effect"), t.Effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"))
		}
		switch t.Operator {
		case corev1.TolerationOpEqual, "":
			if msgs := validation.IsValidLabelValue(t.Value); len(msgs) > 0 {
				errs = append(errs, field.Invalid(p.Child("operator"), t.Value, strings.Join(msgs, ";")))
			}
		case corev1.TolerationOpExists:
			if t.Value != "" {
				errs = append(errs, field.Invalid(p.Child("operator"), t, "value must be empty when `operator` is 'Exists'"))
			}
		default:
			errs = append(errs, field.NotSupported(p.Child("operator"), t.Operator, []corev1.TolerationOperator{corev1.TolerationOpEqual, corev1.TolerationOpExists}))
		}
		if t.Effect != "" {
			errs = append(errs, validateEnum(p.Child("effect"), t.Effect,
				corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute)...)
		}
	}
	return errs
}

// podUpdatableFields names what a pod update may change.
var podUpdatableFields = []string{
	"`spec.containers[*].image`",
	"`spec.initContainers[*].image`",
	"`spec.activeDeadlineSeconds`",
	"`spec.tolerations` (only additions to existing tolerations)",
	"`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
}

// validatePodUpdate is ValidatePodUpdate: the spec is immutable but for
// images, activeDeadlineSeconds, added tolerations, removed scheduling
// gates and terminationGracePeriodSeconds from negative to 1. Setting
// spec.nodeName on an unbound pod is let through too, because mini's
// pods/binding writes it with an update.
func validatePodUpdate(pod, old *corev1.Pod) field.ErrorList {
	specPath := field.NewPath("spec")
	var errs field.ErrorList
	for _, list := range []struct {
		name      string
		cur, prev []corev1.Container
	}{{"containers", pod.Spec.Containers, old.Spec.Containers}, {"initContainers", pod.Spec.InitContainers, old.Spec.InitContainers}} {
		p := specPath.Child(list.name)
		if len(list.cur) != len(list.prev) {
			return append(errs, field.Forbidden(p, "pod updates may not add or remove containers"))
		}
		for i, c := range list.cur {
			if c.Image == "" {
				errs = append(errs, field.Required(p.Index(i).Child("image"), ""))
			}
		}
	}

	adsPath := specPath.Child("activeDeadlineSeconds")
	switch ads, oldADS := pod.Spec.ActiveDeadlineSeconds, old.Spec.ActiveDeadlineSeconds; {
	case ads != nil && (*ads < 0 || *ads > math.MaxInt32):
		return append(errs, field.Invalid(adsPath, *ads, validation.InclusiveRangeError(0, math.MaxInt32)))
	case ads != nil && oldADS != nil && *oldADS < *ads:
		return append(errs, field.Invalid(adsPath, *ads, "must be less than or equal to previous value"))
	case ads == nil && oldADS != nil:
		errs = append(errs, field.Invalid(adsPath, ads, "must not update from a positive integer to nil value"))
	}

	munged := pod.Spec.DeepCopy()
	for i := range munged.Containers {
		munged.Containers[i].Image = old.Spec.Containers[i].Image
	}
	for i := range munged.InitContainers {
		munged.InitContainers[i].Image = old.Spec.InitContainers[i].Image
	}
	munged.ActiveDeadlineSeconds = old.Spec.ActiveDeadlineSeconds
	errs = append(errs, validateAddedTolerations(pod.Spec.Tolerations, old.Spec.Tolerations, specPath.Child("tolerations"))...)
	munged.Tolerations = old.Spec.Tolerations
	if g, oldG := munged.TerminationGracePeriodSeconds, old.Spec.TerminationGracePeriodSeconds; oldG != nil && *oldG < 0 && g != nil && *g == 1 {
		munged.TerminationGracePeriodSeconds = oldG
	}
	errs = append(errs, validateRemovedGates(pod.Spec.SchedulingGates, old.Spec.SchedulingGates, specPath.Child("schedulingGates"))...)
	munged.SchedulingGates = old.Spec.SchedulingGates
	if old.Spec.NodeName == "" {
		munged.NodeName = ""
	}
	if !apiequality.Semantic.DeepEqual(*munged, old.Spec) {
		errs = append(errs, field.Forbidden(specPath, fmt.Sprintf("pod updates may not change fields other than %s\n%s",
			strings.Join(podUpdatableFields, ","), diff.Diff(old.Spec, *munged))))
	}
	return errs
}

// validateAddedTolerations allows new tolerations and changed
// tolerationSeconds, nothing else.
func validateAddedTolerations(tolerations, old []corev1.Toleration, path *field.Path) field.ErrorList {
	for _, o := range old {
		found := false
		for _, t := range tolerations {
			o.TolerationSeconds = t.TolerationSeconds
			if apiequality.Semantic.DeepEqual(o, t) {
				found = true
				break
			}
		}
		if !found {
			return field.ErrorList{field.Forbidden(path, "existing toleration can not be modified except its tolerationSeconds")}
		}
	}
	return validateTolerations(tolerations, path)
}

// validateRemovedGates allows scheduling gates to be removed, not added.
func validateRemovedGates(gates, old []corev1.PodSchedulingGate, path *field.Path) field.ErrorList {
	had := map[string]bool{}
	for _, g := range old {
		had[g.Name] = true
	}
	var errs field.ErrorList
	for i, g := range gates {
		if !had[g.Name] {
			errs = append(errs, field.Forbidden(path.Index(i).Child("name"), fmt.Sprintf("only deletion is allowed, but found new scheduling gate '%s'", g.Name)))
		}
	}
	return errs
}

// validateEnum requires value to be one of valid, as Kubernetes validates enums:
// Required when empty, NotSupported otherwise.
func validateEnum[T ~string](path *field.Path, value T, valid ...T) field.ErrorList {
	if value == "" {
		return field.ErrorList{field.Required(path, "")}
	}
	for _, v := range valid {
		if value == v {
			return nil
		}
	}
	return field.ErrorList{field.NotSupported(path, value, valid)}
}

// invalidEach turns the messages of a validation.Is* check into Invalid errors.
func invalidEach(path *field.Path, value any, msgs []string) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range msgs {
		errs = append(errs, field.Invalid(path, value, msg))
	}
	return errs
}
