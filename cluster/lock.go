package cluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lock takes the per-cluster lock that keeps two `mini up` (or up and down)
// of one name apart. A lock whose process is gone is stale and taken over.
func (p *Provider) lock(name string) (unlock func(), err error) {
	path := filepath.Join(p.Home, "clusters", name+".lock")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	for attempt := 0; attempt < 2; attempt++ {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			fmt.Fprintf(f, "%d\n", os.Getpid())
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, err
		}
		b, _ := os.ReadFile(path)
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		if pid > 0 && alive(pid) {
			return nil, fmt.Errorf("cluster %q is being changed by another mini process (pid %d, lock %s): wait for it to finish", name, pid, path)
		}
		os.Remove(path) // stale: its process is gone
	}
	return nil, fmt.Errorf("cannot take the lock %s", path)
}

// alive reports whether a process exists.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
