package app

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/minidev/mini/cluster"
	"github.com/minidev/mini/ui"
	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/duration"
)

func newUp(g *globals) *cobra.Command {
	var o cluster.UpOptions
	var noMerge, openUI bool
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Create and start a cluster, and wait until every node is Ready",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cluster.ValidateName(o.Name); err != nil {
				return err
			}
			if err := cluster.ValidateNodes(o.Nodes); err != nil {
				return err
			}
			if err := cluster.ValidateSimulatedNodes(o.SimulatedNodes); err != nil {
				return err
			}
			if o.Wait <= 0 {
				return fmt.Errorf("--wait %s must be positive", o.Wait)
			}
			o.MergeKubeconfig = !noMerge
			p, done, err := g.provider(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			err = p.Up(cmd.Context(), o)
			if errors.Is(err, cluster.ErrAlreadyUp) {
				fmt.Fprintln(g.out, err)
				err = nil
			}
			if err != nil || !openUI {
				return err
			}
			cfg, err := p.RESTConfig(o.Name)
			if err != nil {
				return err
			}
			return ui.Run(cmd.Context(), cfg, o.Name, "")
		},
	}
	nameFlag(cmd, &o.Name)
	cmd.Flags().IntVar(&o.Nodes, "nodes", 3, fmt.Sprintf("number of nodes (1 to %d)", cluster.MaxNodes))
	cmd.Flags().DurationVar(&o.Wait, "wait", 2*time.Minute, "how long to wait for the nodes to be Ready")
	cmd.Flags().BoolVar(&noMerge, "no-kubeconfig-merge", false, "do not add the cluster to ~/.kube/config (or $KUBECONFIG)")
	cmd.Flags().DurationVar(&o.NodeMonitorGrace, "node-monitor-grace", 0, "how long a node may miss heartbeats before it is NotReady (default 40s)")
	cmd.Flags().Int64Var(&o.DefaultTolerationSeconds, "default-toleration-seconds", 0, "how long pods stay on a NotReady or unreachable node before eviction (default 300)")
	cmd.Flags().BoolVar(&openUI, "ui", false, "open the dashboard (mini ui) once the cluster is ready")
	cmd.Flags().StringArrayVar(&o.Publish, "publish", nil, "map 127.0.0.1:HOSTPORT to NODEPORT on the first node, as kind's extraPortMappings (HOSTPORT:NODEPORT[/udp], repeatable)")
	cmd.Flags().IntVar(&o.SimulatedNodes, "simulated-nodes", 0, fmt.Sprintf("add nodes the control plane simulates, without containers: their pods go Running with fake IPs and no processes (0 to %d)", cluster.MaxSimulatedNodes))
	return cmd
}

func newDown(g *globals) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Delete a cluster: containers, network, volumes, state and kubeconfig entry",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cluster.ValidateName(name); err != nil {
				return err
			}
			p, done, err := g.provider(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			return p.Down(cmd.Context(), name)
		},
	}
	nameFlag(cmd, &name)
	return cmd
}

func newStart(g *globals) *cobra.Command {
	var name string
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Start a stopped cluster; its state is kept",
		Args:  cobra.NoArgs,
		RunE: g.withProvider(func(ctx context.Context, p *cluster.Provider) error {
			return p.Start(ctx, name, wait)
		}),
	}
	nameFlag(cmd, &name)
	cmd.Flags().DurationVar(&wait, "wait", 2*time.Minute, "how long to wait for the nodes to be Ready")
	return cmd
}

func newStop(g *globals) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "stop",
		Short: "Stop a cluster's nodes and control plane, keeping its state",
		Args:  cobra.NoArgs,
		RunE: g.withProvider(func(ctx context.Context, p *cluster.Provider) error {
			return p.Stop(ctx, name)
		}),
	}
	nameFlag(cmd, &name)
	return cmd
}

func newList(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List clusters",
		Args:  cobra.NoArgs,
		RunE: g.withProvider(func(ctx context.Context, p *cluster.Provider) error {
			list, err := p.List(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tNODES\tSTATUS\tAPI\tAGE")
			for _, c := range list {
				fmt.Fprintf(tw, "%s\t%d/%d\t%s\t%s\t%s\n", c.Name, c.Running, c.Nodes, c.Status, c.API, duration.HumanDuration(c.Age))
			}
			return tw.Flush()
		}),
	}
}

func newStatus(g *globals) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show a cluster's control plane and nodes",
		Args:  cobra.NoArgs,
		RunE: g.withProvider(func(ctx context.Context, p *cluster.Provider) error {
			st, err := p.Status(ctx, name)
			if err != nil {
				return err
			}
			if st.PID != 0 {
				fmt.Fprintf(g.out, "Control plane: running, pid %d, %s, up %s, log %s\n", st.PID, st.API, st.Uptime, st.Log)
			} else {
				fmt.Fprintf(g.out, "Control plane: stopped (%s), log %s\n", st.API, st.Log)
			}
			if st.APIError != nil {
				fmt.Fprintf(g.out, "API: %v\n", st.APIError)
			}
			tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NODE\tCONTAINER\tSTATE\tIP\tREADY\tAGENT\tPRIVILEGED")
			for _, n := range st.Nodes {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%v\n", n.Name, n.Container, n.State, orDash(n.IP), n.Ready, orDash(n.Version), n.Privileged)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if st.Simulated > 0 {
				fmt.Fprintf(g.out, "Simulated nodes: %d (%s-1 to %s-%d, run by the control plane)\n", st.Simulated, cluster.SimulatedPrefix(name), cluster.SimulatedPrefix(name), st.Simulated)
			}
			return nil
		}),
	}
	nameFlag(cmd, &name)
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newKubeconfig(g *globals) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "kubeconfig",
		Short: "Print a kubeconfig for the cluster",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p := &cluster.Provider{Home: g.home}
			b, err := p.Kubeconfig(name)
			if err != nil {
				return err
			}
			_, err = g.out.Write(b)
			return err
		},
	}
	nameFlag(cmd, &name)
	return cmd
}

func newLogsDump(g *globals) *cobra.Command {
	var name, dir string
	cmd := &cobra.Command{
		Use:   "logs-dump",
		Short: "Collect the control plane's and every node's logs into a folder (for bug reports)",
		Args:  cobra.NoArgs,
		RunE: g.withProvider(func(ctx context.Context, p *cluster.Provider) error {
			if dir == "" {
				dir = fmt.Sprintf("mini-logs-%s-%s", name, time.Now().Format("20060102-150405"))
			}
			files, err := p.LogsDump(ctx, name, dir)
			for _, f := range files {
				fmt.Fprintln(g.out, f)
			}
			return err
		}),
	}
	nameFlag(cmd, &name)
	cmd.Flags().StringVar(&dir, "dir", "", "folder to write into (default mini-logs-<name>-<time>)")
	return cmd
}
