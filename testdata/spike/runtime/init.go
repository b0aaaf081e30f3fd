package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Docker's default capability set (moby oci/caps/defaults.go).
var defaultCaps = []uintptr{
	unix.CAP_CHOWN, unix.CAP_DAC_OVERRIDE, unix.CAP_FSETID, unix.CAP_FOWNER, unix.CAP_MKNOD,
	unix.CAP_NET_RAW, unix.CAP_SETGID, unix.CAP_SETUID, unix.CAP_SETFCAP, unix.CAP_SETPCAP,
	unix.CAP_NET_BIND_SERVICE, unix.CAP_SYS_CHROOT, unix.CAP_KILL, unix.CAP_AUDIT_WRITE,
}

// Docker's defaults (moby oci/defaults.go).
var maskedPaths = []string{"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
	"/sys/firmware", "/sys/devices/virtual/powercap"}
var readonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}

func childInit() error {
	var s spec
	f := os.NewFile(3, "spec")
	if err := json.NewDecoder(f).Decode(&s); err != nil {
		return fmt.Errorf("read spec: %w", err)
	}
	f.Close()

	// 1. Join the pod's network namespace (this thread only; we exec from it).
	if s.Netns != "" {
		fd, err := unix.Open(s.Netns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open netns: %w", err)
		}
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("setns net: %w", err)
		}
		unix.Close(fd)
	}
	// 2. Nothing we mount may propagate back to the node.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / rprivate: %w", err)
	}
	// 3. Root: overlay of the image layers.
	root := filepath.Join(s.State, "merged")
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", strings.Join(s.Lower, ":"),
		filepath.Join(s.State, "upper"), filepath.Join(s.State, "work"))
	if err := unix.Mount("overlay", root, "overlay", 0, opts); err != nil {
		return fmt.Errorf("mount overlay %s: %w", opts, err)
	}
	// 4. /proc, /sys (ro), /dev.
	type m struct {
		src, dst, fstype string
		flags            uintptr
		data             string
	}
	const nsx = unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NODEV
	for _, mm := range []m{
		{"proc", "/proc", "proc", nsx, ""},
		{"sysfs", "/sys", "sysfs", nsx | unix.MS_RDONLY, ""},
		{"tmpfs", "/dev", "tmpfs", unix.MS_NOSUID | unix.MS_STRICTATIME, "mode=755,size=65536k"},
		{"devpts", "/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5"},
		{"shm", "/dev/shm", "tmpfs", nsx, "mode=1777,size=65536k"},
		{"mqueue", "/dev/mqueue", "mqueue", nsx, ""},
	} {
		dst := filepath.Join(root, mm.dst)
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return err
		}
		if err := unix.Mount(mm.src, dst, mm.fstype, mm.flags, mm.data); err != nil {
			return fmt.Errorf("mount %s on %s: %w", mm.fstype, mm.dst, err)
		}
	}
	if err := makeDevices(filepath.Join(root, "dev")); err != nil {
		return err
	}
	// 5. Hostname (own UTS namespace).
	if err := unix.Sethostname([]byte(s.Hostname)); err != nil {
		return fmt.Errorf("sethostname: %w", err)
	}
	// 6. pivot_root into the overlay; detach the old root.
	if err := unix.Chdir(root); err != nil {
		return err
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	// 7. Mask and read-only /proc and /sys paths.
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
	// 8. Capabilities: bounding set, ambient, then eff/perm; no_new_privs.
	if err := dropCaps(); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	if err := unix.Chdir(s.Cwd); err != nil {
		return fmt.Errorf("chdir %s: %w", s.Cwd, err)
	}
	path, err := lookPath(s.Args[0], s.Env)
	if err != nil {
		return err
	}
	return unix.Exec(path, s.Args, s.Env)
}

func makeDevices(dev string) error {
	for _, d := range []struct {
		name         string
		major, minor uint32
	}{{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}} {
		p := filepath.Join(dev, d.name)
		err := unix.Mknod(p, unix.S_IFCHR|0o666, int(unix.Mkdev(d.major, d.minor)))
		if err != nil {
			// Fallback: bind the node's device over an empty file.
			fmt.Fprintf(os.Stderr, "spike: mknod %s: %v; binding /dev/%s\n", d.name, err, d.name)
			if err := os.WriteFile(p, nil, 0o666); err != nil {
				return err
			}
			if err := unix.Mount("/dev/"+d.name, p, "", unix.MS_BIND, ""); err != nil {
				return fmt.Errorf("bind /dev/%s: %w", d.name, err)
			}
			continue
		}
		unix.Chmod(p, 0o666) // umask
	}
	for src, dst := range map[string]string{"/proc/self/fd": "fd", "/proc/self/fd/0": "stdin",
		"/proc/self/fd/1": "stdout", "/proc/self/fd/2": "stderr", "pts/ptmx": "ptmx", "/proc/kcore": "core"} {
		if err := os.Symlink(src, filepath.Join(dev, dst)); err != nil {
			return err
		}
	}
	return nil
}

func maskPath(p string) error {
	fi, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		err = unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY, "size=0")
	} else {
		err = unix.Mount("/dev/null", p, "", unix.MS_BIND, "")
	}
	if err != nil {
		return fmt.Errorf("mask %s: %w", p, err)
	}
	return nil
}

func readonlyPath(p string) error {
	if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return fmt.Errorf("bind %s: %w", p, err)
	}
	if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("remount ro %s: %w", p, err)
	}
	return nil
}

func lastCap() int {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return 40
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

func dropCaps() error {
	keep := map[uintptr]bool{}
	var lo, hi uint32
	for _, c := range defaultCaps {
		keep[c] = true
		if c < 32 {
			lo |= 1 << c
		} else {
			hi |= 1 << (c - 32)
		}
	}
	for c := 0; c <= lastCap(); c++ {
		if !keep[uintptr(c)] {
			if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
				return fmt.Errorf("drop cap %d from bounding set: %w", c, err)
			}
		}
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clear ambient: %w", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := [2]unix.CapUserData{{Effective: lo, Permitted: lo}, {Effective: hi, Permitted: hi}}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	return nil
}

func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	path := ""
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			path = v
		}
	}
	for _, d := range filepath.SplitList(path) {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: not found in PATH %s", name, path)
}
