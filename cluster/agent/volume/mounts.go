package volume

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/minidev/mini/cluster/agent/podspec"
	corev1 "k8s.io/api/core/v1"
)

// Mount is one bind mount of a volume (or a part of it) into a container.
type Mount struct {
	Source      string // on the node
	Destination string // in the container
	ReadOnly    bool
}

// Mounts turns a container's volumeMounts into bind mounts from the host
// paths Setup returned. readOnly is honoured, and configMap, secret,
// downwardAPI and projected volumes (recognised by their ..data link) are
// always read-only. subPath, or subPathExpr expanded with env (NAME=value
// entries), selects a file or directory inside the volume; a missing one is
// created as a directory, and one that leaves the volume, by '..' or
// through a symlink, is an error. Mounts come sorted so that a parent
// directory is mounted before what is mounted under it.
func Mounts(c *corev1.Container, paths map[string]string, env []string) ([]Mount, error) {
	var envMap map[string]string
	mounts := make([]Mount, 0, len(c.VolumeMounts))
	for _, vm := range c.VolumeMounts {
		host, ok := paths[vm.Name]
		if !ok {
			return nil, fmt.Errorf("cannot find volume %q to mount into container %q", vm.Name, c.Name)
		}
		m := Mount{Source: host, Destination: vm.MountPath, ReadOnly: vm.ReadOnly || isAtomicVolume(host)}
		subPath := vm.SubPath
		if vm.SubPathExpr != "" {
			if envMap == nil {
				envMap = podspec.EnvMap(env)
			}
			var err error
			if subPath, err = expandSubPath(vm.SubPathExpr, envMap); err != nil {
				return nil, fmt.Errorf("volumeMount %q of container %q: %w", vm.Name, c.Name, err)
			}
		}
		if subPath != "" {
			src, err := subPathSource(host, subPath)
			if err != nil {
				return nil, fmt.Errorf("volumeMount %q of container %q: %w", vm.Name, c.Name, err)
			}
			m.Source = src
		}
		mounts = append(mounts, m)
	}
	sort.SliceStable(mounts, func(i, j int) bool { return depth(mounts[i].Destination) < depth(mounts[j].Destination) })
	return mounts, nil
}

// expandSubPath expands $(VAR) in a subPathExpr; an unknown or empty
// variable is an error, as in the kubelet.
func expandSubPath(expr string, env map[string]string) (string, error) {
	var missing []string
	out := podspec.Expand(expr, func(name string) string {
		v, ok := env[name]
		if !ok || v == "" {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		sort.Strings(missing)
		return "", fmt.Errorf("missing value for %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// subPathSource resolves subPath inside the volume at host, creating
// missing directories, and checks the result stays in the volume.
func subPathSource(host, subPath string) (string, error) {
	if filepath.IsAbs(subPath) {
		return "", fmt.Errorf("error SubPath `%s` must not be an absolute path", subPath)
	}
	for _, part := range strings.Split(filepath.ToSlash(subPath), "/") {
		if part == ".." {
			return "", fmt.Errorf("unable to provision SubPath `%s`: must not contain '..'", subPath)
		}
	}
	base, err := filepath.EvalSymlinks(host)
	if err != nil {
		return "", fmt.Errorf("resolve volume path %s: %w", host, err)
	}
	info, err := os.Stat(base)
	if err != nil {
		return "", fmt.Errorf("stat volume path %s: %w", host, err)
	}
	cur := base
	for _, part := range strings.Split(filepath.Clean(subPath), string(filepath.Separator)) {
		if part == "." || part == "" {
			continue
		}
		next := filepath.Join(cur, part)
		fi, err := os.Lstat(next)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if !info.IsDir() {
				return "", fmt.Errorf("subpath %q: volume path %s is not a directory", subPath, host)
			}
			if err := os.Mkdir(next, info.Mode().Perm()); err != nil {
				return "", fmt.Errorf("create subPath directory %q: %w", subPath, err)
			}
			if err := os.Chmod(next, info.Mode().Perm()); err != nil {
				return "", fmt.Errorf("create subPath directory %q: %w", subPath, err)
			}
		case err != nil:
			return "", fmt.Errorf("check subPath %q: %w", subPath, err)
		case fi.Mode()&fs.ModeSymlink != 0:
			resolved, err := filepath.EvalSymlinks(next)
			if err != nil {
				return "", fmt.Errorf("resolve subPath %q: %w", subPath, err)
			}
			next = resolved
		}
		if !within(next, base) {
			return "", fmt.Errorf("subpath %q not within volume path %q", next, base)
		}
		cur = next
	}
	return cur, nil
}

func within(p, base string) bool {
	rel, err := filepath.Rel(base, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

func isAtomicVolume(host string) bool {
	fi, err := os.Lstat(filepath.Join(host, dataDirName))
	return err == nil && fi.Mode()&fs.ModeSymlink != 0
}

func depth(p string) int {
	p = filepath.Clean(p)
	if p == "/" {
		return 0
	}
	return strings.Count(p, "/")
}
