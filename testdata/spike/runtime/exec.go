package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// exec into a running container (kubectl exec): join the namespaces of its
// init pid from a Go program. setns(CLONE_NEWNS) needs an unshared fs_struct
// (EINVAL in a multi-threaded process otherwise): unshare(CLONE_FS) on a
// locked thread first. setns(CLONE_NEWPID) only affects children, so the
// process we start from this thread lands in the container's pid ns. The
// thread is never unlocked: Go terminates it when the goroutine ends.
func execCmd() *cobra.Command {
	var pid int
	c := &cobra.Command{Use: "exec --pid PID -- CMD...", Args: cobra.MinimumNArgs(1), RunE: func(c *cobra.Command, args []string) error {
		errc := make(chan error, 1)
		codec := make(chan int, 1)
		go func() {
			runtime.LockOSThread() // never unlocked on purpose
			if err := unix.Unshare(unix.CLONE_FS); err != nil {
				errc <- fmt.Errorf("unshare fs: %w", err)
				return
			}
			// user ns not used; order: net, uts, ipc, pid, then mnt last.
			for _, ns := range []struct {
				name string
				flag int
			}{{"net", unix.CLONE_NEWNET}, {"uts", unix.CLONE_NEWUTS}, {"ipc", unix.CLONE_NEWIPC}, {"pid", unix.CLONE_NEWPID}, {"mnt", unix.CLONE_NEWNS}} {
				fd, err := unix.Open(fmt.Sprintf("/proc/%d/ns/%s", pid, ns.name), unix.O_RDONLY|unix.O_CLOEXEC, 0)
				if err != nil {
					errc <- err
					return
				}
				err = unix.Setns(fd, ns.flag)
				unix.Close(fd)
				if err != nil {
					errc <- fmt.Errorf("setns %s: %w", ns.name, err)
					return
				}
			}
			r, w, _ := os.Pipe()
			cmd := exec.Command("/proc/self/exe", "exec-init")
			cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
			cmd.ExtraFiles = []*os.File{r}
			if err := cmd.Start(); err != nil {
				errc <- fmt.Errorf("start: %w", err)
				return
			}
			r.Close()
			json.NewEncoder(w).Encode(spec{Args: args, Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, Cwd: "/"})
			w.Close()
			err := cmd.Wait()
			if ee, ok := err.(*exec.ExitError); ok {
				codec <- ee.ExitCode()
				return
			}
			if err != nil {
				errc <- err
				return
			}
			codec <- 0
		}()
		select {
		case err := <-errc:
			return err
		case code := <-codec:
			os.Exit(code)
		}
		return nil
	}}
	c.Flags().IntVar(&pid, "pid", 0, "pid (in the node) of the container's init")
	return c
}

func execInitCmd() *cobra.Command {
	return &cobra.Command{Use: "exec-init", Hidden: true, RunE: func(*cobra.Command, []string) error {
		var s spec
		f := os.NewFile(3, "spec")
		if err := json.NewDecoder(f).Decode(&s); err != nil {
			return err
		}
		f.Close()
		if err := dropCaps(); err != nil {
			return err
		}
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return err
		}
		unix.Chdir(s.Cwd)
		p, err := lookPath(s.Args[0], s.Env)
		if err != nil {
			return err
		}
		return unix.Exec(p, s.Args, s.Env)
	}}
}
