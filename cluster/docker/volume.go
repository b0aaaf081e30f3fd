package docker

import (
	"context"
	"fmt"
	"slices"

	"github.com/docker/docker/api/types/volume"
)

// EnsureVolume creates the local volume name with labels unless it exists;
// created says whether this call made it.
func (c *Client) EnsureVolume(ctx context.Context, name string, labels map[string]string) (bool, error) {
	if _, err := c.api.VolumeInspect(ctx, name); err == nil {
		return false, nil
	} else if !IsNotFound(err) {
		return false, fmt.Errorf("create volume %s: %w", name, err)
	}
	if _, err := c.api.VolumeCreate(ctx, volume.CreateOptions{Name: name, Driver: "local", Labels: labels}); err != nil {
		return false, fmt.Errorf("create volume %s: %w", name, err)
	}
	return true, nil
}

// RemoveVolume removes the volume name, even if it is in use by a stopped
// container; a missing volume is not an error.
func (c *Client) RemoveVolume(ctx context.Context, name string) error {
	if err := c.api.VolumeRemove(ctx, name, true); err != nil && !IsNotFound(err) {
		return fmt.Errorf("remove volume %s: %w", name, err)
	}
	return nil
}

// ListVolumes returns the names of the volumes carrying all of labels, sorted.
func (c *Client) ListVolumes(ctx context.Context, labels map[string]string) ([]string, error) {
	args := labelArgs(labels)
	resp, err := c.api.VolumeList(ctx, volume.ListOptions{Filters: args})
	if err != nil {
		return nil, fmt.Errorf("list volumes: %w", err)
	}
	names := make([]string, 0, len(resp.Volumes))
	for _, v := range resp.Volumes {
		names = append(names, v.Name)
	}
	slices.Sort(names)
	return names, nil
}
