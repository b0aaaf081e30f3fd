package apiserver

import (
	"k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

type fieldErrors = field.ErrorList

func schemaGK(group, kind string) schema.GroupKind { return schema.GroupKind{Group: group, Kind: kind} }

// validateMeta checks metadata as Kubernetes does: the name by the
// resource's rule, labels, annotations, finalizers, owner references.
func validateMeta(res *Resource, m metav1.Object) field.ErrorList {
	rule := res.NameRule
	if rule == nil {
		rule = validation.NameIsDNSSubdomain
	}
	return validation.ValidateObjectMetaAccessor(m, res.Namespaced, validation.ValidateNameFunc(rule), field.NewPath("metadata"))
}
