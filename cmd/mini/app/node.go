package app

import (
	"context"
	"time"

	"github.com/minidev/mini/cluster"
	"github.com/spf13/cobra"
)

func newNode(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "node add",
		Short: "Change a running cluster's nodes",
		Args:  cobra.NoArgs,
	}
	var name string
	var count int
	var wait time.Duration
	add := &cobra.Command{
		Use:     "add",
		Short:   "Add real nodes to a running cluster (DaemonSets follow, the scheduler uses them)",
		Example: "  mini node add --name dev --count 2",
		Args:    cobra.NoArgs,
		RunE: g.withProvider(func(ctx context.Context, p *cluster.Provider) error {
			return p.AddNodes(ctx, name, count, wait)
		}),
	}
	nameFlag(add, &name)
	add.Flags().IntVar(&count, "count", 1, "how many nodes to add")
	add.Flags().DurationVar(&wait, "wait", 2*time.Minute, "how long to wait for the new nodes to be Ready")
	cmd.AddCommand(add)
	return cmd
}
