package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"
)

// Stop stops the nodes and the control plane; state and volumes stay.
func (p *Provider) Stop(ctx context.Context, name string) error {
	st, err := p.readState(name)
	if err != nil {
		return err
	}
	unlock, err := p.lock(name)
	if err != nil {
		return err
	}
	defer unlock()
	nodes, err := p.Docker.ListNodes(ctx, p.labels(name))
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range nodes {
		errs = append(errs, p.Docker.StopContainer(ctx, n.Name, 10*time.Second))
	}
	errs = append(errs, p.stopControlPlane(name))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("stop %s: %w", name, err)
	}
	fmt.Fprintf(p.Out, "Cluster %q stopped (%d nodes); `mini start --name %s` brings it back.\n", name, len(st.Nodes), name)
	return nil
}

// Start starts a stopped cluster (or the parts of it that are down) and
// waits until its nodes are Ready.
func (p *Provider) Start(ctx context.Context, name string, wait time.Duration) error {
	st, err := p.readState(name)
	if err != nil {
		return err
	}
	unlock, err := p.lock(name)
	if err != nil {
		return err
	}
	defer unlock()
	a, err := p.access(st)
	if err != nil {
		return err
	}
	steps := []struct {
		name string
		fn   func(ctx context.Context) (string, error)
	}{
		{"Control plane", func(ctx context.Context) (string, error) {
			if pid := p.controlPlanePID(name); pid != 0 {
				return fmt.Sprintf("running, pid %d", pid), nil
			}
			if err := portFree(st.Port); err != nil {
				return "", fmt.Errorf("the API port %d of cluster %q is in use by another program (%v): stop that program, or `mini down --name %s` and `mini up` again to get a new port", st.Port, name, err, name)
			}
			// Docker may give the network a new gateway after a restart: read it now.
			nw, err := p.Docker.InspectNetwork(ctx, st.Network)
			if err != nil {
				return "", fmt.Errorf("network %s: %w (the cluster is damaged: `mini down --name %s` and up again)", st.Network, err, name)
			}
			pid, err := p.startControlPlane(name, nw.Gateway)
			if err != nil {
				return "", err
			}
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			return fmt.Sprintf("pid %d", pid), p.waitAPI(wctx, name, st.Port, a.caPEM)
		}},
		{"Nodes", func(ctx context.Context) (string, error) {
			nodes, err := p.Docker.ListNodes(ctx, p.labels(name))
			if err != nil {
				return "", err
			}
			started := 0
			for _, n := range nodes {
				if !n.Running {
					if err := p.Docker.StartContainer(ctx, n.Name); err != nil {
						return "", err
					}
					started++
				}
			}
			return fmt.Sprintf("%d started, %d already running", started, len(nodes)-started), nil
		}},
		{"Waiting for nodes Ready", func(ctx context.Context) (string, error) {
			wctx, cancel := context.WithTimeout(ctx, wait)
			defer cancel()
			return "", p.waitReady(wctx, st, a.caPEM)
		}},
	}
	for _, s := range steps {
		if err := p.step(ctx, s.name, s.fn); err != nil {
			return fmt.Errorf("start %s: %s: %w", name, s.name, err)
		}
	}
	fmt.Fprintf(p.Out, "Cluster %q is running.\n", name)
	return nil
}

// portFree reports whether the API port can be bound on 127.0.0.1.
func portFree(port int) error {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return errors.Unwrap(errors.Unwrap(err))
	}
	return ln.Close()
}
