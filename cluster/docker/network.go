package docker

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
)

// Network is a Docker network as mini sees it.
type Network struct {
	ID      string
	Name    string
	Subnet  string // IPv4 subnet, e.g. 172.18.0.0/16
	Gateway string // IPv4 gateway on the host, e.g. 172.18.0.1
	Labels  map[string]string
}

// EnsureNetwork returns the bridge network name, creating it with labels if
// no network of that name exists; created says whether this call made it. A
// network of that name made by someone else is returned as it is: check its
// Labels before adopting it.
//
// `docker network create` is not atomic: two parallel creates can make two
// networks of one name (kind#1596). EnsureNetwork repairs that: after
// creating, it keeps the oldest network of the name (by creation time, then
// ID) and removes the others, so every caller converges on one survivor. It
// is a repair, not a lock: a caller that returned before a racing create
// finished may have been handed the network the racer then removed, so
// callers must hold a per-cluster lock around creation.
func (c *Client) EnsureNetwork(ctx context.Context, name string, labels map[string]string) (Network, bool, error) {
	existing, err := c.networksNamed(ctx, name)
	if err != nil {
		return Network{}, false, fmt.Errorf("create network %s: %w", name, err)
	}
	createdID := ""
	if len(existing) == 0 {
		resp, err := c.api.NetworkCreate(ctx, name, network.CreateOptions{
			Driver: "bridge",
			Labels: labels,
		})
		switch {
		case err == nil:
			createdID = resp.ID
		case cerrdefs.IsConflict(err):
			// Someone else created it between our list and our create.
		default:
			return Network{}, false, fmt.Errorf("create network %s: %w", name, err)
		}
	}
	keep, err := c.dedupNetworks(ctx, name)
	if err != nil {
		return Network{}, false, fmt.Errorf("create network %s: %w", name, err)
	}
	return keep, createdID != "" && keep.ID == createdID, nil
}

// dedupNetworks keeps the oldest network called name and removes the rest.
func (c *Client) dedupNetworks(ctx context.Context, name string) (Network, error) {
	nets, err := c.networksNamed(ctx, name)
	if err != nil {
		return Network{}, err
	}
	if len(nets) == 0 {
		return Network{}, fmt.Errorf("network %s vanished right after it was created", name)
	}
	oldestFirst(nets)
	for _, dup := range nets[1:] {
		if err := c.api.NetworkRemove(ctx, dup.ID); err != nil && !IsNotFound(err) {
			return Network{}, fmt.Errorf("remove duplicate network %s (%.12s): %w", name, dup.ID, err)
		}
	}
	return toNetwork(nets[0]), nil
}

// oldestFirst sorts nets by creation time, then ID, and returns it.
func oldestFirst(nets []network.Summary) []network.Summary {
	slices.SortFunc(nets, func(a, b network.Summary) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return nets
}

// networksNamed lists the networks whose name is exactly name (the engine's
// name filter also matches substrings).
func (c *Client) networksNamed(ctx context.Context, name string) ([]network.Summary, error) {
	nets, err := c.api.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", name))})
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	return slices.DeleteFunc(nets, func(n network.Summary) bool { return n.Name != name }), nil
}

// InspectNetwork returns the network called name (the oldest, should there
// be duplicates) or with ID name; IsNotFound(err) when there is none.
func (c *Client) InspectNetwork(ctx context.Context, name string) (Network, error) {
	nets, err := c.networksNamed(ctx, name)
	if err != nil {
		return Network{}, fmt.Errorf("inspect network %s: %w", name, err)
	}
	if len(nets) > 0 {
		return toNetwork(oldestFirst(nets)[0]), nil
	}
	n, err := c.api.NetworkInspect(ctx, name, network.InspectOptions{})
	if err != nil {
		return Network{}, fmt.Errorf("inspect network %s: %w", name, err)
	}
	return toNetwork(n), nil
}

// RemoveNetwork removes every network called name, or the one with ID name;
// a missing network is not an error.
func (c *Client) RemoveNetwork(ctx context.Context, name string) error {
	nets, err := c.networksNamed(ctx, name)
	if err != nil {
		return fmt.Errorf("remove network %s: %w", name, err)
	}
	ids := []string{name}
	if len(nets) > 0 {
		ids = ids[:0]
		for _, n := range nets {
			ids = append(ids, n.ID)
		}
	}
	for _, id := range ids {
		if err := c.api.NetworkRemove(ctx, id); err != nil && !IsNotFound(err) {
			return fmt.Errorf("remove network %s: %w", name, err)
		}
	}
	return nil
}

// ListNetworks returns the networks carrying all of labels (a label with an
// empty value matches any value), sorted by name.
func (c *Client) ListNetworks(ctx context.Context, labels map[string]string) ([]Network, error) {
	args := labelArgs(labels)
	nets, err := c.api.NetworkList(ctx, network.ListOptions{Filters: args})
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	out := make([]Network, 0, len(nets))
	for _, n := range nets {
		out = append(out, toNetwork(n))
	}
	slices.SortFunc(out, func(a, b Network) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

func toNetwork(n network.Inspect) Network {
	out := Network{ID: n.ID, Name: n.Name, Labels: n.Labels}
	for _, cfg := range n.IPAM.Config {
		if isIPv4Prefix(cfg.Subnet) {
			out.Subnet, out.Gateway = cfg.Subnet, cfg.Gateway
			break
		}
	}
	return out
}
