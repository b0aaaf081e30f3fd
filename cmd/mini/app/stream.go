package app

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/minidev/mini/cluster/objects"
	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/utils/exec"
)

func newLogs(g *globals) *cobra.Command {
	var f objectFlags
	var o objects.LogsOptions
	var tail int64
	var since time.Duration
	cmd := &cobra.Command{
		Use:   "logs POD [-c CONTAINER] [-f] [--previous] [--tail N] [--since 5m] [--timestamps]",
		Short: "Print a container's logs (kubectl logs)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if tail >= 0 {
				o.TailLines = &tail
			}
			o.Since = since
			c, err := g.objects(f.cluster)
			if err != nil {
				return err
			}
			return c.Logs(cmd.Context(), f.namespace, args[0], o)
		},
	}
	f.add(cmd)
	cmd.Flags().StringVarP(&o.Container, "container", "c", "", "container (default: the pod's only or default container)")
	cmd.Flags().BoolVarP(&o.Follow, "follow", "f", false, "keep printing new lines until the container stops")
	cmd.Flags().BoolVarP(&o.Previous, "previous", "p", false, "the previous run's logs (after a restart)")
	cmd.Flags().BoolVar(&o.Timestamps, "timestamps", false, "prefix each line with its RFC3339 time")
	cmd.Flags().Int64Var(&tail, "tail", -1, "only the last N lines (-1: all)")
	cmd.Flags().DurationVar(&since, "since", 0, "only lines newer than this (5s, 2m, 3h)")
	return cmd
}

func newExec(g *globals) *cobra.Command {
	var f objectFlags
	var container string
	var stdin, tty bool
	cmd := &cobra.Command{
		Use:   "exec POD [-c CONTAINER] [-i] [-t] -- COMMAND [ARGS...]",
		Short: "Run a command in a container (kubectl exec); its exit code is mini's",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 1 {
				return fmt.Errorf("usage: mini exec POD [-c CONTAINER] [-i] [-t] -- COMMAND [ARGS...]")
			}
			c, err := g.objects(f.cluster)
			if err != nil {
				return err
			}
			o := objects.ExecOptions{Container: container, Command: args[1:], Stdout: g.out, Stderr: g.errOut}
			if stdin {
				o.Stdin = os.Stdin
			}
			if tty {
				restore, resize, err := rawTerminal(stdin)
				if err != nil {
					return err
				}
				defer restore()
				o.TTY, o.Resize = true, resize
			}
			return c.Exec(cmd.Context(), f.namespace, args[0], o)
		},
	}
	f.add(cmd)
	cmd.Flags().StringVarP(&container, "container", "c", "", "container (default: the pod's only or default container)")
	cmd.Flags().BoolVarP(&stdin, "stdin", "i", false, "pass standard input to the command")
	cmd.Flags().BoolVarP(&tty, "tty", "t", false, "give the command a terminal (raw mode here, resizes sent)")
	return cmd
}

// rawTerminal puts the local terminal in raw mode (when stdin is passed
// and is a terminal) and returns how to restore it and a queue of its size
// changes.
func rawTerminal(stdin bool) (func(), remotecommand.TerminalSizeQueue, error) {
	in, out := int(os.Stdin.Fd()), int(os.Stdout.Fd())
	restore := func() {}
	if stdin && term.IsTerminal(in) {
		st, err := term.MakeRaw(in)
		if err != nil {
			return nil, nil, fmt.Errorf("put the terminal in raw mode: %w", err)
		}
		restore = func() { _ = term.Restore(in, st) }
	}
	if !term.IsTerminal(out) {
		return restore, nil, nil
	}
	return restore, newSizeQueue(out), nil
}

// exitCode is the exit code a remote command ended with.
func exitCode(err error) (int, bool) {
	var ee utilexec.ExitError
	if errors.As(err, &ee) && ee.Exited() {
		return ee.ExitStatus(), true
	}
	return 0, false
}

func newPortForward(g *globals) *cobra.Command {
	var f objectFlags
	cmd := &cobra.Command{
		Use:     "port-forward pod/NAME|svc/NAME LOCAL:REMOTE...",
		Short:   "Forward ports of 127.0.0.1 to a pod, or to a ready pod of a Service (kubectl port-forward)",
		Example: "  mini port-forward svc/web 8080:80\n  mini port-forward pod/web-0 9090:8080",
		Args:    cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.objects(f.cluster)
			if err != nil {
				return err
			}
			return c.PortForward(cmd.Context(), f.namespace, args[0], args[1:], nil)
		},
	}
	f.add(cmd)
	return cmd
}
