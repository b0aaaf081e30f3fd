package volume

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// MountTmpfs mounts a tmpfs on target, of sizeBytes when it is positive.
func (SystemMounter) MountTmpfs(target string, sizeBytes int64) error {
	opts := ""
	if sizeBytes > 0 {
		opts = fmt.Sprintf("size=%d", sizeBytes)
	}
	if err := unix.Mount("tmpfs", target, "tmpfs", 0, opts); err != nil {
		return fmt.Errorf("mount tmpfs on %s: %w", target, err)
	}
	return nil
}

// Unmount detaches the mount on target; a target that is not a mount
// point is not an error.
func (SystemMounter) Unmount(target string) error {
	if err := unix.Unmount(target, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT {
		return fmt.Errorf("unmount %s: %w", target, err)
	}
	return nil
}
