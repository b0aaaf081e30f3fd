package volume

// Mounter mounts what a volume needs on the node. The default one mounts
// for real (Linux only); tests use a fake that records the calls.
type Mounter interface {
	// MountTmpfs mounts a tmpfs on target; a sizeBytes of 0 means the
	// kernel's default size.
	MountTmpfs(target string, sizeBytes int64) error
	Unmount(target string) error
}

// SystemMounter mounts with the mount(2) and umount2(2) system calls.
type SystemMounter struct{}

var _ Mounter = SystemMounter{}
