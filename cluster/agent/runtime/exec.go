package runtime

import (
	"context"
	"fmt"
	"os"
	goruntime "runtime"

	"golang.org/x/sys/unix"
)

// execNamespaces are joined by an exec, in this order: the mount namespace
// last, since it changes what paths (and /proc) mean.
var execNamespaces = []struct {
	name string
	flag int
}{{"net", unix.CLONE_NEWNET}, {"uts", unix.CLONE_NEWUTS}, {"ipc", unix.CLONE_NEWIPC}, {"pid", unix.CLONE_NEWPID}, {"mnt", unix.CLONE_NEWNS}}

// Exec runs a process in the running container: in its namespaces and
// cgroups, with its capabilities and no_new_privs. It returns the
// process' exit code (128+signal when killed) once it has exited and its
// output is drained; cancelling ctx kills it.
func (c *Container) Exec(ctx context.Context, e ExecSpec) (exitCode int, err error) {
	if len(e.Args) == 0 {
		return -1, fmt.Errorf("exec in container %s: no command", c.id)
	}
	select {
	case <-c.done:
		return -1, fmt.Errorf("exec in container %s: it has exited", c.id)
	default:
	}
	sp := &childSpec{Args: e.Args, Env: e.Env, Cwd: e.Cwd, User: e.User, Caps: c.caps, LastCap: c.rt.lastCap, TTY: e.TTY}
	if sp.Env == nil {
		sp.Env = c.env
	}
	if sp.Cwd == "" {
		sp.Cwd = c.cwd
	}
	io, err := newStdio(e.Stdin, e.Stdout, e.Stderr, e.TTY, c.rt.devNull)
	if err != nil {
		return -1, fmt.Errorf("exec in container %s: %w", c.id, err)
	}
	defer io.close()
	ch, err := c.rt.newChild(phaseExec, 0, io)
	if err != nil {
		return -1, fmt.Errorf("exec in container %s: %w", c.id, err)
	}
	defer ch.closeSync()
	started := make(chan error, 1)
	go func() {
		// This thread joins the container's namespaces to fork the child
		// into them. It is never unlocked: Go ends it with this goroutine.
		goruntime.LockOSThread()
		started <- joinAndStart(c.Pid(), ch)
	}()
	if err := <-started; err != nil {
		return -1, fmt.Errorf("exec in container %s: %w", c.id, err)
	}
	ptyFD, err := ch.handshake(ctx, sp, c.cg)
	if err == nil && ptyFD >= 0 {
		err = io.attachPTY(ptyFD)
	}
	if err != nil {
		ch.abort()
		return -1, fmt.Errorf("exec %s in container %s: %w", e.Args[0], c.id, err)
	}
	io.startStdin()
	finished := make(chan struct{})
	defer close(finished)
	if io.master != nil && e.Resize != nil {
		go resize(io.master, e.Resize, finished)
	}
	stop := context.AfterFunc(ctx, func() { _ = ch.cmd.Process.Kill() })
	ps, err := ch.cmd.Process.Wait()
	stop()
	if err != nil {
		return -1, fmt.Errorf("exec %s in container %s: wait: %w", e.Args[0], c.id, err)
	}
	io.wait(ctx)
	exitCode, _ = waitCode(ps)
	return exitCode, ctx.Err()
}

// joinAndStart joins the namespaces of process pid on this (locked)
// thread, then forks the child from it. CLONE_FS is unshared first:
// setns(CLONE_NEWNS) refuses a thread sharing its fs_struct (every Go
// thread does).
func joinAndStart(pid int, ch *child) error {
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return fmt.Errorf("unshare fs: %w", err)
	}
	fds := make([]int, len(execNamespaces))
	for i, ns := range execNamespaces {
		fd, err := unix.Open(fmt.Sprintf("/proc/%d/ns/%s", pid, ns.name), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			for _, f := range fds[:i] {
				unix.Close(f)
			}
			return fmt.Errorf("open %s namespace: %w", ns.name, err)
		}
		fds[i] = fd
	}
	defer func() {
		for _, f := range fds {
			unix.Close(f)
		}
	}()
	for i, ns := range execNamespaces {
		if err := unix.Setns(fds[i], ns.flag); err != nil {
			return fmt.Errorf("join %s namespace: %w", ns.name, err)
		}
	}
	return ch.start()
}

// resize applies terminal sizes to a pty master until done.
func resize(master *os.File, sizes <-chan Size, done <-chan struct{}) {
	rc, err := master.SyscallConn()
	if err != nil {
		return
	}
	for {
		select {
		case sz, ok := <-sizes:
			if !ok {
				return
			}
			ws := &unix.Winsize{Row: sz.Height, Col: sz.Width}
			_ = rc.Control(func(fd uintptr) { _ = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, ws) })
		case <-done:
			return
		}
	}
}
