package volumebinding

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/minidev/mini/cluster/controller/controllerutil"
	"github.com/minidev/mini/cluster/controller/loop"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	storagelisters "k8s.io/client-go/listers/storage/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
)

// Config of the controller.
type Config struct {
	Client kubernetes.Interface
	Log    *slog.Logger
	// Recorder records Events; nil means one writing through Client as
	// "persistentvolume-controller".
	Recorder record.EventRecorder
	// Resync is how often every claim and volume is looked at again even
	// when nothing changed; 0 means 15 s (Kubernetes' PV controller resyncs).
	Resync time.Duration
}

// Controller binds claims to volumes, provisions local-path volumes and
// reclaims released ones.
type Controller struct {
	cfg     Config
	client  kubernetes.Interface
	log     *slog.Logger
	rec     record.EventRecorder
	own     *controllerutil.Recorder // nil when the recorder was given
	loop    *loop.Loop
	factory informers.SharedInformerFactory
	claims  corelisters.PersistentVolumeClaimLister
	volumes corelisters.PersistentVolumeLister
	classes storagelisters.StorageClassLister
	nodes   corelisters.NodeLister
}

// Keys in the queue: claims and volumes share one loop.
const (
	claimPrefix  = "claim/"
	volumePrefix = "volume/"
)

// New wires the controller to claim, volume, class and node informers.
func New(cfg Config) *Controller {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Resync == 0 {
		cfg.Resync = 15 * time.Second
	}
	c := &Controller{cfg: cfg, client: cfg.Client, log: cfg.Log.With("controller", "volumebinding"),
		factory: informers.NewSharedInformerFactory(cfg.Client, cfg.Resync)}
	c.rec = cfg.Recorder
	if c.rec == nil {
		c.own = controllerutil.NewRecorder(cfg.Client, "persistentvolume-controller")
		c.rec = c.own
	}
	c.loop = loop.New("volumebinding", c.reconcile, cfg.Log)
	pvcs, pvs := c.factory.Core().V1().PersistentVolumeClaims(), c.factory.Core().V1().PersistentVolumes()
	scs, nodes := c.factory.Storage().V1().StorageClasses(), c.factory.Core().V1().Nodes()
	c.claims, c.volumes, c.classes, c.nodes = pvcs.Lister(), pvs.Lister(), scs.Lister(), nodes.Lister()
	_, _ = pvcs.Informer().AddEventHandler(c.handler(claimPrefix))
	_, _ = pvs.Informer().AddEventHandler(c.handler(volumePrefix))
	// A new class or node can let waiting claims go on.
	_, _ = scs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: func(any) { c.enqueueClaims() }})
	_, _ = nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: func(any) { c.enqueueClaims() }})
	return c
}

// Run runs until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	if c.own != nil {
		c.own.Start(ctx)
	}
	c.factory.Start(ctx.Done())
	c.factory.WaitForCacheSync(ctx.Done())
	c.loop.Run(ctx, 2)
}

func (c *Controller) handler(prefix string) cache.ResourceEventHandler {
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			c.loop.Add(prefix + key)
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: func(obj any) {
			enqueue(obj)
			// The other side of a binding learns of the deletion.
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			switch o := obj.(type) {
			case *corev1.PersistentVolumeClaim:
				if o.Spec.VolumeName != "" {
					c.loop.Add(volumePrefix + o.Spec.VolumeName)
				}
				c.enqueueVolumesOf(o.Namespace, o.Name)
			case *corev1.PersistentVolume:
				if r := o.Spec.ClaimRef; r != nil {
					c.loop.Add(claimPrefix + r.Namespace + "/" + r.Name)
				}
			}
		},
	}
}

func (c *Controller) enqueueClaims() {
	claims, _ := c.claims.List(everything)
	for _, cl := range claims {
		if cl.Spec.VolumeName == "" {
			c.loop.Add(claimPrefix + cl.Namespace + "/" + cl.Name)
		}
	}
}

func (c *Controller) enqueueVolumesOf(ns, name string) {
	pvs, _ := c.volumes.List(everything)
	for _, pv := range pvs {
		if r := pv.Spec.ClaimRef; r != nil && r.Namespace == ns && r.Name == name {
			c.loop.Add(volumePrefix + pv.Name)
		}
	}
}

func (c *Controller) reconcile(ctx context.Context, key string) (time.Duration, error) {
	if k, ok := strings.CutPrefix(key, claimPrefix); ok {
		ns, name, err := cache.SplitMetaNamespaceKey(k)
		if err != nil {
			return 0, nil
		}
		return 0, c.syncClaim(ctx, ns, name)
	}
	if name, ok := strings.CutPrefix(key, volumePrefix); ok {
		return 0, c.syncVolume(ctx, name)
	}
	return 0, nil
}
