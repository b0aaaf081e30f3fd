package agent

import (
	"context"
	"net"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
)

// syncRoutes keeps the node's routes to the other nodes' pod CIDRs equal
// to what the Node objects say, so pods reach pods on every node.
func (p *pods) syncRoutes(ctx context.Context) {
	kick := make(chan struct{}, 1)
	poke := func(any) {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
	inf := p.factory.Core().V1().Nodes().Informer()
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: poke, DeleteFunc: poke, UpdateFunc: func(_, n any) { poke(n) },
	})
	poke(nil)
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
		case <-time.After(time.Minute):
		}
		nodes, err := p.nodes.List(labels.Everything())
		if err != nil {
			continue
		}
		if err := p.net.SetRoutes(podRoutes(nodes, p.node)); err != nil {
			p.log.Warn("Failed to set routes to other nodes' pods", "err", err)
		}
	}
}

// podRoutes maps every other real node's pod CIDR to its internal IP.
func podRoutes(nodes []*corev1.Node, self string) map[string]net.IP {
	routes := map[string]net.IP{}
	for _, n := range nodes {
		if n.Name == self || n.Spec.PodCIDR == "" {
			continue
		}
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP {
				if ip := net.ParseIP(a.Address); ip != nil {
					routes[n.Spec.PodCIDR] = ip
				}
				break
			}
		}
	}
	return routes
}
