//go:build !linux

package volume

import "errors"

var errNotLinux = errors.New("mounts need Linux")

// MountTmpfs fails: mounts need Linux.
func (SystemMounter) MountTmpfs(string, int64) error { return errNotLinux }

// Unmount fails: mounts need Linux.
func (SystemMounter) Unmount(string) error { return errNotLinux }
