package agent

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/minidev/mini/cluster/agent/kubeletapi"
	"github.com/minidev/mini/cluster/agent/runtime"
	"k8s.io/utils/exec"
)

var _ kubeletapi.Provider = (*pods)(nil)

// container finds a container of a pod on this node.
func (p *pods) container(namespace, pod, container string) (*podState, *ctr, error) {
	p.mu.Lock()
	st := p.state[namespace+"/"+pod]
	p.mu.Unlock()
	if st == nil {
		return nil, nil, fmt.Errorf("pod %q not found on node %s", namespace+"/"+pod, p.node)
	}
	for _, c := range append(append([]*ctr{}, st.init...), st.ctrs...) {
		if c.name == container {
			return st, c, nil
		}
	}
	return nil, nil, fmt.Errorf("container %q in pod %q not found", container, namespace+"/"+pod)
}

// LogFile is the log of a container's current or previous run.
func (p *pods) LogFile(namespace, pod, container string, previous bool) (string, <-chan struct{}, error) {
	_, c, err := p.container(namespace, pod, container)
	if err != nil {
		return "", nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if previous {
		if c.logPrev == "" {
			return "", nil, fmt.Errorf("previous terminated container %q in pod %q not found", container, pod)
		}
		return c.logPrev, closedChan, nil
	}
	if c.logPath == "" {
		return "", nil, fmt.Errorf("container %q in pod %q is waiting to start: %s", container, pod, waitingReason(c))
	}
	done := c.runDone
	if done == nil {
		done = closedChan
	}
	return c.logPath, done, nil
}

func waitingReason(c *ctr) string {
	if c.waiting != nil {
		return c.waiting.Reason
	}
	return "ContainerCreating"
}

// Exec runs cmd in a running container.
func (p *pods) Exec(ctx context.Context, namespace, pod, container string, cmd []string, stdin io.Reader, stdout, stderr io.WriteCloser, tty bool, resize <-chan kubeletapi.TerminalSize) error {
	_, c, err := p.container(namespace, pod, container)
	if err != nil {
		return err
	}
	c.mu.Lock()
	run, env, running := c.run, c.env, c.running()
	c.mu.Unlock()
	if !running {
		return fmt.Errorf("container %q in pod %q is not running", container, pod)
	}
	spec := runtime.ExecSpec{Args: cmd, Env: env, TTY: tty, Stdin: stdin}
	if stdout != nil {
		spec.Stdout = stdout
	}
	if stderr != nil {
		spec.Stderr = stderr
	}
	if resize != nil {
		ch := make(chan runtime.Size, 1)
		go func() {
			defer close(ch)
			for s := range resize {
				select {
				case ch <- runtime.Size{Width: s.Width, Height: s.Height}:
				case <-ctx.Done():
					return
				}
			}
		}()
		spec.Resize = ch
	}
	code, err := run.Exec(ctx, spec)
	if err != nil {
		return err
	}
	if code != 0 {
		return exec.CodeExitError{Err: fmt.Errorf("command terminated with exit code %d", code), Code: code}
	}
	return nil
}

// PortForward copies between stream and the pod's port.
func (p *pods) PortForward(ctx context.Context, namespace, pod string, port int32, stream io.ReadWriteCloser) error {
	p.mu.Lock()
	st := p.state[namespace+"/"+pod]
	p.mu.Unlock()
	if st == nil || st.sandbox == nil || st.sandbox.IP == nil {
		return fmt.Errorf("pod %q has no network on node %s", namespace+"/"+pod, p.node)
	}
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(st.sandbox.IP.String(), strconv.Itoa(int(port))))
	if err != nil {
		return fmt.Errorf("port-forward to pod %s port %d: %w", pod, port, err)
	}
	defer conn.Close()
	errc := make(chan error, 2)
	go func() { _, err := io.Copy(conn, stream); errc <- err }()
	go func() { _, err := io.Copy(stream, conn); errc <- err }()
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	return err
}
