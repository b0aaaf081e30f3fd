package runtime

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Config configures a Runtime.
type Config struct {
	StateDir     string // e.g. /var/lib/mini/containers: on the node volume, where overlay works
	CgroupParent string // cgroup under the node's own, e.g. "mini" (the default)
	Log          *slog.Logger
}

// Runtime runs containers on this node.
type Runtime struct {
	stateDir string
	log      *slog.Logger
	cg       *cgroups
	lastCap  int
	devNull  *os.File

	mu         sync.Mutex
	containers map[string]*Container // nil value: being started
}

// New prepares the state dir and the node's cgroups. Cgroups that cannot
// be written do not make it fail: see Cgroups.
func New(cfg Config) (*Runtime, error) {
	if !filepath.IsAbs(cfg.StateDir) {
		return nil, fmt.Errorf("runtime state dir %q: must be an absolute path", cfg.StateDir)
	}
	if cfg.CgroupParent == "" {
		cfg.CgroupParent = "mini"
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.StateDir, 0o711); err != nil {
		return nil, fmt.Errorf("create runtime state dir: %w", err)
	}
	devNull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", os.DevNull, err)
	}
	r := &Runtime{
		stateDir:   filepath.Clean(cfg.StateDir),
		log:        cfg.Log,
		cg:         newCgroups(cfg.CgroupParent, cfg.Log),
		lastCap:    lastCap(),
		devNull:    devNull,
		containers: map[string]*Container{},
	}
	if ok, why := r.Cgroups(); !ok {
		r.log.Warn("Container resource limits are not available", "reason", why)
	}
	return r, nil
}

// Cgroups reports whether resource limits can be applied, and if not, why.
func (r *Runtime) Cgroups() (ok bool, reason string) {
	return r.cg.reason == "", r.cg.reason
}

// lastCap is the kernel's highest capability number.
func lastCap() int {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return len(capNames) - 1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 0 || n > 63 {
		return len(capNames) - 1
	}
	return n
}

// Remove kills container id if it runs, and removes its rootfs, state dir
// and cgroups (and its group's cgroup when that is empty).
func (r *Runtime) Remove(id string) error {
	if err := checkID("container id", id); err != nil {
		return err
	}
	r.mu.Lock()
	c, known := r.containers[id]
	r.mu.Unlock()
	if known && c == nil {
		return fmt.Errorf("remove container %s: it is being started", id)
	}
	var errs []error
	if c != nil {
		_ = c.Signal(syscall.SIGKILL)
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			return fmt.Errorf("remove container %s: still running 10s after SIGKILL", id)
		}
		errs = append(errs, r.cg.remove(c.group, id))
	} else {
		errs = append(errs, r.cg.removeID(id))
	}
	errs = append(errs, r.removeDir(id))
	r.mu.Lock()
	delete(r.containers, id)
	r.mu.Unlock()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove container %s: %w", id, err)
	}
	return nil
}

// removeDir deletes a container's state dir. Its rootfs is mounted only in
// the container's own mount namespace; the unmount is for safety.
func (r *Runtime) removeDir(id string) error {
	dir := filepath.Join(r.stateDir, id)
	if err := unix.Unmount(filepath.Join(dir, "rootfs"), unix.MNT_DETACH); err != nil &&
		!errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmount rootfs: %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove state dir: %w", err)
	}
	return nil
}

// Cleanup removes every container dir and cgroup that a previous life of
// the agent left; call it at agent start, before any Start.
func (r *Runtime) Cleanup() error {
	entries, err := os.ReadDir(r.stateDir)
	if err != nil {
		return fmt.Errorf("clean up containers: %w", err)
	}
	var errs []error
	for _, e := range entries {
		r.mu.Lock()
		_, mine := r.containers[e.Name()]
		r.mu.Unlock()
		if !mine {
			if err := r.removeDir(e.Name()); err != nil {
				errs = append(errs, fmt.Errorf("container %s: %w", e.Name(), err))
			}
		}
	}
	errs = append(errs, r.cg.removeAll())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("clean up containers: %w", err)
	}
	return nil
}

// checkID refuses ids that are no plain file name.
func checkID(what, id string) error {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/\x00") {
		return fmt.Errorf("%s %q: must be a non-empty name without '/'", what, id)
	}
	return nil
}

// Close removes every container of this Runtime (killing those that run)
// and its CgroupParent cgroups: call it when the agent stops, so that
// nothing stays in the host's cgroup tree after the node is gone.
func (r *Runtime) Close() error {
	r.mu.Lock()
	var ids []string
	for id, c := range r.containers {
		if c != nil {
			ids = append(ids, id)
		}
	}
	r.mu.Unlock()
	var errs []error
	for _, id := range ids {
		errs = append(errs, r.Remove(id))
	}
	errs = append(errs, r.cg.removeAll())
	for _, base := range r.cg.base {
		errs = append(errs, rmdirWait(base, time.Second))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close runtime: %w", err)
	}
	return nil
}
