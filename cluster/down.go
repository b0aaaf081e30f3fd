package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/minidev/mini/cluster/kubeconfig"
)

// Down removes a cluster: control plane, containers, volumes, network,
// kubeconfig entry and state. Safe to run twice; it also cleans up what a
// crashed run left behind, found by the cluster label.
func (p *Provider) Down(ctx context.Context, name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	unlock, err := p.lock(name)
	if err != nil {
		return err
	}
	defer unlock()
	var errs []error
	if err := p.stopControlPlane(name); err != nil {
		errs = append(errs, err)
	}
	nodes, err := p.Docker.ListNodes(ctx, p.labels(name))
	if err != nil {
		return err
	}
	for _, n := range nodes {
		if err := p.Docker.RemoveContainer(ctx, n.Name); err != nil {
			errs = append(errs, err)
		}
	}
	vols, err := p.Docker.ListVolumes(ctx, p.labels(name))
	errs = append(errs, err)
	for _, v := range vols {
		errs = append(errs, p.Docker.RemoveVolume(ctx, v))
	}
	nets, err := p.Docker.ListNetworks(ctx, p.labels(name))
	errs = append(errs, err)
	for _, n := range nets {
		errs = append(errs, p.Docker.RemoveNetwork(ctx, n.Name))
	}
	errs = append(errs, kubeconfig.Remove(kubeconfig.DefaultPath(), name))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("down %s: %w (state kept in %s; run `mini down --name %s` again)", name, err, p.dir(name), name)
	}
	existed := len(nodes) > 0 || len(vols) > 0 || len(nets) > 0
	if _, err := os.Stat(p.dir(name)); err == nil {
		existed = true
	}
	if err := os.RemoveAll(p.dir(name)); err != nil {
		return err
	}
	if existed {
		fmt.Fprintf(p.Out, "Cluster %q deleted: %d node(s), %d volume(s), %d network(s).\n", name, len(nodes), len(vols), len(nets))
	} else {
		fmt.Fprintf(p.Out, "Cluster %q does not exist: nothing to delete.\n", name)
	}
	return nil
}
