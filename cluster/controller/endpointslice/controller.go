package endpointslice

import (
	"context"
	"log/slog"
	"time"

	"github.com/minidev/mini/cluster/controller/controllerutil"
	"github.com/minidev/mini/cluster/controller/loop"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
)

// Config of the controller.
type Config struct {
	Client kubernetes.Interface
	// Informers is the shared informer factory to watch through; nil
	// makes one of its own. Run starts it.
	Informers informers.SharedInformerFactory
	Log       *slog.Logger
	// Workers is how many Services are reconciled at once; 0 means 4.
	Workers int
	// MaxEndpointsPerSlice; 0 means MaxEndpointsPerSlice (100).
	MaxEndpointsPerSlice int
}

// Controller keeps the EndpointSlices and Endpoints of Services.
type Controller struct {
	client    kubernetes.Interface
	log       *slog.Logger
	factory   informers.SharedInformerFactory
	loop      *loop.Loop
	workers   int
	max       int
	services  corelisters.ServiceLister
	pods      corelisters.PodLister
	slices    discoverylisters.EndpointSliceLister
	endpoints corelisters.EndpointsLister
	synced    []cache.InformerSynced
	recorder  *controllerutil.Recorder
	track     *tracker
}

// New wires the controller to Service, Pod, EndpointSlice and Endpoints informers.
func New(cfg Config) *Controller {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Informers == nil {
		cfg.Informers = informers.NewSharedInformerFactory(cfg.Client, 0)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.MaxEndpointsPerSlice <= 0 {
		cfg.MaxEndpointsPerSlice = MaxEndpointsPerSlice
	}
	c := &Controller{
		client: cfg.Client, log: cfg.Log.With("controller", "endpointslice"), factory: cfg.Informers,
		workers: cfg.Workers, max: cfg.MaxEndpointsPerSlice,
		recorder: controllerutil.NewRecorder(cfg.Client, ControllerName),
		track:    newTracker(time.Now),
	}
	c.loop = loop.New("endpointslice", c.reconcile, cfg.Log)
	svcs := c.factory.Core().V1().Services()
	pods := c.factory.Core().V1().Pods()
	slices := c.factory.Discovery().V1().EndpointSlices()
	eps := c.factory.Core().V1().Endpoints()
	c.services, c.pods, c.slices, c.endpoints = svcs.Lister(), pods.Lister(), slices.Lister(), eps.Lister()
	c.synced = []cache.InformerSynced{svcs.Informer().HasSynced, pods.Informer().HasSynced, slices.Informer().HasSynced, eps.Informer().HasSynced}
	_, _ = svcs.Informer().AddEventHandler(c.loop.Handler())
	_, _ = pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) { c.enqueueForPod(obj) },
		UpdateFunc: func(oldObj, obj any) {
			old, cur := oldObj.(*corev1.Pod), obj.(*corev1.Pod)
			if old.ResourceVersion == cur.ResourceVersion {
				return
			}
			c.enqueueForPod(cur)
			if !labels.Equals(old.Labels, cur.Labels) {
				c.enqueueForPod(old)
			}
		},
		DeleteFunc: func(obj any) { c.enqueueForPod(obj) },
	})
	_, _ = slices.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.sliceChanged(obj, false) },
		UpdateFunc: func(_, obj any) { c.sliceChanged(obj, false) },
		DeleteFunc: func(obj any) { c.sliceChanged(obj, true) },
	})
	// Endpoints changed or removed by someone else are put back.
	_, _ = eps.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, obj any) { c.loop.Enqueue(obj) },
		DeleteFunc: c.loop.Enqueue,
	})
	return c
}

// Run runs until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	c.recorder.Start(ctx)
	c.factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return
	}
	c.loop.Run(ctx, c.workers)
}

// enqueueForPod enqueues the Services whose selector matches the pod.
func (c *Controller) enqueueForPod(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	svcs, err := c.services.Services(pod.Namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, s := range svcs {
		if len(s.Spec.Selector) > 0 && labels.SelectorFromValidatedSet(s.Spec.Selector).Matches(labels.Set(pod.Labels)) {
			c.loop.Enqueue(s)
		}
	}
}

// sliceChanged notes a slice this controller manages in the tracker and
// enqueues its Service.
func (c *Controller) sliceChanged(obj any, deleted bool) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj, deleted = t.Obj, true
	}
	s, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok || s.Labels[discoveryv1.LabelManagedBy] != ControllerName || s.Labels[discoveryv1.LabelServiceName] == "" {
		return
	}
	key := s.Namespace + "/" + s.Labels[discoveryv1.LabelServiceName]
	c.track.observed(key, s.Name, deleted)
	c.loop.Add(key)
}
