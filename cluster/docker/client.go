package docker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
)

// Labels mini puts on everything it creates.
const (
	// LabelCluster holds the cluster name.
	LabelCluster = "io.mini.cluster"
	// LabelRole holds what the object is to the cluster ("node").
	LabelRole = "io.mini.role"
	// LabelNode holds the node name of a node container.
	LabelNode = "io.mini.node"
	// LabelNetwork holds the cluster network a node container was attached
	// to; RunNode sets it, and NodeInfo.IP is the address on that network.
	LabelNetwork = "io.mini.network"
)

// RoleNode is the LabelRole value of node containers.
const RoleNode = "node"

// pingTimeout bounds New's first contact with the engine, so a socket
// nobody answers fails fast instead of hanging `mini up`.
const pingTimeout = 15 * time.Second

// Client talks to one Docker engine. It is safe for concurrent use.
type Client struct {
	api *client.Client
	// unprivileged is set once the engine refused a privileged node; later
	// nodes go straight to the fallback.
	unprivileged atomic.Bool
}

// New connects to the engine the docker CLI would use: DOCKER_HOST (with
// DOCKER_TLS_VERIFY, DOCKER_CERT_PATH, DOCKER_API_VERSION) if set, else the
// CLI's current context (DOCKER_CONTEXT or ~/.docker/config.json), else the
// default socket. It negotiates the API version and pings the engine; if
// that fails, the one-line error names the address tried and what to do.
func New(ctx context.Context) (*Client, error) {
	host, contextName, err := cliContextHost()
	if err != nil {
		return nil, fmt.Errorf("connect to Docker: %w", err)
	}
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if host != "" {
		opts = append(opts, client.WithHost(host))
	}
	api, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to Docker (%s): %w; fix the address or unset DOCKER_HOST", describeHost(client.DefaultDockerHost, contextName), err)
	}
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if _, err := api.Ping(pctx); err != nil {
		api.Close()
		return nil, unreachable(ctx, describeHost(api.DaemonHost(), contextName), err)
	}
	return &Client{api: api}, nil
}

// unreachable explains a failed first contact with the engine at where.
func unreachable(ctx context.Context, where string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("connect to Docker (%s): %w", where, ctx.Err())
	}
	msg := oneLine(err)
	switch {
	case strings.Contains(msg, "permission denied"):
		return fmt.Errorf("cannot reach the Docker engine at %s: permission denied; add your user to the docker group (then log in again), or set DOCKER_HOST to an engine you may use", where)
	case strings.HasPrefix(msg, "Cannot connect to the Docker daemon"):
		// The client's own wording, without a cause: nothing listens there.
		msg = "nothing answers there"
	case errors.Is(err, context.DeadlineExceeded):
		msg = fmt.Sprintf("no answer within %s", pingTimeout)
	}
	return fmt.Errorf("cannot reach the Docker engine at %s: %s; is the Docker daemon running? start it or set DOCKER_HOST", where, msg)
}

// describeHost says which engine address was tried and where it came from.
func describeHost(daemonHost, contextName string) string {
	if v := os.Getenv(client.EnvOverrideHost); v != "" {
		return "DOCKER_HOST=" + v
	}
	if contextName != "" {
		return fmt.Sprintf("%s (docker context %q)", daemonHost, contextName)
	}
	return daemonHost
}

// oneLine flattens a multi-line error message.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// Close releases the client's connections.
func (c *Client) Close() error {
	return c.api.Close()
}

// IsNotFound reports whether err (or an error it wraps) says the object does
// not exist.
func IsNotFound(err error) bool {
	return cerrdefs.IsNotFound(err)
}

// labelArgs turns labels into "label" filters: k=v, or only k when v is
// empty (the label is present with any value).
func labelArgs(labels map[string]string) filters.Args {
	args := filters.NewArgs()
	for k, v := range labels {
		if v == "" {
			args.Add("label", k)
		} else {
			args.Add("label", k+"="+v)
		}
	}
	return args
}

// EngineID identifies the engine and its version: what mini remembers
// about an engine (such as its refusal of --privileged) is keyed by it, so
// an upgraded engine is asked again.
func (c *Client) EngineID(ctx context.Context) (string, error) {
	info, err := c.api.Info(ctx)
	if err != nil {
		return "", fmt.Errorf("docker info: %w", err)
	}
	return info.ID + "/" + info.ServerVersion, nil
}

// AssumeUnprivileged makes RunNode go straight to the fallback, for an
// engine known to refuse --privileged.
func (c *Client) AssumeUnprivileged() { c.unprivileged.Store(true) }
