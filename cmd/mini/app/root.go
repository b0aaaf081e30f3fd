// Package app holds mini's cobra commands: each is thin and calls the
// cluster libraries.
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/minidev/mini/cluster"
	"github.com/minidev/mini/cluster/docker"
	"github.com/spf13/cobra"
)

// globals are the flags every command has.
type globals struct {
	verbose bool
	home    string
	out     io.Writer
	errOut  io.Writer
}

// Main runs mini with args and returns the exit code. The error is
// printed once, here.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	g := &globals{out: stdout, errOut: stderr}
	root := &cobra.Command{
		Use:           "mini",
		Short:         "mini: a local Kubernetes-compatible cluster on Docker",
		Long:          "mini runs a Kubernetes-compatible cluster whose nodes are Docker containers and whose\ncontrol plane is one host process. kubectl and client-go programs work against it unchanged.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "print more: fallbacks taken, debug logs")
	root.PersistentFlags().StringVar(&g.home, "home", cluster.DefaultHome(), "state directory (MINI_HOME)")
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(args)
	root.AddCommand(
		newUp(g), newDown(g), newStart(g), newStop(g), newList(g), newStatus(g),
		newKubeconfig(g), newLogsDump(g), newControlPlane(g), newAgent(g), newVersion(g),
		newApply(g), newGet(g), newDescribe(g), newDelete(g), newUI(g),
		newLogs(g),
		newExec(g),
		newScale(g), newRollout(g), newNode(g), newPortForward(g),
	)
	if err := root.ExecuteContext(ctx); err != nil {
		// mini exec exits with the remote command's code, as kubectl does.
		if code, ok := exitCode(err); ok {
			fmt.Fprintf(stderr, "command terminated with exit code %d\n", code)
			return code
		}
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	return 0
}

func (g *globals) logger() *slog.Logger {
	level := slog.LevelInfo
	if g.verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(g.errOut, &slog.HandlerOptions{Level: level}))
}

// provider connects to Docker and returns the lifecycle library.
func (g *globals) provider(ctx context.Context) (*cluster.Provider, func(), error) {
	dc, err := docker.New(ctx)
	if err != nil {
		return nil, nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		dc.Close()
		return nil, nil, err
	}
	p := &cluster.Provider{Home: g.home, Binary: exe, Docker: dc, Out: g.out, Log: g.logger(), Verbose: g.verbose}
	return p, func() { dc.Close() }, nil
}

// withProvider is the RunE of a command that only needs the lifecycle
// library: it connects to Docker, runs fn, and disconnects.
func (g *globals) withProvider(fn func(ctx context.Context, p *cluster.Provider) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		p, done, err := g.provider(cmd.Context())
		if err != nil {
			return err
		}
		defer done()
		return fn(cmd.Context(), p)
	}
}

// nameFlag adds --name with its default.
func nameFlag(cmd *cobra.Command, name *string) {
	cmd.Flags().StringVar(name, "name", "mini", "cluster name")
}
