package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// child is a child phase (the agent re-executed) being started.
type child struct {
	cmd  *exec.Cmd
	sync int      // our end of the sync socket
	peer *os.File // the child's end: its fd 3
	io   *stdio
}

// newChild prepares phase in new namespaces cloneflags, with io as its
// stdio. Nothing runs until start.
func (r *Runtime) newChild(phase string, cloneflags uintptr, io *stdio) (*child, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("sync socket: %w", err)
	}
	c := &child{sync: fds[0], peer: os.NewFile(uintptr(fds[1]), "sync"), io: io}
	c.cmd = &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        []string{"mini", phase},
		Env:         []string{"GOMAXPROCS=1"}, // few threads: the container's pids limit counts them
		Stdin:       io.child[0],
		Stdout:      io.child[1],
		Stderr:      io.child[2],
		ExtraFiles:  []*os.File{c.peer}, // fd 3 = syncFD
		SysProcAttr: &syscall.SysProcAttr{Cloneflags: cloneflags},
	}
	return c, nil
}

// start forks the child from the calling thread, whose namespaces it
// inherits, and drops the ends that are now the child's.
func (c *child) start() error {
	err := c.cmd.Start()
	c.peer.Close()
	c.io.afterStart()
	if err != nil {
		return fmt.Errorf("start %s: %w", c.cmd.Args[1], err)
	}
	return nil
}

// handshake puts the started child into cg, sends it sp and waits until it
// has exec'd the workload (EOF on the sync socket) or failed. A TTY
// child's pty master comes back as ptyFD (-1 without one).
func (c *child) handshake(ctx context.Context, sp *childSpec, cg cgroupSet) (ptyFD int, err error) {
	ptyFD = -1
	defer func() {
		if err != nil && ptyFD >= 0 {
			unix.Close(ptyFD)
			ptyFD = -1
		}
	}()
	// Killing the child ends the wait below with EOF.
	stop := context.AfterFunc(ctx, func() { _ = c.cmd.Process.Kill() })
	defer stop()
	if err := cg.join(c.cmd.Process.Pid); err != nil {
		return ptyFD, err
	}
	b, err := json.Marshal(sp)
	if err != nil {
		return ptyFD, fmt.Errorf("encode spec: %w", err)
	}
	for len(b) > 0 {
		n, err := unix.SendmsgN(c.sync, b, nil, nil, unix.MSG_NOSIGNAL)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return ptyFD, fmt.Errorf("send spec to %s: %w", c.cmd.Args[1], err)
		}
		b = b[n:]
	}
	var (
		buf     = make([]byte, 512)
		oob     = make([]byte, unix.CmsgSpace(4))
		msg     []byte
		failed  bool
		execing bool
	)
	for {
		n, oobn, _, _, err := unix.Recvmsg(c.sync, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err == unix.ECONNRESET {
			break // the child died with unread data: see below
		}
		if err != nil {
			return ptyFD, fmt.Errorf("read from %s: %w", c.cmd.Args[1], err)
		}
		if oobn > 0 {
			if fd, err := receivedFD(oob[:oobn]); err == nil && ptyFD < 0 {
				ptyFD = fd
			} else if err == nil {
				unix.Close(fd)
			}
		}
		if n == 0 {
			break
		}
		data := buf[:n]
		for len(data) > 0 && !failed {
			switch data[0] {
			case msgPTY:
				data = data[1:]
			case msgExec:
				execing = true
				data = data[1:]
			case msgError:
				failed = true
				data = data[1:]
			default:
				return ptyFD, fmt.Errorf("unexpected message %q from %s", data, c.cmd.Args[1])
			}
		}
		if failed {
			msg = append(msg, data...)
		}
	}
	if err := ctx.Err(); err != nil {
		return ptyFD, err
	}
	if failed {
		return ptyFD, errors.New(string(msg))
	}
	if !execing {
		return ptyFD, fmt.Errorf("%s died before starting the workload", c.cmd.Args[1])
	}
	if sp.TTY && ptyFD < 0 {
		return ptyFD, fmt.Errorf("%s sent no pty", c.cmd.Args[1])
	}
	return ptyFD, nil
}

// abort kills a child that failed to start and reaps it.
func (c *child) abort() {
	_ = c.cmd.Process.Kill()
	_, _ = c.cmd.Process.Wait()
}

// closeSync closes both ends of the sync socket (the child's is closed
// already when it started).
func (c *child) closeSync() {
	unix.Close(c.sync)
	c.peer.Close()
}

// receivedFD is the one fd passed in a control message.
func receivedFD(oob []byte) (int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return -1, err
	}
	for _, m := range msgs {
		fds, err := unix.ParseUnixRights(&m)
		if err != nil || len(fds) == 0 {
			continue
		}
		for _, extra := range fds[1:] {
			unix.Close(extra)
		}
		return fds[0], nil
	}
	return -1, fmt.Errorf("no fd in control message")
}
