package volume

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/minidev/mini/cluster/agent/podspec"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Config configures a Manager.
type Config struct {
	Dir      string // the pods' directory, /var/lib/mini/pods
	Lookup   podspec.Lookup
	NodeName string
	Log      *slog.Logger
	Mounter  Mounter // default SystemMounter
	// Allocatable is the node's allocatable resources: the limit a
	// downwardAPI resourceFieldRef shows for a container without one, and
	// the largest size of a tmpfs volume.
	Allocatable corev1.ResourceList
	// Claims resolves persistentVolumeClaim volumes; nil refuses them.
	Claims ClaimLookup
	// LocalVolumesDir is where provisioned local volumes live
	// (/var/lib/mini/volumes), swept by SweepLocalVolumes; "" disables it.
	LocalVolumesDir string
}

// Manager sets up and tears down the volumes of the pods on one node.
type Manager struct {
	cfg Config

	mu     sync.Mutex
	tmpfs  map[types.UID]map[string]bool // pod → tmpfs mount points
	podMus map[types.UID]*sync.Mutex
}

// New returns a Manager; a nil Log discards, a nil Mounter mounts for real.
func New(cfg Config) *Manager {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Mounter == nil {
		cfg.Mounter = SystemMounter{}
	}
	return &Manager{cfg: cfg, tmpfs: map[types.UID]map[string]bool{}, podMus: map[types.UID]*sync.Mutex{}}
}

