package podspec

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Lookup reads the objects a pod refers to. The agent backs it with
// informer listers; a missing object is an apierrors NotFound error.
type Lookup interface {
	ConfigMap(namespace, name string) (*corev1.ConfigMap, error)
	Secret(namespace, name string) (*corev1.Secret, error)
}

// Env builds the container's environment as NAME=value entries, as the
// kubelet and containerd do together: the image's env first, then the
// kubelet's variables, each replacing an image variable of the same name in
// place. The kubelet's variables are envFrom in order (keys sorted within a
// source, the prefix added, optional sources that are missing skipped, keys
// that are no valid variable name skipped), then env in order, each
// replacing an earlier one of the same name. An env value has its $(VAR)
// references expanded against the variables defined before it (not the
// image's, as in Kubernetes). valueFrom reads configMap and secret keys
// (optional honoured), downward API fields and container resources (an
// unset limit is nodeAllocatable's amount). Service links variables are
// not made.
//
// A lookup error is returned as it is: `configmap "x" not found`.
func Env(pod *corev1.Pod, c *corev1.Container, imageEnv []string, info PodInfo, nodeAllocatable corev1.ResourceList, lookup Lookup) ([]string, error) {
	r := envResolver{pod: pod, lookup: lookup, configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}}
	vars := newOrderedEnv()
	for _, from := range c.EnvFrom {
		data, err := r.envFrom(from)
		if err != nil {
			return nil, err
		}
		for _, k := range sortedKeys(data) {
			name := from.Prefix + k
			if len(validation.IsRelaxedEnvVarName(name)) != 0 {
				continue
			}
			vars.set(name, data[k])
		}
	}
	mapping := MappingFor(vars.values)
	for _, ev := range c.Env {
		value := ev.Value
		switch {
		case value != "":
			value = Expand(value, mapping)
		case ev.ValueFrom != nil:
			v, skip, err := r.valueFrom(c, ev, info, nodeAllocatable)
			if err != nil {
				return nil, err
			}
			if skip {
				continue
			}
			value = v
		}
		vars.set(ev.Name, value)
	}
	return MergeEnv(imageEnv, vars.list()), nil
}

// MergeEnv is the image's environment overridden by the container's (both
// NAME=value lists): a name keeps the place it first had.
func MergeEnv(imageEnv, containerEnv []string) []string {
	env := newOrderedEnv()
	for _, list := range [][]string{imageEnv, containerEnv} {
		for _, kv := range list {
			k, v, _ := strings.Cut(kv, "=")
			env.set(k, v)
		}
	}
	return env.list()
}

type envResolver struct {
	pod        *corev1.Pod
	lookup     Lookup
	configMaps map[string]*corev1.ConfigMap
	secrets    map[string]*corev1.Secret
}

// envFrom returns the data of one envFrom source, nil when it is optional
// and missing.
func (r *envResolver) envFrom(from corev1.EnvFromSource) (map[string]string, error) {
	switch {
	case from.ConfigMapRef != nil:
		cm, err := r.configMap(from.ConfigMapRef.Name)
		if err != nil {
			if apierrors.IsNotFound(err) && isTrue(from.ConfigMapRef.Optional) {
				return nil, nil
			}
			return nil, err
		}
		return cm.Data, nil
	case from.SecretRef != nil:
		s, err := r.secret(from.SecretRef.Name)
		if err != nil {
			if apierrors.IsNotFound(err) && isTrue(from.SecretRef.Optional) {
				return nil, nil
			}
			return nil, err
		}
		data := make(map[string]string, len(s.Data))
		for k, v := range s.Data {
			data[k] = string(v)
		}
		return data, nil
	}
	return nil, nil
}

// valueFrom resolves one env var's source; skip reports an optional
// reference that is missing (the variable is then not set at all).
func (r *envResolver) valueFrom(c *corev1.Container, ev corev1.EnvVar, info PodInfo, alloc corev1.ResourceList) (value string, skip bool, err error) {
	src := ev.ValueFrom
	switch {
	case src.FieldRef != nil:
		v, err := FieldRefValue(r.pod, src.FieldRef, info)
		return v, false, err
	case src.ResourceFieldRef != nil:
		v, err := ResourceFieldValue(r.pod, c, src.ResourceFieldRef, alloc)
		return v, false, err
	case src.ConfigMapKeyRef != nil:
		ref := src.ConfigMapKeyRef
		optional := isTrue(ref.Optional)
		cm, err := r.configMap(ref.Name)
		if err != nil {
			return "", apierrors.IsNotFound(err) && optional, notFoundUnless(err, optional)
		}
		v, ok := cm.Data[ref.Key]
		if !ok {
			if optional {
				return "", true, nil
			}
			return "", false, fmt.Errorf("couldn't find key %v in ConfigMap %v/%v", ref.Key, r.pod.Namespace, ref.Name)
		}
		return v, false, nil
	case src.SecretKeyRef != nil:
		ref := src.SecretKeyRef
		optional := isTrue(ref.Optional)
		s, err := r.secret(ref.Name)
		if err != nil {
			return "", apierrors.IsNotFound(err) && optional, notFoundUnless(err, optional)
		}
		v, ok := s.Data[ref.Key]
		if !ok {
			if optional {
				return "", true, nil
			}
			return "", false, fmt.Errorf("couldn't find key %v in Secret %v/%v", ref.Key, r.pod.Namespace, ref.Name)
		}
		return string(v), false, nil
	case src.FileKeyRef != nil:
		return "", false, fmt.Errorf("env var %s: fileKeyRef is not supported", ev.Name)
	}
	return "", false, nil
}

// notFoundUnless drops a NotFound error for an optional reference.
func notFoundUnless(err error, optional bool) error {
	if apierrors.IsNotFound(err) && optional {
		return nil
	}
	return err
}

func (r *envResolver) configMap(name string) (*corev1.ConfigMap, error) {
	if cm, ok := r.configMaps[name]; ok {
		return cm, nil
	}
	cm, err := r.lookup.ConfigMap(r.pod.Namespace, name)
	if err != nil {
		return nil, err
	}
	r.configMaps[name] = cm
	return cm, nil
}

func (r *envResolver) secret(name string) (*corev1.Secret, error) {
	if s, ok := r.secrets[name]; ok {
		return s, nil
	}
	s, err := r.lookup.Secret(r.pod.Namespace, name)
	if err != nil {
		return nil, err
	}
	r.secrets[name] = s
	return s, nil
}

// orderedEnv is a map that remembers where each name was first set.
type orderedEnv struct {
	names  []string
	index  map[string]int
	values map[string]string
}

func newOrderedEnv() *orderedEnv {
	return &orderedEnv{index: map[string]int{}, values: map[string]string{}}
}

func (e *orderedEnv) set(name, value string) {
	if _, ok := e.index[name]; !ok {
		e.index[name] = len(e.names)
		e.names = append(e.names, name)
	}
	e.values[name] = value
}

func (e *orderedEnv) list() []string {
	out := make([]string, 0, len(e.names))
	for _, n := range e.names {
		out = append(out, n+"="+e.values[n])
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func isTrue(b *bool) bool { return b != nil && *b }
