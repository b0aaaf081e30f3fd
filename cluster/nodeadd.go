package cluster

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/minidev/mini/cluster/pki"
)

// AddNodes adds count real nodes to a running cluster (as k3d's node
// create): each gets a token the control plane picks up from the tokens
// file, a pod CIDR after the others', and its container; the nodes are in
// the state once they are Ready. On failure what was added is removed.
func (p *Provider) AddNodes(ctx context.Context, name string, count int, wait time.Duration) (err error) {
	st, err := p.readState(name)
	if err != nil {
		return err
	}
	unlock, err := p.lock(name)
	if err != nil {
		return err
	}
	defer unlock()
	if count < 1 || len(st.Nodes)+count > MaxNodes {
		return fmt.Errorf("--count %d: cluster %q has %d nodes and may have at most %d", count, name, len(st.Nodes), MaxNodes)
	}
	if p.controlPlanePID(name) == 0 {
		return fmt.Errorf("cluster %q is stopped: `mini start --name %s` first", name, name)
	}
	a, err := p.access(st)
	if err != nil {
		return err
	}
	next := 0
	for _, n := range st.Nodes {
		next = max(next, nodeIndex(name, n))
	}
	if next+count > 255 {
		return fmt.Errorf("cluster %q has used node numbers up to %d: pod CIDRs 10.244.N.0/24 end at 255", name, next)
	}
	var added []string
	for i := 1; i <= count; i++ {
		added = append(added, NodeName(name, next+i))
	}

	tokensPath := filepath.Join(p.dir(name), pki.TokensFile)
	tokens, err := pki.LoadTokens(tokensPath)
	if err != nil {
		return err
	}
	before := pki.Tokens{}
	for k, v := range tokens {
		before[k] = v
	}
	nodeTokens := map[string]string{}
	for _, n := range added {
		t, err := pki.NewToken()
		if err != nil {
			return err
		}
		tokens[t] = pki.Identity{User: "system:node:" + n, Groups: []string{"system:nodes"}}
		nodeTokens[n] = t
	}
	created := &undo{}
	defer func() {
		if err != nil {
			cctx := context.WithoutCancel(ctx)
			created.run(cctx, p)
			_ = pki.WriteTokens(tokensPath, before)
		}
	}()
	grown := *st
	grown.Nodes = append(append([]string{}, st.Nodes...), added...)
	steps := []struct {
		name string
		fn   func(ctx context.Context) (string, error)
	}{
		{"Node credentials", func(context.Context) (string, error) {
			return fmt.Sprintf("%d token(s)", len(added)), pki.WriteTokens(tokensPath, tokens)
		}},
		{"Nodes", func(ctx context.Context) (string, error) {
			fellBack, err := p.runNodes(ctx, &grown, added, a.caPEM, nodeTokens, created)
			detail := fmt.Sprintf("%d started", len(added))
			if fellBack {
				detail += " (unprivileged fallback)"
			}
			return detail, err
		}},
		{"Waiting for nodes Ready", func(ctx context.Context) (string, error) {
			wctx, cancel := context.WithTimeout(ctx, wait)
			defer cancel()
			return "", p.waitReady(wctx, &grown, a.caPEM)
		}},
		{"State", func(context.Context) (string, error) {
			return "", p.writeState(&grown)
		}},
	}
	for _, s := range steps {
		if err := p.step(ctx, s.name, s.fn); err != nil {
			return fmt.Errorf("add nodes to %s: %s: %w", name, s.name, err)
		}
	}
	fmt.Fprintf(p.Out, "Cluster %q has %d nodes: added %v.\n", name, len(grown.Nodes), added)
	return nil
}
