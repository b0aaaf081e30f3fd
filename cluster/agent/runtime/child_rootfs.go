package runtime

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// A mount made in every container before its Mounts (runc's defaults).
type sysMount struct {
	source, dest, fstype string
	flags                uintptr
	data                 string
}

const nsx = unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NODEV

var defaultMounts = []sysMount{
	{"proc", "/proc", "proc", nsx, ""},
	{"tmpfs", "/dev", "tmpfs", unix.MS_NOSUID | unix.MS_STRICTATIME, "mode=755,size=65536k"},
	{"devpts", "/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5"},
	{"shm", "/dev/shm", "tmpfs", nsx, "mode=1777,size=65536k"},
	{"mqueue", "/dev/mqueue", "mqueue", nsx, ""},
	{"sysfs", "/sys", "sysfs", nsx | unix.MS_RDONLY, ""},
}

// The device nodes of a container's /dev, and its symlinks.
var (
	devices = []struct {
		name         string
		major, minor uint32
	}{{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}}
	devLinks = [][2]string{
		{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
		{"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"}, {"/proc/kcore", "core"},
	}
)

// setupRootfs builds the container's root (in its own mount namespace)
// and pivots into it.
func setupRootfs(sp *childSpec) error {
	// Nothing mounted here may propagate back to the node.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / rprivate: %w", err)
	}
	root := sp.Rootfs
	if sp.OverlayDir != "" { // relative overlay paths: see overlayOptions
		if err := unix.Chdir(sp.OverlayDir); err != nil {
			return fmt.Errorf("chdir to %s: %w", sp.OverlayDir, err)
		}
	}
	if err := unix.Mount("overlay", root, "overlay", 0, sp.Overlay); err != nil {
		return fmt.Errorf("mount overlay rootfs on %s (%s): %w", root, sp.Overlay, err)
	}
	for _, m := range defaultMounts {
		dst, err := secureJoin(root, m.dest)
		if err == nil {
			err = os.MkdirAll(dst, 0o755)
		}
		if err == nil {
			err = unix.Mount(m.source, dst, m.fstype, m.flags, m.data)
		}
		if err != nil {
			return fmt.Errorf("mount %s on %s: %w", m.fstype, m.dest, err)
		}
		if m.dest == "/dev" {
			if err := makeDev(dst); err != nil {
				return err
			}
		}
	}
	for _, m := range sp.Mounts {
		if err := mountInto(root, m); err != nil {
			return fmt.Errorf("mount %s on %s: %w", m.Source, m.Destination, err)
		}
	}
	cwd, err := secureJoin(root, sp.Cwd)
	if err == nil {
		err = os.MkdirAll(cwd, 0o755)
	}
	if err != nil {
		return fmt.Errorf("create working dir %s: %w", sp.Cwd, err)
	}
	if err := pivot(root); err != nil {
		return err
	}
	for _, p := range maskedPaths {
		if err := maskPath(p); err != nil {
			return err
		}
	}
	for _, p := range readonlyPaths {
		if err := readonlyPath(p); err != nil {
			return err
		}
	}
	if sp.ReadOnlyRootfs {
		if err := unix.Mount("", "/", "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
			return fmt.Errorf("make rootfs read-only: %w", err)
		}
	}
	return nil
}

// makeDev fills a fresh /dev tmpfs: device nodes (bind-mounted from the
// node's /dev where mknod is refused) and the usual symlinks.
func makeDev(dev string) error {
	for _, d := range devices {
		p := filepath.Join(dev, d.name)
		if err := unix.Mknod(p, unix.S_IFCHR|0o666, int(unix.Mkdev(d.major, d.minor))); err == nil {
			if err := unix.Chmod(p, 0o666); err != nil { // undo the umask
				return fmt.Errorf("chmod /dev/%s: %w", d.name, err)
			}
			continue
		}
		if err := os.WriteFile(p, nil, 0o666); err != nil {
			return fmt.Errorf("create /dev/%s: %w", d.name, err)
		}
		if err := unix.Mount("/dev/"+d.name, p, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind /dev/%s: %w", d.name, err)
		}
	}
	for _, l := range devLinks {
		if err := os.Symlink(l[0], filepath.Join(dev, l[1])); err != nil {
			return fmt.Errorf("symlink /dev/%s: %w", l[1], err)
		}
	}
	return nil
}

// mountInto mounts m under root; its destination is resolved inside root
// and created: a file for a file source, a dir otherwise.
func mountInto(root string, m Mount) error {
	dst, err := secureJoin(root, m.Destination)
	if err != nil {
		return err
	}
	flags, data := mountFlags(m)
	if m.Type == "tmpfs" {
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return err
		}
		return unix.Mount("tmpfs", dst, "tmpfs", flags, data)
	}
	if m.Type != "" && m.Type != "bind" {
		return fmt.Errorf("mount type %q: want bind or tmpfs", m.Type)
	}
	fi, err := os.Stat(m.Source)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		err = os.MkdirAll(dst, 0o755)
	} else if err = os.MkdirAll(filepath.Dir(dst), 0o755); err == nil {
		var f *os.File
		if f, err = os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			err = f.Close()
		}
	}
	if err != nil {
		return err
	}
	if err := unix.Mount(m.Source, dst, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	if flags == 0 {
		return nil
	}
	// A bind takes its flags only on a remount, which must keep the
	// source's own nosuid/nodev/noexec.
	var st unix.Statfs_t
	if err := unix.Statfs(dst, &st); err == nil {
		for _, f := range [][2]uintptr{{unix.ST_NOSUID, unix.MS_NOSUID}, {unix.ST_NODEV, unix.MS_NODEV}, {unix.ST_NOEXEC, unix.MS_NOEXEC}} {
			if uintptr(st.Flags)&f[0] != 0 {
				flags |= f[1]
			}
		}
	}
	return unix.Mount("", dst, "", unix.MS_BIND|unix.MS_REMOUNT|flags, "")
}

// pivot makes root the process' "/" and detaches the node's tree.
func pivot(root string) error {
	if err := unix.Chdir(root); err != nil {
		return fmt.Errorf("chdir to rootfs %s: %w", root, err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root to %s: %w", root, err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach the node's root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir to /: %w", err)
	}
	return nil
}

func maskPath(p string) error {
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("mask %s: %w", p, err)
	}
	src, fstype, flags, data := maskKind(fi.IsDir())
	if err := unix.Mount(src, p, fstype, flags, data); err != nil {
		return fmt.Errorf("mask %s: %w", p, err)
	}
	return nil
}

func readonlyPath(p string) error {
	if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return fmt.Errorf("bind %s read-only: %w", p, err)
	}
	if err := unix.Mount("", p, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|nsx, ""); err != nil {
		return fmt.Errorf("remount %s read-only: %w", p, err)
	}
	return nil
}
