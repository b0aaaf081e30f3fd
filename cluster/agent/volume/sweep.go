package volume

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// SweepLocalVolumes removes the directories under Config.LocalVolumesDir
// of provisioned volumes (named pvc-*) that no longer exist: a deleted PV
// whose reclaim policy was Delete. It lists the directories before the
// volumes, so a directory made for a volume (always after the volume) is
// never taken for an orphan. A directory some volume's path still points
// into is kept, whatever its name. It returns the directories removed.
func (m *Manager) SweepLocalVolumes(ctx context.Context) ([]string, error) {
	dir := m.cfg.LocalVolumesDir
	if dir == "" || m.cfg.Claims == nil {
		return nil, nil
	}
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sweep local volumes: %w", err)
	}
	pvs, err := m.cfg.Claims.PersistentVolumes(ctx)
	if err != nil {
		return nil, fmt.Errorf("sweep local volumes: list persistentvolumes: %w", err)
	}
	keep := map[string]bool{}
	for _, pv := range pvs {
		keep[pv.Name] = true
		p := ""
		switch {
		case pv.Spec.Local != nil:
			p = pv.Spec.Local.Path
		case pv.Spec.HostPath != nil:
			p = pv.Spec.HostPath.Path
		}
		if rel, err := filepath.Rel(dir, filepath.Clean(p)); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
			keep[strings.Split(rel, string(filepath.Separator))[0]] = true
		}
	}
	var removed []string
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "pvc-") || keep[e.Name()] {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if err := os.RemoveAll(p); err != nil {
			return removed, fmt.Errorf("remove directory of deleted volume %s: %w", e.Name(), err)
		}
		m.cfg.Log.Info("Removed directory of deleted volume", "pv", e.Name(), "path", p)
		removed = append(removed, p)
	}
	return removed, nil
}

// RunSweeper sweeps local volumes every interval until ctx ends.
func (m *Manager) RunSweeper(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := m.SweepLocalVolumes(ctx); err != nil && ctx.Err() == nil {
			m.cfg.Log.Warn("Failed to sweep local volumes", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
