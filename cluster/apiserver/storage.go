package apiserver

import (
	"context"
	"net/url"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// StorageClasses (storage.k8s.io/v1), after Kubernetes'
// SetDefaults_StorageClass, ValidateStorageClass(Update), the
// StorageClass printer and the DefaultStorageClass admission plugin.

// Annotations that mark a StorageClass as the cluster's default.
const (
	isDefaultClassAnnotation     = "storageclass.kubernetes.io/is-default-class"
	betaIsDefaultClassAnnotation = "storageclass.beta.kubernetes.io/is-default-class"
)

func defaultStorageClass(sc *storagev1.StorageClass) {
	if sc.ReclaimPolicy == nil {
		p := corev1.PersistentVolumeReclaimDelete
		sc.ReclaimPolicy = &p
	}
	if sc.VolumeBindingMode == nil {
		m := storagev1.VolumeBindingImmediate
		sc.VolumeBindingMode = &m
	}
}

// maxProvisionerParameterSize is Kubernetes' limit on a class's parameters.
const maxProvisionerParameterSize = 256 * (1 << 10)

func validateStorageClassHook(obj, old kruntime.Object) field.ErrorList {
	sc := obj.(*storagev1.StorageClass)
	var errs field.ErrorList
	if sc.Provisioner == "" {
		errs = append(errs, field.Required(field.NewPath("provisioner"), ""))
	} else {
		errs = append(errs, invalidEach(field.NewPath("provisioner"), sc.Provisioner, validation.IsQualifiedName(strings.ToLower(sc.Provisioner)))...)
	}
	size := 0
	for k, v := range sc.Parameters {
		if k == "" {
			errs = append(errs, field.Invalid(field.NewPath("parameters"), sc.Parameters, "key may not be empty"))
		}
		size += len(k) + len(v)
	}
	if size > maxProvisionerParameterSize {
		errs = append(errs, field.TooLong(field.NewPath("parameters"), "", maxProvisionerParameterSize))
	}
	if sc.ReclaimPolicy != nil {
		errs = append(errs, validateEnum(field.NewPath("reclaimPolicy"), *sc.ReclaimPolicy,
			corev1.PersistentVolumeReclaimDelete, corev1.PersistentVolumeReclaimRetain)...)
	}
	if sc.VolumeBindingMode == nil {
		errs = append(errs, field.Required(field.NewPath("volumeBindingMode"), ""))
	} else {
		errs = append(errs, validateEnum(field.NewPath("volumeBindingMode"), *sc.VolumeBindingMode,
			storagev1.VolumeBindingImmediate, storagev1.VolumeBindingWaitForFirstConsumer)...)
	}
	if o, ok := old.(*storagev1.StorageClass); ok {
		errs = append(errs, validateStorageClassUpdate(sc, o)...)
	}
	return errs
}

// validateStorageClassUpdate: only metadata and allowVolumeExpansion change.
func validateStorageClassUpdate(sc, old *storagev1.StorageClass) field.ErrorList {
	var errs field.ErrorList
	if !apiequality.Semantic.DeepEqual(sc.Parameters, old.Parameters) {
		errs = append(errs, field.Forbidden(field.NewPath("parameters"), "updates to parameters are forbidden."))
	}
	if sc.Provisioner != old.Provisioner {
		errs = append(errs, field.Forbidden(field.NewPath("provisioner"), "updates to provisioner are forbidden."))
	}
	if !apiequality.Semantic.DeepEqual(sc.ReclaimPolicy, old.ReclaimPolicy) {
		errs = append(errs, field.Forbidden(field.NewPath("reclaimPolicy"), "updates to reclaimPolicy are forbidden."))
	}
	errs = append(errs, apivalidation.ValidateImmutableField(sc.VolumeBindingMode, old.VolumeBindingMode, field.NewPath("volumeBindingMode"))...)
	return errs
}

// isDefaultClass is storageutil.IsDefaultAnnotation.
func isDefaultClass(sc *storagev1.StorageClass) bool {
	return sc.Annotations[isDefaultClassAnnotation] == "true" || sc.Annotations[betaIsDefaultClassAnnotation] == "true"
}

var storageClassTable = &TableSpec{
	Name: func(o kruntime.Object) string {
		sc := o.(*storagev1.StorageClass)
		if isDefaultClass(sc) {
			return sc.Name + " (default)"
		}
		return sc.Name
	},
	Columns: []Column{
		{Name: "Provisioner", Type: "string", Description: storagev1.StorageClass{}.SwaggerDoc()["provisioner"]},
		{Name: "ReclaimPolicy", Type: "string", Description: storagev1.StorageClass{}.SwaggerDoc()["reclaimPolicy"]},
		{Name: "VolumeBindingMode", Type: "string", Description: storagev1.StorageClass{}.SwaggerDoc()["volumeBindingMode"]},
		{Name: "AllowVolumeExpansion", Type: "string", Description: storagev1.StorageClass{}.SwaggerDoc()["allowVolumeExpansion"]},
		ageColumn,
	},
	Cells: func(o kruntime.Object, now time.Time) []any {
		sc := o.(*storagev1.StorageClass)
		reclaim, mode := string(corev1.PersistentVolumeReclaimDelete), string(storagev1.VolumeBindingImmediate)
		if sc.ReclaimPolicy != nil {
			reclaim = string(*sc.ReclaimPolicy)
		}
		if sc.VolumeBindingMode != nil {
			mode = string(*sc.VolumeBindingMode)
		}
		expand := sc.AllowVolumeExpansion != nil && *sc.AllowVolumeExpansion
		return []any{sc.Provisioner, reclaim, mode, expand, age(sc.CreationTimestamp, now)}
	},
}

// admitClaim is the DefaultStorageClass admission plugin: a new claim that
// names no class (neither spec.storageClassName nor the beta annotation)
// gets the default class, the newest when several are marked default.
// Without a default class the claim is left as it is.
func (s *Server) admitClaim(ctx context.Context, pvc *corev1.PersistentVolumeClaim) error {
	if pvc.Spec.StorageClassName != nil {
		return nil
	}
	if _, ok := pvc.Annotations[corev1.BetaStorageClassAnnotation]; ok {
		return nil
	}
	res, ok := s.reg.Lookup("storage.k8s.io", "v1", "storageclasses")
	if !ok {
		return nil
	}
	objs, _, _, err := s.listObjects(ctx, res, "", url.Values{})
	if err != nil {
		return err
	}
	var defaults []*storagev1.StorageClass
	for _, o := range objs {
		if sc := o.(*storagev1.StorageClass); isDefaultClass(sc) {
			defaults = append(defaults, sc)
		}
	}
	if len(defaults) == 0 {
		return nil
	}
	sort.Slice(defaults, func(i, j int) bool {
		ti, tj := defaults[i].CreationTimestamp, defaults[j].CreationTimestamp
		if !ti.Equal(&tj) {
			return tj.Before(&ti)
		}
		return defaults[i].Name < defaults[j].Name
	})
	name := defaults[0].Name
	pvc.Spec.StorageClassName = &name
	return nil
}

// admit runs the admission plugins mini has on a create, after defaulting.
func (s *Server) admit(ctx context.Context, obj kruntime.Object) error {
	if pvc, ok := obj.(*corev1.PersistentVolumeClaim); ok {
		return s.admitClaim(ctx, pvc)
	}
	return nil
}
