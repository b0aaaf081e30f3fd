package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	minidocker "github.com/minidev/mini/cluster/docker"
	"github.com/minidev/mini/cluster/pki"
)

// labelCluster is the label mini puts on everything of a cluster; the floor
// carries it too, so that leftovers show in
// `docker ps -a --filter label=io.mini.cluster`.
const labelCluster = "io.mini.cluster"

// Security flags of a node container, as cluster/docker sets them: the
// privileged set first, and the fallback for engines that refuse it.
var (
	privilegedFlags = []string{"--privileged", "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined"}
	fallbackFlags   = []string{
		"--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE",
		"--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
		"--security-opt", "systempaths=unconfined", "-v", "/sys/fs/cgroup:/sys/fs/cgroup",
	}
)

// floor starts containers of the node image with the plain docker CLI: the
// least `mini up --nodes N` could take on this engine. The agent in them
// gets a CA but an API port nobody listens on, so it retries forever and
// the container keeps running.
type floor struct {
	image   string
	cluster string // the io.mini.cluster label value and name prefix
	caPEM   string
	flags   []string // privilegedFlags or fallbackFlags, from probe
}

func newFloor(image, cluster string) (*floor, error) {
	ca, err := pki.NewCA(cluster)
	if err != nil {
		return nil, err
	}
	return &floor{image: image, cluster: cluster, caPEM: string(ca.CertPEM)}, nil
}

// probe finds the security flags this engine accepts, as mini does: it
// tries --privileged and falls back when the engine refuses it. It returns
// how long the refused attempt took (0 when not refused): the price every
// `mini up` pays here before its nodes start.
func (f *floor) probe(ctx context.Context) (refusal time.Duration, err error) {
	defer func() { err = errors.Join(err, f.remove(context.WithoutCancel(ctx), 1)) }()
	if _, err := docker(ctx, "network", "create", "--label", labelCluster+"="+f.cluster, f.network()); err != nil {
		return 0, err
	}
	begin := time.Now()
	err = f.runOne(ctx, 1, privilegedFlags)
	if err == nil {
		f.flags = privilegedFlags
		return 0, nil
	}
	refusal = time.Since(begin)
	if !minidocker.IsPrivilegedRefused(err) {
		return 0, err
	}
	if _, err := docker(ctx, "rm", "-f", f.container(1)); err != nil {
		return 0, err
	}
	if err := f.runOne(ctx, 1, fallbackFlags); err != nil {
		return 0, fmt.Errorf("the engine refuses --privileged, and the fallback too: %w", err)
	}
	f.flags = fallbackFlags
	return refusal, nil
}

// time creates the network and n running containers, as fast as the CLI
// can (the runs in parallel, as mini starts its nodes), and returns how long
// that took. Everything is removed again before it returns.
func (f *floor) time(ctx context.Context, n int) (d time.Duration, err error) {
	defer func() { err = errors.Join(err, f.remove(context.WithoutCancel(ctx), n)) }()
	begin := time.Now()
	if _, err := docker(ctx, "network", "create", "--label", labelCluster+"="+f.cluster, f.network()); err != nil {
		return 0, err
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = f.runOne(ctx, i+1, f.flags) })
	}
	wg.Wait()
	d = time.Since(begin)
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	// `docker run -d` returns once the container started; check it stayed up.
	for i := range n {
		state, err := docker(ctx, "inspect", "--format", "{{.State.Status}}", f.container(i+1))
		if err != nil {
			return 0, err
		}
		if state != "running" {
			return 0, fmt.Errorf("floor container %s is %s, not running", f.container(i+1), state)
		}
	}
	return d, nil
}

// runOne is the `docker run -d` of node i: the image, entrypoint, command,
// restart policy, tmpfs mounts and security flags of a mini node.
func (f *floor) runOne(ctx context.Context, i int, flags []string) error {
	node := fmt.Sprintf("%s-%d", f.cluster, i)
	args := []string{
		"run", "-d", "--name", f.container(i), "--hostname", node, "--network", f.network(),
		"--label", labelCluster + "=" + f.cluster, "--restart", "unless-stopped",
		"--tmpfs", "/run:rw,nosuid,nodev,exec,mode=755", "--tmpfs", "/tmp:rw,nosuid,nodev,exec,mode=1777",
		"-e", "MINI_NODE_NAME=" + node, "-e", "MINI_API_PORT=1", "-e", "MINI_CA=" + f.caPEM, "-e", "MINI_NODE_TOKEN=floor",
	}
	args = append(append(args, flags...), f.image, "agent")
	_, err := docker(ctx, args...)
	return err
}

// remove deletes the floor's containers 1..n and its network; missing ones
// are not an error.
func (f *floor) remove(ctx context.Context, n int) error {
	var errs []error
	names := make([]string, 0, n)
	for i := range n {
		names = append(names, f.container(i+1))
	}
	if n > 0 {
		if _, err := docker(ctx, append([]string{"rm", "-f"}, names...)...); err != nil && !strings.Contains(err.Error(), "No such container") {
			errs = append(errs, err)
		}
	}
	if _, err := docker(ctx, "network", "rm", f.network()); err != nil && !strings.Contains(err.Error(), "No such network") && !strings.Contains(err.Error(), "not found") {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// removeAll deletes every container labelled as the floor's, and its
// network: what an interrupted run may have left.
func (f *floor) removeAll(ctx context.Context) error {
	ids, err := docker(ctx, "ps", "-aq", "--filter", "label="+labelCluster+"="+f.cluster)
	if err != nil {
		return err
	}
	if ids != "" {
		if _, err := docker(ctx, append([]string{"rm", "-f"}, strings.Fields(ids)...)...); err != nil {
			return err
		}
	}
	return f.remove(ctx, 0)
}

func (f *floor) network() string        { return f.cluster }
func (f *floor) container(i int) string { return fmt.Sprintf("%s-%d", f.cluster, i) }
