package volume

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
)

// ClaimLookup reads the claims and volumes behind persistentVolumeClaim
// volumes (the agent's reads through the API).
type ClaimLookup interface {
	PersistentVolumeClaim(ctx context.Context, namespace, name string) (*corev1.PersistentVolumeClaim, error)
	PersistentVolume(ctx context.Context, name string) (*corev1.PersistentVolume, error)
	// PersistentVolumes lists every volume of the cluster.
	PersistentVolumes(ctx context.Context) ([]corev1.PersistentVolume, error)
}

// setupClaim resolves a persistentVolumeClaim volume to its bound volume's
// directory on this node (spec.local.path, or spec.hostPath.path with its
// type checks), creating a local directory that is missing as mode 0777,
// as the local-path provisioner does. The errors are the kubelet's.
func (m *Manager) setupClaim(ctx context.Context, pod *corev1.Pod, src *corev1.PersistentVolumeClaimVolumeSource) (string, error) {
	if m.cfg.Claims == nil {
		return "", errors.New("persistentVolumeClaim volumes need a claim lookup (volume.Config.Claims)")
	}
	claim, err := m.cfg.Claims.PersistentVolumeClaim(ctx, pod.Namespace, src.ClaimName)
	if err != nil {
		return "", fmt.Errorf("error processing PVC %s/%s: failed to fetch PVC from API server: %w", pod.Namespace, src.ClaimName, err)
	}
	if claim.Status.Phase != corev1.ClaimBound || claim.Spec.VolumeName == "" {
		return "", fmt.Errorf("PVC %s/%s has non-bound phase (%q) or empty pvc.Spec.VolumeName (%q)",
			pod.Namespace, src.ClaimName, claim.Status.Phase, claim.Spec.VolumeName)
	}
	pv, err := m.cfg.Claims.PersistentVolume(ctx, claim.Spec.VolumeName)
	if err != nil {
		return "", fmt.Errorf("error processing PVC %s/%s: failed to fetch PV %s from API server: %w", pod.Namespace, src.ClaimName, claim.Spec.VolumeName, err)
	}
	if r := pv.Spec.ClaimRef; r == nil || r.UID != claim.UID {
		return "", fmt.Errorf("persistentvolume %s is not bound to claim %s/%s", pv.Name, pod.Namespace, src.ClaimName)
	}
	return volumePath(pv)
}

// volumePath is where a bound volume lives on the node, made ready.
func volumePath(pv *corev1.PersistentVolume) (string, error) {
	switch {
	case pv.Spec.Local != nil:
		p := pv.Spec.Local.Path
		if !filepath.IsAbs(p) {
			return "", fmt.Errorf("persistentvolume %s: local path %q is not absolute", pv.Name, p)
		}
		if err := makeVolumeDir(p); err != nil {
			return "", fmt.Errorf("persistentvolume %s: %w", pv.Name, err)
		}
		return filepath.Clean(p), nil
	case pv.Spec.HostPath != nil:
		if err := checkHostPath(pv.Spec.HostPath.Path, pv.Spec.HostPath.Type); err != nil {
			return "", fmt.Errorf("persistentvolume %s: %w", pv.Name, err)
		}
		return pv.Spec.HostPath.Path, nil
	}
	return "", fmt.Errorf("persistentvolume %s: unsupported volume source: mini mounts local and hostPath persistent volumes", pv.Name)
}

// makeVolumeDir creates a missing volume directory world-writable (a new
// local-path volume is `mkdir -m 0777`); an existing one is left as it is.
func makeVolumeDir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fmt.Errorf("create volume directory %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		return fmt.Errorf("chmod volume directory %s: %w", dir, err)
	}
	return nil
}

// PodMounts is Mounts for a container of pod: a persistentVolumeClaim
// volume the pod marks readOnly is read-only in every container.
func PodMounts(pod *corev1.Pod, c *corev1.Container, paths map[string]string, env []string) ([]Mount, error) {
	ro := map[string]bool{}
	for _, v := range pod.Spec.Volumes {
		if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ReadOnly {
			ro[v.Name] = true
		}
	}
	if len(ro) > 0 {
		c = c.DeepCopy()
		for i := range c.VolumeMounts {
			if ro[c.VolumeMounts[i].Name] {
				c.VolumeMounts[i].ReadOnly = true
			}
		}
	}
	return Mounts(c, paths, env)
}
