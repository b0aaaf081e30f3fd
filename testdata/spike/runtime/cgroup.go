package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

type limits struct{ mem, cpuQuota, pids int64 }

// selfCgroups maps each v1 controller to this process's cgroup path
// (from /proc/self/cgroup: "N:memory:/docker/ID").
func selfCgroups() (map[string]string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out, sc.Err()
}

// cgroupDir finds the node's own cgroup dir for ctrl in /sys/fs/cgroup. With
// cgroupns=host (Docker's default on v1) the /proc/self/cgroup path is the
// full host path and the rw-bound /sys/fs/cgroup is the host's tree.
func cgroupDir(ctrl string) (string, error) {
	cg, err := selfCgroups()
	if err != nil {
		return "", err
	}
	p, ok := cg[ctrl]
	if !ok {
		return "", fmt.Errorf("no %s controller in /proc/self/cgroup", ctrl)
	}
	for _, mnt := range []string{ctrl, "cpu,cpuacct"} {
		d := filepath.Join("/sys/fs/cgroup", mnt, p)
		if _, err := os.Stat(d); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("cgroup dir for %s %s not found", ctrl, p)
}

func write(dir, file string, v int64) error {
	return os.WriteFile(filepath.Join(dir, file), []byte(strconv.FormatInt(v, 10)), 0o644)
}

func cgroupJoin(id string, pid int, l limits) error {
	set := map[string][][2]any{}
	if l.mem > 0 {
		set["memory"] = [][2]any{{"memory.limit_in_bytes", l.mem}}
	}
	if l.cpuQuota > 0 {
		set["cpu"] = [][2]any{{"cpu.cfs_period_us", int64(100000)}, {"cpu.cfs_quota_us", l.cpuQuota}}
	}
	if l.pids > 0 {
		set["pids"] = [][2]any{{"pids.max", l.pids}}
	}
	for ctrl, kv := range set {
		base, err := cgroupDir(ctrl)
		if err != nil {
			return err
		}
		dir := filepath.Join(base, "pods", id)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("mkdir %s: %w", dir, err)
		}
		for _, p := range kv {
			if err := write(dir, p[0].(string), p[1].(int64)); err != nil {
				return fmt.Errorf("%s: %w", p[0], err)
			}
		}
		if err := write(dir, "cgroup.procs", int64(pid)); err != nil {
			return fmt.Errorf("%s/cgroup.procs: %w", dir, err)
		}
		fmt.Fprintf(os.Stderr, "spike: pid %d in %s\n", pid, dir)
	}
	return nil
}

func cgroupCmd() *cobra.Command {
	return &cobra.Command{Use: "cgroups", Short: "print the node's cgroup dirs", RunE: func(*cobra.Command, []string) error {
		for _, c := range []string{"memory", "cpu", "pids"} {
			d, err := cgroupDir(c)
			fmt.Println(c, d, err)
		}
		return nil
	}}
}
