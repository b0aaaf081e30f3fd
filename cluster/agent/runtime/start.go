package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// containerNamespaces are the namespaces a container gets of its own; the
// network namespace is the pod's.
const containerNamespaces = unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC

// Start runs a container. It returns once the workload's execve has
// happened; a failure before it (bad executable, mount error) comes back
// as the error, with the child's message. Nothing of a failed start stays.
func (r *Runtime) Start(ctx context.Context, s Spec) (*Container, error) {
	if err := validate(s); err != nil {
		return nil, err
	}
	caps, err := capSet(s.CapAdd, s.CapDrop, r.lastCap)
	if err != nil {
		return nil, fmt.Errorf("start container %s: %w", s.ID, err)
	}
	r.mu.Lock()
	if _, ok := r.containers[s.ID]; ok {
		r.mu.Unlock()
		return nil, fmt.Errorf("start container %s: a container with this id exists", s.ID)
	}
	r.containers[s.ID] = nil
	r.mu.Unlock()

	c, err := r.start(ctx, s, caps)
	r.mu.Lock()
	if err != nil {
		delete(r.containers, s.ID)
	} else {
		r.containers[s.ID] = c
	}
	r.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("start container %s: %w", s.ID, err)
	}
	return c, nil
}

func validate(s Spec) error {
	if err := checkID("container id", s.ID); err != nil {
		return err
	}
	if err := checkID("cgroup group of container "+s.ID, s.Group); err != nil {
		return err
	}
	if s.NetNS == "" {
		return fmt.Errorf("start container %s: no network namespace", s.ID)
	}
	if len(s.Args) == 0 {
		return fmt.Errorf("start container %s: no command", s.ID)
	}
	return nil
}

func (r *Runtime) start(ctx context.Context, s Spec, caps uint64) (_ *Container, err error) {
	dir := filepath.Join(r.stateDir, s.ID)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create state dir: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, r.removeDir(s.ID), r.cg.remove(s.Group, s.ID))
		}
	}()
	subdirs, layers := []string{"upper", "work", "rootfs"}, s.Layers
	if len(layers) == 0 { // an image without layers: an empty root
		subdirs, layers = append(subdirs, "lower"), []string{filepath.Join(dir, "lower")}
	}
	for _, d := range subdirs {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("create state dir: %w", err)
		}
	}
	odir, opts, err := overlayOptions(layers, filepath.Join(dir, "upper"), filepath.Join(dir, "work"))
	if err != nil {
		return nil, err
	}
	cg, err := r.cg.create(s.Group, s.ID, s.Resources)
	if err != nil {
		return nil, err
	}
	io, err := newStdio(s.Stdin, s.Stdout, s.Stderr, s.TTY, r.devNull)
	if err != nil {
		return nil, err
	}
	sp := &childSpec{
		Rootfs: filepath.Join(dir, "rootfs"), OverlayDir: odir, Overlay: opts,
		Hostname: s.Hostname, NetNS: s.NetNS, Mounts: s.Mounts, ReadOnlyRootfs: s.ReadOnlyRootfs,
		Args: s.Args, Env: s.Env, Cwd: s.Cwd, User: s.User, Caps: caps, LastCap: r.lastCap, TTY: s.TTY,
	}
	ch, err := r.newChild(phaseInit, containerNamespaces, io)
	if err != nil {
		io.close()
		return nil, err
	}
	defer ch.closeSync()
	if err := ch.start(); err != nil {
		io.close()
		return nil, err
	}
	ptyFD, err := ch.handshake(ctx, sp, cg)
	if err == nil && ptyFD >= 0 {
		err = io.attachPTY(ptyFD)
	}
	if err == nil {
		err = cg.applyLate()
	}
	if err != nil {
		ch.abort()
		io.close()
		return nil, err
	}
	io.startStdin()
	c := &Container{
		id: s.ID, group: s.Group, proc: ch.cmd.Process, cg: cg, caps: caps,
		env: s.Env, cwd: s.Cwd, rt: r, done: make(chan struct{}),
	}
	c.status.StartedAt = time.Now()
	go c.wait(io)
	r.log.Debug("Started container", "container", s.ID, "pid", c.Pid())
	return c, nil
}
