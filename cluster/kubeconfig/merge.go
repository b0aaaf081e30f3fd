package kubeconfig

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/minidev/mini/cluster/internal/atomicfile"
	"io/fs"
	"os"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Merge adds c's entries to the kubeconfig at path, replacing earlier ones of
// the same name, and makes its context current. It creates the directory and
// the file when missing and keeps every other entry as it was. A file that
// does not parse is left untouched and the error names it.
func Merge(path string, c Cluster) error {
	return defaultLocker.merge(path, c)
}

// Remove deletes cluster's entries from the kubeconfig at path and clears
// current-context if it pointed at them. Every other entry stays. A missing
// file, or one without the entries, is not an error.
func Remove(path, cluster string) error {
	return defaultLocker.remove(path, cluster)
}

func (l locker) merge(path string, c Cluster) error {
	if err := c.validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("merge kubeconfig: %w", err)
	}
	err := l.edit(path, func(cfg *clientcmdapi.Config) error { return add(cfg, c) })
	if err != nil {
		return fmt.Errorf("merge cluster %s into kubeconfig: %w", c.Name, err)
	}
	return nil
}

func (l locker) remove(path, cluster string) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	err := l.edit(path, func(cfg *clientcmdapi.Config) error {
		name := ContextName(cluster)
		delete(cfg.Clusters, name)
		delete(cfg.AuthInfos, name)
		delete(cfg.Contexts, name)
		if cfg.CurrentContext == name {
			cfg.CurrentContext = ""
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove cluster %s from kubeconfig: %w", cluster, err)
	}
	return nil
}

// edit applies fn to the kubeconfig at path under the lock and writes the
// result atomically if it changed. A missing file starts empty.
func (l locker) edit(path string, fn func(*clientcmdapi.Config) error) error {
	release, err := l.acquire(path)
	if err != nil {
		return err
	}
	defer release()

	// Write through a symlink (dotfile setups link ~/.kube/config) rather
	// than replacing the link with a regular file.
	target := path
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		target = resolved
	}
	perm := os.FileMode(0o600)
	old, err := os.ReadFile(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		old = nil
	case err != nil:
		return fmt.Errorf("read kubeconfig: %w", err)
	default:
		if fi, err := os.Stat(target); err == nil {
			perm = fi.Mode().Perm()
		}
	}

	cfg, err := clientcmd.Load(old)
	if err != nil {
		return fmt.Errorf("kubeconfig %s is not valid, so mini left it unchanged; fix or move it and retry: %w", path, err)
	}
	ensureMaps(cfg)
	if err := fn(cfg); err != nil {
		return err
	}
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return fmt.Errorf("encode kubeconfig %s: %w", path, err)
	}
	if old != nil && bytes.Equal(data, old) {
		return nil
	}
	return atomicfile.Write(target, data, perm)
}

func ensureMaps(cfg *clientcmdapi.Config) {
	if cfg.Clusters == nil {
		cfg.Clusters = map[string]*clientcmdapi.Cluster{}
	}
	if cfg.AuthInfos == nil {
		cfg.AuthInfos = map[string]*clientcmdapi.AuthInfo{}
	}
	if cfg.Contexts == nil {
		cfg.Contexts = map[string]*clientcmdapi.Context{}
	}
}
