package apiserver

import (
	"encoding/json"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// Validation of ConfigMaps and Secrets, after Kubernetes' ValidateConfigMap
// and ValidateSecret and their update rules.

// maxConfigSize is the most data a ConfigMap or Secret may hold (1 MiB).
const maxConfigSize = 1 * 1024 * 1024

const immutableSetMsg = "field is immutable when `immutable` is set"

func validateConfigMapHook(obj, old kruntime.Object) field.ErrorList {
	cm := obj.(*corev1.ConfigMap)
	var errs field.ErrorList
	size := 0
	dataPath, binaryPath := field.NewPath("data"), field.NewPath("binaryData")
	for _, key := range sortedMapKeys(cm.Data) {
		errs = append(errs, invalidEach(dataPath.Key(key), key, validation.IsConfigMapKey(key))...)
		if _, dup := cm.BinaryData[key]; dup {
			errs = append(errs, field.Invalid(dataPath.Key(key), key, "duplicate of key present in binaryData"))
		}
		size += len(cm.Data[key])
	}
	for _, key := range sortedMapKeys(cm.BinaryData) {
		errs = append(errs, invalidEach(binaryPath.Key(key), key, validation.IsConfigMapKey(key))...)
		size += len(cm.BinaryData[key])
	}
	if size > maxConfigSize {
		errs = append(errs, field.TooLong(field.NewPath(""), "", maxConfigSize))
	}
	if old == nil {
		return errs
	}
	o := old.(*corev1.ConfigMap)
	if ptr.Deref(o.Immutable, false) {
		if !ptr.Deref(cm.Immutable, false) {
			errs = append(errs, field.Forbidden(field.NewPath("immutable"), immutableSetMsg))
		}
		if !apiequality.Semantic.DeepEqual(cm.Data, o.Data) {
			errs = append(errs, field.Forbidden(dataPath, immutableSetMsg))
		}
		if !apiequality.Semantic.DeepEqual(cm.BinaryData, o.BinaryData) {
			errs = append(errs, field.Forbidden(binaryPath, immutableSetMsg))
		}
	}
	return errs
}

func validateSecretHook(obj, old kruntime.Object) field.ErrorList {
	s := obj.(*corev1.Secret)
	var errs field.ErrorList
	dataPath := field.NewPath("data")
	size := 0
	for _, key := range sortedMapKeys(s.Data) {
		errs = append(errs, invalidEach(dataPath.Key(key), key, validation.IsConfigMapKey(key))...)
		size += len(s.Data[key])
	}
	if size > maxConfigSize {
		errs = append(errs, field.TooLong(dataPath, "", maxConfigSize))
	}
	errs = append(errs, validateSecretType(s, dataPath)...)
	if old == nil {
		return errs
	}
	o := old.(*corev1.Secret)
	errs = append(errs, apivalidation.ValidateImmutableField(s.Type, o.Type, field.NewPath("type"))...)
	if ptr.Deref(o.Immutable, false) {
		if !ptr.Deref(s.Immutable, false) {
			errs = append(errs, field.Forbidden(field.NewPath("immutable"), immutableSetMsg))
		}
		if !apiequality.Semantic.DeepEqual(s.Data, o.Data) {
			errs = append(errs, field.Forbidden(dataPath, immutableSetMsg))
		}
	}
	return errs
}

// validateSecretType requires the keys each built-in secret type needs.
func validateSecretType(s *corev1.Secret, dataPath *field.Path) field.ErrorList {
	has := func(key string) bool { _, ok := s.Data[key]; return ok }
	switch s.Type {
	case corev1.SecretTypeServiceAccountToken:
		if s.Annotations[corev1.ServiceAccountNameKey] == "" {
			return field.ErrorList{field.Required(field.NewPath("metadata", "annotations").Key(corev1.ServiceAccountNameKey), "")}
		}
	case corev1.SecretTypeDockercfg, corev1.SecretTypeDockerConfigJson:
		key := corev1.DockerConfigKey
		if s.Type == corev1.SecretTypeDockerConfigJson {
			key = corev1.DockerConfigJsonKey
		}
		if !has(key) {
			return field.ErrorList{field.Required(dataPath.Key(key), "")}
		}
		if err := json.Unmarshal(s.Data[key], &map[string]any{}); err != nil {
			return field.ErrorList{field.Invalid(dataPath.Key(key), "<secret contents redacted>", err.Error())}
		}
	case corev1.SecretTypeBasicAuth:
		if !has(corev1.BasicAuthUsernameKey) && !has(corev1.BasicAuthPasswordKey) {
			return field.ErrorList{field.Required(dataPath.Key(corev1.BasicAuthUsernameKey), ""), field.Required(dataPath.Key(corev1.BasicAuthPasswordKey), "")}
		}
	case corev1.SecretTypeSSHAuth:
		if len(s.Data[corev1.SSHAuthPrivateKey]) == 0 {
			return field.ErrorList{field.Required(dataPath.Key(corev1.SSHAuthPrivateKey), "")}
		}
	case corev1.SecretTypeTLS:
		var errs field.ErrorList
		for _, key := range []string{corev1.TLSCertKey, corev1.TLSPrivateKeyKey} {
			if !has(key) {
				errs = append(errs, field.Required(dataPath.Key(key), ""))
			}
		}
		return errs
	}
	return nil
}

func sortedMapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
