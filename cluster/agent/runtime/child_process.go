package runtime

import (
	"fmt"
	"unsafe"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// startProcess ends both child phases: the pty, working dir, identity,
// capabilities and no_new_privs, then execve of the workload. Everything
// runs on the locked thread, which the execve keeps.
func startProcess(sp *childSpec) error {
	if sp.TTY {
		if err := setupTTY(sp.User.UID); err != nil {
			return err
		}
	}
	cwd := sp.Cwd
	if cwd == "" {
		cwd = "/"
	}
	if err := unix.Chdir(cwd); err != nil {
		return fmt.Errorf("chdir to %s: %w", cwd, err)
	}
	path, err := lookPath("/", sp.Args[0], sp.Env)
	if err != nil {
		return err
	}
	// The bounding set first: dropping needs CAP_SETPCAP, gone for a
	// non-root user once setuid has run.
	for c := 0; c <= sp.LastCap; c++ {
		if sp.Caps&(1<<c) == 0 {
			if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
				return fmt.Errorf("drop capability %s from the bounding set: %w", capNames[c], err)
			}
		}
	}
	if err := setUser(sp.User); err != nil {
		return err
	}
	if err := setCaps(sp.Caps, sp.User.UID == 0); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("set no_new_privs: %w", err)
	}
	if _, err := unix.Write(syncFD, []byte{msgExec}); err != nil {
		return fmt.Errorf("tell the agent: %w", err)
	}
	if err := unix.Exec(path, sp.Args, sp.Env); err != nil {
		return fmt.Errorf("exec %s: %w", path, err)
	}
	return nil
}

// setUser switches this thread to u with raw syscalls (libc-less Go's
// Setuid would broadcast to every thread; only this one will exec).
// Without PR_SET_KEEPCAPS a non-root uid loses its permitted and effective
// capabilities here.
func setUser(u User) error {
	var gp unsafe.Pointer
	if len(u.AdditionalGIDs) > 0 {
		gp = unsafe.Pointer(&u.AdditionalGIDs[0])
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(u.AdditionalGIDs)), uintptr(gp), 0); e != 0 {
		return fmt.Errorf("setgroups %v: %w", u.AdditionalGIDs, e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(u.GID), uintptr(u.GID), uintptr(u.GID)); e != 0 {
		return fmt.Errorf("setgid %d: %w", u.GID, e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(u.UID), uintptr(u.UID), uintptr(u.UID)); e != 0 {
		return fmt.Errorf("setuid %d: %w", u.UID, e)
	}
	return nil
}

// setCaps sets effective = permitted = caps (within what this thread
// holds) for root, nothing for another user, no inheritable, no ambient.
func setCaps(caps uint64, root bool) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var cur [2]unix.CapUserData
	if err := unix.Capget(&hdr, &cur[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	set := caps & (uint64(cur[0].Permitted) | uint64(cur[1].Permitted)<<32)
	if !root {
		set = 0
	}
	data := [2]unix.CapUserData{
		{Effective: uint32(set), Permitted: uint32(set)},
		{Effective: uint32(set >> 32), Permitted: uint32(set >> 32)},
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset %#x: %w", set, err)
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	return nil
}

// setupTTY allocates a pty in the container's own devpts (so ttyname and
// tty work inside), sends its master to the agent and makes its other end
// the process' stdio and controlling terminal.
func setupTTY(uid uint32) error {
	master, slave, err := pty.Open()
	if err != nil {
		return fmt.Errorf("allocate pty: %w", err)
	}
	defer slave.Close()
	sfd := int(slave.Fd())
	if err := unix.Fchown(sfd, int(uid), -1); err != nil {
		return fmt.Errorf("chown pty: %w", err)
	}
	err = unix.Sendmsg(syncFD, []byte{msgPTY}, unix.UnixRights(int(master.Fd())), nil, 0)
	master.Close()
	if err != nil {
		return fmt.Errorf("send pty to the agent: %w", err)
	}
	for fd := 0; fd < 3; fd++ {
		if err := unix.Dup3(sfd, fd, 0); err != nil {
			return fmt.Errorf("pty as fd %d: %w", fd, err)
		}
	}
	if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("setsid: %w", err)
	}
	if err := unix.IoctlSetInt(0, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("set controlling terminal: %w", err)
	}
	return nil
}
