package app

import (
	"time"

	"github.com/minidev/mini/cluster/objects"
	"github.com/spf13/cobra"
)

func newScale(g *globals) *cobra.Command {
	var f objectFlags
	var replicas int32
	cmd := &cobra.Command{
		Use:   "scale TYPE/NAME --replicas N",
		Short: "Set the replicas of a Deployment, ReplicaSet or StatefulSet",
		Example: `  mini scale deploy/web --replicas 5
  mini scale statefulset db --replicas 3`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, name, err := objects.Target(args)
			if err != nil {
				return err
			}
			c, err := g.objects(f.cluster)
			if err != nil {
				return err
			}
			return c.Scale(cmd.Context(), kind, name, f.namespace, replicas)
		},
	}
	f.add(cmd)
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
	var f objectFlags
	var timeout time.Duration
	status := &cobra.Command{
		Use:   "status TYPE/NAME",
		Short: "Wait until the rollout is complete, showing its progress",
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
			return c.RolloutStatus(cmd.Context(), kind, name, f.namespace, timeout)
		},
	}
	f.add(status)
	status.Flags().DurationVar(&timeout, "timeout", 0, "give up after this long (0: wait until done)")
	var rf objectFlags
	restart := &cobra.Command{
		Use:   "restart TYPE/NAME",
		Short: "Replace every pod, in the object's rollout order",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, name, err := objects.Target(args)
			if err != nil {
				return err
			}
			c, err := g.objects(rf.cluster)
			if err != nil {
				return err
			}
			return c.Restart(cmd.Context(), kind, name, rf.namespace)
		},
	}
	rf.add(restart)
	var uf objectFlags
	var to int64
	undo := &cobra.Command{
		Use:   "undo TYPE/NAME",
		Short: "Roll back to the previous revision (or --to-revision)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, name, err := objects.Target(args)
			if err != nil {
				return err
			}
			c, err := g.objects(uf.cluster)
			if err != nil {
				return err
			}
			return c.Undo(cmd.Context(), kind, name, uf.namespace, to)
		},
	}
	uf.add(undo)
	undo.Flags().Int64Var(&to, "to-revision", 0, "the revision to go back to (0: the previous one)")
	cmd.AddCommand(status, restart, undo)
	return cmd
}
