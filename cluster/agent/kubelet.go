package agent

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/minidev/mini/cluster/agent/image"
	"github.com/minidev/mini/cluster/agent/kubeletapi"
	"github.com/minidev/mini/cluster/agent/network"
	"github.com/minidev/mini/cluster/agent/proxy"
	"github.com/minidev/mini/cluster/agent/runtime"
	"github.com/minidev/mini/cluster/agent/volume"
	"github.com/minidev/mini/cluster/controller/controllerutil"
	"github.com/minidev/mini/cluster/controller/loop"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// DefaultDNSIP is the kube-dns Service's address pods resolve through.
const DefaultDNSIP = "10.96.0.10"

// DefaultKubeletPort is where the agent serves logs, exec and port-forward.
const DefaultKubeletPort = 10250

// apiLookup reads the ConfigMaps and Secrets pods refer to through the API.
type apiLookup struct{ client kubernetes.Interface }

func (l apiLookup) ConfigMap(ns, name string) (*corev1.ConfigMap, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return l.client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
}

func (l apiLookup) Secret(ns, name string) (*corev1.Secret, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return l.client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
}

func (l apiLookup) PersistentVolumeClaim(ctx context.Context, ns, name string) (*corev1.PersistentVolumeClaim, error) {
	return l.client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, name, metav1.GetOptions{})
}

func (l apiLookup) PersistentVolume(ctx context.Context, name string) (*corev1.PersistentVolume, error) {
	return l.client.CoreV1().PersistentVolumes().Get(ctx, name, metav1.GetOptions{})
}

func (l apiLookup) PersistentVolumes(ctx context.Context) ([]corev1.PersistentVolume, error) {
	list, err := l.client.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}

// setupPods sets up the node (runtime, network, image cache), removes
// what a previous life of the agent left, and starts the server for pods'
// logs, exec and port-forward; run then runs the pods bound here.
func (a *Agent) setupPods(ctx context.Context) (*pods, error) {
	restCfg := a.rest
	rt, err := runtime.New(runtime.Config{StateDir: filepath.Join(stateRoot, "containers"), CgroupParent: "mini", Log: a.log.With("component", "runtime")})
	if err != nil {
		return nil, fmt.Errorf("container runtime: %w", err)
	}
	if err := rt.Cleanup(); err != nil {
		a.log.Warn("Failed to clean up containers of a previous run", "err", err)
	}
	if ok, why := rt.Cgroups(); !ok {
		a.log.Warn("Resource limits will not be enforced", "reason", why)
	}
	nw, err := network.Setup(ctx, network.Config{
		PodCIDR: a.cfg.PodCIDR, ClusterCIDR: "10.244.0.0/16",
		StateDir: filepath.Join(stateRoot, "network"), RunDir: netnsDir, Log: a.log.With("component", "network"),
	})
	if err != nil {
		return nil, fmt.Errorf("pod network: %w", err)
	}
	// Nothing of the previous life's pods runs: free all their addresses.
	if err := nw.Cleanup(nil); err != nil {
		a.log.Warn("Failed to clean up pod networks of a previous run", "err", err)
	}
	tlsCfg, err := rest.TLSConfigFor(restCfg)
	if err != nil {
		return nil, err
	}
	src := image.NewHTTPSource(restCfg.Host, &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg, ForceAttemptHTTP2: true}}, a.cfg.Token)
	images, err := image.NewStore(image.Config{Dir: filepath.Join(stateRoot, "images"), Source: src, Log: a.log.With("component", "images")})
	if err != nil {
		return nil, fmt.Errorf("image store: %w", err)
	}
	lookup := apiLookup{client: a.client}
	p := &pods{
		client: a.client, node: a.cfg.NodeName, log: a.log,
		rt: rt, images: images, net: nw, lookup: lookup,
		dnsIP:  a.cfg.DNSIP,
		state:  map[string]*podState{},
		hostIP: internalIP(),
	}
	p.alloc = a.status(corev1.NodeStatus{}).Allocatable
	p.volumes = volume.New(volume.Config{Dir: filepath.Join(stateRoot, "pods"), Lookup: lookup, NodeName: a.cfg.NodeName, Allocatable: p.alloc, Log: a.log.With("component", "volumes"),
		Claims: lookup, LocalVolumesDir: filepath.Join(stateRoot, "volumes")})
	// Directories of provisioned volumes that were deleted go.
	go p.volumes.RunSweeper(ctx, 10*time.Second)
	p.rec = controllerutil.NewRecorderFor(a.client, corev1.EventSource{Component: "kubelet", Host: a.cfg.NodeName})
	p.recorder = p.rec
	p.factory = informers.NewSharedInformerFactory(a.client, 0)
	p.podFactory = informers.NewSharedInformerFactoryWithOptions(a.client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = "spec.nodeName=" + a.cfg.NodeName
	}))
	podInf := p.podFactory.Core().V1().Pods()
	p.loop = loop.New("pods", p.reconcile, a.log)
	_, _ = podInf.Informer().AddEventHandler(p.loop.Handler())
	p.lister = podInf.Lister()
	p.nodes = p.factory.Core().V1().Nodes().Lister()
	// The service proxy watches Services and EndpointSlices through the
	// same factory (started by p.start) and rewrites its nftables table.
	px, err := proxy.New(proxy.Config{Informers: p.factory, PodCIDR: a.cfg.PodCIDR, ClusterCIDR: "10.244.0.0/16", Log: a.log.With("component", "proxy")})
	if err != nil {
		return nil, fmt.Errorf("service proxy: %w", err)
	}
	go px.Run(ctx)

	srv, err := kubeletapi.New(kubeletapi.Config{Addr: fmt.Sprintf(":%d", a.cfg.KubeletPort), Token: a.cfg.Token, Provider: p, Log: a.log.With("component", "kubeletapi")})
	if err != nil {
		return nil, fmt.Errorf("kubelet API server: %w", err)
	}
	go func() {
		if err := srv.Run(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("Kubelet API server stopped", "err", err)
		}
	}()
	return p, nil
}

// run runs the pods bound to this node until ctx ends.
func (p *pods) run(ctx context.Context) {
	p.podFactory.Start(ctx.Done())
	p.podFactory.WaitForCacheSync(ctx.Done())
	p.removeOrphans()
	p.start(ctx)
	// The node is stopping: its containers die with it, but their cgroups
	// live in the host's tree and must go first.
	if err := p.rt.Close(); err != nil {
		p.log.Warn("Failed to remove the pods' containers", "err", err)
	}
}

// removeOrphans deletes the volumes and logs of pods no longer bound here.
func (p *pods) removeOrphans() {
	pods, err := p.lister.List(labels.Everything())
	if err != nil {
		return
	}
	keep := sets.New[string]()
	for _, pod := range pods {
		keep.Insert(string(pod.UID))
	}
	entries, _ := os.ReadDir(filepath.Join(stateRoot, "pods"))
	for _, e := range entries {
		if !keep.Has(e.Name()) {
			if err := p.volumes.Teardown(types.UID(e.Name())); err != nil {
				p.log.Warn("Failed to remove an old pod's volumes", "uid", e.Name(), "err", err)
			}
		}
	}
	logDirs, _ := os.ReadDir(filepath.Join(stateRoot, "logs"))
	for _, e := range logDirs {
		uid := e.Name()[max(0, len(e.Name())-36):]
		if !keep.Has(uid) {
			_ = os.RemoveAll(filepath.Join(stateRoot, "logs", e.Name()))
		}
	}
}