// Setup materialises every volume of the pod and returns their host paths
// by volume name. It is idempotent: a volume already set up is kept (and a
// configMap, secret, downwardAPI or projected volume brought up to date).
// On error the map still holds the volumes that are ready, and the error
// names each volume that is not, as a FailedMount event would.
func (m *Manager) Setup(ctx context.Context, pod *corev1.Pod) (map[string]string, error) {
	base, err := m.volumesDir(pod.UID)
	if err != nil {
		return nil, err
	}
	unlock := m.lockPod(pod.UID)
	defer unlock()
	if err := os.MkdirAll(base, 0o750); err != nil {
		return nil, fmt.Errorf("create volumes directory of pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	paths := make(map[string]string, len(pod.Spec.Volumes))
	var errs []error
	for i := range pod.Spec.Volumes {
		if err := ctx.Err(); err != nil {
			return paths, fmt.Errorf("set up volumes of pod %s/%s: %w", pod.Namespace, pod.Name, err)
		}
		v := &pod.Spec.Volumes[i]
		p, err := m.setupVolume(ctx, pod, v, filepath.Join(base, v.Name))
		if err != nil {
			errs = append(errs, fmt.Errorf("MountVolume.SetUp failed for volume %q : %w", v.Name, err))
			continue
		}
		paths[v.Name] = p
	}
	return paths, errors.Join(errs...)
}

func (m *Manager) setupVolume(ctx context.Context, pod *corev1.Pod, v *corev1.Volume, dir string) (string, error) {
	switch {
	case v.HostPath != nil:
		return v.HostPath.Path, checkHostPath(v.HostPath.Path, v.HostPath.Type)
	case v.EmptyDir != nil:
		var err error
		if v.EmptyDir.Medium == corev1.StorageMediumMemory {
			err = m.setupTmpfs(pod, dir, v.EmptyDir.SizeLimit)
		} else {
			err = makeDir(dir)
		}
		if err == nil {
			err = setOwnership(dir, pod, false)
		}
		return dir, err
	case v.PersistentVolumeClaim != nil:
		return m.setupClaim(ctx, pod, v.PersistentVolumeClaim)
	}
	payload, ok, err := m.payloadFor(pod, v)
	if !ok {
		return "", errors.New("unsupported volume type: mini supports emptyDir, configMap, secret, downwardAPI, projected, hostPath and persistentVolumeClaim")
	}
	if err != nil {
		return "", err
	}
	if v.ConfigMap != nil {
		err = makeDir(dir)
	} else { // secrets, tokens and pod data stay off the node's disk
		err = m.setupTmpfs(pod, dir, nil)
	}
	if err != nil {
		return "", err
	}
	if _, err := m.write(pod, dir, payload); err != nil {
		return "", err
	}
	return dir, nil
}

// Update rewrites the configMap, secret, downwardAPI and projected
// volumes of a pod whose content changed (an atomic swap each) and reports
// whether any did. A volume whose object is now missing keeps its old
// content and is reported in the error.
func (m *Manager) Update(ctx context.Context, pod *corev1.Pod) (bool, error) {
	base, err := m.volumesDir(pod.UID)
	if err != nil {
		return false, err
	}
	unlock := m.lockPod(pod.UID)
	defer unlock()
	changed := false
	var errs []error
	for i := range pod.Spec.Volumes {
		if err := ctx.Err(); err != nil {
			return changed, fmt.Errorf("update volumes of pod %s/%s: %w", pod.Namespace, pod.Name, err)
		}
		v := &pod.Spec.Volumes[i]
		dir := filepath.Join(base, v.Name)
		if ts, err := readDataLink(dir); err != nil || ts == "" {
			continue // not an atomic-writer volume, or never set up
		}
		payload, ok, err := m.payloadFor(pod, v)
		if !ok {
			continue
		}
		if err == nil {
			var c bool
			c, err = m.write(pod, dir, payload)
			changed = changed || c
			if c {
				m.cfg.Log.Info("Updated volume", "pod", pod.Namespace+"/"+pod.Name, "volume", v.Name)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("update volume %q of pod %s/%s: %w", v.Name, pod.Namespace, pod.Name, err))
		}
	}
	return changed, errors.Join(errs...)
}

func (m *Manager) write(pod *corev1.Pod, dir string, payload map[string]fileProjection) (bool, error) {
	return writeAtomic(dir, payload, func(ts string) error { return setOwnership(ts, pod, true) })
}

// Teardown unmounts the pod's tmpfs volumes and removes its directory.
func (m *Manager) Teardown(uid types.UID) error {
	base, err := m.volumesDir(uid)
	if err != nil {
		return err
	}
	unlock := m.lockPod(uid)
	defer unlock()
	m.mu.Lock()
	mounts := m.tmpfs[uid]
	m.mu.Unlock()
	for target := range mounts {
		if err := m.cfg.Mounter.Unmount(target); err != nil {
			return fmt.Errorf("tear down volumes of pod %s: %w", uid, err)
		}
		m.mu.Lock()
		delete(m.tmpfs[uid], target)
		m.mu.Unlock()
	}
	if err := os.RemoveAll(filepath.Dir(base)); err != nil {
		return fmt.Errorf("remove directory of pod %s: %w", uid, err)
	}
	m.mu.Lock()
	delete(m.tmpfs, uid)
	delete(m.podMus, uid)
	m.mu.Unlock()
	return nil
}

// volumesDir returns Dir/<uid>/volumes, refusing a uid that is no single
// path element.
func (m *Manager) volumesDir(uid types.UID) (string, error) {
	s := string(uid)
	if s == "" || s == "." || s == ".." || strings.ContainsAny(s, `/\`) {
		return "", fmt.Errorf("invalid pod uid %q", s)
	}
	return filepath.Join(m.cfg.Dir, s, "volumes"), nil
}

// lockPod serialises the calls for one pod.
func (m *Manager) lockPod(uid types.UID) func() {
	m.mu.Lock()
	mu, ok := m.podMus[uid]
	if !ok {
		mu = &sync.Mutex{}
		m.podMus[uid] = mu
	}
	m.mu.Unlock()
	mu.Lock()
	return mu.Unlock
}

func makeDir(dir string) error {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	// As the kubelet: an emptyDir is world-writable, whatever the umask.
	if err := os.Chmod(dir, 0o777); err != nil {
		return fmt.Errorf("chmod %s: %w", dir, err)
	}
	return nil
}
