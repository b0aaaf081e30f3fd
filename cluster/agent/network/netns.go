package network

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// newNetns creates a network namespace held by a bind mount at path, with
// no process in it: a goroutine on a locked OS thread unshares its network
// namespace, bind-mounts the thread's ns file onto path and switches back.
// If switching back fails the thread stays locked and ends with the
// goroutine, so a thread in the wrong namespace never returns to the Go
// scheduler.
func newNetns(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return fmt.Errorf("create netns file %s: %w", path, err)
	}
	_ = f.Close()
	errc := make(chan error, 1)
	go func() { errc <- unshareAndBind(path) }()
	if err := <-errc; err != nil {
		_ = os.Remove(path)
		return err
	}
	return nil
}

func unshareAndBind(path string) error {
	runtime.LockOSThread()
	orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("create netns %s: open current netns: %w", path, err)
	}
	defer unix.Close(orig)
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("create netns %s: unshare: %w", path, err)
	}
	src := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
	bindErr := unix.Mount(src, path, "", unix.MS_BIND, "")
	if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
		// Leave the thread locked: it is destroyed when this goroutine ends.
		if bindErr == nil {
			_ = unix.Unmount(path, unix.MNT_DETACH)
		}
		return fmt.Errorf("create netns %s: switch thread back: %w", path, err)
	}
	runtime.UnlockOSThread()
	if bindErr != nil {
		return fmt.Errorf("create netns %s: bind %s: %w", path, src, bindErr)
	}
	return nil
}

// removeNetns unmounts and removes a netns file; a missing or unmounted
// file is no error.
func removeNetns(path string) error {
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil &&
		!errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmount netns %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove netns file %s: %w", path, err)
	}
	return nil
}

// isNetns tells whether path is a mounted network namespace.
func isNetns(path string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return false
	}
	return st.Type == unix.NSFS_MAGIC
}
