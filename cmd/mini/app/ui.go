package app

import (
	"github.com/minidev/mini/cluster"
	"github.com/minidev/mini/ui"
	"github.com/spf13/cobra"
)

func newUI(g *globals) *cobra.Command {
	var name, namespace string
	cmd := &cobra.Command{
		Use:   "ui",
		Short: "A live terminal dashboard: nodes, workloads, pods, services and events as they change",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := (&cluster.Provider{Home: g.home}).RESTConfig(name)
			if err != nil {
				return err
			}
			return ui.Run(cmd.Context(), cfg, name, namespace)
		},
	}
	nameFlag(cmd, &name)
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "show only this namespace (default: all; n cycles in the dashboard)")
	return cmd
}
