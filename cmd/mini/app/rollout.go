package app

import (
	"context"
	"time"

	"github.com/minidev/mini/cluster/objects"
	"github.com/spf13/cobra"
)

// targetCommand is a verb on one object named TYPE/NAME or TYPE NAME.
func targetCommand(g *globals, use, short string, run func(ctx context.Context, c *objects.Client, kind, name, ns string) error) *cobra.Command {
	var f objectFlags
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, name, err := objects.Target(args)
			if err != nil {
				return err
			}
			c, err := g.objects(f.cluster)
			if err != nil {
				return err
			}
			return run(cmd.Context(), c, kind, name, f.namespace)
		},
	}
	f.add(cmd)
	return cmd
}

func newScale(g *globals) *cobra.Command {
	var replicas int32
	cmd := targetCommand(g, "scale TYPE/NAME --replicas N", "Set the replicas of a Deployment, ReplicaSet or StatefulSet",
		func(ctx context.Context, c *objects.Client, kind, name, ns string) error {
			return c.Scale(ctx, kind, name, ns, replicas)
		})
	cmd.Example = "  mini scale deploy/web --replicas 5\n  mini scale statefulset db --replicas 3"
	cmd.Flags().Int32Var(&replicas, "replicas", -1, "the number of replicas (required)")
	_ = cmd.MarkFlagRequired("replicas")
	return cmd
}

func newRollout(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rollout status|restart|undo TYPE/NAME",
		Short: "Watch, restart or roll back a Deployment, StatefulSet or DaemonSet",
		Args:  cobra.NoArgs,
	}
	var timeout time.Duration
	status := targetCommand(g, "status TYPE/NAME", "Wait until the rollout is complete, showing its progress",
		func(ctx context.Context, c *objects.Client, kind, name, ns string) error {
			return c.RolloutStatus(ctx, kind, name, ns, timeout)
		})
	status.Flags().DurationVar(&timeout, "timeout", 0, "give up after this long (0: wait until done)")
	restart := targetCommand(g, "restart TYPE/NAME", "Replace every pod, in the object's rollout order",
		func(ctx context.Context, c *objects.Client, kind, name, ns string) error {
			return c.Restart(ctx, kind, name, ns)
		})
	var to int64
	undo := targetCommand(g, "undo TYPE/NAME", "Roll back to the previous revision (or --to-revision)",
		func(ctx context.Context, c *objects.Client, kind, name, ns string) error {
			return c.Undo(ctx, kind, name, ns, to)
		})
	undo.Flags().Int64Var(&to, "to-revision", 0, "the revision to go back to (0: the previous one)")
	cmd.AddCommand(status, restart, undo)
	return cmd
}
