package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// spec is what the parent hands the child init over fd 3.
type spec struct {
	ID       string   `json:"id"`
	Lower    []string `json:"lower"` // image layer dirs, top first
	State    string   `json:"state"` // holds upper/, work/, merged/
	Hostname string   `json:"hostname"`
	Netns    string   `json:"netns"` // path of a netns file to join; "" = new empty netns
	Args     []string `json:"args"`
	Env      []string `json:"env"`
	Cwd      string   `json:"cwd"`
}

func runCmd() *cobra.Command {
	var s spec
	var lower string
	var mem, cpuQuota, pids int64
	c := &cobra.Command{Use: "run --id ID --lower DIR[:DIR] --state DIR [--netns PATH] -- CMD...", Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			s.Lower = strings.Split(lower, ":")
			s.Args = args
			if s.Hostname == "" {
				s.Hostname = s.ID
			}
			s.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=" + s.Hostname}
			code, err := run(s, limits{mem, cpuQuota, pids})
			if err != nil {
				return err
			}
			os.Exit(code)
			return nil
		}}
	f := c.Flags()
	f.StringVar(&s.ID, "id", "c1", "container id")
	f.StringVar(&lower, "lower", "", "lower dirs, top first, ':'-separated")
	f.StringVar(&s.State, "state", "", "state dir (upper/work/merged)")
	f.StringVar(&s.Hostname, "hostname", "", "hostname (default: id)")
	f.StringVar(&s.Netns, "netns", "", "netns file to join")
	f.StringVar(&s.Cwd, "cwd", "/", "working dir")
	f.Int64Var(&mem, "memory", 0, "memory limit, bytes")
	f.Int64Var(&cpuQuota, "cpu-quota", 0, "cfs quota us per 100000us")
	f.Int64Var(&pids, "pids", 0, "pids.max")
	return c
}

func run(s spec, l limits) (int, error) {
	for _, d := range []string{"upper", "work", "merged"} {
		if err := os.MkdirAll(filepath.Join(s.State, d), 0o755); err != nil {
			return 0, err
		}
	}
	r, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command("/proc/self/exe", "init")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{r} // fd 3
	cmd.Env = []string{}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC |
			map[bool]uintptr{true: unix.CLONE_NEWNET, false: 0}[s.Netns == ""],
		Pdeathsig: syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start init: %w", err)
	}
	r.Close()
	// The child blocks reading fd 3 until we have put it in its cgroup.
	if l != (limits{}) {
		if err := cgroupJoin(s.ID, cmd.Process.Pid, l); err != nil {
			fmt.Fprintln(os.Stderr, "spike: cgroup:", err)
		}
	}
	if err := json.NewEncoder(w).Encode(s); err != nil {
		return 0, err
	}
	w.Close()
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), nil
	}
	return 0, err
}
