package volume

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
)

// setOwnership gives the pod's fsGroup to everything under dir as the
// kubelet's SetVolumeOwnership does: group fsGroup, group read (and write
// unless readOnly), directories setgid and group-searchable.
func setOwnership(dir string, pod *corev1.Pod, readOnly bool) error {
	sc := pod.Spec.SecurityContext
	if sc == nil || sc.FSGroup == nil {
		return nil
	}
	gid := int(*sc.FSGroup)
	mask := fs.FileMode(0o660)
	if readOnly {
		mask = 0o440
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(p, -1, gid); err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		m := mask
		if d.IsDir() {
			m |= fs.ModeSetgid | 0o110
		}
		return os.Chmod(p, info.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)|m)
	})
	if err != nil {
		return fmt.Errorf("set fsGroup %d on %s: %w", gid, dir, err)
	}
	return nil
}
