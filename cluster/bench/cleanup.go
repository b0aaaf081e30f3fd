package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// cleanup takes down every cluster and the floor, checks that nothing
// labelled with them is left, removes the node image if this run built it,
// and the temporary directory.
func (b *bench) cleanup(ctx context.Context, removeImage bool) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	var errs []error
	err := b.step("Clean-up", func() error {
		for _, name := range b.mini.clusters {
			errs = append(errs, b.mini.down(ctx, name))
		}
		names := b.mini.clusters
		if b.floor != nil {
			errs = append(errs, b.floor.removeAll(ctx))
			names = append(names, b.floor.cluster)
		}
		for _, name := range names {
			errs = append(errs, leftovers(ctx, name))
		}
		if removeImage {
			if _, err := docker(ctx, "image", "rm", b.image); err != nil {
				errs = append(errs, fmt.Errorf("remove the node image this run built: %w", err))
			}
		}
		errs = append(errs, os.RemoveAll(b.tmp))
		return errors.Join(errs...)
	})
	return err
}

// leftovers fails if a container, network or volume carries the cluster
// label of name.
func leftovers(ctx context.Context, name string) error {
	filter := labelCluster + "=" + name
	for _, kind := range [][]string{{"ps", "-aq"}, {"network", "ls", "-q"}, {"volume", "ls", "-q"}} {
		out, err := docker(ctx, append(kind, "--filter", "label="+filter)...)
		if err != nil {
			return err
		}
		if out != "" {
			return fmt.Errorf("docker %s --filter label=%s still lists: %s", kind[0], filter, out)
		}
	}
	return nil
}
