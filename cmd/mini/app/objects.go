package app

import (
	"errors"
	"os"

	"github.com/minidev/mini/cluster"
	"github.com/minidev/mini/cluster/objects"
	"github.com/spf13/cobra"
)

// objectFlags are the flags of the object verbs.
type objectFlags struct {
	cluster   string
	namespace string
}

func (f *objectFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.cluster, "name", "mini", "cluster name")
	cmd.Flags().StringVarP(&f.namespace, "namespace", "n", "default", "namespace")
}

// client connects the object verbs to a cluster as its admin.
func (g *globals) objects(clusterName string) (*objects.Client, error) {
	p := &cluster.Provider{Home: g.home}
	cfg, err := p.RESTConfig(clusterName)
	if err != nil {
		return nil, err
	}
	return objects.New(cfg, g.out)
}

func newApply(g *globals) *cobra.Command {
	var f objectFlags
	var files []string
	cmd := &cobra.Command{
		Use:   "apply -f FILE|DIR|-",
		Short: "Create or update objects from YAML/JSON manifests (kubectl's client-side apply)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			docs, err := objects.ReadManifests(files, os.Stdin)
			if err != nil {
				return err
			}
			c, err := g.objects(f.cluster)
			if err != nil {
				return err
			}
			return c.Apply(cmd.Context(), docs, f.namespace)
		},
	}
	f.add(cmd)
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "manifest file, directory or - (repeatable)")
	return cmd
}

func newGet(g *globals) *cobra.Command {
	var f objectFlags
	var o objects.GetOptions
	cmd := &cobra.Command{
		Use:   "get KIND [NAME...]",
		Short: "List objects with the columns kubectl prints",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.objects(f.cluster)
			if err != nil {
				return err
			}
			o.Kind, o.Names, o.Namespace = args[0], args[1:], f.namespace
			return c.Get(cmd.Context(), o)
		},
	}
	f.add(cmd)
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "list across all namespaces")
	cmd.Flags().StringVarP(&o.Selector, "selector", "l", "", "label selector, e.g. app=web")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "wide, yaml, json or name")
	return cmd
}

func newDescribe(g *globals) *cobra.Command {
	var f objectFlags
	cmd := &cobra.Command{
		Use:   "describe KIND NAME",
		Short: "Show an object's details, conditions and events",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.objects(f.cluster)
			if err != nil {
				return err
			}
			return c.Describe(cmd.Context(), args[0], args[1], f.namespace)
		},
	}
	f.add(cmd)
	return cmd
}

func newDelete(g *globals) *cobra.Command {
	var f objectFlags
	var files []string
	cmd := &cobra.Command{
		Use:   "delete (-f FILE|DIR|- | KIND NAME...)",
		Short: "Delete objects named in manifests or by kind and name",
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.objects(f.cluster)
			if err != nil {
				return err
			}
			if len(files) > 0 {
				docs, err := objects.ReadManifests(files, os.Stdin)
				if err != nil {
					return err
				}
				return c.Delete(cmd.Context(), docs, f.namespace)
			}
			if len(args) < 2 {
				return errors.New("name what to delete: `mini delete KIND NAME...` or `mini delete -f FILE`")
			}
			return c.DeleteNamed(cmd.Context(), args[0], args[1:], f.namespace)
		},
	}
	f.add(cmd)
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "manifest file, directory or - (repeatable)")
	return cmd
}
