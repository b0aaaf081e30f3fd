package runtime

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cgroups manages the runtime's part of the node's cgroup tree:
// <node>/<parent>/<group>/<id> under each usable controller.
type cgroups struct {
	v2     bool
	base   map[string]string // controller ("" on v2) -> <node>/<parent>, usable ones only
	reason string            // why limits cannot all be applied; "" when they can
}

// newCgroups prepares <node>/<parent> under every controller it can write.
// It never fails: what does not work is said in reason.
func newCgroups(parent string, log *slog.Logger) *cgroups {
	c := &cgroups{base: map[string]string{}}
	self, err1 := os.ReadFile("/proc/self/cgroup")
	mi, err2 := os.ReadFile("/proc/self/mountinfo")
	if err := errors.Join(err1, err2); err != nil {
		c.reason = fmt.Sprintf("read the node's cgroup: %v", err)
		return c
	}
	l, err := detectLayout(string(self), string(mi))
	if err != nil {
		c.reason = err.Error()
		return c
	}
	c.v2 = l.v2
	var why []string
	if l.v2 {
		if err := setupV2(l.dirs[""], parent, log); err != nil {
			why = append(why, err.Error())
		} else {
			c.base[""] = filepath.Join(l.dirs[""], parent)
		}
	} else {
		why = append(why, l.missing...)
		for _, ctrl := range v1Controllers {
			node, ok := l.dirs[ctrl]
			if !ok {
				continue
			}
			dir := filepath.Join(node, parent)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				why = append(why, fmt.Sprintf("cgroup v1 %s controller is read-only: %v", ctrl, err))
				continue
			}
			c.base[ctrl] = dir
		}
	}
	c.reason = strings.Join(why, "; ")
	return c
}

// setupV2 creates <node>/<parent> with the memory, cpu and pids
// controllers delegated to it. cgroup v2 lets a cgroup hand controllers to
// its children only when it holds no process itself, so the node's own
// processes (the agent) move to <node>/agent first when needed, as
// Docker-in-Docker does.
func setupV2(node, parent string, log *slog.Logger) error {
	avail, err := os.ReadFile(filepath.Join(node, "cgroup.controllers"))
	if err != nil {
		return fmt.Errorf("cgroup v2 at %s: %w", node, err)
	}
	var enable []string
	for _, ctrl := range v1Controllers {
		if !slices.Contains(strings.Fields(string(avail)), ctrl) {
			return fmt.Errorf("cgroup v2 %s controller is not available at %s", ctrl, node)
		}
		enable = append(enable, "+"+ctrl)
	}
	dir := filepath.Join(node, parent)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cgroup v2 is read-only: %w", err)
	}
	ctl := strings.Join(enable, " ")
	err = writeFile(filepath.Join(node, "cgroup.subtree_control"), ctl)
	if errors.Is(err, syscall.EBUSY) {
		if err := evacuate(node, filepath.Join(node, "agent")); err != nil {
			return err
		}
		log.Info("moved the node's processes to a child cgroup to delegate controllers", "cgroup", filepath.Join(node, "agent"))
		err = writeFile(filepath.Join(node, "cgroup.subtree_control"), ctl)
	}
	if err != nil {
		return fmt.Errorf("enable cgroup v2 controllers at %s: %w", node, err)
	}
	if err := writeFile(filepath.Join(dir, "cgroup.subtree_control"), ctl); err != nil {
		return fmt.Errorf("enable cgroup v2 controllers at %s: %w", dir, err)
	}
	return nil
}

// evacuate moves every process of cgroup from into cgroup to (created).
func evacuate(from, to string) error {
	if err := os.MkdirAll(to, 0o755); err != nil {
		return fmt.Errorf("create cgroup %s: %w", to, err)
	}
	procs, err := os.ReadFile(filepath.Join(from, "cgroup.procs"))
	if err != nil {
		return fmt.Errorf("read %s/cgroup.procs: %w", from, err)
	}
	for _, pid := range strings.Fields(string(procs)) {
		if err := writeFile(filepath.Join(to, "cgroup.procs"), pid); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("move pid %s to cgroup %s: %w", pid, to, err)
		}
	}
	return nil
}

// cgroupSet is one container's cgroup dirs.
type cgroupSet struct {
	dirs   []string
	memory string // the dir holding the memory controller's files, "" if none
	v2     bool
	late   [][2]string // file, value: written by applyLate
}

