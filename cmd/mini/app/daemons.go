package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/minidev/mini/cluster"
	"github.com/minidev/mini/cluster/agent"
	"github.com/minidev/mini/cluster/controlplane"
	"github.com/minidev/mini/cluster/version"
	"github.com/spf13/cobra"
)

// newControlPlane is the host process `mini up` starts detached.
func newControlPlane(g *globals) *cobra.Command {
	var name, gateway string
	var dnsPort int
	cmd := &cobra.Command{
		Use:    "controlplane",
		Short:  "Run a cluster's control plane (started by mini up/start)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir := filepath.Join(g.home, "clusters", name)
			st, err := readState(dir)
			if err != nil {
				return err
			}
			if dnsPort == 0 {
				dnsPort = st.DNSPort
			}
			var grace time.Duration
			if st.NodeGrace != "" {
				grace, _ = time.ParseDuration(st.NodeGrace)
			}
			return controlplane.Run(cmd.Context(), controlplane.Config{
				Dir: dir, Port: st.Port, Gateway: gateway, DNSPort: dnsPort, NodeMonitorGrace: grace,
				DefaultTolerationSeconds: st.DefaultTolerationSeconds, Log: g.logger().With("cluster", name),
				SimulatedNodes: st.SimulatedNodes, SimulatedPrefix: cluster.SimulatedPrefix(name),
				Version: version.Version,
			})
		},
	}
	nameFlag(cmd, &name)
	cmd.Flags().StringVar(&gateway, "gateway", "", "the cluster network's gateway address, where nodes reach the API")
	cmd.Flags().IntVar(&dnsPort, "dns-port", 0, "the port of the cluster DNS (UDP and TCP) on 127.0.0.1 and the gateway; 0 takes the cluster's state")
	return cmd
}

// newAgent is PID 1 of a node container; its settings come from the
// environment mini up gives the container.
func newAgent(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:    "agent",
		Short:  "Run the node agent (PID 1 of a node container)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			port, err := strconv.Atoi(os.Getenv("MINI_API_PORT"))
			if err != nil {
				return fmt.Errorf("MINI_API_PORT=%q is not a port number", os.Getenv("MINI_API_PORT"))
			}
			a, err := agent.New(agent.Config{
				NodeName: os.Getenv("MINI_NODE_NAME"), APIPort: port, CAPEM: []byte(os.Getenv("MINI_CA")),
				Token: os.Getenv("MINI_NODE_TOKEN"), PodCIDR: os.Getenv("MINI_POD_CIDR"),
				RunPods: true, Version: version.Version, Log: g.logger(),
			})
			if err != nil {
				return err
			}
			return a.Run(cmd.Context())
		},
	}
}

func newVersion(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print mini's version",
		Args:  cobra.NoArgs,
		Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprintln(g.out, "mini", version.Version) },
	}
}

func readState(dir string) (*cluster.State, error) {
	return cluster.ReadStateDir(dir)
}
