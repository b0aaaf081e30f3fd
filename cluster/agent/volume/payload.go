package volume

import (
	"errors"
	"fmt"

	"github.com/minidev/mini/cluster/agent/podspec"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// defaultMode is what the API server defaults every defaultMode to.
const defaultMode int32 = 0o644

// payloadFor builds the files of a configMap, secret, downwardAPI or
// projected volume; ok is false for other volume types.
func (m *Manager) payloadFor(pod *corev1.Pod, v *corev1.Volume) (payload map[string]fileProjection, ok bool, err error) {
	switch {
	case v.ConfigMap != nil:
		p, err := m.configMapPayload(pod, v.ConfigMap.Name, v.ConfigMap.Items, modeOr(v.ConfigMap.DefaultMode), isTrue(v.ConfigMap.Optional))
		return p, true, err
	case v.Secret != nil:
		p, err := m.secretPayload(pod, v.Secret.SecretName, v.Secret.Items, modeOr(v.Secret.DefaultMode), isTrue(v.Secret.Optional))
		return p, true, err
	case v.DownwardAPI != nil:
		p, err := m.downwardPayload(pod, v.DownwardAPI.Items, modeOr(v.DownwardAPI.DefaultMode))
		return p, true, err
	case v.Projected != nil:
		p, err := m.projectedPayload(pod, v.Projected)
		return p, true, err
	}
	return nil, false, nil
}

func (m *Manager) configMapPayload(pod *corev1.Pod, name string, items []corev1.KeyToPath, mode int32, optional bool) (map[string]fileProjection, error) {
	cm, err := m.cfg.Lookup.ConfigMap(pod.Namespace, name)
	if err != nil {
		if apierrors.IsNotFound(err) && optional {
			return map[string]fileProjection{}, nil
		}
		return nil, err
	}
	get := func(key string) ([]byte, bool) {
		if s, ok := cm.Data[key]; ok {
			return []byte(s), true
		}
		b, ok := cm.BinaryData[key]
		return b, ok
	}
	keys := make([]string, 0, len(cm.Data)+len(cm.BinaryData))
	for k := range cm.Data {
		keys = append(keys, k)
	}
	for k := range cm.BinaryData {
		keys = append(keys, k)
	}
	return makePayload(keys, get, items, mode, optional, "configmap references non-existent config key: %s")
}

func (m *Manager) secretPayload(pod *corev1.Pod, name string, items []corev1.KeyToPath, mode int32, optional bool) (map[string]fileProjection, error) {
	s, err := m.cfg.Lookup.Secret(pod.Namespace, name)
	if err != nil {
		if apierrors.IsNotFound(err) && optional {
			return map[string]fileProjection{}, nil
		}
		return nil, err
	}
	get := func(key string) ([]byte, bool) {
		b, ok := s.Data[key]
		return b, ok
	}
	keys := make([]string, 0, len(s.Data))
	for k := range s.Data {
		keys = append(keys, k)
	}
	return makePayload(keys, get, items, mode, optional, "references non-existent secret key: %s")
}

// makePayload maps keys to files: every key under its own name, or only
// the items, each at its path with its mode.
func makePayload(keys []string, get func(string) ([]byte, bool), items []corev1.KeyToPath, mode int32, optional bool, missing string) (map[string]fileProjection, error) {
	payload := make(map[string]fileProjection, len(keys))
	if len(items) == 0 {
		for _, k := range keys {
			data, _ := get(k)
			payload[k] = fileProjection{Data: data, Mode: mode}
		}
		return payload, nil
	}
	for _, it := range items {
		data, ok := get(it.Key)
		if !ok {
			if optional {
				continue
			}
			return nil, fmt.Errorf(missing, it.Key)
		}
		payload[it.Path] = fileProjection{Data: data, Mode: modeOrDefault(it.Mode, mode)}
	}
	return payload, nil
}

func (m *Manager) downwardPayload(pod *corev1.Pod, items []corev1.DownwardAPIVolumeFile, mode int32) (map[string]fileProjection, error) {
	payload := make(map[string]fileProjection, len(items))
	var errs []error
	for _, it := range items {
		var value string
		var err error
		switch {
		case it.FieldRef != nil:
			if v := it.FieldRef.APIVersion; v != "" && v != "v1" {
				err = fmt.Errorf("unsupported pod version: %s", v)
			} else {
				value, err = podspec.MetadataFieldValue(pod, it.FieldRef.FieldPath)
			}
		case it.ResourceFieldRef != nil:
			value, err = podspec.ResourceFieldValue(pod, nil, it.ResourceFieldRef, m.cfg.Allocatable)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("item %s: %w", it.Path, err))
			continue
		}
		payload[it.Path] = fileProjection{Data: []byte(value), Mode: modeOrDefault(it.Mode, mode)}
	}
	return payload, errors.Join(errs...)
}

func (m *Manager) projectedPayload(pod *corev1.Pod, src *corev1.ProjectedVolumeSource) (map[string]fileProjection, error) {
	mode := modeOr(src.DefaultMode)
	payload := map[string]fileProjection{}
	var errs []error
	for _, s := range src.Sources {
		var part map[string]fileProjection
		var err error
		switch {
		case s.ConfigMap != nil:
			part, err = m.configMapPayload(pod, s.ConfigMap.Name, s.ConfigMap.Items, mode, isTrue(s.ConfigMap.Optional))
		case s.Secret != nil:
			part, err = m.secretPayload(pod, s.Secret.Name, s.Secret.Items, mode, isTrue(s.Secret.Optional))
		case s.DownwardAPI != nil:
			part, err = m.downwardPayload(pod, s.DownwardAPI.Items, mode)
		case s.ServiceAccountToken != nil:
			err = fmt.Errorf("serviceAccountToken projection %q is not supported yet (mini issues no service account tokens)", s.ServiceAccountToken.Path)
		case s.ClusterTrustBundle != nil:
			err = fmt.Errorf("clusterTrustBundle projection %q is not supported", s.ClusterTrustBundle.Path)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for p, f := range part {
			payload[p] = f
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return payload, nil
}

func modeOr(m *int32) int32 { return modeOrDefault(m, defaultMode) }

func modeOrDefault(m *int32, def int32) int32 {
	if m != nil {
		return *m
	}
	return def
}

func isTrue(b *bool) bool { return b != nil && *b }
