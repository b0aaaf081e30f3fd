package docker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
)

// NodeInfo is a node container as the engine sees it now. Nothing in it is
// worth caching: the engine may give a node a new IP after a restart.
type NodeInfo struct {
	ID        string
	Name      string // container name, without the leading "/"
	Labels    map[string]string
	State     string // created, running, paused, restarting, removing, exited or dead
	Running   bool
	Network   string // the cluster network (LabelNetwork)
	IP        string // IPv4 address on Network; "" when not running
	Created   time.Time
	StartedAt time.Time // zero if never started
	// Privileged is false for a node run with the fallback.
	Privileged bool
}

// ListNodes returns the containers, in any state, carrying all of labels
// (a label with an empty value matches any value), sorted by name. With no
// labels it returns every container of the engine, mini's or not.
func (c *Client) ListNodes(ctx context.Context, labels map[string]string) ([]NodeInfo, error) {
	list, err := c.api.ContainerList(ctx, container.ListOptions{All: true, Filters: labelArgs(labels)})
	if err != nil {
		return nil, fmt.Errorf("list node containers: %w", err)
	}
	nodes := make([]NodeInfo, 0, len(list))
	for _, s := range list {
		resp, err := c.api.ContainerInspect(ctx, s.ID)
		if IsNotFound(err) {
			continue // removed since the list
		}
		if err != nil {
			return nil, fmt.Errorf("list node containers: inspect %.12s: %w", s.ID, err)
		}
		nodes = append(nodes, toNodeInfo(resp))
	}
	slices.SortFunc(nodes, func(a, b NodeInfo) int { return cmp.Compare(a.Name, b.Name) })
	return nodes, nil
}

// InspectNode returns the container called name; IsNotFound(err) when there
// is none.
func (c *Client) InspectNode(ctx context.Context, name string) (NodeInfo, error) {
	resp, err := c.api.ContainerInspect(ctx, name)
	if err != nil {
		return NodeInfo{}, fmt.Errorf("inspect container %s: %w", name, err)
	}
	return toNodeInfo(resp), nil
}

func toNodeInfo(r container.InspectResponse) NodeInfo {
	n := NodeInfo{}
	if r.ContainerJSONBase != nil {
		n.ID = r.ID
		n.Name = strings.TrimPrefix(r.Name, "/")
		n.Created = parseTime(r.Created)
		if r.State != nil {
			n.State = string(r.State.Status)
			n.Running = r.State.Running
			n.StartedAt = parseTime(r.State.StartedAt)
		}
		if r.HostConfig != nil {
			n.Privileged = r.HostConfig.Privileged
		}
	}
	if r.Config != nil {
		n.Labels = r.Config.Labels
		n.Network = r.Config.Labels[LabelNetwork]
	}
	if r.NetworkSettings != nil {
		nets := r.NetworkSettings.Networks
		if ep, ok := nets[n.Network]; ok && ep != nil {
			n.IP = ep.IPAddress
		} else if n.Network == "" && len(nets) == 1 {
			for name, ep := range nets {
				if ep != nil {
					n.Network, n.IP = name, ep.IPAddress
				}
			}
		}
	}
	return n
}

// parseTime parses the engine's RFC 3339 times; its "never" is year 1.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}

// StartContainer starts the container name (a no-op if it is running).
func (c *Client) StartContainer(ctx context.Context, name string) error {
	if err := c.api.ContainerStart(ctx, name, container.StartOptions{}); err != nil {
		return fmt.Errorf("start container %s: %w", name, err)
	}
	return nil
}

// StopContainer sends the container name SIGTERM and kills it after timeout
// (rounded up to whole seconds; 0 kills at once, a negative one waits
// forever). A stopped node stays stopped: unless-stopped does not restart it.
func (c *Client) StopContainer(ctx context.Context, name string, timeout time.Duration) error {
	secs := -1
	if timeout >= 0 {
		secs = int((timeout + time.Second - 1) / time.Second)
	}
	if err := c.api.ContainerStop(ctx, name, container.StopOptions{Timeout: &secs}); err != nil {
		return fmt.Errorf("stop container %s: %w", name, err)
	}
	return nil
}

// RemoveContainer removes the container name, killing it if it runs, with
// its anonymous volumes. A missing container is not an error, and neither
// is one whose removal is already in progress: RemoveContainer then waits
// until it is gone.
func (c *Client) RemoveContainer(ctx context.Context, name string) error {
	err := c.api.ContainerRemove(ctx, name, container.RemoveOptions{Force: true, RemoveVolumes: true})
	switch {
	case err == nil || IsNotFound(err):
		return nil
	case cerrdefs.IsConflict(err) && strings.Contains(err.Error(), "already in progress"):
		if werr := c.waitGone(ctx, name); werr != nil {
			return fmt.Errorf("remove container %s: %w", name, werr)
		}
		return nil
	default:
		return fmt.Errorf("remove container %s: %w", name, err)
	}
}

// waitGone polls until the container name no longer exists.
func (c *Client) waitGone(ctx context.Context, name string) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		_, err := c.api.ContainerInspect(ctx, name)
		if IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// ContainerLogs copies the log of the container name so far (stdout and
// stderr, each line prefixed with its RFC 3339 timestamp) to w.
func (c *Client) ContainerLogs(ctx context.Context, name string, w io.Writer) error {
	rc, err := c.api.ContainerLogs(ctx, name, container.LogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true})
	if err != nil {
		return fmt.Errorf("logs of container %s: %w", name, err)
	}
	defer rc.Close()
	// Node containers have no TTY, so the stream is multiplexed.
	if _, err := stdcopy.StdCopy(w, w, rc); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("logs of container %s: %w", name, err)
	}
	return nil
}
