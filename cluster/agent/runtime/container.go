package runtime

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"time"
)

// Container is a started container: its first process runs the workload.
type Container struct {
	id, group string
	proc      *os.Process
	cg        cgroupSet
	caps      uint64
	env       []string
	cwd       string
	rt        *Runtime
	done      chan struct{}
	status    ExitStatus // written once, before done closes
}

// ID is the container's id.
func (c *Container) ID() string { return c.id }

// Pid is the workload's pid in the node.
func (c *Container) Pid() int { return c.proc.Pid }

// Done is closed when the workload has exited and its output is drained.
func (c *Container) Done() <-chan struct{} { return c.done }

// Status is how the workload ended; valid once Done is closed.
func (c *Container) Status() ExitStatus {
	select {
	case <-c.done:
		return c.status
	default:
		return ExitStatus{StartedAt: c.status.StartedAt}
	}
}

// Signal sends sig to the workload (PID 1 of the container: it ignores
// signals it has no handler for, except SIGKILL, as in Docker).
func (c *Container) Signal(sig syscall.Signal) error {
	select {
	case <-c.done:
		return fmt.Errorf("signal container %s: it has exited", c.id)
	default:
	}
	if err := c.proc.Signal(sig); err != nil {
		return fmt.Errorf("signal container %s: %w", c.id, err)
	}
	return nil
}

// wait reaps the workload, drains its output and records its status.
func (c *Container) wait(io *stdio) {
	ps, err := c.proc.Wait()
	io.wait(context.Background())
	io.close()
	st := c.status
	st.FinishedAt = time.Now()
	if err != nil {
		c.rt.log.Error("Failed to wait for container", "container", c.id, "err", err)
		st.Code = -1
	} else {
		st.Code, st.Signal = waitCode(ps)
	}
	st.OOMKilled = c.cg.oomKilled()
	c.status = st
	close(c.done)
}

// waitCode is a process' exit code, 128+signal when a signal killed it.
func waitCode(ps *os.ProcessState) (int, syscall.Signal) {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		return 128 + int(ws.Signal()), ws.Signal()
	}
	return ps.ExitCode(), 0
}