// create makes the cgroups of container id in group and applies res.
func (c *cgroups) create(group, id string, res Resources) (cgroupSet, error) {
	set := cgroupSet{v2: c.v2}
	if len(c.base) == 0 {
		return set, nil
	}
	dirs := map[string]string{}
	for ctrl, base := range c.base {
		g := filepath.Join(base, group)
		if err := os.MkdirAll(g, 0o755); err != nil {
			return set, fmt.Errorf("create cgroup %s: %w", g, err)
		}
		if c.v2 {
			if err := writeFile(filepath.Join(g, "cgroup.subtree_control"), "+memory +cpu +pids"); err != nil {
				return set, fmt.Errorf("enable controllers in cgroup %s: %w", g, err)
			}
		}
		d := filepath.Join(g, id)
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return set, fmt.Errorf("create cgroup %s: %w", d, err)
		}
		dirs[ctrl] = d
		set.dirs = append(set.dirs, d)
	}
	set.memory = dirs["memory"]
	if c.v2 {
		set.memory = dirs[""]
	}
	for _, w := range limitWrites(c.v2, res) {
		d, ok := dirs[w.ctrl]
		if !ok {
			continue // controller unusable: said by Cgroups()
		}
		if w.late {
			set.late = append(set.late, [2]string{filepath.Join(d, w.file), w.value})
			continue
		}
		err := writeFile(filepath.Join(d, w.file), w.value)
		if err != nil && !(w.optional && errors.Is(err, fs.ErrNotExist)) {
			return set, fmt.Errorf("set %s=%s for container %s: %w", w.file, w.value, id, err)
		}
	}
	return set, nil
}

// join puts process pid into every cgroup of the set.
func (s cgroupSet) join(pid int) error {
	for _, d := range s.dirs {
		if err := writeFile(filepath.Join(d, "cgroup.procs"), strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("put pid %d in cgroup %s: %w", pid, d, err)
		}
	}
	return nil
}

// applyLate writes the limits that must wait until the workload runs.
func (s cgroupSet) applyLate() error {
	for _, w := range s.late {
		if err := writeFile(w[0], w[1]); err != nil {
			return fmt.Errorf("set %s=%s: %w", filepath.Base(w[0]), w[1], err)
		}
	}
	return nil
}

// oomKilled reports whether the kernel's OOM killer killed a process of
// the set's memory cgroup (v1 memory.oom_control, v2 memory.events).
func (s cgroupSet) oomKilled() bool {
	if s.memory == "" {
		return false
	}
	file := "memory.oom_control"
	if s.v2 {
		file = "memory.events"
	}
	f, err := os.Open(filepath.Join(s.memory, file))
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "oom_kill "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n > 0
		}
	}
	return false
}

// remove deletes container id's cgroups, and its group's when empty. Its
// processes must be gone or going: EBUSY is retried for a few seconds.
func (c *cgroups) remove(group, id string) error {
	var errs []error
	for _, base := range c.base {
		g := filepath.Join(base, group)
		if err := rmdirWait(filepath.Join(g, id), 5*time.Second); err != nil {
			errs = append(errs, err)
		}
		if err := syscall.Rmdir(g); err != nil && !errors.Is(err, syscall.ENOTEMPTY) &&
			!errors.Is(err, syscall.EBUSY) && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("remove cgroup %s: %w", g, err))
		}
	}
	return errors.Join(errs...)
}

// removeAll deletes every cgroup below <node>/<parent>.
func (c *cgroups) removeAll() error {
	var errs []error
	for _, base := range c.base {
		entries, err := os.ReadDir(base)
		if err != nil {
			errs = append(errs, fmt.Errorf("list cgroup %s: %w", base, err))
			continue
		}
		for _, e := range entries {
			if e.IsDir() {
				errs = append(errs, rmdirTree(filepath.Join(base, e.Name())))
			}
		}
	}
	return errors.Join(errs...)
}

// rmdirTree removes a cgroup and its children, deepest first.
func rmdirTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list cgroup %s: %w", dir, err)
	}
	var errs []error
	for _, e := range entries {
		if e.IsDir() {
			errs = append(errs, rmdirTree(filepath.Join(dir, e.Name())))
		}
	}
	return errors.Join(append(errs, rmdirWait(dir, time.Second))...)
}

// rmdirWait removes an (empty) cgroup, retrying while its last processes
// exit.
func rmdirWait(dir string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		err := syscall.Rmdir(dir)
		if err == nil || errors.Is(err, syscall.ENOENT) {
			return nil
		}
		if !errors.Is(err, syscall.EBUSY) || time.Now().After(deadline) {
			return fmt.Errorf("remove cgroup %s: %w", dir, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// writeFile writes a cgroup control file (no create, no truncate needed).
func writeFile(path, value string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(value)
	return errors.Join(err, f.Close())
}

// removeID deletes container id's cgroups whatever its group (a container
// of a previous life, or one whose start failed).
func (c *cgroups) removeID(id string) error {
	var errs []error
	for _, base := range c.base {
		groups, err := os.ReadDir(base)
		if err != nil {
			continue
		}
		for _, g := range groups {
			if _, err := os.Stat(filepath.Join(base, g.Name(), id)); err == nil {
				errs = append(errs, c.remove(g.Name(), id))
			}
		}
	}
	return errors.Join(errs...)
}
