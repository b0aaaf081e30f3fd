package proxy

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	listersv1 "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
)

// Defaults for Config fields left empty.
const (
	DefaultClusterCIDR = "10.244.0.0/16"
	DefaultDebounce    = 50 * time.Millisecond
	DefaultResync      = time.Minute
)

// Config says what the proxy watches and where its rules go.
type Config struct {
	// Informers is a factory the caller starts after New: the proxy adds
	// its Service and EndpointSlice informers to it.
	Informers informers.SharedInformerFactory
	// Table is the nftables table the proxy owns (DefaultTable).
	Table string
	// ClusterCIDR holds every pod (DefaultClusterCIDR); PodCIDR is this
	// node's range.
	ClusterCIDR string
	PodCIDR     string
	// BridgeNetfilter overrides the detection of br_netfilter (nil: detect
	// and enable /proc/sys/net/bridge/bridge-nf-call-iptables).
	BridgeNetfilter *bool
	// Debounce gathers bursts of changes into one rebuild (DefaultDebounce);
	// Resync rebuilds anyway after this long (DefaultResync).
	Debounce time.Duration
	Resync   time.Duration
	// Log receives progress and errors (discarded if nil).
	Log *slog.Logger
}

// Proxy keeps a node's service rules equal to what the API says.
type Proxy struct {
	cfg      Config
	opts     Options
	services listersv1.ServiceLister
	slices   discoverylisters.EndpointSliceLister
	synced   []cache.InformerSynced
	kick     chan struct{}
	// write programs a plan; Write on the real node.
	write func(p Plan, fresh bool) error
}

// New checks cfg, registers the informers and detects whether bridged
// traffic passes netfilter. Nothing is programmed before Run.
func New(cfg Config) (*Proxy, error) {
	if cfg.Informers == nil {
		return nil, fmt.Errorf("service proxy: no informer factory")
	}
	if cfg.Table == "" {
		cfg.Table = DefaultTable
	}
	if cfg.ClusterCIDR == "" {
		cfg.ClusterCIDR = DefaultClusterCIDR
	}
	if cfg.Debounce <= 0 {
		cfg.Debounce = DefaultDebounce
	}
	if cfg.Resync <= 0 {
		cfg.Resync = DefaultResync
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	cluster, err := netip.ParsePrefix(cfg.ClusterCIDR)
	if err != nil {
		return nil, fmt.Errorf("service proxy: cluster CIDR %q: %w", cfg.ClusterCIDR, err)
	}
	var pod netip.Prefix
	if cfg.PodCIDR != "" {
		if pod, err = netip.ParsePrefix(cfg.PodCIDR); err != nil {
			return nil, fmt.Errorf("service proxy: pod CIDR %q: %w", cfg.PodCIDR, err)
		}
	}
	brnf := false
	if cfg.BridgeNetfilter != nil {
		brnf = *cfg.BridgeNetfilter
	} else {
		brnf = enableBridgeNetfilter()
	}
	p := &Proxy{
		cfg:  cfg,
		opts: Options{ClusterCIDR: cluster, PodCIDR: pod, BridgeNetfilter: brnf},
		kick: make(chan struct{}, 1),
	}
	p.write = func(plan Plan, fresh bool) error { return Write(cfg.Table, plan, fresh) }
	svcInf := cfg.Informers.Core().V1().Services()
	sliceInf := cfg.Informers.Discovery().V1().EndpointSlices()
	poke := func(any) { p.poke() }
	h := cache.ResourceEventHandlerFuncs{AddFunc: poke, DeleteFunc: poke, UpdateFunc: func(_, n any) { poke(n) }}
	for _, inf := range []cache.SharedIndexInformer{svcInf.Informer(), sliceInf.Informer()} {
		if _, err := inf.AddEventHandler(h); err != nil {
			return nil, fmt.Errorf("service proxy: watch: %w", err)
		}
		p.synced = append(p.synced, inf.HasSynced)
	}
	p.services, p.slices = svcInf.Lister(), sliceInf.Lister()
	return p, nil
}

func (p *Proxy) poke() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Run waits for the informers, replaces whatever a previous life left in
// the table with the API's rules, then rebuilds after every change (a
// burst within Debounce gives one rebuild) and every Resync, until ctx
// ends. A failed write is retried after a second.
func (p *Proxy) Run(ctx context.Context) {
	if !cache.WaitForCacheSync(ctx.Done(), p.synced...) {
		return
	}
	p.cfg.Log.Info("service proxy started", "table", p.cfg.Table, "bridgeNetfilter", p.opts.BridgeNetfilter)
	fresh := true
	var last Plan
	for {
		plan, err := p.plan()
		if err == nil {
			start := time.Now()
			if err = p.write(plan, fresh); err == nil {
				if fresh || len(plan.ServiceIPs) != len(last.ServiceIPs) || len(plan.Endpoints) != len(last.Endpoints) {
					p.cfg.Log.Info("service rules written", "servicePorts", len(plan.Services), "endpoints", len(plan.Endpoints), "took", time.Since(start))
				}
				fresh, last = false, plan
			}
		}
		retry := p.cfg.Resync
		if err != nil {
			p.cfg.Log.Error("Failed to write service rules", "err", err)
			retry = time.Second
		}
		select {
		case <-ctx.Done():
			return
		case <-p.kick:
		case <-time.After(retry):
		}
		// Let a burst of changes settle into one rebuild.
		select {
		case <-ctx.Done():
			return
		case <-time.After(p.cfg.Debounce):
		}
		select {
		case <-p.kick:
		default:
		}
	}
}

// plan builds the rules from the informers' caches.
func (p *Proxy) plan() (Plan, error) {
	svcs, err := p.services.List(labels.Everything())
	if err != nil {
		return Plan{}, fmt.Errorf("list services: %w", err)
	}
	slices, err := p.slices.List(labels.Everything())
	if err != nil {
		return Plan{}, fmt.Errorf("list endpoint slices: %w", err)
	}
	return Build(svcs, slices, p.opts), nil
}

// enableBridgeNetfilter turns on bridge-nf-call-iptables in the node's
// netns if br_netfilter is loaded, and says whether it is on.
func enableBridgeNetfilter() bool {
	const path = "/proc/sys/net/bridge/bridge-nf-call-iptables"
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	if strings.TrimSpace(string(b)) == "1" {
		return true
	}
	return os.WriteFile(path, []byte("1"), 0o644) == nil
}
