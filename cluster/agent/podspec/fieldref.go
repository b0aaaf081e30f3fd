package podspec

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// PodInfo is what the agent knows of a pod that its spec does not say:
// addresses assigned on the node. Empty fields fall back to the pod's spec
// and status.
type PodInfo struct {
	PodIP              string
	PodIPs             []string
	NodeName           string
	HostIP             string
	ServiceAccountName string
}

// FieldRefValue returns the value of a downward API field for an
// environment variable: the metadata fields of MetadataFieldValue plus
// spec.nodeName, spec.serviceAccountName, status.hostIP(s) and
// status.podIP(s).
func FieldRefValue(pod *corev1.Pod, fs *corev1.ObjectFieldSelector, info PodInfo) (string, error) {
	if fs.APIVersion != "" && fs.APIVersion != "v1" {
		return "", fmt.Errorf("unsupported pod version: %s", fs.APIVersion)
	}
	podIPs := info.PodIPs
	if len(podIPs) == 0 && info.PodIP != "" {
		podIPs = []string{info.PodIP}
	}
	if len(podIPs) == 0 {
		for _, ip := range pod.Status.PodIPs {
			podIPs = append(podIPs, ip.IP)
		}
	}
	podIP := info.PodIP
	if len(podIPs) > 0 {
		podIP = podIPs[0]
	}
	hostIP := firstNonEmpty(info.HostIP, pod.Status.HostIP)
	switch fs.FieldPath {
	case "spec.nodeName":
		return firstNonEmpty(pod.Spec.NodeName, info.NodeName), nil
	case "spec.serviceAccountName":
		return firstNonEmpty(pod.Spec.ServiceAccountName, info.ServiceAccountName), nil
	case "status.hostIP", "status.hostIPs":
		return hostIP, nil
	case "status.podIP":
		return podIP, nil
	case "status.podIPs":
		return strings.Join(podIPs, ","), nil
	}
	return MetadataFieldValue(pod, fs.FieldPath)
}

// MetadataFieldValue returns a pod metadata field as the downward API
// shows it (a downwardAPI volume supports only these): metadata.name,
// metadata.namespace, metadata.uid, metadata.labels and
// metadata.annotations (all of them, one key="value" per line, sorted) and
// metadata.labels['k'] / metadata.annotations['k'].
func MetadataFieldValue(pod *corev1.Pod, fieldPath string) (string, error) {
	if path, key, ok := splitSubscript(fieldPath); ok {
		switch path {
		case "metadata.annotations":
			if errs := validation.IsQualifiedName(strings.ToLower(key)); len(errs) != 0 {
				return "", fmt.Errorf("invalid key subscript in %s: %s", fieldPath, strings.Join(errs, ";"))
			}
			return pod.Annotations[key], nil
		case "metadata.labels":
			if errs := validation.IsQualifiedName(key); len(errs) != 0 {
				return "", fmt.Errorf("invalid key subscript in %s: %s", fieldPath, strings.Join(errs, ";"))
			}
			return pod.Labels[key], nil
		default:
			return "", fmt.Errorf("fieldPath %q does not support subscript", fieldPath)
		}
	}
	switch fieldPath {
	case "metadata.annotations":
		return formatMap(pod.Annotations), nil
	case "metadata.labels":
		return formatMap(pod.Labels), nil
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	}
	return "", fmt.Errorf("unsupported fieldPath: %v", fieldPath)
}

// splitSubscript splits "path['key']" into path and key.
func splitSubscript(fieldPath string) (string, string, bool) {
	if !strings.HasSuffix(fieldPath, "']") {
		return fieldPath, "", false
	}
	path, key, ok := strings.Cut(strings.TrimSuffix(fieldPath, "']"), "['")
	if !ok || path == "" {
		return fieldPath, "", false
	}
	return path, key, true
}

func formatMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%v=%q", k, m[k])
	}
	return b.String()
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
